//! The report of a chip-mode run (`memsnn emulate` on a chip); its JSON schema is documented in
//! the README ("emulate on a chip").

use super::IdealConfig;
use crate::chip::{ChipSetup, Counters, Mapping};
use serde::{Deserialize, Serialize};

/// The resolved configuration of a chip-mode run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChipConfig {
    /// Network, data and semantics (as in ideal mode).
    pub run: IdealConfig,
    /// The chip spec in use (resolved, serialised as it was read).
    pub chip: serde_json::Value,
    /// The device card's name.
    pub device: String,
    /// Devices, read path, switches and compensation.
    pub setup: ChipSetup,
    /// Times after programming (s), as given and in seconds.
    pub times: Vec<TimePoint>,
    /// Trials (independently programmed chips).
    pub trials: usize,
    /// Seed of programming and read noise (and of random encoders).
    pub seed: u64,
    /// Time at which the attribution stages are evaluated (s), when asked for.
    pub attribution_time: Option<f64>,
}

/// A time after programming.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimePoint {
    /// As written (e.g. `1d`).
    pub label: String,
    /// In seconds.
    pub seconds: f64,
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
        }
    }
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
    pub config: ChipConfig,
    /// Samples run.
    pub samples: usize,
    /// Accuracy of the ideal (software) network.
    pub ideal_accuracy: f64,
    /// Chip accuracy per time point.
    pub results: Vec<TimeResult>,
    /// Accuracy after each cumulative stage (with `--attribution`).
    pub attribution: Option<Vec<StageResult>>,
    /// Resource use.
    pub resources: ResourceSummary,
    /// Event counters of trial 0 at the first time point (all samples).
    pub counters: Counters,
    /// Per inference, from [`counters`](Self::counters).
    pub per_inference: PerInference,
    /// Energy per inference by event kind (J) (the chip model's breakdown).
    pub energy_breakdown: serde_json::Value,
}
