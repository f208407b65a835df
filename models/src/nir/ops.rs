//! The linear nodes of a NIR graph as maps from one input element to the
//! output elements it reaches: `Affine`/`Linear`, `Conv1d`/`Conv2d`,
//! `SumPool2d`/`AvgPool2d`, `Flatten`, `Scale`, `Delay`. A spike of input
//! element `i` becomes, after the node, the weighted (and delayed) impulses
//! [`LinearOp::fan_out`] lists — composing them along a path gives the
//! synapses between two neuron nodes.

use super::graph::{Conv, Node, PoolKind, Tensor};

/// One output element reached: its flat index, the factor, the delay added
/// (NIR time units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reach {
    /// Flat output index.
    pub index: usize,
    /// Factor.
    pub weight: f64,
    /// Delay added.
    pub delay: f64,
}

/// A linear node with its input and output shapes resolved.
#[derive(Clone, Debug)]
pub struct LinearOp {
    kind: OpKind,
    /// Input shape.
    pub input: Vec<usize>,
    /// Output shape.
    pub output: Vec<usize>,
}

#[derive(Clone, Debug)]
enum OpKind {
    Affine {
        weight: Tensor,
        bias: Option<Tensor>,
    },
    Conv(Conv),
    Pool {
        sum: bool,
        kernel: Vec<usize>,
        stride: Vec<usize>,
        padding: Vec<usize>,
    },
    Reshape,
    Scale(Tensor),
    Delay(Tensor),
}

fn count(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The most elements a node's output may have (as its input: see `file.rs`).
const MAX_ELEMENTS: usize = 1 << 26;

/// `shape`'s element count, if within [`MAX_ELEMENTS`].
fn bounded(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| format!("its output {shape:?} has too many elements"))
}

/// Output size of a window sliding over `n` (padding `p` both sides).
fn slid(n: usize, k: usize, stride: usize, p: usize, dilation: usize) -> Option<usize> {
    let span = dilation * (k - 1) + 1;
    let padded = n + 2 * p;
    (padded >= span).then(|| (padded - span) / stride + 1)
}

impl LinearOp {
    /// The op of `node` fed with shape `input`; `Err` says why they do not fit.
    pub fn new(node: &Node, input: &[usize]) -> Result<Option<LinearOp>, String> {
        let n_in = bounded(input)?;
        let op = |kind, inp: Vec<usize>, output| {
            Ok(Some(LinearOp {
                kind,
                input: inp,
                output,
            }))
        };
        match node {
            Node::Affine { weight, bias } => {
                let (out, cols) = (weight.shape[0], weight.shape[1]);
                if cols != n_in {
                    return Err(format!(
                        "its weight takes {cols} inputs, it is fed {n_in} ({input:?})"
                    ));
                }
                let kind = OpKind::Affine {
                    weight: weight.clone(),
                    bias: bias.clone(),
                };
                op(kind, vec![n_in], vec![out])
            }
            Node::Conv(c) => {
                let dims = c.weight.shape.len() - 2;
                let c_in = c.weight.shape[1] * c.groups;
                let spatial: Vec<usize> = match &c.input_shape {
                    Some(s) => s.clone(),
                    None if input.len() == dims + 1 => input[1..].to_vec(),
                    None => {
                        return Err(format!(
                            "fed shape {input:?}: needs [C_in, {}] or `input_shape`",
                            if dims == 1 { "L" } else { "H, W" }
                        ))
                    }
                };
                let mut inp = vec![c_in];
                inp.extend(&spatial);
                if bounded(&inp)? != n_in {
                    return Err(format!(
                        "expects {inp:?} ({} values), it is fed {input:?} ({n_in})",
                        count(&inp)
                    ));
                }
                let mut out = vec![c.weight.shape[0]];
                for (d, &n) in spatial.iter().enumerate().take(dims) {
                    let k = c.weight.shape[2 + d];
                    let o = slid(n, k, c.stride[d], c.padding[d], c.dilation[d])
                        .ok_or_else(|| format!("its kernel is larger than its input {inp:?}"))?;
                    out.push(o);
                }
                bounded(&out)?;
                op(OpKind::Conv(c.clone()), inp, out)
            }
            Node::Pool {
                kind,
                kernel,
                stride,
                padding,
            } => {
                if input.len() != 3 {
                    return Err(format!("needs a [C, H, W] input, it is fed {input:?}"));
                }
                let mut out = vec![input[0]];
                for d in 0..2 {
                    let o = slid(input[1 + d], kernel[d], stride[d], padding[d], 1)
                        .ok_or_else(|| format!("its window is larger than its input {input:?}"))?;
                    out.push(o);
                }
                let kind = OpKind::Pool {
                    sum: *kind == PoolKind::Sum,
                    kernel: kernel.clone(),
                    stride: stride.clone(),
                    padding: padding.clone(),
                };
                op(kind, input.to_vec(), out)
            }
            Node::Flatten {
                start_dim,
                end_dim,
                input_shape,
            } => {
                let inp = match input_shape {
                    Some(s) if count(s) == n_in => s.clone(),
                    Some(s) => {
                        return Err(format!("expects {s:?}, it is fed {input:?}"));
                    }
                    None => input.to_vec(),
                };
                let rank = inp.len() as i64;
                let norm = |d: i64| if d < 0 { d + rank } else { d };
                let (s, e) = (norm(*start_dim), norm(*end_dim));
                if !(0 <= s && s <= e && e < rank.max(1)) {
                    return Err(format!(
                        "start_dim {start_dim} / end_dim {end_dim} do not fit {inp:?}"
                    ));
                }
                let (s, e) = (s as usize, (e as usize).min(inp.len().saturating_sub(1)));
                let mut out = inp[..s].to_vec();
                out.push(count(&inp[s..=e.max(s).min(inp.len().saturating_sub(1))]));
                if e + 1 < inp.len() {
                    out.extend(&inp[e + 1..]);
                }
                op(OpKind::Reshape, inp, out)
            }
            Node::Scale { scale } => {
                if scale.len() != 1 && scale.len() != n_in {
                    return Err(format!("has {} scales for {n_in} inputs", scale.len()));
                }
                op(OpKind::Scale(scale.clone()), input.to_vec(), input.to_vec())
            }
            Node::Delay { delay } => {
                if delay.len() != 1 && delay.len() != n_in {
                    return Err(format!("has {} delays for {n_in} inputs", delay.len()));
                }
                if let Some(d) = delay.data.iter().find(|d| !(**d >= 0.0 && d.is_finite())) {
                    return Err(format!("delays must be ≥ 0, got {d}"));
                }
                op(OpKind::Delay(delay.clone()), input.to_vec(), input.to_vec())
            }
            _ => Ok(None),
        }
    }

