//! A NIR graph mapped onto Volley's neuron models and synapses.
//!
//! - Every `Input` node becomes a population of `parrot` neurons (inputs
//!   target it); every neuron node a population of `lif_delta` (LIF, IF, LI,
//!   I) or `lif_exp` (CubaLIF, CubaLI) neurons with NIR's equations
//!   (`params`): time constants scaled from NIR's time unit to ms, `C_m =
//!   τ/R` so that an input current `I` gives NIR's `R·I`, the potential
//!   starting at 0, `t_ref = 0`, the threshold strict (`V_th` is the next
//!   double above NIR's `v_threshold`, relative to `v_leak`), non-spiking
//!   kinds with `V_th = inf`, leak-free kinds with `tau_m = inf`.
//! - The linear nodes between two neuron nodes (or an `Input` and a neuron
//!   node) compose into one synapse per (source, target) element pair and
//!   path, with the product of the factors along it. A spike is a Dirac
//!   impulse of area 1: it makes `v` jump by `R·w/τ` (LIF, LI), `R·w` (IF,
//!   I), or the synaptic current jump by `w_in·w/τ_syn` (CubaLIF, CubaLI).
//! - Biases (`Affine`, `Conv` with `bias`) pass through the linear nodes
//!   after them and become a constant current (`I_e`); into a CubaLIF the
//!   bias is filtered by the synapse, so `I_e = w_in·b` with the synaptic
//!   current starting at `−w_in·b` — the exact solution of NIR's equations
//!   from a zero state.
//! - NIR's edges are instantaneous; Volley's synapses need a delay (it is
//!   what lets partitions run ahead): each synapse gets `edge_delay_ms`
//!   plus the delays of `Delay` nodes on its path.

use super::graph::{Graph, Node};
use super::neurons::{jump_per_unit_input, neuron_params};
use super::ops::{LinearOp, Reach};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How NIR's numbers are read.
#[derive(Clone, Copy, Debug)]
pub struct LowerOptions {
    /// The graph's time unit in seconds (NIR files from Norse, snnTorch,
    /// Sinabs, Rockpool: 1).
    pub time_unit_s: f64,
    /// The delay of every NIR edge into a neuron node (ms, > 0).
    pub edge_delay_ms: f64,
    /// Refractory period after a spike (ms; NIR has none: 0).
    pub t_ref_ms: f64,
}

impl Default for LowerOptions {
    fn default() -> Self {
        LowerOptions {
            time_unit_s: 1.0,
            edge_delay_ms: 0.001,
            t_ref_ms: 0.0,
        }
    }
}

/// A population made from a node.
#[derive(Clone, Debug)]
pub struct NirPopulation {
    /// The node's (flattened) name.
    pub node: String,
    /// Volley's model name.
    pub model: &'static str,
    /// Number of neurons.
    pub size: usize,
    /// The node's shape.
    pub shape: Vec<usize>,
    /// Model parameters (a list where they differ per neuron).
    pub params: toml::Table,
}

/// One synapse, by indices within its populations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NirSynapse {
    /// Source element.
    pub source: u32,
    /// Target element.
    pub target: u32,
    /// mV (`lif_delta`) or pA (`lif_exp`).
    pub weight: f64,
    /// ms.
    pub delay_ms: f64,
}

/// The synapses from one population onto another.
#[derive(Clone, Debug)]
pub struct NirProjection {
    /// Source node.
    pub source: String,
    /// Target node.
    pub target: String,
    /// Its synapses, in source order.
    pub synapses: Vec<NirSynapse>,
}

/// A graph mapped onto Volley.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// Populations: the `Input` nodes first, then neuron nodes in the order
    /// they are reached from the inputs.
    pub populations: Vec<NirPopulation>,
    /// Projections.
    pub projections: Vec<NirProjection>,
    /// `(Output node, the neuron node feeding it)`.
    pub outputs: Vec<(String, String)>,
}

