//! Reading NIR files (HDF5) into a [`Graph`], with `hdf5-reader`, a pure-Rust
//! HDF5 decoder: no system libhdf5 to install, gzip-compressed datasets and
//! variable-length strings read, and bounds-checked against damaged files.
//!
//! Layout (NIR 0.x/1.0): a root dataset `version`, a group `node` with `type`
//! = `"NIRGraph"`, `edges` (N×2 strings) and `nodes/<name>/` — one group per
//! node with a `type` string and one dataset per parameter. A nested graph
//! is a node of type `NIRGraph` with its own `nodes` and `edges`.

use super::graph::{Conv, Graph, NeuronKind, NeuronNode, Node, PoolKind, Tensor};
use crate::error::ModelError;
use hdf5_reader::group::Group;
use hdf5_reader::{Datatype, Hdf5File};
use std::collections::BTreeMap;
use std::path::Path;

/// The most values one parameter may hold, and the most elements a node's
/// shape may have (a damaged size cannot make us allocate beyond this).
const MAX_VALUES: u64 = 1 << 26;
/// Nested graphs deeper than this are refused (a damaged file may loop).
const MAX_DEPTH: usize = 32;

/// Read the NIR file at `path`.
pub fn read_file(path: &Path) -> Result<Graph, ModelError> {
    let bytes =
        std::fs::read(path).map_err(|e| ModelError::file(path, format!("cannot read: {e}")))?;
    read_bytes(path, &bytes)
}

/// Read a NIR file from memory; `path` names it in errors.
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<Graph, ModelError> {
    let file = Hdf5File::from_bytes(bytes)
        .map_err(|e| ModelError::file(path, format!("not a readable HDF5 (NIR) file: {e}")))?;
    let root = file
        .root_group()
        .map_err(|e| ModelError::file(path, format!("damaged HDF5 file: {e}")))?;
    let node = root
        .group("node")
        .map_err(|e| ModelError::file(path, format!("not a NIR file (no group `node`): {e}")))?;
    let r = Reader { path };
    let kind = r.string(&node, "node", "type")?;
    if kind != "NIRGraph" {
        let m = format!("the top node is a `{kind}`, not a `NIRGraph`");
        return Err(ModelError::key(path, "node.type", m));
    }
    r.graph(&node, "node", 0)
}

struct Reader<'a> {
    path: &'a Path,
}

