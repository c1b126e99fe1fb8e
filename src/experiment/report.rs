//! What a run reports: the ideal-mode and chip-mode reports (serialisable to JSON) with the
//! raw output arrays beside them. Reports hold no wall-clock times, so identical inputs give
//! identical reports.

use super::RunConfig;
use super::config::TimePoint;
use crate::chip::{Counters, Mapping};
use crate::encode::Encoding;
use crate::neuron::{NeuronModel, Reset};
use crate::sim::{LayerActivity, Readout, Workload};
use ndarray::{Array2, Array4};
use serde::{Deserialize, Serialize};

/// The report of a run, ideal or chip mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)] // one report per run; boxing the ideal one buys nothing
pub enum Report {
    /// An ideal-mode run.
    Ideal(IdealReport),
    /// A chip-mode run.
    Chip(Box<ChipReport>),
}

impl Report {
    /// The configuration the run used.
    pub fn config(&self) -> &RunConfig {
        match self {
            Report::Ideal(r) => &r.config,
            Report::Chip(r) => &r.config,
        }
    }

    /// Samples run.
    pub fn samples(&self) -> usize {
        match self {
            Report::Ideal(r) => r.samples,
            Report::Chip(r) => r.samples,
        }
    }
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

impl Semantics {
    /// The semantics `config` implies, with the output read as `readout`.
    pub fn describe(config: &RunConfig, readout: Readout) -> Semantics {
        let c = config;
        let reset = match c.reset {
            Reset::Zero => {
                "zero: a spike at step t−1 sets v to v_reset before the leak of step t (snnTorch `reset_mechanism=\"zero\"`)"
            }
            Reset::Subtract => {
                "subtract: v[t] = β·v[t−1] + … − v_threshold·s[t−1] (snnTorch `reset_mechanism=\"subtract\"`)"
            }
        };
        let input = match c.encoding {
            Encoding::Direct => "direct: pixel/255 presented unchanged at every step".to_string(),
            Encoding::Poisson { max_rate } => format!(
                "poisson: P(spike per step) = 1 − exp(−x·{max_rate} Hz·dt), stream per sample from seed {}",
                c.seed
            ),
            Encoding::Bernoulli { gain } => format!(
                "bernoulli: P(spike per step) = clamp({gain}·x, 0, 1), stream per sample from seed {}",
                c.seed
            ),
            Encoding::Latency => {
                "latency: one spike at step round((1 − x)·(T − 1)), none for x = 0".to_string()
            }
        };
        Semantics {
            integration: match c.semantics {
                crate::neuron::Semantics::Snntorch => format!(
                    "snntorch preset, forward Euler, dt = {:e} s: v[t] = (1 − dt/τ)·v[t−1] + (dt/τ)·v_leak + (R·dt/τ)·I[t]; spike when v > v_threshold",
                    c.dt
                ),
                other => format!(
                    "{other} preset, dt = {:e} s (update order, decay, input scale, spike and reset rule of that framework: see the README's \"Semantics\")",
                    c.dt
                ),
            },
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
}

/// The report of an ideal-mode run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdealReport {
    /// Always `"ideal"`.
    pub mode: String,
    /// memsnn version that produced the report.
    pub memsnn_version: String,
    /// The resolved configuration.
    pub config: RunConfig,
    /// The neuron arithmetic used.
    pub neurons: NeuronModel,
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
    /// NeuroBench workload metrics of the network on these data (per sample), apart from any
    /// physical event count.
    pub workload: Workload,
    /// Predicted class per sample.
    pub predictions: Vec<usize>,
    /// Output spike counts `[samples, classes]` (spiking output layers); not in the JSON.
    #[serde(skip)]
    pub spike_counts: Option<Array2<i32>>,
}

/// Accuracy over trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyStats {
    /// Mean over trials.
    pub mean: f64,
    /// Sample standard deviation over trials (0 for one trial).
    pub std: f64,
    /// Per trial.
    pub trials: Vec<f64>,
}

impl AccuracyStats {
    /// Mean and sample standard deviation of `v`.
    pub fn of(v: Vec<f64>) -> Self {
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        let std = if v.len() > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        AccuracyStats {
            mean,
            std,
            trials: v,
        }
    }
}

/// Chip accuracy at one time point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeResult {
    /// The time after programming.
    pub time: TimePoint,
    /// Accuracy over trials.
    pub accuracy: AccuracyStats,
}

/// One cumulative stage of the attribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    /// Stage name (`ideal`, `levels`, …, `chip timing`).
    pub stage: String,
    /// Accuracy over trials with every effect up to this stage on.
    pub accuracy: AccuracyStats,
}

/// Resource use of the mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    /// Cores used.
    pub cores: usize,
    /// Cores of the chip's mesh.
    pub mesh_cores: usize,
    /// Mesh `(width, height)`.
    pub mesh: (u32, u32),
    /// Crossbar rows in use / rows of the used cores.
    pub row_utilisation: f64,
    /// Crossbar columns in use / columns of the used cores.
    pub col_utilisation: f64,
    /// Neurons (plus splitters) hosted / neurons of the used cores.
    pub neuron_utilisation: f64,
    /// Per layer: name, tiles.
    pub layers: Vec<(String, usize)>,
    /// Physical crossbar arrays built (subarrays, or one per core with a crossbar).
    #[serde(default)]
    pub crossbars: usize,
    /// Weight cells on them (structural zeros of built arrays included).
    #[serde(default)]
    pub weight_cells: usize,
}

