//! Nodes with several inputs (residual sums): where their values live on the chip.
//!
//! A non-synaptic node with several incoming edges (e.g. a LIF population fed by a convolution
//! and by a skip edge, as in a spiking ResNet block) sums its inputs at one place: the home
//! cores of its *main* input ([`primary_input`]), the first input (in edge order) that reaches a
//! synaptic layer or the network input without passing through another neuron population. Its
//! spikes leave from there. The other inputs are sent there:
//!
//! - a skip edge through a synaptic layer (a projection shortcut, e.g. a 1×1 convolution) has
//!   its outputs' home cores moved to the main input's ([`sum_merges`]), so its tiles send
//!   their partial sums there as partial-sum packets, and its outputs host no neurons of their
//!   own;
//! - an identity or `Scale` skip from another population moves spikes between two populations
//!   without a synaptic layer; those packets are not counted (a known limit, see the README).
//!
//! For routing, the graph's [`main_paths`] keeps only the main input edge into every such node,
//! so that a layer reading the sum reads it from the main input's home cores only.

use crate::network::{Graph, NodeKind};
use ndarray::Array2;

/// Nodes that pass values through element by element (same flat index in and out).
fn elementwise(kind: &NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Scale { .. }
            | NodeKind::Threshold { .. }
            | NodeKind::Flatten { .. }
            | NodeKind::Output
    )
}

/// Forward-edge predecessors of node `n` (edges from later nodes close cycles).
fn forward_preds(graph: &Graph, n: usize) -> Vec<usize> {
    graph.predecessors(n).filter(|&p| p < n).collect()
}

/// True when the values of node `p` come from a synaptic layer or the network input without
/// passing through a neuron population (following main inputs).
fn reaches_layer(graph: &Graph, mut p: usize) -> bool {
    loop {
        let k = &graph.nodes[p].kind;
        if k.is_synaptic() || matches!(k, NodeKind::Input) {
            return true;
        }
        if k.is_neuron() {
            return false;
        }
        match primary_input(graph, p) {
            Some(q) => p = q,
            None => return false,
        }
    }
}

/// The main input of node `n`: its only forward predecessor, or for a node with several, the
/// first (in edge order) whose values come from a synaptic layer or the network input without
/// passing through another neuron population (else the first). `None` for a node without
/// forward inputs.
pub fn primary_input(graph: &Graph, n: usize) -> Option<usize> {
    let preds = forward_preds(graph, n);
    if preds.len() <= 1 || graph.nodes[n].kind.is_synaptic() {
        return preds.first().copied();
    }
    preds
        .iter()
        .copied()
        .find(|&p| reaches_layer(graph, p))
        .or(preds.first().copied())
}

/// Non-synaptic nodes with several forward inputs (residual sums).
fn sums(graph: &Graph) -> Vec<usize> {
    (0..graph.nodes.len())
        .filter(|&n| !graph.nodes[n].kind.is_synaptic() && forward_preds(graph, n).len() > 1)
        .collect()
}

/// The synaptic layer (node index) node `p`'s values come from through element-wise nodes
/// only; with `sole`, every node on the way (the layer included) must have exactly one
/// successor (its values go nowhere else).
fn layer_behind(graph: &Graph, mut p: usize, sole: bool) -> Option<usize> {
    loop {
        if sole && graph.successors(p).count() != 1 {
            return None;
        }
        let k = &graph.nodes[p].kind;
        if k.is_synaptic() {
            return Some(p);
        }
        if !elementwise(k) {
            return None;
        }
        let preds = forward_preds(graph, p);
        let [q] = preds[..] else { return None };
        p = q;
    }
}

/// Per synaptic layer (indices as in `of_node`), the synaptic layer whose home cores its
/// outputs are summed at: a layer on a skip path into a residual sum (through element-wise
/// nodes only, feeding nothing else, of the same size) is merged into the layer behind the
/// sum's main input. `None` for every other layer.
pub(crate) fn sum_merges(graph: &Graph, of_node: &[Option<usize>]) -> Vec<Option<usize>> {
    let layers = of_node.iter().filter(|l| l.is_some()).count();
    let mut merges: Vec<Option<usize>> = vec![None; layers];
    let size = |n: usize| crate::network::numel(&graph.nodes[n].output_shape);
    for m in sums(graph) {
        let Some(main) = primary_input(graph, m) else {
            continue;
        };
        let Some(lp) = layer_behind(graph, main, false) else {
            continue;
        };
        let Some(mut root) = of_node[lp] else {
            continue;
        };
        while let Some(r) = merges[root] {
            root = r;
        }
        for q in forward_preds(graph, m) {
            if q == main {
                continue;
            }
            if let Some(lq) = layer_behind(graph, q, true)
                && let Some(s) = of_node[lq]
                && s != root
                && merges[s].is_none()
                && size(lq) == size(lp)
            {
                merges[s] = Some(root);
            }
        }
    }
    merges
}

/// The graph with only the main input edge into every residual sum, its synaptic layers'
/// weights left out (routing reads shapes and structure only); `None` when the graph has no
/// residual sum (then routing uses the graph itself).
pub(crate) fn main_paths(graph: &Graph) -> Option<Graph> {
    let sums = sums(graph);
    if sums.is_empty() {
        return None;
    }
    let keep: Vec<(usize, usize)> = sums
        .iter()
        .filter_map(|&m| primary_input(graph, m).map(|p| (p, m)))
        .collect();
    let edges = graph
        .edges
        .iter()
        .copied()
        .filter(|&(p, m)| !(p < m && sums.contains(&m)) || keep.contains(&(p, m)))
        .collect();
    let nodes = graph
        .nodes
        .iter()
        .map(|n| crate::network::Node {
            name: n.name.clone(),
            kind: if n.kind.is_synaptic() {
                NodeKind::Linear {
                    weight: Array2::zeros((0, 0)),
                }
            } else {
                n.kind.clone()
            },
            input_shape: n.input_shape.clone(),
            output_shape: n.output_shape.clone(),
        })
        .collect();
    Some(Graph { nodes, edges })
}
