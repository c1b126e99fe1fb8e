//! Chips: specs of TrueNorth-/Loihi-style multi-core chips, partitioning a network into cores,
//! placement on a mesh, routing, and per-event energy/latency tables.

mod mapping;

pub use mapping::{Core, Counters, LayerMapping, Mapping, Tile};

mod emulate;
mod synapses;

pub use emulate::*;
pub use synapses::{ChipSynapses, LayerCounters, ReadPath};