    /// The bias this node adds to each output element (`None`: no bias).
    pub fn bias(&self) -> Option<Vec<f64>> {
        match &self.kind {
            OpKind::Affine { bias: Some(b), .. } => Some(b.data.clone()),
            OpKind::Conv(Conv { bias: Some(b), .. }) => {
                let per_channel = count(&self.output[1..]);
                Some(
                    (0..count(&self.output))
                        .map(|i| b.data[i / per_channel])
                        .collect(),
                )
            }
            _ => None,
        }
        .filter(|b| b.iter().any(|&x| x != 0.0))
    }

    /// The output elements input element `i` reaches (zero factors left out).
    pub fn fan_out(&self, i: usize, out: &mut Vec<Reach>) {
        let reach = |index, weight| Reach {
            index,
            weight,
            delay: 0.0,
        };
        match &self.kind {
            OpKind::Affine { weight, .. } => {
                let cols = weight.shape[1];
                for o in 0..weight.shape[0] {
                    let w = weight.data[o * cols + i];
                    if w != 0.0 {
                        out.push(reach(o, w));
                    }
                }
            }
            OpKind::Conv(c) => self.conv_fan_out(c, i, out),
            OpKind::Pool {
                sum,
                kernel,
                stride,
                padding,
            } => {
                let (h, w) = (self.input[1], self.input[2]);
                let (oh, ow) = (self.output[1], self.output[2]);
                let (ch, y, x) = (i / (h * w), (i / w) % h, i % w);
                let factor = if *sum {
                    1.0
                } else {
                    1.0 / (kernel[0] * kernel[1]) as f64
                };
                for oy in window_outputs(y, kernel[0], stride[0], padding[0], oh) {
                    for ox in window_outputs(x, kernel[1], stride[1], padding[1], ow) {
                        out.push(reach((ch * oh + oy) * ow + ox, factor));
                    }
                }
            }
            OpKind::Reshape => out.push(reach(i, 1.0)),
            OpKind::Scale(s) => {
                if s.at(i) != 0.0 {
                    out.push(reach(i, s.at(i)));
                }
            }
            OpKind::Delay(d) => out.push(Reach {
                index: i,
                weight: 1.0,
                delay: d.at(i),
            }),
        }
    }

