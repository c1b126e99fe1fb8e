//! The experiment stage: one owner for "run an experiment".
//!
//! Every front-end (the CLI's `emulate`, `sweep` and `map`, the Python package) goes through
//! the same three steps:
//!
//! 1. **Configure** — a [`RunConfig`]: the one run configuration tree, from a netlist file
//!    ([`RunConfig::from_netlist`]) or built in code, changed by typed fields or by dotted
//!    parameter paths ([`RunConfig::set`], the paths `memsnn sweep --list-paths` prints).
//! 2. **Validate** — [`Experiment::new`] checks every value once and loads what the run needs:
//!    the network as a checked [`Graph`], the data set (whose size, sample shape and labels
//!    must fit the network), the discretisation and, in chip mode, the chip plan (spec, the
//!    network's [`Mapping`] onto it, the device and read-path setup, the neuron arithmetic).
//!    Nothing after this step re-validates.
//! 3. **Run** — [`Experiment::run`] with the parallelism as an argument ([`Par`]) and progress
//!    through an [`Observer`] (`()` hears nothing) returns a [`Report`]. A sweep runs single
//!    trials of many experiments with [`Experiment::run_trial`].
//!
//! ```
//! use memsnn::experiment::{Experiment, Par, RunConfig};
//! # fn main() -> memsnn::Result<()> {
//! let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
//! let mut config = RunConfig::from_netlist(&root.join("netlists/mnist-mlp/netlist.ron"))?;
//! config.samples = Some(20);
//! config.trials = 1;
//! config.times.truncate(1);
//! let experiment = Experiment::new(config)?;
//! let report = experiment.run(Par::Seq, &())?;
//! assert_eq!(report.samples(), 20);
//! # Ok(())
//! # }
//! ```
//!
//! Seeds: encoders draw from `rng::stream(seed, [sample])`; trial `k` programs tile `j` of
//! layer `l` from `rng::stream(seed, [k, l, j])` (see [`crate::sim::program_chip`]), so a
//! trial's result depends only on the configuration, the seed and `k` — not on the thread
//! count, nor on which other trials or times run beside it.

mod config;
mod error;
mod netlist;
mod paths;
mod report;
mod run;

pub use config::{
    CrossbarSettings, DEFAULT_CHIP, DEFAULT_DEVICE, DEFAULT_TRIALS, DataConfig, Mode, RunConfig,
    TimePoint,
};
pub use error::ExperimentError;
pub use netlist::{DatasetSpec, NETLIST_VERSION, Netlist};
pub use paths::{closest, edit_distance};
pub use report::{
    AccuracyStats, ChipReport, IdealReport, Measured, PerInference, Report, ResourceSummary,
    Semantics, StageResult, TimeResult, peak_resident_bytes,
};
pub use run::TrialResult;

use crate::chip::{Mapping, map_network};
use crate::crossbar::{Adc, AdcRange, Dac, MappingKind, ReadConfig};
use crate::encode::Dataset;
use crate::network::{Graph, numel};
use crate::neuron::{Discretisation, NeuronModel};
use crate::sim::{ChipSetup, RunOptions};
use std::num::NonZeroUsize;
use std::sync::Arc;

/// Most worker threads a run may ask for (more is refused, not silently capped).
pub const MAX_THREADS: usize = 256;

/// How a run uses threads (faer's `Par` style): results are identical either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Par {
    /// On the calling thread only.
    Seq,
    /// On a rayon pool: `None` = the current (global) pool, `Some(n)` = a pool of `n` threads.
    #[default]
    Rayon,
    /// On a new pool of this many threads.
    Threads(NonZeroUsize),
}

impl Par {
    /// `n` threads, checked against [`MAX_THREADS`]; `None` = all cores ([`Par::Rayon`]).
    pub fn threads(n: Option<usize>) -> Result<Par, ExperimentError> {
        match n {
            None => Ok(Par::Rayon),
            Some(0) => Err(ExperimentError::invalid("threads", "must be at least 1")),
            Some(n) if n > MAX_THREADS => Err(ExperimentError::invalid(
                "threads",
                format!("{n} is more than the limit of {MAX_THREADS} worker threads"),
            )),
            Some(n) => Ok(Par::Threads(NonZeroUsize::new(n).expect("n ≥ 1"))),
        }
    }

    /// Run `f` with this parallelism; the number of threads it ran on goes to `f`.
    pub fn install<T: Send>(self, f: impl FnOnce() -> T + Send) -> crate::Result<T> {
        let pool = |n: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| {
                    ExperimentError::invalid("threads", format!("cannot start {n} threads: {e}"))
                })
        };
        Ok(match self {
            Par::Rayon => f(),
            Par::Seq => pool(1)?.install(f),
            Par::Threads(n) => pool(n.get())?.install(f),
        })
    }

    /// Threads a run with this parallelism uses.
    pub fn thread_count(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon => rayon::current_num_threads(),
            Par::Threads(n) => n.get(),
        }
    }
}

