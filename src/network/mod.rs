//! Networks: the validated graph and its loaders.

mod graph;

pub use graph::{Graph, Node, NodeKind, Shape, numel};
