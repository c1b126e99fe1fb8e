//! One physical memristor array: weight → conductance mapping, quantisation to levels,
//! programming (statistical or write-verify through the device ODE), drift to time t, drift
//! compensation, the read path (DAC, per-read noise, current limit, ADC), and the circuit:
//! exact IR drop by nodal analysis ([`CrossbarCircuit`]) and SPICE export ([`spice`]).
//!
//! Typical use: [`WeightMap`] maps a weight matrix to conductance targets, [`Crossbar::program`]
//! programs them with a device card's [`Statistics`](crate::device::Statistics), [`Crossbar::set_time`]
//! moves the array to a time after programming, [`Crossbar::compensate`] applies drift
//! compensation, and [`Crossbar::mvm`] / [`Crossbar::read`] compute outputs into caller buffers.
//!
//! ```
//! use memsnn::crossbar::{Compensation, Crossbar, MapConfig, ReadConfig};
//! use memsnn::device::DeviceCard;
//! use ndarray::array;
//!
//! let pcm = DeviceCard::builtin("pcm").unwrap().statistics;
//! let w = array![[0.5f32, -1.0, 0.25], [1.0, 0.0, -0.5]]; // 2 outputs × 3 inputs
//! let mut rng = memsnn::rng::stream(42, &[0, 0]); // (trial, array)
//! let mut xb = Crossbar::program(w.view(), &pcm, &MapConfig::default(), &ReadConfig::default(), &mut rng).unwrap();
//! xb.set_time(86_400.0, &mut rng).unwrap(); // one day after programming
//! xb.compensate(Compensation::Global);
//! let mut y = [0.0f32; 2];
//! xb.mvm(&[1.0, 0.5, -1.0], &mut y, &mut rng).unwrap();
//! // The read equals the weights the array now holds (PCM noise, drift, compensation) times x.
//! let wt = xb.weights();
//! let e0 = wt[[0, 0]] * 1.0 + wt[[0, 1]] * 0.5 - wt[[0, 2]];
//! assert!((y[0] - e0).abs() < 1e-5);
//! ```

mod array;
mod mapping;
mod read;
mod write_verify;

pub use array::{Compensation, Crossbar};
pub use mapping::{MapConfig, MappingKind, ScaleRule, WeightMap};
pub use read::{Adc, AdcRange, Dac, ReadConfig};
pub use write_verify::{PulseDevices, WriteVerify, WriteVerifyReport, write_verify};

use crate::config::FieldError;

/// Why an array could not be mapped, programmed or read.
#[derive(Debug, thiserror::Error)]
pub enum ArrayError {
    /// A configuration field is invalid.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The device model of a write-verify programming is invalid.
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),
    /// Shapes or buffer lengths do not fit.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An input value is NaN or infinite.
    #[error("non-finite value: {0}")]
    NonFinite(String),
}

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
