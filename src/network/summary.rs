//! A description of a validated graph: per-node shapes, parameters, neuron and synapse counts.

use serde::Serialize;

use super::graph::{Graph, NodeKind, Shape, numel};
use super::validate::elementwise_params;

/// Summary of a validated [`Graph`] (see [`Graph::summary`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The nodes, in the graph's (topological) order.
    pub nodes: Vec<NodeSummary>,
    /// Every edge, in the graph's order.
    pub edges: Vec<EdgeSummary>,
    /// Total number of neurons (sum over neuron populations).
    pub neurons: usize,
    /// Total number of synapses (connections through weighted layers).
    pub synapses: u64,
    /// Total number of stored weight values (a convolution shares its kernel weights).
    pub weights: usize,
    /// Number of edges that close a cycle.
    pub recurrent_edges: usize,
}

/// One node of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeSummary {
    /// The node's name.
    pub name: String,
    /// Its NIR type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Per-sample input shape.
    pub input_shape: Shape,
    /// Per-sample output shape.
    pub output_shape: Shape,
    /// Neurons in the population (0 for non-neuron nodes).
    pub neurons: usize,
    /// Synapses (connections) of a weighted layer, 0 otherwise.
    pub synapses: u64,
    /// Stored weight values of a weighted layer (bias excluded), 0 otherwise.
    pub weights: usize,
    /// Names of the nodes feeding this one through a recurrent edge (previous timestep).
    pub recurrent_from: Vec<String>,
    /// Parameters: value ranges of arrays, and structural settings.
    pub params: Vec<ParamSummary>,
}

/// One parameter of a node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamSummary {
    /// The parameter's NIR name (e.g. `tau`, `weight`, `stride`).
    pub name: String,
    /// Smallest value (for integer settings such as `stride`, the first component).
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Number of values (1 for a setting given per axis only once).
    pub count: usize,
    /// Integer settings per axis (`stride`, `padding`, …); empty for arrays.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<i64>,
}

impl ParamSummary {
    fn range<'a>(name: &str, values: impl IntoIterator<Item = &'a f32>) -> Self {
        let (mut min, mut max, mut count) = (f64::INFINITY, f64::NEG_INFINITY, 0);
        for &v in values {
            min = min.min(f64::from(v));
            max = max.max(f64::from(v));
            count += 1;
        }
        if count == 0 {
            (min, max) = (0.0, 0.0);
        }
        Self {
            name: name.into(),
            min,
            max,
            count,
            values: Vec::new(),
        }
    }

    fn setting(name: &str, values: &[i64]) -> Self {
        let min = values.iter().copied().min().unwrap_or(0) as f64;
        let max = values.iter().copied().max().unwrap_or(0) as f64;
        Self {
            name: name.into(),
            min,
            max,
            count: values.len(),
            values: values.to_vec(),
        }
    }

    /// The value as text (6 significant digits): `a` when constant, `min..max` otherwise,
    /// `[a, b]` for settings.
    pub fn display_value(&self) -> String {
        if !self.values.is_empty() {
            let parts: Vec<String> = self.values.iter().map(i64::to_string).collect();
            if parts.len() == 1 {
                parts[0].clone()
            } else {
                format!("[{}]", parts.join(", "))
            }
        } else if self.min == self.max {
            sig6(self.min)
        } else {
            format!("{}..{}", sig6(self.min), sig6(self.max))
        }
    }
}

/// `x` rounded to 6 significant digits, printed in its shortest form (0.0009999997 → 0.001).
fn sig6(x: f64) -> String {
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// One edge of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeSummary {
    /// Source node name.
    pub from: String,
    /// Target node name.
    pub to: String,
    /// True when the edge closes a cycle (fed with the previous timestep's value).
    pub recurrent: bool,
}

/// Number of (output position, kernel tap) pairs along one axis whose tap falls inside the
/// input (i.e. not on zero padding).
fn taps_inside(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
    dil: usize,
) -> u64 {
    let mut n = 0u64;
    for o in 0..output {
        for k in 0..kernel {
            let pos = (o * stride + k * dil) as i64 - pad as i64;
            if pos >= 0 && (pos as usize) < input {
                n += 1;
            }
        }
    }
    n
}

