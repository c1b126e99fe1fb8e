//! # memsnn — neuromorphic hardware emulator
//!
//! memsnn runs a trained spiking neural network (SNN) the way a chip built from memristor
//! crossbars would run it, and reports how much accuracy, energy and time that chip costs
//! compared with the ideal software network.
//!
//! The crate is organised as one module per stage of the data flow (see `DESIGN.md`):
//!
//! | module | owns |
//! |---|---|
//! | [`device`] | memristor physics: state ODEs, I–V simulation, device cards |
//! | [`crossbar`] | one memristor array: mapping, programming, drift, read path, exact IR drop, SPICE export |
//! | [`network`] | the network graph and its loaders (NIR, RON netlists) |
//! | [`neuron`] | neuron dynamics kernels (LIF, IF, CubaLIF, LI, Integrator) and their discretisation |
//! | [`encode`] | IDX data sets and input encoders (direct, Poisson, Bernoulli, latency) |
//! | [`report`] | run configurations and reports (JSON) |
//! | [`sim`] | the timestep engine (ideal mode), parallel over samples |
//! | [`chip`] | chip specs, partitioning into cores, placement, routing, energy/latency |
//! | [`config`] | reading RON files with errors that name the file, field and reason |
//! | [`budget`] | the size limits of every reader and capped reads of untrusted files |
//! | [`npy`] | `.npy` files read with their headers checked before allocating |
//! | [`rng`] | deterministic per-stream random number generators |
//! | [`plot`] | chart helpers shared by every plot (fonts, backends) |
//! | [`learn`] | on-chip learning: STDP/Hebbian rules as device pulses, the Diehl & Cook network |
//!
//! Units are SI everywhere (ohm, siemens, volt, second, metre).
#![warn(missing_docs)]

pub mod budget;
pub mod chip;
pub mod config;
pub mod crossbar;
pub mod device;
pub mod encode;
pub mod error;
pub mod experiment;
pub mod learn;
pub mod network;
pub mod neuron;
pub mod npy;
pub mod output;
pub mod plot;
pub mod report;
pub mod rng;
pub mod sim;
pub mod sweep;

pub use error::{Error, Result};

/// The types most users need, in one import.
pub mod prelude {
    pub use crate::error::{Error, Result};
}