    fn conv_fan_out(&self, c: &Conv, i: usize, out: &mut Vec<Reach>) {
        let dims = self.input.len() - 1;
        let spatial_in: usize = count(&self.input[1..]);
        let spatial_out: usize = count(&self.output[1..]);
        let ch = i / spatial_in;
        let pos = i % spatial_in;
        let (c_out, c_in_g) = (c.weight.shape[0], c.weight.shape[1]);
        let out_per_group = c_out / c.groups;
        let group = ch / c_in_g;
        let ci = ch % c_in_g;
        let kernel_size: usize = count(&c.weight.shape[2..]);
        // A 1-D convolution is a 2-D one of height 1.
        let two = |v: &[usize], one: usize| -> [usize; 2] {
            if dims == 2 {
                [v[0], v[1]]
            } else {
                [one, v[0]]
            }
        };
        let [kh, kw] = two(&c.weight.shape[2..], 1);
        let [_, w_in] = two(&self.input[1..], 1);
        let [oh, ow] = two(&self.output[1..], 1);
        let [sy, sx] = two(&c.stride, 1);
        let [py, px] = two(&c.padding, 0);
        let [dy, dx] = two(&c.dilation, 1);
        let (y, x) = (pos / w_in, pos % w_in);
        for oc in group * out_per_group..(group + 1) * out_per_group {
            let wbase = (oc * c_in_g + ci) * kernel_size;
            for ky in 0..kh {
                let Some(oy) = tap_output(y, ky, sy, py, dy, oh) else {
                    continue;
                };
                for kx in 0..kw {
                    let Some(ox) = tap_output(x, kx, sx, px, dx, ow) else {
                        continue;
                    };
                    let w = c.weight.data[wbase + ky * kw + kx];
                    if w != 0.0 {
                        out.push(Reach {
                            index: oc * spatial_out + oy * ow + ox,
                            weight: w,
                            delay: 0.0,
                        });
                    }
                }
            }
        }
    }
}

/// The output position whose kernel tap `k` lands on input position `x`
/// (`o·stride − pad + k·dilation = x`), if there is one.
fn tap_output(
    x: usize,
    k: usize,
    stride: usize,
    pad: usize,
    dil: usize,
    n_out: usize,
) -> Option<usize> {
    let num = (x + pad).checked_sub(k * dil)?;
    (num % stride == 0 && num / stride < n_out).then_some(num / stride)
}

/// The pooling windows (output positions) that cover input position `x`.
fn window_outputs(
    x: usize,
    k: usize,
    stride: usize,
    pad: usize,
    n_out: usize,
) -> impl Iterator<Item = usize> {
    (0..k).filter_map(move |t| tap_output(x, t, stride, pad, 1, n_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv2d(c_in: usize, c_out: usize, k: usize, stride: usize, pad: usize) -> Node {
        let n = c_out * c_in * k * k;
        Node::Conv(Conv {
            weight: Tensor {
                shape: vec![c_out, c_in, k, k],
                data: (0..n).map(|v| v as f64 + 1.0).collect(),
            },
            bias: None,
            stride: vec![stride; 2],
            padding: vec![pad; 2],
            dilation: vec![1; 2],
            groups: 1,
            input_shape: None,
        })
    }

    /// The fan-out of every input equals a direct evaluation of the
    /// convolution (PyTorch's cross-correlation) on a one-hot input.
    #[test]
    fn conv_fan_out_is_the_convolution_of_a_one_hot_input() {
        let node = conv2d(2, 3, 3, 2, 1);
        let op = LinearOp::new(&node, &[2, 7, 6]).unwrap().unwrap();
        assert_eq!(op.output, vec![3, 4, 3]);
        let Node::Conv(c) = &node else { unreachable!() };
        for i in 0..2 * 7 * 6 {
            let mut got = Vec::new();
            op.fan_out(i, &mut got);
            let mut want = Vec::new();
            for oc in 0..3 {
                for oy in 0..4 {
                    for ox in 0..3 {
                        let mut s = 0.0;
                        for ci in 0..2 {
                            for ky in 0..3 {
                                for kx in 0..3 {
                                    let (y, x) = (oy * 2 + ky, ox * 2 + kx);
                                    if y < 1 || x < 1 || y > 7 || x > 6 {
                                        continue;
                                    }
                                    let idx = (ci * 7 + (y - 1)) * 6 + (x - 1);
                                    if idx == i {
                                        s += c.weight.data[((oc * 2 + ci) * 3 + ky) * 3 + kx];
                                    }
                                }
                            }
                        }
                        if s != 0.0 {
                            want.push(((oc * 4 + oy) * 3 + ox, s));
                        }
                    }
                }
            }
            let mut got: Vec<(usize, f64)> = got.iter().map(|r| (r.index, r.weight)).collect();
            got.sort_by_key(|g| g.0);
            assert_eq!(got, want, "input {i}");
        }
    }

    #[test]
    fn sum_pool_and_flatten_shapes() {
        let pool = Node::Pool {
            kind: PoolKind::Sum,
            kernel: vec![2, 2],
            stride: vec![2, 2],
            padding: vec![0, 0],
        };
        let op = LinearOp::new(&pool, &[16, 8, 8]).unwrap().unwrap();
        assert_eq!(op.output, vec![16, 4, 4]);
        let mut r = Vec::new();
        op.fan_out(8 * 8 + 8 + 1, &mut r); // channel 1, y 1, x 1
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].index, 16);
        let flat = Node::Flatten {
            start_dim: 0,
            end_dim: -1,
            input_shape: Some(vec![8, 4, 4]),
        };
        let op = LinearOp::new(&flat, &[8, 4, 4]).unwrap().unwrap();
        assert_eq!(op.output, vec![128]);
    }
}