impl Graph {
    /// Summarise a validated graph (shapes must have been inferred by [`Graph::validate`]).
    pub fn summary(&self) -> Summary {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for (i, node) in self.nodes.iter().enumerate() {
            let mut s = NodeSummary {
                name: node.name.clone(),
                type_name: node.kind.type_name().to_string(),
                input_shape: node.input_shape.clone(),
                output_shape: node.output_shape.clone(),
                neurons: if node.kind.is_neuron() {
                    numel(&node.output_shape)
                } else {
                    0
                },
                synapses: 0,
                weights: 0,
                recurrent_from: self
                    .edges
                    .iter()
                    .enumerate()
                    .filter(|&(e, &(_, v))| v == i && self.is_recurrent_edge(e))
                    .map(|(_, &(u, _))| self.nodes[u].name.clone())
                    .collect(),
                params: Vec::new(),
            };
            let us = |a: [usize; 2]| [a[0] as i64, a[1] as i64];
            match &node.kind {
                NodeKind::Input | NodeKind::Output => {}
                NodeKind::Affine { weight, bias } => {
                    s.weights = weight.len();
                    s.synapses = weight.len() as u64;
                    s.params.push(ParamSummary::range("weight", weight.iter()));
                    s.params.push(ParamSummary::range("bias", bias.iter()));
                }
                NodeKind::Linear { weight } => {
                    s.weights = weight.len();
                    s.synapses = weight.len() as u64;
                    s.params.push(ParamSummary::range("weight", weight.iter()));
                }
                NodeKind::Conv2d {
                    weight,
                    bias,
                    stride,
                    padding,
                    dilation,
                    groups,
                } => {
                    let (oc, icg, kh, kw) = weight.dim();
                    s.weights = weight.len();
                    let inp = &node.input_shape[node.input_shape.len() - 2..];
                    let out = &node.output_shape[1..];
                    let th = taps_inside(inp[0], out[0], kh, stride[0], padding[0], dilation[0]);
                    let tw = taps_inside(inp[1], out[1], kw, stride[1], padding[1], dilation[1]);
                    s.synapses = (oc * icg) as u64 * th * tw;
                    s.params
                        .push(ParamSummary::setting("kernel", &[kh as i64, kw as i64]));
                    s.params.push(ParamSummary::setting("stride", &us(*stride)));
                    s.params
                        .push(ParamSummary::setting("padding", &us(*padding)));
                    s.params
                        .push(ParamSummary::setting("dilation", &us(*dilation)));
                    s.params
                        .push(ParamSummary::setting("groups", &[*groups as i64]));
                    s.params.push(ParamSummary::range("weight", weight.iter()));
                    s.params.push(ParamSummary::range("bias", bias.iter()));
                }
                NodeKind::AvgPool2d {
                    kernel,
                    stride,
                    padding,
                }
                | NodeKind::SumPool2d {
                    kernel,
                    stride,
                    padding,
                } => {
                    s.params.push(ParamSummary::setting("kernel", &us(*kernel)));
                    s.params.push(ParamSummary::setting("stride", &us(*stride)));
                    s.params
                        .push(ParamSummary::setting("padding", &us(*padding)));
                }
                NodeKind::Flatten { start_dim, end_dim } => {
                    s.params
                        .push(ParamSummary::setting("start_dim", &[*start_dim]));
                    s.params.push(ParamSummary::setting("end_dim", &[*end_dim]));
                }
                kind => {
                    for (name, values) in elementwise_params(kind) {
                        s.params.push(ParamSummary::range(name, values.iter()));
                    }
                }
            }
            nodes.push(s);
        }
        let edges: Vec<EdgeSummary> = self
            .edges
            .iter()
            .enumerate()
            .map(|(e, &(u, v))| EdgeSummary {
                from: self.nodes[u].name.clone(),
                to: self.nodes[v].name.clone(),
                recurrent: self.is_recurrent_edge(e),
            })
            .collect();
        Summary {
            neurons: nodes.iter().map(|n| n.neurons).sum(),
            synapses: nodes.iter().map(|n| n.synapses).sum(),
            weights: nodes.iter().map(|n| n.weights).sum(),
            recurrent_edges: edges.iter().filter(|e| e.recurrent).count(),
            nodes,
            edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: count every (output position, tap) whose input index is in range.
    #[test]
    fn taps_inside_matches_enumeration_of_padded_input() {
        for (input, kernel, stride, pad, dil) in [
            (34, 5, 2, 1, 1),
            (16, 3, 1, 1, 1),
            (7, 3, 2, 2, 2),
            (5, 5, 1, 0, 1),
        ] {
            let span = dil * (kernel - 1) + 1;
            let output = (input + 2 * pad - span) / stride + 1;
            // Independent count: build the padded index line, mark real positions.
            let real: Vec<bool> = (0..input + 2 * pad)
                .map(|j| j >= pad && j < pad + input)
                .collect();
            let mut expected = 0;
            for o in 0..output {
                for k in 0..kernel {
                    if real[o * stride + k * dil] {
                        expected += 1;
                    }
                }
            }
            assert_eq!(
                taps_inside(input, output, kernel, stride, pad, dil),
                expected
            );
        }
        // Closed form without padding: every tap is inside.
        assert_eq!(taps_inside(10, 8, 3, 1, 0, 1), 24);
    }
}
