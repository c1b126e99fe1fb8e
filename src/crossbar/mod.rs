//! One physical crossbar array.
//!
//! Circuit part: exact IR drop by nodal analysis ([`CrossbarCircuit`]) and SPICE export
//! ([`spice`]).

mod circuit;
mod circuit_schur;
pub mod spice;

pub use circuit::{
    Access, CircuitParams, CrossbarCircuit, Unselected, ideal_currents, validate_conductances,
};

/// Why a crossbar circuit cannot be built, solved or exported.
#[derive(Debug, thiserror::Error)]
pub enum CircuitError {
    /// A resistance is negative or not finite.
    #[error("resistance `{name}` must be finite and ≥ 0 ohm, got {value}")]
    Resistance {
        /// Which resistance.
        name: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A conductance is negative or not finite.
    #[error("conductance G[{row}][{col}] must be finite and ≥ 0 S, got {value}")]
    Conductance {
        /// Row of the device.
        row: usize,
        /// Column of the device.
        col: usize,
        /// The rejected value.
        value: f64,
    },
    /// The array has no device.
    #[error("the conductance matrix is empty ({rows}×{cols})")]
    Empty {
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
    },
    /// Inputs or outputs do not fit the array.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Two fixed potentials are joined by an ideal connection.
    #[error("ideal connections short a source to ground or to another source")]
    Short,
    /// The sparse solver failed.
    #[error("sparse solver failed: {0}")]
    Solver(String),
    /// Writing a netlist or running/parsing the SPICE simulator failed.
    #[error("SPICE: {0}")]
    Spice(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}
