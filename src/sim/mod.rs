//! The timestep engine (ideal/software mode).
//!
//! [`Engine`] compiles a validated [`Graph`](crate::network::Graph) into an evaluation plan:
//! nodes in the graph's order (topological for a validated graph, see
//! [`Graph::validate`](crate::network::Graph::validate); an edge `(u, v)` with `u ≥ v` closes a
//! cycle and reads the source's previous-step output), neuron populations discretised once
//! ([`Population`](crate::neuron::Population)), synaptic layers behind the [`SynapticOp`]
//! trait. [`Engine::run`] simulates a data set in fixed-size chunks of samples in parallel
//! (rayon) and collects them in order, so results are bit-identical for any thread count.
//!
//! Per chunk, all buffers are allocated once and reused at every step. Nodes whose inputs do
//! not change over time (a synaptic layer fed by direct input) are evaluated at the first step
//! only, unless their operator is [`time_varying`](SynapticOp::time_varying) (per-read noise,
//! delivery delays, per-step event counts: the chip mode); such an operator is called at every
//! step through [`forward_step`](SynapticOp::forward_step) with per-sample state the engine
//! keeps across the steps and a flag saying whether its input repeats. Spike inputs to dense layers are accumulated row by row (event-driven); analog inputs
//! go through a GEMM.

mod chip;
mod engine;
mod ops;
mod synapses;
mod workload;

pub use chip::{
    ChipAtTime, ChipRun, ChipSetup, Effects, ProgrammedChip, STAGES, dense_mapping, program_chip,
    run_on_chip, run_on_chip_with_neurons, source_homes,
};
pub use synapses::{ChipSynapses, LayerCounters, ReadPath, TileModel};

pub use engine::{CHUNK, Engine, LayerActivity, Readout, RunOptions, RunResult, SimError};
pub use ops::{Batch, Conv, IdealSynapses, SynapticOp};
pub use workload::{Workload, WorkloadCounts};