/// Hears a run's progress (rapier's hooks style); `()` hears nothing.
pub trait Observer: Sync {
    /// The run starts: `sample_runs` sample × (trial, time, stage) runs to do.
    fn start(&self, _sample_runs: u64) {}
    /// `n` more sample runs are done.
    fn advance(&self, _n: u64) {}
}

impl Observer for () {}

/// What a run reads: the checked network and the data set.
#[derive(Debug)]
pub struct Inputs {
    /// The network.
    pub graph: Graph,
    /// The data set (all of it that any run of these inputs uses).
    pub data: Dataset,
}

impl Inputs {
    /// Load the network and data `config` names (the first `config.samples` samples).
    pub fn load(config: &RunConfig) -> crate::Result<Inputs> {
        let graph = config.network.load(
            config
                .netlist
                .as_deref()
                .unwrap_or(std::path::Path::new("memsnn")),
        )?;
        let d = &config.data;
        if d.images.as_os_str().is_empty() || d.labels.as_os_str().is_empty() {
            return Err(ExperimentError::invalid(
                "data",
                "no data set: the netlist has no `dataset`; give images and labels",
            )
            .into());
        }
        let data = Dataset::read(&d.images, &d.labels, config.samples)?;
        Ok(Inputs { graph, data })
    }
}

/// The chip part of a checked experiment.
#[derive(Debug)]
pub struct ChipPlan {
    /// The network mapped onto the chip.
    pub mapping: Mapping,
    /// Devices, read path, wires, compensation, delivery latency and switches.
    pub setup: ChipSetup,
}

/// A checked run configuration with what it needs loaded (see the module docs).
#[derive(Debug)]
pub struct Experiment {
    config: RunConfig,
    inputs: Arc<Inputs>,
    samples: usize,
    disc: Discretisation,
    opts: RunOptions,
    neurons: NeuronModel,
    chip: Option<ChipPlan>,
    warnings: Vec<String>,
}

impl Experiment {
    /// Validate `config`, load its network and data, and (chip mode) map the network.
    pub fn new(config: RunConfig) -> crate::Result<Experiment> {
        config.check()?;
        let inputs = Arc::new(Inputs::load(&config)?);
        Self::with_inputs(config, inputs)
    }