impl Reader<'_> {
    fn err(&self, at: &str, m: impl Into<String>) -> ModelError {
        ModelError::key(self.path, at, m)
    }

    fn graph(&self, g: &Group, at: &str, depth: usize) -> Result<Graph, ModelError> {
        if depth > MAX_DEPTH {
            return Err(self.err(at, "graphs nested too deep"));
        }
        let nodes_group = g
            .group("nodes")
            .map_err(|e| self.err(at, format!("no `nodes` group: {e}")))?;
        let (names, _) = nodes_group
            .member_names()
            .map_err(|e| self.err(at, format!("cannot list the nodes: {e}")))?;
        let mut nodes = BTreeMap::new();
        for name in names {
            let node_at = format!("{at}.nodes.{name}");
            let group = nodes_group
                .group(&name)
                .map_err(|e| self.err(&node_at, format!("cannot open: {e}")))?;
            nodes.insert(name.clone(), self.node(&group, &node_at, depth)?);
        }
        let edges = self.edges(g, at)?;
        for (from, to) in &edges {
            for n in [from, to] {
                let known = nodes.contains_key(n.as_str())
                    || n.split_once('.')
                        .is_some_and(|(g, _)| matches!(nodes.get(g), Some(Node::Graph(_))));
                if !known {
                    let m = format!("edge {from} → {to} names `{n}`, which is not a node");
                    return Err(self.err(&format!("{at}.edges"), m));
                }
            }
        }
        Ok(Graph { nodes, edges })
    }

    fn edges(&self, g: &Group, at: &str) -> Result<Vec<(String, String)>, ModelError> {
        let key = format!("{at}.edges");
        let Ok(d) = g.dataset("edges") else {
            return Ok(Vec::new());
        };
        self.not_huge(&d, &key)?;
        let flat = d
            .read_strings()
            .map_err(|e| self.err(&key, format!("cannot read: {e}")))?;
        if flat.len() % 2 != 0 {
            let m = format!("must be pairs of node names, got {} names", flat.len());
            return Err(self.err(&key, m));
        }
        Ok(flat
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect())
    }

    fn string(&self, g: &Group, at: &str, name: &str) -> Result<String, ModelError> {
        let key = format!("{at}.{name}");
        let d = g
            .dataset(name)
            .map_err(|e| self.err(&key, format!("missing: {e}")))?;
        self.not_huge(&d, &key)?;
        let mut s = d
            .read_strings()
            .map_err(|e| self.err(&key, format!("must be a string: {e}")))?;
        if s.len() != 1 {
            return Err(self.err(&key, format!("must be one string, got {}", s.len())));
        }
        Ok(s.remove(0))
    }

    /// A dataset declaring more than [`MAX_VALUES`] elements is refused
    /// before it is read.
    fn not_huge(&self, d: &hdf5_reader::dataset::Dataset, key: &str) -> Result<(), ModelError> {
        let n = d
            .num_elements()
            .map_err(|e| self.err(key, format!("cannot read: {e}")))?;
        if n > MAX_VALUES {
            return Err(self.err(key, format!("{n} values: too many")));
        }
        Ok(())
    }

    /// Parameter `name` as numbers, or `None` when absent.
    fn maybe(&self, g: &Group, at: &str, name: &str) -> Result<Option<Tensor>, ModelError> {
        let key = format!("{at}.{name}");
        let Ok(d) = g.dataset(name) else {
            return Ok(None);
        };
        let shape: Vec<usize> = d.shape().iter().map(|&s| s as usize).collect();
        let n = d
            .num_elements()
            .map_err(|e| self.err(&key, format!("cannot read: {e}")))?;
        if n > MAX_VALUES {
            return Err(self.err(&key, format!("{n} values: too many")));
        }
        let n = n as usize;
        let bad = |e: hdf5_reader::error::Error| self.err(&key, format!("cannot read: {e}"));
        macro_rules! read_as {
            ($t:ty) => {{
                let mut v = vec![<$t>::default(); n];
                d.read_into(&mut v).map_err(bad)?;
                v.into_iter().map(|x| x as f64).collect::<Vec<f64>>()
            }};
        }
        let data = match d.dtype() {
            Datatype::FloatingPoint { size: 4, .. } => read_as!(f32),
            Datatype::FloatingPoint { size: 8, .. } => read_as!(f64),
            Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
                (1, true) => read_as!(i8),
                (2, true) => read_as!(i16),
                (4, true) => read_as!(i32),
                (8, true) => read_as!(i64),
                (1, false) => read_as!(u8),
                (2, false) => read_as!(u16),
                (4, false) => read_as!(u32),
                (8, false) => read_as!(u64),
                _ => return Err(self.err(&key, format!("unsupported integer size {size}"))),
            },
            other => {
                let m = format!("must be numbers, got HDF5 type {other:?}");
                return Err(self.err(&key, m));
            }
        };
        if data.len() != shape.iter().product::<usize>().max(1) {
            return Err(self.err(&key, "its shape and its values disagree"));
        }
        Ok(Some(Tensor { shape, data }))
    }

    fn need(&self, g: &Group, at: &str, name: &str) -> Result<Tensor, ModelError> {
        self.maybe(g, at, name)?
            .ok_or_else(|| self.err(&format!("{at}.{name}"), "missing"))
    }

    /// Non-negative integers (sizes, strides).
    fn sizes(&self, g: &Group, at: &str, name: &str) -> Result<Option<Vec<usize>>, ModelError> {
        let Some(t) = self.maybe(g, at, name)? else {
            return Ok(None);
        };
        t.data
            .iter()
            .map(|&x| {
                if x >= 0.0 && x.fract() == 0.0 && x < 1e12 {
                    Ok(x as usize)
                } else {
                    let m = format!("must be whole numbers ≥ 0, got {x}");
                    Err(self.err(&format!("{at}.{name}"), m))
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// One integer (`groups`, `start_dim`).
    fn int(&self, g: &Group, at: &str, name: &str) -> Result<Option<i64>, ModelError> {
        let Some(t) = self.maybe(g, at, name)? else {
            return Ok(None);
        };
        match t.data.as_slice() {
            [x] if x.fract() == 0.0 && x.abs() < 1e12 => Ok(Some(*x as i64)),
            _ => Err(self.err(&format!("{at}.{name}"), "must be one whole number")),
        }
    }

    /// A spatial parameter: one value per dimension (a single value is
    /// repeated), default `dflt`.
    fn per_dim(
        &self,
        g: &Group,
        at: &str,
        name: &str,
        dims: usize,
        dflt: usize,
    ) -> Result<Vec<usize>, ModelError> {
        match self.sizes(g, at, name)? {
            None => Ok(vec![dflt; dims]),
            Some(v) if v.len() == dims => Ok(v),
            Some(v) if v.len() == 1 => Ok(vec![v[0]; dims]),
            Some(v) => {
                let m = format!("needs {dims} values, got {}", v.len());
                Err(self.err(&format!("{at}.{name}"), m))
            }
        }
    }

    fn node(&self, g: &Group, at: &str, depth: usize) -> Result<Node, ModelError> {
        let kind = self.string(g, at, "type")?;
        let shape = |name: &str| -> Result<Vec<usize>, ModelError> {
            self.sizes(g, at, name)?
                .ok_or_else(|| self.err(&format!("{at}.{name}"), "missing"))
        };
        let bounded = |name: &str, s: Vec<usize>| -> Result<Vec<usize>, ModelError> {
            let n = s
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
                .filter(|&n| n <= MAX_VALUES);
            match n {
                Some(_) => Ok(s),
                None => Err(self.err(&format!("{at}.{name}"), format!("{s:?}: too many elements"))),
            }
        };
        Ok(match kind.as_str() {
            "Input" => Node::Input {
                shape: bounded(
                    "shape",
                    self.sizes(g, at, "shape")?
                        .map_or_else(|| shape("input_type"), Ok)?,
                )?,
            },
            "Output" => Node::Output {
                shape: self
                    .sizes(g, at, "shape")?
                    .map_or_else(|| shape("output_type"), Ok)?,
            },
            "Affine" | "Linear" => {
                let weight = self.need(g, at, "weight")?;
                if weight.shape.len() != 2 {
                    return Err(self.err(&format!("{at}.weight"), "must be 2-D [out, in]"));
                }
                let bias = if kind == "Affine" {
                    self.maybe(g, at, "bias")?
                } else {
                    None
                };
                if let Some(b) = &bias {
                    if b.len() != weight.shape[0] {
                        let m = format!("needs {} values, got {}", weight.shape[0], b.len());
                        return Err(self.err(&format!("{at}.bias"), m));
                    }
                }
                Node::Affine { weight, bias }
            }
            "Conv1d" | "Conv2d" => {
                let dims = if kind == "Conv1d" { 1 } else { 2 };
                let weight = self.need(g, at, "weight")?;
                if weight.shape.len() != dims + 2 {
                    let m = format!("must be {}-D [C_out, C_in/groups, k...]", dims + 2);
                    return Err(self.err(&format!("{at}.weight"), m));
                }
                if weight.is_empty() {
                    return Err(self.err(&format!("{at}.weight"), "is empty"));
                }
                let groups = self.int(g, at, "groups")?.unwrap_or(1);
                if groups < 1 || weight.shape[0] % groups as usize != 0 {
                    let m = format!("must be ≥ 1 and divide C_out ({})", weight.shape[0]);
                    return Err(self.err(&format!("{at}.groups"), m));
                }
                let bias = self.maybe(g, at, "bias")?;
                if let Some(b) = &bias {
                    if b.len() != weight.shape[0] {
                        let m = format!("needs {} values, got {}", weight.shape[0], b.len());
                        return Err(self.err(&format!("{at}.bias"), m));
                    }
                }
                let stride = self.per_dim(g, at, "stride", dims, 1)?;
                if stride.contains(&0) {
                    return Err(self.err(&format!("{at}.stride"), "must be ≥ 1"));
                }
                let dilation = self.per_dim(g, at, "dilation", dims, 1)?;
                if dilation.contains(&0) {
                    return Err(self.err(&format!("{at}.dilation"), "must be ≥ 1"));
                }
                let input_shape = match self.sizes(g, at, "input_shape")? {
                    Some(v) if v.len() == dims => Some(bounded("input_shape", v)?),
                    Some(_) => {
                        let m = format!("needs {dims} values (the spatial size)");
                        return Err(self.err(&format!("{at}.input_shape"), m));
                    }
                    None => None,
                };
                Node::Conv(Conv {
                    weight,
                    bias,
                    stride,
                    padding: self.per_dim(g, at, "padding", dims, 0)?,
                    dilation,
                    groups: groups as usize,
                    input_shape,
                })
            }
            "SumPool2d" | "AvgPool2d" => {
                let kernel = self.per_dim(g, at, "kernel_size", 2, 0)?;
                if kernel.contains(&0) {
                    return Err(self.err(&format!("{at}.kernel_size"), "missing or 0"));
                }
                let stride = match self.sizes(g, at, "stride")? {
                    None => kernel.clone(),
                    Some(_) => self.per_dim(g, at, "stride", 2, 1)?,
                };
                if stride.contains(&0) {
                    return Err(self.err(&format!("{at}.stride"), "must be ≥ 1"));
                }
                Node::Pool {
                    kind: if kind == "SumPool2d" {
                        PoolKind::Sum
                    } else {
                        PoolKind::Avg
                    },
                    kernel,
                    stride,
                    padding: self.per_dim(g, at, "padding", 2, 0)?,
                }
            }
            "Flatten" => Node::Flatten {
                start_dim: self.int(g, at, "start_dim")?.unwrap_or(0),
                end_dim: self.int(g, at, "end_dim")?.unwrap_or(-1),
                input_shape: match self.sizes(g, at, "input_type")? {
                    Some(s) => Some(bounded("input_type", s)?),
                    None => None,
                },
            },
            "Scale" => Node::Scale {
                scale: self.need(g, at, "scale")?,
            },
            "Delay" => Node::Delay {
                delay: self.need(g, at, "delay")?,
            },
            "Threshold" => Node::Threshold,
            "NIRGraph" => Node::Graph(self.graph(g, at, depth + 1)?),
            "LIF" | "IF" | "LI" | "I" | "CubaLIF" | "CubaLI" => {
                Node::Neuron(self.neuron(g, at, &kind)?)
            }
            other => {
                return Err(self.err(
                    &format!("{at}.type"),
                    format!("unknown NIR node type `{other}`"),
                ))
            }
        })
    }

    fn neuron(&self, g: &Group, at: &str, kind: &str) -> Result<NeuronNode, ModelError> {
        let kind = match kind {
            "LIF" => NeuronKind::Lif,
            "IF" => NeuronKind::If,
            "LI" => NeuronKind::Li,
            "I" => NeuronKind::I,
            "CubaLIF" => NeuronKind::CubaLif,
            _ => NeuronKind::CubaLi,
        };
        let cuba = matches!(kind, NeuronKind::CubaLif | NeuronKind::CubaLi);
        let leaky = !matches!(kind, NeuronKind::If | NeuronKind::I);
        let r = self.need(g, at, "r")?;
        let tau_mem = match (leaky, cuba) {
            (false, _) => None,
            (true, false) => Some(self.need(g, at, "tau")?),
            (true, true) => Some(self.need(g, at, "tau_mem")?),
        };
        let tau_syn = if cuba {
            Some(self.need(g, at, "tau_syn")?)
        } else {
            None
        };
        let v_threshold = if kind.spikes() {
            Some(self.need(g, at, "v_threshold")?)
        } else {
            None
        };
        let node = NeuronNode {
            kind,
            size: r.len(),
            shape: r.shape.clone(),
            tau_mem,
            tau_syn,
            v_leak: if leaky {
                self.maybe(g, at, "v_leak")?
            } else {
                None
            },
            v_threshold,
            v_reset: self.maybe(g, at, "v_reset")?,
            w_in: if cuba {
                self.maybe(g, at, "w_in")?
            } else {
                None
            },
            r,
        };
        // Every parameter has the neurons' count of values, or one for all.
        let size = [
            Some(&node.r),
            node.tau_mem.as_ref(),
            node.tau_syn.as_ref(),
            node.v_leak.as_ref(),
            node.v_threshold.as_ref(),
            node.v_reset.as_ref(),
            node.w_in.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(Tensor::len)
        .max()
        .unwrap_or(0);
        let params = [
            ("r", Some(&node.r)),
            ("tau", node.tau_mem.as_ref()),
            ("tau_syn", node.tau_syn.as_ref()),
            ("v_leak", node.v_leak.as_ref()),
            ("v_threshold", node.v_threshold.as_ref()),
            ("v_reset", node.v_reset.as_ref()),
            ("w_in", node.w_in.as_ref()),
        ];
        for (name, t) in params {
            let Some(t) = t else { continue };
            if t.len() != size && t.len() != 1 {
                let m = format!("has {} values, the node {size} neurons", t.len());
                return Err(self.err(&format!("{at}.{name}"), m));
            }
            if let Some(x) = t.data.iter().find(|x| !x.is_finite()) {
                return Err(self.err(&format!("{at}.{name}"), format!("must be finite, got {x}")));
            }
        }
        if size == 0 {
            return Err(self.err(&format!("{at}.r"), "the node has no neurons"));
        }
        let shape = [
            Some(&node.r),
            node.v_threshold.as_ref(),
            node.tau_mem.as_ref(),
        ]
        .into_iter()
        .flatten()
        .find(|t| t.len() == size)
        .map(|t| t.shape.clone())
        .unwrap_or(vec![size]);
        Ok(NeuronNode {
            size,
            shape,
            ..node
        })
    }
}

/// NIR's node types this reader knows (for error messages and docs).
pub const NODE_TYPES: &[&str] = &[
    "Input",
    "Output",
    "Affine",
    "Linear",
    "Conv1d",
    "Conv2d",
    "SumPool2d",
    "AvgPool2d",
    "Flatten",
    "Scale",
    "Delay",
    "Threshold",
    "NIRGraph",
    "LIF",
    "IF",
    "LI",
    "I",
    "CubaLIF",
    "CubaLI",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let p = Path::new("x.nir");
        assert!(read_bytes(p, b"").is_err());
        assert!(read_bytes(p, b"\x89HDF\r\n\x1a\n garbage").is_err());
    }
}
