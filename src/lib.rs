//! # memsnn — neuromorphic hardware emulator
//!
//! memsnn runs a trained spiking neural network (SNN) the way a chip built from memristor
//! crossbars would run it, and reports how much accuracy, energy and time that chip costs
//! compared with the ideal software network.
//!
//! The crate is organised as one module per stage of the data flow (see `DESIGN.md`), each
//! using only the stages listed before it (the README's "Layout" section, checked by
//! `tests/layering.rs`):
//!
//! | module | owns |
//! |---|---|
//! | [`budget`], [`cancel`], [`npy`], [`config`], [`rng`], [`output`] | the ground floor: reader size limits, stop requests (Ctrl-C), checked `.npy` headers, RON files with field errors and time strings, seeded streams, atomic writes |
//! | [`device`] | memristor physics: state ODEs, I–V simulation, pulse update laws, device cards |
//! | [`crossbar`] | one memristor array: mapping, programming, drift, read path, exact IR drop, SPICE export |
//! | [`network`] | the checked network graph and its loaders (NIR, inline layers) |
//! | [`neuron`] | neuron dynamics kernels (LIF, IF, CubaLIF, LI, Integrator, fixed-point) |
//! | [`encode`] | data sets (IDX, `.npy`) and input encoders |
//! | [`chip`] | chip specs, partitioning into cores, placement, routing, energy/latency |
//! | [`sim`] | the timestep engine, ideal and chip-mode synaptic operators, parallel over samples |
//! | [`learn`] | on-chip learning: STDP/Hebbian rules as device pulses, the Diehl & Cook network |
//! | [`experiment`] | the run configuration tree, validated into an `Experiment` that runs and reports |
//! | [`report`] | text and JSON renderings of reports |
//! | [`sweep`] | parameter grids of run configurations: resumable, shardable, locked |
//! | [`plot`] | charts (I–V loops, sweeps, placements, receptive fields) |
//!
//! Units are SI everywhere (ohm, siemens, volt, second, metre).
#![warn(missing_docs)]

pub mod budget;
pub mod cancel;
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
    pub use crate::experiment::{Experiment, Observer, Par, Report, RunConfig};
}