/// Map `graph` onto Volley. The error names the node (and parameter).
pub fn lower(graph: &Graph, opt: &LowerOptions) -> Result<Lowered, (String, String)> {
    if !(opt.time_unit_s > 0.0 && opt.time_unit_s.is_finite()) {
        return Err(("time_unit_s".into(), "must be > 0".into()));
    }
    if !(opt.edge_delay_ms > 0.0 && opt.edge_delay_ms.is_finite()) {
        return Err(("edge_delay_ms".into(), "must be > 0 ms".into()));
    }
    if !(opt.t_ref_ms >= 0.0 && opt.t_ref_ms.is_finite()) {
        return Err(("t_ref_ms".into(), "must be >= 0 ms".into()));
    }
    let g = flatten(graph)?;
    let order = population_order(&g);
    let mut shapes: HashMap<&str, Vec<usize>> = HashMap::new();
    for name in &order {
        match &g.nodes[name] {
            Node::Input { shape } => shapes.insert(name, shape.clone()),
            Node::Neuron(n) => shapes.insert(name, n.shape.clone()),
            _ => None,
        };
    }
    let ops = resolve_ops(&g, &mut shapes)?;
    fn preds<'g>(g: &'g Graph, n: &'g str) -> impl Iterator<Item = &'g str> {
        g.edges
            .iter()
            .filter(move |e| e.1 == n)
            .map(|e| e.0.as_str())
    }
    fn succs<'g>(g: &'g Graph, n: &'g str) -> impl Iterator<Item = &'g str> {
        g.edges
            .iter()
            .filter(move |e| e.0 == n)
            .map(|e| e.1.as_str())
    }
    for (name, node) in &g.nodes {
        if let Node::Threshold = node {
            let m = "a Threshold (a step function of a continuous input) has no exact event-driven form";
            return Err((name.clone(), m.into()));
        }
        if let Node::Neuron(n) = node {
            if !n.kind.spikes() {
                if let Some(s) =
                    succs(&g, name).find(|s| !matches!(g.nodes[*s], Node::Output { .. }))
                {
                    let m = format!(
                        "a {} emits no spikes, so it can only feed an Output, not `{s}`",
                        n.kind.name()
                    );
                    return Err((name.clone(), m));
                }
            }
        }
        if matches!(node, Node::Input { .. }) {
            if let Some(p) = preds(&g, name).next() {
                return Err((name.clone(), format!("an Input cannot be fed (by `{p}`)")));
            }
        }
    }
    // Synapses: from every spiking element, along every path.
    let mut projections: Vec<NirProjection> = Vec::new();
    let unit_ms = opt.time_unit_s * 1000.0;
    let mut biases: HashMap<String, Vec<f64>> = HashMap::new();
    for src in &order {
        let n = match &g.nodes[src] {
            Node::Input { shape } => shape.iter().product(),
            Node::Neuron(nn) if nn.kind.spikes() => nn.size,
            _ => continue,
        };
        for i in 0..n {
            let start = vec![Reach {
                index: i,
                weight: 1.0,
                delay: 0.0,
            }];
            walk(
                &g,
                &ops,
                src,
                start,
                &mut Vec::new(),
                &mut |target, reach| {
                    let Node::Neuron(t) = &g.nodes[target] else {
                        return;
                    };
                    // Few projections: a search, no key to build per synapse.
                    let found = projections
                        .iter()
                        .position(|p| p.source == *src && p.target == target);
                    let k = found.unwrap_or_else(|| {
                        projections.push(NirProjection {
                            source: src.clone(),
                            target: target.to_string(),
                            synapses: Vec::new(),
                        });
                        projections.len() - 1
                    });
                    let weight = reach.weight * jump_per_unit_input(t, reach.index);
                    if weight != 0.0 {
                        projections[k].synapses.push(NirSynapse {
                            source: i as u32,
                            target: reach.index as u32,
                            weight,
                            delay_ms: opt.edge_delay_ms + reach.delay * unit_ms,
                        });
                    }
                },
            )?;
        }
    }
    // Biases: from every linear node that has one.
    for (name, op) in &ops {
        let Some(b) = op.bias() else { continue };
        let start: Vec<Reach> = b
            .iter()
            .enumerate()
            .filter(|(_, &w)| w != 0.0)
            .map(|(index, &weight)| Reach {
                index,
                weight,
                delay: 0.0,
            })
            .collect();
        walk(
            &g,
            &ops,
            name,
            start,
            &mut vec![name.clone()],
            &mut |target, reach| {
                if let Node::Neuron(t) = &g.nodes[target] {
                    biases
                        .entry(target.to_string())
                        .or_insert_with(|| vec![0.0; t.size])[reach.index] += reach.weight;
                }
            },
        )?;
    }
    let mut populations = Vec::new();
    for name in &order {
        match &g.nodes[name] {
            Node::Input { shape } => populations.push(NirPopulation {
                node: name.clone(),
                model: "parrot",
                size: shape.iter().product(),
                shape: shape.clone(),
                params: toml::Table::new(),
            }),
            Node::Neuron(n) => {
                let bias = biases.get(name.as_str());
                let (model, params) = neuron_params(n, bias, unit_ms, opt.t_ref_ms)
                    .map_err(|(k, m)| (format!("{name}.{k}"), m))?;
                populations.push(NirPopulation {
                    node: name.clone(),
                    model,
                    size: n.size,
                    shape: n.shape.clone(),
                    params,
                })
            }
            _ => {}
        }
    }
    let mut outputs = Vec::new();
    for (name, node) in &g.nodes {
        if let Node::Output { .. } = node {
            for p in preds(&g, name) {
                match &g.nodes[p] {
                    Node::Neuron(_) => outputs.push((name.clone(), p.to_string())),
                    other => {
                        let m = format!(
                            "fed by `{p}`, a {}: Volley reads outputs from a neuron node",
                            other.type_name()
                        );
                        return Err((name.clone(), m));
                    }
                }
            }
        }
    }
    Ok(Lowered {
        populations,
        projections,
        outputs,
    })
}

