//! On-chip learning: plasticity rules whose updates become device pulses, the Diehl & Cook
//! (2015) network, its training loop and label assignment.
//!
//! A learning run presents each training image for `t_present` (350 ms at `dt` = 0.5 ms) as input
//! spikes ([`LearnEncoding`]) to `n_exc` excitatory neurons ([`NeuronKind`]) with lateral
//! inhibition ([`Inhibition`]); a local rule ([`Rule`]) changes each input weight at every pre and
//! post spike. Weights are ideal floats or device conductances ([`SynapseStore`]): a change `Δw`
//! becomes a whole number of potentiation or depression pulses on the synapse's device
//! ([`crate::device::PulsedDevices`]), whose step depends on its state, direction and noise.
//! After training, the frozen network's responses to labelled training images give each neuron a
//! class ([`assign_labels`]); a test image's class is the class whose neurons spike most
//! ([`predict`]).
//!
//! Determinism: presentation `k` of the schedule (pass·N + i) draws its input spikes and device
//! noise from `rng::stream(seed, [1, k])`; frozen responses from `rng::stream(seed, [2, set, i])`
//! and run in parallel over images. The 150 ms rest between images is modelled by its end state
//! (membranes at rest, conductances and traces cleared; over 150 ms they decay by e^−1.5, e^−150
//! and e^−7.5) and by θ's decay over it, so every presentation starts from the same state and
//! training is identical whatever the thread count, and resumable from a [`Snapshot`].
//!
//! ```
//! use memsnn::learn::{Rule, TraceMode, synapse_history};
//! // One pre spike, then a post spike 10 ms later: Δw = ν_post·e^{−10/20}.
//! let rule = Rule::from_name("stdp").unwrap();
//! let w = synapse_history(&rule, TraceMode::Nearest, 0.5, 1.0, 0.5e-3, &[(0, false), (20, true)]);
//! assert!((w - 0.5 - 1e-2 * (-0.5f32).exp()).abs() < 1e-6);
//! ```

mod config;
mod engine;
mod neurons;
mod rule;
mod run;
mod synapses;

pub use config::{DIEHL_COOK, DataPaths, LEARN_VERSION, LearnConfig, LearnEncoding, Timing};
pub use engine::{Net, Sim};
pub use neurons::{Inhibition, NeuronKind, NeuronParams, SynapseKind};
pub use rule::{Rule, TraceMode, Traces, synapse_history};
pub use run::{
    CurvePoint, LearnReport, Observer, RunData, RunPlan, Snapshot, Trainer, assign_labels,
    evaluate, predict, run,
};
pub use synapses::{DeviceCounters, SynapseStore, Weights};

/// Why a learning run cannot proceed.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// The network file is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A device card or its pulse section is invalid.
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),
    /// A checkpoint cannot be used.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A stop was requested (Ctrl-C); the last checkpoint, if any, resumes the run.
    #[error(transparent)]
    Interrupted(#[from] crate::cancel::Interrupted),
}
