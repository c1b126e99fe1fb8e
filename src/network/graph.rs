//! The network graph: the one representation every loader produces and every engine consumes.
//!
//! A [`Graph`] is a set of named [`Node`]s and directed edges between them. It may contain
//! cycles (recurrent connections); engines evaluate the graph once per timestep in a fixed
//! order and feed edges that close a cycle with the previous step's value.
//!
//! Tensors are per sample (no batch dimension) and stored flat in row-major (C) order;
//! a node's [`Shape`] says how to read them (e.g. `[channels, height, width]`).
//! Per-neuron parameters are flat arrays with one entry per neuron of the population
//! (scalars given in a file are broadcast by the loader).

use ndarray::{Array1, Array2, Array4};

/// Shape of one sample's tensor, without a batch dimension.
pub type Shape = Vec<usize>;

/// Number of elements of a shape.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// A network graph (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// The nodes, in a deterministic order (the loader's order).
    pub nodes: Vec<Node>,
    /// Directed edges `(source, target)` as indices into [`Graph::nodes`].
    pub edges: Vec<(usize, usize)>,
}

/// One node of a [`Graph`].
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's name in its source file (NIR node key or netlist layer name).
    pub name: String,
    /// What the node computes, with its parameters.
    pub kind: NodeKind,
    /// Shape of the node's input tensor (after validation; the sum of all incoming edges).
    pub input_shape: Shape,
    /// Shape of the node's output tensor (after validation).
    pub output_shape: Shape,
}

/// What a node computes. Names and parameter meanings follow NIR
/// (Pedersen et al., Nat. Commun. 2024); all time constants in seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// The network's input; its output shape is the per-sample input shape.
    Input,
    /// The network's output; passes its input through.
    Output,
    /// `y = W·x + b`, `W` is `[out, in]`.
    Affine {
        /// Weights `[out, in]`.
        weight: Array2<f32>,
        /// Bias `[out]`.
        bias: Array1<f32>,
    },
    /// `y = W·x`, `W` is `[out, in]`.
    Linear {
        /// Weights `[out, in]`.
        weight: Array2<f32>,
    },
    /// 2-D convolution (cross-correlation, as in PyTorch) over `[C, H, W]` input.
    Conv2d {
        /// Weights `[out_channels, in_channels / groups, kh, kw]`.
        weight: Array4<f32>,
        /// Bias `[out_channels]`.
        bias: Array1<f32>,
        /// Stride `[sh, sw]`.
        stride: [usize; 2],
        /// Zero padding `[ph, pw]` on each side.
        padding: [usize; 2],
        /// Dilation `[dh, dw]`.
        dilation: [usize; 2],
        /// Number of channel groups.
        groups: usize,
    },
    /// Average pooling over `[C, H, W]` (zero padding counted in the average, as PyTorch's default).
    AvgPool2d {
        /// Kernel `[kh, kw]`.
        kernel: [usize; 2],
        /// Stride `[sh, sw]`.
        stride: [usize; 2],
        /// Zero padding `[ph, pw]`.
        padding: [usize; 2],
    },
    /// Sum pooling over `[C, H, W]`.
    SumPool2d {
        /// Kernel `[kh, kw]`.
        kernel: [usize; 2],
        /// Stride `[sh, sw]`.
        stride: [usize; 2],
        /// Zero padding `[ph, pw]`.
        padding: [usize; 2],
    },
    /// Reshape dimensions `start_dim..=end_dim` (of the per-sample shape; negative counts from the end) into one.
    Flatten {
        /// First dimension flattened.
        start_dim: i64,
        /// Last dimension flattened (inclusive).
        end_dim: i64,
    },
    /// Leaky integrate-and-fire: `τ dv/dt = (v_leak − v) + R·I`, spike when `v > v_threshold`.
    Lif {
        /// Membrane time constant τ per neuron (s).
        tau: Array1<f32>,
        /// Input resistance R per neuron.
        r: Array1<f32>,
        /// Leak potential per neuron.
        v_leak: Array1<f32>,
        /// Firing threshold per neuron.
        v_threshold: Array1<f32>,
        /// Reset potential per neuron (0 when the file has none).
        v_reset: Array1<f32>,
    },
    /// Integrate-and-fire: `dv/dt = R·I`, spike when `v > v_threshold`.
    If {
        /// Input resistance R per neuron.
        r: Array1<f32>,
        /// Firing threshold per neuron.
        v_threshold: Array1<f32>,
        /// Reset potential per neuron (0 when the file has none).
        v_reset: Array1<f32>,
    },
    /// Current-based LIF: `τ_syn dI/dt = −I + w_in·x`, `τ_mem dv/dt = (v_leak − v) + R·I`.
    CubaLif {
        /// Synaptic time constant per neuron (s).
        tau_syn: Array1<f32>,
        /// Membrane time constant per neuron (s).
        tau_mem: Array1<f32>,
        /// Input resistance per neuron.
        r: Array1<f32>,
        /// Leak potential per neuron.
        v_leak: Array1<f32>,
        /// Firing threshold per neuron.
        v_threshold: Array1<f32>,
        /// Reset potential per neuron (0 when the file has none).
        v_reset: Array1<f32>,
        /// Input weight per neuron (1 when the file has none).
        w_in: Array1<f32>,
    },
    /// Leaky integrator (no spikes): `τ dv/dt = (v_leak − v) + R·I`; its output is `v`.
    Li {
        /// Time constant per neuron (s).
        tau: Array1<f32>,
        /// Input resistance per neuron.
        r: Array1<f32>,
        /// Leak potential per neuron.
        v_leak: Array1<f32>,
    },
    /// Integrator: `dv/dt = R·I`; its output is `v`.
    Integrator {
        /// Input resistance per neuron.
        r: Array1<f32>,
    },
    /// Elementwise `y = s ⊙ x`.
    Scale {
        /// Scale per element.
        scale: Array1<f32>,
    },
    /// Elementwise Heaviside `y = [x > θ]`.
    Threshold {
        /// Threshold per element.
        threshold: Array1<f32>,
    },
}

