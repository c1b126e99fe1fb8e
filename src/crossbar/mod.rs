//! One physical memristor array: weight → conductance mapping, quantisation to levels,
//! programming (statistical or write-verify through the device ODE), drift to time t, drift
//! compensation, and the read path (DAC, per-read noise, current limit, ADC).
//!
//! Typical use: [`WeightMap`] maps a weight matrix to conductance targets, [`Crossbar::program`]
//! programs them with a device card's [`Statistics`](crate::device::Statistics), [`Crossbar::set_time`]
//! moves the array to a time after programming, [`Crossbar::compensate`] applies drift
//! compensation, and [`Crossbar::mvm`] / [`Crossbar::read`] compute outputs into caller buffers.

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
    /// Shapes or buffer lengths do not fit.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An input value is NaN or infinite.
    #[error("non-finite value: {0}")]
    NonFinite(String),
}