/// Follow every edge out of `from` with the impulses `reach`, through
/// linear nodes, calling `emit` at each neuron node reached.
fn walk(
    g: &Graph,
    ops: &BTreeMap<String, LinearOp>,
    from: &str,
    reach: Vec<Reach>,
    path: &mut Vec<String>,
    emit: &mut impl FnMut(&str, Reach),
) -> Result<(), (String, String)> {
    for (_, next) in g.edges.iter().filter(|e| e.0 == from) {
        match &g.nodes[next] {
            Node::Neuron(_) => reach.iter().for_each(|r| emit(next, *r)),
            Node::Output { .. } => {}
            Node::Input { .. } | Node::Threshold | Node::Graph(_) => {}
            _ => {
                let Some(op) = ops.get(next) else { continue };
                if path.contains(next) {
                    let m = "a loop of linear nodes with no neuron node on it";
                    return Err((next.clone(), m.into()));
                }
                // Every (output, delay) reached, its factors summed in the
                // order they were reached (a stable sort keeps it).
                let mut all = Vec::new();
                let mut out = Vec::new();
                for r in &reach {
                    out.clear();
                    op.fan_out(r.index, &mut out);
                    all.extend(out.iter().map(|o| Reach {
                        index: o.index,
                        weight: r.weight * o.weight,
                        delay: r.delay + o.delay,
                    }));
                }
                all.sort_by_key(|a| (a.index, a.delay.to_bits()));
                let mut next_reach: Vec<Reach> = Vec::with_capacity(all.len());
                for a in all {
                    match next_reach.last_mut() {
                        Some(l) if l.index == a.index && l.delay.to_bits() == a.delay.to_bits() => {
                            l.weight += a.weight;
                        }
                        _ => next_reach.push(a),
                    }
                }
                next_reach.retain(|r| r.weight != 0.0);
                path.push(next.clone());
                walk(g, ops, next, next_reach, path, emit)?;
                path.pop();
            }
        }
    }
    Ok(())
}

/// Resolve every linear node's shapes from what feeds it.
fn resolve_ops<'a>(
    g: &'a Graph,
    shapes: &mut HashMap<&'a str, Vec<usize>>,
) -> Result<BTreeMap<String, LinearOp>, (String, String)> {
    let mut ops = BTreeMap::new();
    loop {
        let mut progress = false;
        for (name, node) in &g.nodes {
            if shapes.contains_key(name.as_str())
                || matches!(node, Node::Output { .. } | Node::Threshold)
            {
                continue;
            }
            let Some(input) = g
                .edges
                .iter()
                .filter(|e| e.1 == *name)
                .find_map(|e| shapes.get(e.0.as_str()))
            else {
                continue;
            };
            let input = input.clone();
            // Every input must carry as many elements.
            for e in g.edges.iter().filter(|e| e.1 == *name) {
                if let Some(s) = shapes.get(e.0.as_str()) {
                    if s.iter().product::<usize>() != input.iter().product::<usize>() {
                        let m = format!("fed {input:?} and {s:?} (from `{}`)", e.0);
                        return Err((name.clone(), m));
                    }
                }
            }
            match LinearOp::new(node, &input).map_err(|m| (name.clone(), m))? {
                Some(op) => {
                    shapes.insert(name, op.output.clone());
                    ops.insert(name.clone(), op);
                    progress = true;
                }
                None => continue,
            }
        }
        if !progress {
            break;
        }
    }
    // Neuron nodes must be fed as many elements as they have neurons.
    for (name, node) in &g.nodes {
        if let Node::Neuron(n) = node {
            for e in g.edges.iter().filter(|e| e.1 == *name) {
                if let Some(s) = shapes.get(e.0.as_str()) {
                    let k: usize = s.iter().product();
                    if k != n.size {
                        let m = format!("has {} neurons, `{}` feeds it {k} values", n.size, e.0);
                        return Err((name.clone(), m));
                    }
                }
            }
        }
    }
    Ok(ops)
}

