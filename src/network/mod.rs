//! Networks: the validated graph and its loaders.
//!
//! - [`load_nir`] / [`read_nir`] read a NIR file (HDF5) and validate it into a [`Graph`];
//! - [`Graph::validate`] checks a graph and infers every node's shapes (used by every loader);
//! - [`Graph::check_time_step`] checks that a time step is plausible for the graph's neurons;
//! - [`Graph::recognise_exporter`](crate::neuron::Recognition) (in the neuron stage, which knows the presets) names the framework whose exporter conventions the file follows;
//! - [`NetworkSpec`] is the `network` field of a RON netlist: a NIR file or inline layers;
//! - [`Summary`] describes a graph (nodes, shapes, parameters, neuron and synapse counts).

mod error;
mod graph;
mod nir;
mod spec;
mod summary;
mod validate;

pub use error::{NetworkError, SUPPORTED_TYPES};
pub use graph::{Graph, Node, NodeKind, Shape, numel};
pub use nir::{NirFile, load_nir, parse_nir_bytes, read_nir};
pub use spec::{LayerSpec, NetworkSpec, Pair, Param};
pub use summary::{EdgeSummary, NodeSummary, ParamSummary, Summary};