    /// [`new`](Self::new) on already loaded inputs (a sweep loads them once for every point).
    pub fn with_inputs(config: RunConfig, inputs: Arc<Inputs>) -> crate::Result<Experiment> {
        config.check()?;
        let (graph, data) = (&inputs.graph, &inputs.data);
        let samples = config.samples.unwrap_or(data.len());
        if samples > data.len() {
            return Err(ExperimentError::invalid(
                "samples",
                format!(
                    "{samples} samples asked for but the data set {} has {}",
                    config.data.images.display(),
                    data.len()
                ),
            )
            .into());
        }
        check_data_fits(&config, graph, data, samples)?;
        let warnings = graph
            .check_time_step_for(config.dt as f32, config.semantics)?
            .into_iter()
            .map(|w| format!("{}: {w}", config.network_display()))
            .collect();
        let disc = Discretisation {
            dt: config.dt,
            reset: config.reset,
            semantics: config.semantics,
        };
        let opts = RunOptions {
            timesteps: config.timesteps,
            encoding: config.encoding,
            seed: config.seed,
        };
        let chip = match config.mode {
            config::Mode::Ideal => None,
            config::Mode::Chip => Some(plan_chip(&config, graph)?),
        };
        Ok(Experiment {
            neurons: config.neuron_model(),
            config,
            inputs,
            samples,
            disc,
            opts,
            chip,
            warnings,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The loaded network and data.
    pub fn inputs(&self) -> &Arc<Inputs> {
        &self.inputs
    }

    /// The chip plan (chip mode).
    pub fn chip_plan(&self) -> Option<&ChipPlan> {
        self.chip.as_ref()
    }

    /// Samples each run covers.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// The neuron arithmetic in effect.
    pub fn neurons(&self) -> NeuronModel {
        self.neurons
    }

    /// Warnings found while checking (e.g. time steps coarse for the network's time
    /// constants); the library does not print them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Sample runs [`run`](Self::run) does (for progress and estimates).
    pub fn sample_runs(&self) -> u64 {
        let per_trial = match &self.chip {
            None => 0,
            Some(_) => self.config.times.len() + usize::from(self.config.attribution) * 8,
        };
        ((1 + self.config.trials * per_trial) * self.samples) as u64
    }
}

/// The data must fit the network: sample size, at least one sample, labels among the outputs.
fn check_data_fits(
    config: &RunConfig,
    graph: &Graph,
    data: &Dataset,
    samples: usize,
) -> crate::Result<()> {
    let images = config.data.images.display();
    if samples == 0 {
        return Err(ExperimentError::invalid(
            "samples",
            format!(
                "no samples to run (the data set {images} has {})",
                data.len()
            ),
        )
        .into());
    }
    let input = graph.input().map(|i| &graph.nodes[i]);
    if let Some(node) = input {
        let want = numel(&node.output_shape);
        if want != data.images.ncols() {
            return Err(ExperimentError::invalid(
                "data.images",
                format!(
                    "{images} has {} values per sample but the network input `{}` expects {want} (shape {:?})",
                    data.images.ncols(),
                    node.name,
                    node.output_shape
                ),
            )
            .into());
        }
    }
    if let Some(o) = graph.output() {
        // Labels beyond the network's outputs could never be predicted.
        data.check_classes(numel(&graph.nodes[o].output_shape))?;
    }
    Ok(())
}

/// Map `graph` onto `config`'s chip and set up the devices and read path, as a chip run of
/// `config` does (`memsnn map` shows this plan).
pub fn plan_chip(config: &RunConfig, graph: &Graph) -> crate::Result<ChipPlan> {
    let chip = &config.chip;
    let columns = match config.crossbar.map.kind {
        MappingKind::Differential => 2,
        MappingKind::Offset => 1,
    };
    let mapping = map_network(graph, chip, columns)?;
    let setup = ChipSetup {
        statistics: config.device.clone(),
        map: config.crossbar.map,
        read: config.read_config(),
        r_wire: config.crossbar.r_wire,
        compensation: config.compensation,
        delay: chip.delivery.steps() as usize,
        effects: config.effects,
    };
    Ok(ChipPlan { mapping, setup })
}

impl RunConfig {
    /// The read path: the chip's DAC, `crossbar.adc_bits` or else the chip's ADC.
    pub fn read_config(&self) -> ReadConfig {
        ReadConfig {
            adc: self
                .crossbar
                .adc_bits
                .or(self.chip.core.adc_bits)
                .map(|bits| Adc {
                    bits,
                    range: AdcRange::Calibrated { margin: 1.0 },
                }),
            dac: self.chip.core.dac_bits.map(|bits| Dac { bits }),
            v_read: self.crossbar.v_read,
            ..ReadConfig::default()
        }
    }

    /// Check every value (not files): the settings, and in chip mode the device statistics,
    /// the chip and the read path. Errors name the field's path in the tree.
    pub fn check(&self) -> Result<(), ExperimentError> {
        let bad = |f: &str, r: String| ExperimentError::invalid(f, r);
        if self.timesteps == 0 {
            return Err(bad("timesteps", "must be at least 1".into()));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(bad(
                "dt",
                format!("{} s must be a positive number", self.dt),
            ));
        }
        if self.samples == Some(0) {
            return Err(bad("samples", "must be at least 1".into()));
        }
        self.encoding.validate().map_err(|e| e.within("encoding"))?;
        if self.mode == config::Mode::Ideal {
            return Ok(());
        }
        self.device.validate().map_err(|e| e.within("device"))?;
        self.chip.validate().map_err(|e| e.within("chip"))?;
        self.crossbar
            .map
            .validate()
            .map_err(|e| e.within("crossbar.map"))?;
        self.read_config().validate().map_err(|e| {
            let mut e = e;
            if e.field.starts_with("adc") && self.crossbar.adc_bits.is_none() {
                e.field = format!("chip.core.{}_bits", &e.field[..3]);
                return e;
            }
            e.within("crossbar")
        })?;
        if !(self.crossbar.r_wire.is_finite() && self.crossbar.r_wire >= 0.0) {
            return Err(bad(
                "crossbar.r_wire",
                format!("{} Ω must be finite and ≥ 0", self.crossbar.r_wire),
            ));
        }
        if self.times.is_empty() {
            return Err(bad("times", "must list at least one time".into()));
        }
        if let Some(t) = self
            .times
            .iter()
            .find(|t| !(t.seconds.is_finite() && t.seconds >= 0.0))
        {
            return Err(bad(
                "times",
                format!("{} s must be finite and ≥ 0", t.seconds),
            ));
        }
        if self.trials == 0 {
            return Err(bad("trials", "must be at least 1".into()));
        }
        Ok(())
    }
}