/// Inputs first, then neuron nodes breadth-first along the edges, then the
/// rest by name.
fn population_order(g: &Graph) -> Vec<String> {
    let mut order: Vec<String> = g
        .nodes
        .iter()
        .filter(|(_, n)| matches!(n, Node::Input { .. }))
        .map(|(k, _)| k.clone())
        .collect();
    let mut seen: HashSet<String> = order.iter().cloned().collect();
    let mut queue: std::collections::VecDeque<String> = order.iter().cloned().collect();
    let mut visited: HashSet<String> = seen.clone();
    while let Some(n) = queue.pop_front() {
        for (_, next) in g.edges.iter().filter(|e| e.0 == n) {
            if visited.insert(next.clone()) {
                if matches!(g.nodes.get(next), Some(Node::Neuron(_))) && seen.insert(next.clone()) {
                    order.push(next.clone());
                }
                queue.push_back(next.clone());
            }
        }
    }
    for (k, n) in &g.nodes {
        if matches!(n, Node::Neuron(_)) && seen.insert(k.clone()) {
            order.push(k.clone());
        }
    }
    order
}

/// Nested graphs inlined: node `x` of graph `sub` becomes `sub.x`; an edge
/// to (from) `sub` goes to its `Input` (from its `Output`), and those pass
/// their values straight on.
pub fn flatten(g: &Graph) -> Result<Graph, (String, String)> {
    let mut out = Graph::default();
    let mut ports = Vec::new();
    flatten_into(g, "", &mut out, &mut ports)?;
    // A nested graph's Input and Output nodes only pass values on: each path
    // through one becomes an edge from what feeds it to what it feeds.
    for p in ports {
        out.nodes.remove(&p);
        let (through, rest): (Vec<_>, Vec<_>) =
            out.edges.drain(..).partition(|e| e.0 == p || e.1 == p);
        out.edges = rest;
        for (a, _) in through.iter().filter(|e| e.1 == p && e.0 != p) {
            for (_, b) in through.iter().filter(|e| e.0 == p && e.1 != p) {
                out.edges.push((a.clone(), b.clone()));
            }
        }
    }
    Ok(out)
}

