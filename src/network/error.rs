//! Errors of the network loaders and of network validation.

use std::path::PathBuf;

use super::graph::Shape;
use crate::config::ConfigError;

/// Why a network file could not be loaded or a network is invalid.
///
/// Every variant names the file the network came from (`path`) and the cause; variants about
/// one node also name the node.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The file could not be read from disk.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file is not an HDF5 file, or it is truncated or corrupt.
    #[error("{}: {reason}", path.display())]
    NotHdf5 {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (e.g. "not an HDF5 file (no HDF5 signature)").
        reason: String,
    },
    /// A group or dataset the NIR format requires is absent.
    #[error("{}: missing {what} `{object}`", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// `"group"`, `"dataset"` or `"parameter"`.
        what: &'static str,
        /// Path of the object inside the file (e.g. `node/nodes/1/tau`).
        object: String,
    },
    /// A node has a type memsnn cannot simulate.
    #[error(
        "{}: node `{node}` has unsupported type `{type_name}` (supported: {})",
        path.display(),
        SUPPORTED_TYPES.join(", ")
    )]
    UnsupportedNode {
        /// The file.
        path: PathBuf,
        /// The node's name.
        node: String,
        /// The node's type as written in the file.
        type_name: String,
    },
    /// The shape one node produces does not fit the node its edge leads to.
    #[error(
        "{}: shape mismatch on edge `{from}` -> `{to}`: `{from}` outputs {from_shape:?} but `{to}` {expected}",
        path.display()
    )]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// Source node of the edge.
        from: String,
        /// Target node of the edge.
        to: String,
        /// Shape the source node outputs.
        from_shape: Shape,
        /// What the target node expects, in words and with its shape (e.g. `(Affine) expects [128]`).
        expected: String,
    },
    /// A node parameter is malformed: wrong length or rank, non-finite, out of range.
    #[error("{}: node `{node}`: parameter `{param}`: {reason}", path.display())]
    BadParameter {
        /// The file.
        path: PathBuf,
        /// The node's name.
        node: String,
        /// The parameter's name.
        param: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The graph's structure is invalid (inputs/outputs, dangling edges, unreachable nodes).
    #[error("{}: {reason}", path.display())]
    BadGraph {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A time constant is shorter than the simulation time step, so the forward-Euler
    /// discretisation would be unstable.
    #[error(
        "node `{node}`: {param} = {tau:e} s is shorter than the time step dt = {dt:e} s: \
         the forward-Euler decay factor 1 - dt/{param} = {:.3} is negative, so the state \
         oscillates (and diverges once dt > 2*{param}); use a time step of at most {tau:e} s \
         (e.g. --dt {tau:e})",
        1.0 - dt / tau
    )]
    TimeStep {
        /// The node's name.
        node: String,
        /// The time-constant parameter (`tau`, `tau_mem`, `tau_syn`).
        param: String,
        /// The smallest offending time constant (s).
        tau: f32,
        /// The time step asked for (s).
        dt: f32,
    },
    /// The time step itself is not a positive finite number.
    #[error("time step dt = {dt} s: must be a positive finite number of seconds")]
    BadTimeStep {
        /// The time step asked for (s).
        dt: f32,
    },
    /// A `.npy` weight file of an inline network spec could not be read.
    #[error("{}: cannot read weights for layer `{layer}` from {}: {reason}", path.display(), npy.display())]
    Npy {
        /// The netlist file.
        path: PathBuf,
        /// The layer.
        layer: String,
        /// The `.npy` file.
        npy: PathBuf,
        /// Why it could not be read.
        reason: String,
    },
    /// A netlist or network spec file is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The NIR node types memsnn can load.
pub const SUPPORTED_TYPES: &[&str] = &[
    "Input",
    "Output",
    "Affine",
    "Linear",
    "Conv2d",
    "AvgPool2d",
    "SumPool2d",
    "Flatten",
    "LIF",
    "IF",
    "CubaLIF",
    "LI",
    "Integrator",
    "Scale",
    "Threshold",
];