impl ResourceSummary {
    /// Summarise `mapping` on cores of `rows × cols` with `neurons` neurons each.
    pub fn of(mapping: &Mapping, rows: usize, cols: usize, neurons: usize) -> Self {
        let n = mapping.cores.len();
        let frac = |used: usize, cap: usize| used as f64 / (cap * n).max(1) as f64;
        ResourceSummary {
            cores: n,
            mesh_cores: (mapping.mesh.0 * mapping.mesh.1) as usize,
            mesh: mapping.mesh,
            row_utilisation: frac(mapping.cores.iter().map(|c| c.rows_used).sum(), rows),
            col_utilisation: frac(mapping.cores.iter().map(|c| c.cols_used).sum(), cols),
            neuron_utilisation: frac(
                mapping.cores.iter().map(|c| c.neurons + c.splitters).sum(),
                neurons,
            ),
            layers: mapping
                .layers
                .iter()
                .map(|l| (l.name.clone(), l.tiles.len()))
                .collect(),
            crossbars: mapping.layers.iter().map(|l| l.tiles.len()).sum(),
            weight_cells: mapping
                .layers
                .iter()
                .flat_map(|l| &l.tiles)
                .map(|t| t.weights.len())
                .sum(),
        }
    }
}

/// What a chip run measured of itself (wall clock and memory; not reproducible).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Seconds spent on chip set-up over all trials and times: programming, drift to each
    /// time, compensation and IR-drop solves.
    pub setup_seconds: f64,
    /// Peak resident memory of the process so far (bytes; Linux `VmHWM`), if known.
    pub peak_resident_bytes: Option<u64>,
}

/// Peak resident memory of this process (Linux: `VmHWM` of `/proc/self/status`).
pub fn peak_resident_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Events, energy and latency per inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerInference {
    /// Crossbar reads.
    pub crossbar_reads: f64,
    /// Synaptic events.
    pub synaptic_ops: f64,
    /// ADC conversions.
    pub adc_conversions: f64,
    /// Neuron updates.
    pub neuron_updates: f64,
    /// Spikes.
    pub spikes: f64,
    /// Packets between cores.
    pub packets: f64,
    /// Mean hops per packet.
    pub mean_hops: f64,
    /// Energy (J).
    pub energy: f64,
    /// Latency (s).
    pub latency: f64,
}

impl PerInference {
    /// From totals over `c.samples` inferences, energy and latency per inference.
    pub fn of(c: &Counters, energy: f64, latency: f64) -> Self {
        let n = c.samples.max(1) as f64;
        PerInference {
            crossbar_reads: c.crossbar_reads as f64 / n,
            synaptic_ops: c.synaptic_ops as f64 / n,
            adc_conversions: c.adc_conversions as f64 / n,
            neuron_updates: c.neuron_updates as f64 / n,
            spikes: c.spikes as f64 / n,
            packets: c.packets as f64 / n,
            mean_hops: if c.packets > 0 {
                c.hops as f64 / c.packets as f64
            } else {
                0.0
            },
            energy,
            latency,
        }
    }
}

/// The report of a chip-mode run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChipReport {
    /// Always `"chip"`.
    pub mode: String,
    /// memsnn version that produced the report.
    pub memsnn_version: String,
    /// The resolved configuration.
    pub config: RunConfig,
    /// The neuron arithmetic used.
    pub neurons: NeuronModel,
    /// Delivery latency between layers in effect (timesteps).
    pub delay: usize,
    /// Samples run.
    pub samples: usize,
    /// Accuracy of the ideal (software) network.
    pub ideal_accuracy: f64,
    /// Chip accuracy per time point.
    pub results: Vec<TimeResult>,
    /// Time at which the attribution stages were evaluated (s), when asked for.
    pub attribution_time: Option<f64>,
    /// Accuracy after each cumulative stage (with `attribution`).
    pub attribution: Option<Vec<StageResult>>,
    /// NeuroBench workload metrics of the network on these data (per sample), from the ideal
    /// run: what the network computes, apart from the chip's physical events in
    /// [`counters`](Self::counters).
    pub workload: Workload,
    /// Resource use.
    pub resources: ResourceSummary,
    /// Event counters of trial 0 at the first time point (all samples).
    pub counters: Counters,
    /// Per inference, from [`counters`](Self::counters).
    pub per_inference: PerInference,
    /// Energy per inference by event kind (J) (the chip model's breakdown).
    pub energy_breakdown: serde_json::Value,
    /// Wall-clock set-up time and peak memory of this run: measured, so not reproducible
    /// (every other field is).
    pub measured: Measured,
    /// Output spike counts `[trials, times, samples, classes]` (spiking output layers); not in
    /// the JSON.
    #[serde(skip)]
    pub spike_counts: Option<Array4<i32>>,
}