/// Inline `g`'s nodes into `out` with names prefixed; the Input and Output
/// nodes of nested graphs (`prefix` not empty) are listed in `ports`.
fn flatten_into(
    g: &Graph,
    prefix: &str,
    out: &mut Graph,
    ports: &mut Vec<String>,
) -> Result<(), (String, String)> {
    for (name, node) in &g.nodes {
        let full = format!("{prefix}{name}");
        if let Node::Graph(sub) = node {
            flatten_into(sub, &format!("{full}."), out, ports)?;
            continue;
        }
        if !prefix.is_empty() && matches!(node, Node::Input { .. } | Node::Output { .. }) {
            ports.push(full.clone());
        }
        out.nodes.insert(full, node.clone());
    }
    let port = |name: &str, want_input: bool| -> Result<String, (String, String)> {
        let full = format!("{prefix}{name}");
        let Some(Node::Graph(sub)) = g.nodes.get(name) else {
            return Ok(full);
        };
        let ports: Vec<&String> = sub
            .nodes
            .iter()
            .filter(|(_, n)| {
                if want_input {
                    matches!(n, Node::Input { .. })
                } else {
                    matches!(n, Node::Output { .. })
                }
            })
            .map(|(k, _)| k)
            .collect();
        match ports.as_slice() {
            [one] => Ok(format!("{full}.{one}")),
            _ => {
                let what = if want_input { "Input" } else { "Output" };
                let m = format!("an edge names the subgraph, which has {} {what} nodes (name one: `{name}.<node>`)", ports.len());
                Err((full, m))
            }
        }
    };
    for (from, to) in &g.edges {
        out.edges.push((port(from, false)?, port(to, true)?));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::graph::{NeuronKind, NeuronNode, Tensor};
    use super::*;

    fn lif(n: usize) -> Node {
        let t = |v: f64| Some(Tensor::vector(vec![v; n]));
        Node::Neuron(NeuronNode {
            kind: NeuronKind::Lif,
            size: n,
            shape: vec![n],
            tau_mem: t(0.01),
            tau_syn: None,
            r: Tensor::vector(vec![2.0; n]),
            v_leak: t(0.0),
            v_threshold: t(1.0),
            v_reset: None,
            w_in: None,
        })
    }

    /// Input(4) → Scale → Delay → Affine(2×4) → LIF(2): weights multiply
    /// along the path, `Delay` adds to the edge delay, a spike of weight w
    /// jumps `R·w/τ`, the bias becomes `I_e`.
    #[test]
    fn a_path_of_linear_nodes_composes_into_weights_and_delays() {
        let mut g = Graph::default();
        g.nodes.insert("in".into(), Node::Input { shape: vec![4] });
        g.nodes.insert(
            "scale".into(),
            Node::Scale {
                scale: Tensor::vector(vec![1.0, 2.0, 3.0, 4.0]),
            },
        );
        g.nodes.insert(
            "delay".into(),
            Node::Delay {
                delay: Tensor::vector(vec![0.0, 0.001, 0.0, 0.002]),
            },
        );
        g.nodes.insert(
            "lin".into(),
            Node::Affine {
                weight: Tensor {
                    shape: vec![2, 4],
                    data: vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0],
                },
                bias: Some(Tensor::vector(vec![0.5, 0.0])),
            },
        );
        g.nodes.insert("lif".into(), lif(2));
        g.nodes
            .insert("out".into(), Node::Output { shape: vec![2] });
        for (a, b) in [
            ("in", "scale"),
            ("scale", "delay"),
            ("delay", "lin"),
            ("lin", "lif"),
            ("lif", "out"),
        ] {
            g.edges.push((a.into(), b.into()));
        }
        let l = lower(&g, &LowerOptions::default()).unwrap();
        assert_eq!(l.outputs, vec![("out".to_string(), "lif".to_string())]);
        let p = &l.projections[0];
        let got: Vec<(u32, u32, f64, f64)> = p
            .synapses
            .iter()
            .map(|s| (s.source, s.target, s.weight, s.delay_ms))
            .collect();
        // R/τ = 200 per unit; delays 0.001 ms (edge) + the Delay node's (s → ms).
        assert_eq!(
            got,
            vec![
                (0, 0, 200.0, 0.001),
                (1, 1, 400.0, 0.001 + 1.0),
                (2, 0, 600.0, 0.001),
                (3, 1, 800.0, 0.001 + 2.0),
            ]
        );
        // The bias is a constant current: I_e per neuron.
        let lif = &l.populations[1];
        assert_eq!(
            lif.params["I_e"],
            toml::Value::Array(vec![0.5.into(), 0.0.into()])
        );
        assert_eq!(lif.params["C_m"], toml::Value::Float(10.0 / 2.0));
    }

    /// A nested graph is inlined: an edge to it enters its Input node.
    #[test]
    fn a_nested_graph_is_inlined() {
        let mut sub = Graph::default();
        sub.nodes.insert("i".into(), Node::Input { shape: vec![2] });
        sub.nodes.insert("n".into(), lif(2));
        sub.nodes
            .insert("o".into(), Node::Output { shape: vec![2] });
        sub.edges = vec![("i".into(), "n".into()), ("n".into(), "o".into())];
        let mut g = Graph::default();
        g.nodes.insert("in".into(), Node::Input { shape: vec![2] });
        g.nodes.insert("sub".into(), Node::Graph(sub));
        g.nodes
            .insert("out".into(), Node::Output { shape: vec![2] });
        g.edges = vec![("in".into(), "sub".into()), ("sub".into(), "out".into())];
        let l = lower(&g, &LowerOptions::default()).unwrap();
        let names: Vec<&str> = l.populations.iter().map(|p| p.node.as_str()).collect();
        assert_eq!(names, ["in", "sub.n"]);
        assert_eq!(l.projections[0].synapses.len(), 2);
        assert_eq!(l.outputs, vec![("out".to_string(), "sub.n".to_string())]);
    }

    #[test]
    fn threshold_nodes_are_refused_by_name() {
        let mut g = Graph::default();
        g.nodes.insert("in".into(), Node::Input { shape: vec![1] });
        g.nodes.insert("th".into(), Node::Threshold);
        g.edges = vec![("in".into(), "th".into())];
        let (node, _) = lower(&g, &LowerOptions::default()).unwrap_err();
        assert_eq!(node, "th");
    }
}
