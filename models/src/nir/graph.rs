//! A NIR graph as read from a file: named nodes with their parameters, and
//! the edges between them. Nothing here knows Volley's models; `lower.rs`
//! maps the graph onto populations and projections.

use std::collections::BTreeMap;

/// An n-dimensional array of parameters (row-major, as NIR/numpy store it).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Dimensions; `[]` for a scalar.
    pub shape: Vec<usize>,
    /// Values in row-major order.
    pub data: Vec<f64>,
}

impl Tensor {
    /// A 1-D tensor.
    pub fn vector(data: Vec<f64>) -> Self {
        Tensor {
            shape: vec![data.len()],
            data,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Value `i`, a single value standing for all (NIR broadcasts scalars).
    pub fn at(&self, i: usize) -> f64 {
        if self.data.len() == 1 {
            self.data[0]
        } else {
            self.data[i]
        }
    }
}

/// Which neuron equations a neuron node follows (NIR's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeuronKind {
    /// `τ v̇ = (v_leak − v) + R I`, spikes when `v > v_threshold`.
    Lif,
    /// `v̇ = R I`, spikes when `v > v_threshold`.
    If,
    /// `τ v̇ = (v_leak − v) + R I`, no spikes.
    Li,
    /// `v̇ = R I`, no spikes.
    I,
    /// `τ_syn İ = −I + w_in S`, `τ_mem v̇ = (v_leak − v) + R I`, spikes.
    CubaLif,
    /// As `CubaLif`, no spikes.
    CubaLi,
}

impl NeuronKind {
    /// NIR's type name.
    pub fn name(self) -> &'static str {
        match self {
            NeuronKind::Lif => "LIF",
            NeuronKind::If => "IF",
            NeuronKind::Li => "LI",
            NeuronKind::I => "I",
            NeuronKind::CubaLif => "CubaLIF",
            NeuronKind::CubaLi => "CubaLI",
        }
    }

    /// Whether it emits spikes.
    pub fn spikes(self) -> bool {
        matches!(self, NeuronKind::Lif | NeuronKind::If | NeuronKind::CubaLif)
    }
}

/// A neuron node's parameters; absent ones are `None` (NIR defaults apply).
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronNode {
    /// Its equations.
    pub kind: NeuronKind,
    /// Number of neurons.
    pub size: usize,
    /// Its shape (the parameters' shape).
    pub shape: Vec<usize>,
    /// `tau` (LIF, LI) or `tau_mem` (CubaLIF, CubaLI), NIR time units.
    pub tau_mem: Option<Tensor>,
    /// `tau_syn` (CubaLIF, CubaLI).
    pub tau_syn: Option<Tensor>,
    /// `r`.
    pub r: Tensor,
    /// `v_leak` (default 0).
    pub v_leak: Option<Tensor>,
    /// `v_threshold` (spiking kinds).
    pub v_threshold: Option<Tensor>,
    /// `v_reset` (default 0).
    pub v_reset: Option<Tensor>,
    /// `w_in` (CubaLIF, CubaLI; default 1).
    pub w_in: Option<Tensor>,
}

/// Sum or average pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// `SumPool2d`.
    Sum,
    /// `AvgPool2d`.
    Avg,
}

/// A convolution's parameters (`Conv1d`: one spatial dimension, `Conv2d`: two).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    /// `[C_out, C_in / groups, k...]`.
    pub weight: Tensor,
    /// Per output channel.
    pub bias: Option<Tensor>,
    /// Per spatial dimension.
    pub stride: Vec<usize>,
    /// Per spatial dimension (zeros added on both sides).
    pub padding: Vec<usize>,
    /// Per spatial dimension.
    pub dilation: Vec<usize>,
    /// Channel groups.
    pub groups: usize,
    /// Spatial input size, when the file gives it.
    pub input_shape: Option<Vec<usize>>,
}

/// One node of a graph.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// Where spikes enter.
    Input {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// Where spikes leave.
    Output {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// `W x + b` (`Linear`: no `b`).
    Affine {
        /// `[out, in]`.
        weight: Tensor,
        /// `[out]`.
        bias: Option<Tensor>,
    },
    /// `Conv1d` / `Conv2d`.
    Conv(Conv),
    /// `SumPool2d` / `AvgPool2d`.
    Pool {
        /// Sum or average.
        kind: PoolKind,
        /// Window per spatial dimension.
        kernel: Vec<usize>,
        /// Per spatial dimension.
        stride: Vec<usize>,
        /// Per spatial dimension.
        padding: Vec<usize>,
    },
    /// Reshape to flat between `start_dim` and `end_dim`.
    Flatten {
        /// First dimension flattened (without a batch dimension; negative counts from the end).
        start_dim: i64,
        /// Last dimension flattened.
        end_dim: i64,
        /// Its input's shape, when the file gives it.
        input_shape: Option<Vec<usize>>,
    },
    /// Element-wise `scale · x`.
    Scale {
        /// Per element.
        scale: Tensor,
    },
    /// Element-wise delay.
    Delay {
        /// Per element, NIR time units.
        delay: Tensor,
    },
    /// `Threshold`: a Heaviside on a continuous input.
    Threshold,
    /// A neuron population.
    Neuron(NeuronNode),
    /// A nested graph.
    Graph(Graph),
}

impl Node {
    /// NIR's type name of the node.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Input { .. } => "Input",
            Node::Output { .. } => "Output",
            Node::Affine { bias: Some(_), .. } => "Affine",
            Node::Affine { .. } => "Linear",
            Node::Conv(c) if c.weight.shape.len() == 3 => "Conv1d",
            Node::Conv(_) => "Conv2d",
            Node::Pool {
                kind: PoolKind::Sum,
                ..
            } => "SumPool2d",
            Node::Pool { .. } => "AvgPool2d",
            Node::Flatten { .. } => "Flatten",
            Node::Scale { .. } => "Scale",
            Node::Delay { .. } => "Delay",
            Node::Threshold => "Threshold",
            Node::Neuron(n) => n.kind.name(),
            Node::Graph(_) => "NIRGraph",
        }
    }
}

/// A NIR graph: nodes by name, and directed edges between names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    /// The nodes, by name.
    pub nodes: BTreeMap<String, Node>,
    /// `(from, to)`, in file order.
    pub edges: Vec<(String, String)>,
}
