//! Reports: what a run was configured with, the semantics it used, and what it measured.
//!
//! [`IdealConfig`] is the fully resolved configuration of an ideal-mode run (from a netlist
//! and/or command-line options); [`IdealConfig::run`] loads the network and data, runs the
//! [`Engine`] and returns an [`IdealReport`] (serialisable to JSON) together with the raw
//! [`RunResult`]. Reports hold no wall-clock times, so identical inputs give identical reports.

mod chip;
mod output;

pub use chip::{
    AccuracyStats, ChipConfig, ChipReport, PerInference, ResourceSummary, StageResult, TimePoint,
    TimeResult,
};
pub use output::write_atomic;

use crate::encode::{Dataset, Encoding};
use crate::network::NetworkSpec;
use crate::neuron::{Discretisation, Reset};
use crate::sim::{Engine, LayerActivity, Readout, RunOptions, RunResult};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The resolved configuration of an ideal-mode run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdealConfig {
    /// The netlist the run came from, if any: the network's relative paths resolve against it.
    pub netlist: Option<PathBuf>,
    /// The network (paths resolved by [`Netlist::read`](crate::network::Netlist::read); relative
    /// ones are taken against the working directory).
    pub network: NetworkSpec,
    /// IDX images.
    pub images: PathBuf,
    /// IDX labels.
    pub labels: PathBuf,
    /// Samples to run (the first ones of the data set); `None` = all.
    pub samples: Option<usize>,
    /// Timesteps per sample.
    pub timesteps: usize,
    /// Time step (s).
    pub dt: f64,
    /// Reset mechanism.
    pub reset: Reset,
    /// Input encoding.
    pub encoding: Encoding,
    /// Seed of random encoders.
    pub seed: u64,
    /// The discrete-time semantics preset (default `snntorch`).
    #[serde(default)]
    pub semantics: crate::neuron::Semantics,
}

/// The discrete-time semantics a run used, in words (NIR leaves them open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Semantics {
    /// Integration scheme.
    pub integration: String,
    /// Reset rule.
    pub reset: String,
    /// Order of evaluation within a step.
    pub update_order: String,
    /// Input presentation.
    pub input: String,
    /// Readout and prediction rule.
    pub readout: String,
}

/// The report of an ideal-mode run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdealReport {
    /// Always `"ideal"`.
    pub mode: String,
    /// memsnn version that produced the report.
    pub memsnn_version: String,
    /// The resolved configuration.
    pub config: IdealConfig,
    /// The semantics used.
    pub semantics: Semantics,
    /// Samples run.
    pub samples: usize,
    /// Fraction of correct predictions.
    pub accuracy: f64,
    /// How the output was read.
    pub readout: Readout,
    /// Per-layer activity.
    pub layers: Vec<LayerActivity>,
    /// Predicted class per sample.
    pub predictions: Vec<usize>,
}

impl IdealConfig {
    /// Load and validate the network.
    pub fn load_network(&self) -> Result<crate::network::Graph, crate::network::NetworkError> {
        self.network
            .load(self.netlist.as_deref().unwrap_or(Path::new("memsnn")))
    }

    /// A one-line description of the network's source (the resolved NIR path).
    pub fn network_display(&self) -> String {
        let base = self.netlist.as_deref().unwrap_or(Path::new("memsnn"));
        match &self.network {
            NetworkSpec::Nir(p) => crate::config::resolve(base, p).display().to_string(),
            NetworkSpec::Layers { layers, .. } => {
                format!("{} inline layers in {}", layers.len(), base.display())
            }
        }
    }

    /// The semantics this configuration implies.
    pub fn semantics(&self, readout: Readout) -> Semantics {
        let reset = match self.reset {
            Reset::Zero => {
                "zero: a spike at step t−1 sets v to v_reset before the leak of step t (snnTorch `reset_mechanism=\"zero\"`)"
            }
            Reset::Subtract => {
                "subtract: v[t] = β·v[t−1] + … − v_threshold·s[t−1] (snnTorch `reset_mechanism=\"subtract\"`)"
            }
        };
        let input = match self.encoding {
            Encoding::Direct => "direct: pixel/255 presented unchanged at every step".to_string(),
            Encoding::Poisson { max_rate } => format!(
                "poisson: P(spike per step) = 1 − exp(−x·{max_rate} Hz·dt), stream per sample from seed {}",
                self.seed
            ),
            Encoding::Bernoulli { gain } => format!(
                "bernoulli: P(spike per step) = clamp({gain}·x, 0, 1), stream per sample from seed {}",
                self.seed
            ),
            Encoding::Latency => {
                "latency: one spike at step round((1 − x)·(T − 1)), none for x = 0".to_string()
            }
        };
        let integration = match self.semantics {
            crate::neuron::Semantics::Snntorch => format!(
                "forward Euler, dt = {:e} s: v[t] = (1 − dt/τ)·v[t−1] + (dt/τ)·v_leak + (R·dt/τ)·I[t]; spike when v > v_threshold",
                self.dt
            ),
            other => format!(
                "`{other}` semantics (README, section Semantics), dt = {:e} s",
                self.dt
            ),
        };
        Semantics {
            integration,
            reset: reset.to_string(),
            update_order: "all layers in topological order within the same step; recurrent edges read the previous step".into(),
            input,
            readout: match readout {
                Readout::SpikeCounts => "output spike counts over the run; prediction = argmax, ties → lowest index",
                Readout::FinalValue => "output value (membrane) at the last step; prediction = argmax, ties → lowest index",
            }
            .into(),
        }
    }

    /// Load the network and data, run the ideal engine on the current rayon pool and report.
    ///
    /// `progress(n)` is called after each chunk of `n` samples.
    pub fn run(
        &self,
        progress: &(dyn Fn(usize) + Sync),
    ) -> crate::Result<(IdealReport, RunResult)> {
        let graph = self.load_network()?;
        let data = Dataset::read_idx(&self.images, &self.labels, self.samples)?;
        self.run_with(&graph, &data, progress)
    }

    /// Run on an already loaded network and data set (see [`run`](Self::run)).
    pub fn run_with(
        &self,
        graph: &crate::network::Graph,
        data: &Dataset,
        progress: &(dyn Fn(usize) + Sync),
    ) -> crate::Result<(IdealReport, RunResult)> {
        let disc = Discretisation {
            dt: self.dt,
            reset: self.reset,
            semantics: self.semantics,
        };
        let engine = Engine::new(graph, disc)?;
        let opts = RunOptions {
            timesteps: self.timesteps,
            encoding: self.encoding,
            seed: self.seed,
        };
        let n = self.samples.unwrap_or(data.len()).min(data.len());
        let x = data.images.slice(ndarray::s![..n, ..]);
        let result = engine.run(x, &opts, progress)?;
        let report = IdealReport {
            mode: "ideal".into(),
            memsnn_version: env!("CARGO_PKG_VERSION").into(),
            config: self.clone(),
            semantics: self.semantics(result.readout),
            samples: n,
            accuracy: result.accuracy(&data.labels[..n]),
            readout: result.readout,
            layers: result.layers.clone(),
            predictions: result.predictions.clone(),
        };
        Ok((report, result))
    }
}