impl NodeKind {
    /// The NIR type name of this node (`"Affine"`, `"LIF"`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Input => "Input",
            NodeKind::Output => "Output",
            NodeKind::Affine { .. } => "Affine",
            NodeKind::Linear { .. } => "Linear",
            NodeKind::Conv2d { .. } => "Conv2d",
            NodeKind::AvgPool2d { .. } => "AvgPool2d",
            NodeKind::SumPool2d { .. } => "SumPool2d",
            NodeKind::Flatten { .. } => "Flatten",
            NodeKind::Lif { .. } => "LIF",
            NodeKind::If { .. } => "IF",
            NodeKind::CubaLif { .. } => "CubaLIF",
            NodeKind::Li { .. } => "LI",
            NodeKind::Integrator { .. } => "Integrator",
            NodeKind::Scale { .. } => "Scale",
            NodeKind::Threshold { .. } => "Threshold",
        }
    }

    /// True for nodes with synaptic weights (the ones a chip maps onto crossbars).
    pub fn is_synaptic(&self) -> bool {
        matches!(
            self,
            NodeKind::Affine { .. } | NodeKind::Linear { .. } | NodeKind::Conv2d { .. }
        )
    }

    /// True for stateful neuron populations (LIF, IF, CubaLIF, LI, Integrator).
    pub fn is_neuron(&self) -> bool {
        matches!(
            self,
            NodeKind::Lif { .. }
                | NodeKind::If { .. }
                | NodeKind::CubaLif { .. }
                | NodeKind::Li { .. }
                | NodeKind::Integrator { .. }
        )
    }
}

impl Graph {
    /// Index of the node called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// Indices of the nodes with an edge into node `i`, in edge-list order.
    pub fn predecessors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.edges.iter().filter(move |e| e.1 == i).map(|e| e.0)
    }

    /// Indices of the nodes node `i` has an edge to, in edge-list order.
    pub fn successors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.edges.iter().filter(move |e| e.0 == i).map(|e| e.1)
    }

    /// Index of the (single) `Input` node.
    pub fn input(&self) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| matches!(n.kind, NodeKind::Input))
    }

    /// Index of the (single) `Output` node.
    pub fn output(&self) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| matches!(n.kind, NodeKind::Output))
    }
}
