//! Chip-mode emulation: program one crossbar per tile of a [`Mapping`], move it to a time after
//! programming, and run the network with crossbar-backed synaptic operators.
//!
//! Every non-ideality has its own switch ([`Effects`]); [`STAGES`] lists the cumulative stages
//! of the accuracy attribution (ideal → levels → programming noise & faults → drift → read
//! noise → wire resistance → ADC → chip timing). Randomness is rooted in the run's seed:
//! programming of tile `k` of layer `l` in trial `r` draws from `rng::stream(seed, [r, l, k])`,
//! the 1/f noise at time `t` from `rng::stream(seed, [r, l, k, t.to_bits()])`, per-read noise
//! from per-(sample, step, tile) streams (see [`ChipSynapses`]), so results are bit-identical for
//! any thread count.

use super::synapses::{ChipSynapses, ReadPath, TileModel};
use super::{Batch, Engine, IdealSynapses, RunOptions, RunResult, SimError, SynapticOp};
use crate::chip::{Counters, LayerMapping, Mapping, Tile};
use crate::crossbar::{ArrayError, CircuitParams, Compensation, Crossbar, MapConfig, ReadConfig};
use crate::device::Statistics;
use crate::device::statistics::{
    Drift, Faults, Levels, PerReadNoise, ProgrammingNoise, RangeVariation, ReadNoise,
};
use crate::network::{Graph, NodeKind, numel};
use crate::neuron::{Discretisation, NeuronModel};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Which non-idealities a chip run applies; each can be switched off on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    /// Quantise conductances to the card's levels.
    pub levels: bool,
    /// Programming noise, stuck-at faults and device-to-device range variation.
    pub programming: bool,
    /// Conductance drift to the read time.
    pub drift: bool,
    /// Accumulated 1/f read noise at the read time and per-read noise.
    pub read_noise: bool,
    /// Wire resistance (IR drop).
    pub wire: bool,
    /// The cores' ADC (and DAC).
    pub adc: bool,
    /// The chip's delivery latency between layers.
    pub timing: bool,
}

impl Effects {
    /// Every non-ideality on.
    pub const ALL: Effects = Effects {
        levels: true,
        programming: true,
        drift: true,
        read_noise: true,
        wire: true,
        adc: true,
        timing: true,
    };
    /// Every non-ideality off (chip mode then equals the ideal engine).
    pub const NONE: Effects = Effects {
        levels: false,
        programming: false,
        drift: false,
        read_noise: false,
        wire: false,
        adc: false,
        timing: false,
    };
}

/// The cumulative stages of the accuracy attribution, in order, with their names.
pub const STAGES: [(&str, Effects); 8] = {
    let mut s = [("ideal", Effects::NONE); 8];
    let mut e = Effects::NONE;
    e.levels = true;
    s[1] = ("levels", e);
    e.programming = true;
    s[2] = ("programming noise & faults", e);
    e.drift = true;
    s[3] = ("drift at t", e);
    e.read_noise = true;
    s[4] = ("read noise", e);
    e.wire = true;
    s[5] = ("wire resistance", e);
    e.adc = true;
    s[6] = ("ADC", e);
    e.timing = true;
    s[7] = ("chip timing", e);
    s
};

/// The resolved device and read-path configuration of a chip run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChipSetup {
    /// Device statistics of every crossbar (the card's, with overrides applied).
    pub statistics: Statistics,
    /// Weight → conductance mapping (differential pair by default).
    pub map: MapConfig,
    /// Read path: read voltage, input range, DAC and ADC of a core.
    pub read: ReadConfig,
    /// Wire resistance between adjacent cells, rows and columns (Ω); 0 = ideal wires.
    pub r_wire: f64,
    /// Drift compensation.
    pub compensation: Compensation,
    /// Delivery latency between layers (timesteps); 0 = same-step delivery.
    pub delay: usize,
    /// Which non-idealities are on.
    pub effects: Effects,
}

impl ChipSetup {
    /// The device statistics with the switched-off non-idealities removed.
    pub fn statistics_in_effect(&self) -> Statistics {
        let e = &self.effects;
        let mut s = self.statistics.clone();
        if !e.levels {
            s.levels = Levels::None;
        }
        if !e.programming {
            s.programming = ProgrammingNoise::None;
            s.faults = Faults::default();
            s.d2d = RangeVariation::default();
        }
        if !e.drift {
            s.drift = Drift::None;
        }
        if !e.read_noise {
            s.read_noise = ReadNoise::None;
            s.per_read = PerReadNoise::None;
        }
        s
    }

    /// The read path in effect.
    pub fn read_path(&self) -> ReadPath {
        let mut read = self.read;
        if !self.effects.adc {
            read.adc = None;
            read.dac = None;
        }
        ReadPath {
            read,
            circuit: (self.effects.wire && self.r_wire > 0.0).then(|| CircuitParams {
                r_row: self.r_wire,
                r_col: self.r_wire,
                ..CircuitParams::default()
            }),
            per_read: if self.effects.read_noise {
                self.statistics.per_read.clone()
            } else {
                PerReadNoise::None
            },
        }
    }

    /// The delivery latency in effect (timesteps).
    pub fn delay_in_effect(&self) -> usize {
        if self.effects.timing { self.delay } else { 0 }
    }
}

/// The crossbars of one programmed chip: `[layer][tile]`, in mapping order.
pub type ProgrammedChip = Vec<Vec<Crossbar>>;

/// Program every tile of `mapping` with `setup` (statistics in effect), for trial `trial`.
pub fn program_chip(
    mapping: &Mapping,
    setup: &ChipSetup,
    seed: u64,
    trial: u64,
) -> Result<ProgrammedChip, SimError> {
    let stats = setup.statistics_in_effect();
    let read = setup.read_path().read;
    let jobs: Vec<(usize, usize)> = mapping
        .layers
        .iter()
        .enumerate()
        .flat_map(|(l, lm)| (0..lm.tiles.len()).map(move |k| (l, k)))
        .collect();
    let arrays: Vec<Result<Crossbar, ArrayError>> = jobs
        .par_iter()
        .map(|&(l, k)| {
            let tile = &mapping.layers[l].tiles[k];
            let mut rng = crate::rng::stream(seed, &[trial, l as u64, k as u64]);
            Crossbar::program(tile.weights.view(), &stats, &setup.map, &read, &mut rng)
        })
        .collect();
    crate::cancel::check()?;
    let mut chip: ProgrammedChip = mapping.layers.iter().map(|_| Vec::new()).collect();
    for ((l, _), a) in jobs.into_iter().zip(arrays) {
        chip[l].push(a?);
    }
    Ok(chip)
}

/// The outcome of one chip run.
#[derive(Debug, Clone)]
pub struct ChipRun {
    /// Outputs, predictions and per-layer activity (as in ideal mode).
    pub result: RunResult,
    /// Event counters summed over all samples.
    pub counters: Counters,
}

/// For each mapped layer, the home core of the neuron feeding each of its input elements, or
/// `None` when the layer is fed by the network input. Pooling in between maps element `e` of
/// the layer input to element `⌊e·n_src/n_in⌋` of the source layer (the same channel for
/// channel-major layouts).
pub fn source_homes(graph: &Graph, mapping: &Mapping) -> Vec<Option<Vec<u32>>> {
    let by_node: HashMap<usize, usize> = mapping
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| (l.node, i))
        .collect();
    mapping
        .layers
        .iter()
        .map(|l| {
            let mut n = l.node;
            loop {
                let p = graph.predecessors(n).find(|&p| p < n)?;
                if matches!(graph.nodes[p].kind, NodeKind::Input) {
                    return None;
                }
                if let Some(&src) = by_node.get(&p) {
                    let s = &mapping.layers[src];
                    let (ns, ni) = (s.out_len, l.in_len.max(1));
                    return Some(
                        (0..l.in_len)
                            .map(|e| s.home_core[(e * ns / ni).min(ns - 1)])
                            .collect(),
                    );
                }
                n = p;
            }
        })
        .collect()
}

/// A programmed chip moved to one time after programming: the synaptic operators of every
/// mapped layer, ready to run data (see [`ChipAtTime::run`]).
#[derive(Debug)]
pub struct ChipAtTime {
    ops: Vec<Arc<ChipSynapses>>,
    nodes: Vec<usize>,
}

impl ChipAtTime {
    /// Copy `chip`'s crossbars, move them to `t` seconds after programming (1/f noise from
    /// `rng::stream(seed, [trial, layer, tile, t.to_bits()])`), compensate them, and build the
    /// operators (IR-drop transfer matrices included). `chip` itself is left unchanged.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        graph: &Graph,
        mapping: &Mapping,
        setup: &ChipSetup,
        chip: &ProgrammedChip,
        t: f64,
        trial: u64,
        seed: u64,
    ) -> Result<Self, SimError> {
        let path = setup.read_path();
        let homes = source_homes(graph, mapping);
        let delay = setup.delay_in_effect();
        let stats = setup.statistics_in_effect();
        let jobs: Vec<(usize, usize)> = chip
            .iter()
            .enumerate()
            .flat_map(|(l, xs)| (0..xs.len()).map(move |k| (l, k)))
            .collect();
        let moved: Vec<Result<Crossbar, ArrayError>> = jobs
            .par_iter()
            .map(|&(l, k)| {
                let mut xb = chip[l][k].clone();
                if !(stats.drift == Drift::None && stats.read_noise == ReadNoise::None) {
                    let mut rng =
                        crate::rng::stream(seed, &[trial, l as u64, k as u64, t.to_bits()]);
                    xb.set_time(t, &mut rng)?;
                }
                xb.compensate(setup.compensation);
                Ok(xb)
            })
            .collect();
        let mut arrays: ProgrammedChip = chip.iter().map(|_| Vec::new()).collect();
        for ((l, _), a) in jobs.into_iter().zip(moved) {
            arrays[l].push(a?);
        }
        let built: Vec<Result<ChipSynapses, ArrayError>> = (0..mapping.layers.len())
            .into_par_iter()
            .map(|l| {
                ChipSynapses::new(
                    mapping,
                    l,
                    &arrays[l],
                    &path,
                    homes[l].as_deref(),
                    if homes[l].is_some() { delay } else { 0 },
                    seed,
                    [trial, t.to_bits(), l as u64],
                )
            })
            .collect();
        let ops: Vec<Arc<ChipSynapses>> = built
            .into_iter()
            .map(|r| r.map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(ChipAtTime {
            ops,
            nodes: mapping.layers.iter().map(|m| m.node).collect(),
        })
    }

    /// Program, move and build every tile in one pass, keeping only the tiles' read models:
    /// tile `k` of layer `l` is programmed from `rng::stream(seed, [trial, l, k])`, moved to
    /// `t` with `rng::stream(seed, [trial, l, k, t.to_bits()])` and compensated, exactly as
    /// [`program_chip`] followed by [`ChipAtTime::new`] (the results are bit-identical), but
    /// no crossbar outlives its tile's read model: peak memory is the read models of one
    /// chip at one time plus one crossbar per worker thread. Programming is repeated for each
    /// time, which costs far less than the IR-drop solves.
    pub fn stream(
        graph: &Graph,
        mapping: &Mapping,
        setup: &ChipSetup,
        t: f64,
        trial: u64,
        seed: u64,
    ) -> Result<Self, SimError> {
        let path = setup.read_path();
        let homes = source_homes(graph, mapping);
        let delay = setup.delay_in_effect();
        let stats = setup.statistics_in_effect();
        let moves = !(stats.drift == Drift::None && stats.read_noise == ReadNoise::None);
        let jobs: Vec<(usize, usize)> = mapping
            .layers
            .iter()
            .enumerate()
            .flat_map(|(l, lm)| (0..lm.tiles.len()).map(move |k| (l, k)))
            .collect();
        let models: Vec<Result<TileModel, SimError>> = jobs
            .par_iter()
            .map(|&(l, k)| {
                crate::cancel::check()?;
                let tile = &mapping.layers[l].tiles[k];
                let mut rng = crate::rng::stream(seed, &[trial, l as u64, k as u64]);
                let mut xb = Crossbar::program(
                    tile.weights.view(),
                    &stats,
                    &setup.map,
                    &path.read,
                    &mut rng,
                )?;
                if moves {
                    let mut rng =
                        crate::rng::stream(seed, &[trial, l as u64, k as u64, t.to_bits()]);
                    xb.set_time(t, &mut rng)?;
                }
                xb.compensate(setup.compensation);
                Ok(ChipSynapses::tile(mapping, l, k, &xb, &path)?)
            })
            .collect();
        let mut per_layer: Vec<Vec<TileModel>> =
            mapping.layers.iter().map(|_| Vec::new()).collect();
        for ((l, _), m) in jobs.into_iter().zip(models) {
            per_layer[l].push(m?);
        }
        let mut ops = Vec::with_capacity(per_layer.len());
        for (l, tiles) in per_layer.into_iter().enumerate() {
            ops.push(Arc::new(ChipSynapses::from_tiles(
                mapping,
                l,
                tiles,
                &path,
                homes[l].as_deref(),
                if homes[l].is_some() { delay } else { 0 },
                seed,
                [trial, t.to_bits(), l as u64],
            )?));
        }
        Ok(ChipAtTime {
            ops,
            nodes: mapping.layers.iter().map(|m| m.node).collect(),
        })
    }

    /// The operator of each mapped layer.
    pub fn operators(&self) -> &[Arc<ChipSynapses>] {
        &self.ops
    }

    /// Run every row of `data` through the chip (on the current rayon pool) with float neurons.
    pub fn run(
        &self,
        graph: &Graph,
        disc: Discretisation,
        data: ArrayView2<f32>,
        opts: &RunOptions,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ChipRun, SimError> {
        self.run_with_neurons(graph, disc, NeuronModel::Float, data, opts, progress)
    }

    /// Run every row of `data` through the chip with the neuron arithmetic `neurons` (the
    /// fixed-point neurons take each core's digitised column sums as their float input
    /// current, rounded to integer activations; see [`crate::neuron::FixedPopulation`]).
    pub fn run_with_neurons(
        &self,
        graph: &Graph,
        disc: Discretisation,
        neurons: NeuronModel,
        data: ArrayView2<f32>,
        opts: &RunOptions,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ChipRun, SimError> {
        let engine = Engine::with_neurons(graph, disc, neurons, |i, _| {
            self.nodes
                .iter()
                .position(|&n| n == i)
                .map(|l| Box::new(Shared(self.ops[l].clone())) as Box<dyn SynapticOp>)
        })?;
        let before: Vec<[u64; 5]> = self.ops.iter().map(|o| o.counters().totals()).collect();
        let result = engine.run(data, opts, progress)?;
        let mut c = Counters {
            samples: data.nrows() as u64,
            timesteps: opts.timesteps as u64,
            ..Counters::default()
        };
        for (op, b) in self.ops.iter().zip(&before) {
            let a = op.counters().totals();
            c.crossbar_reads += a[0] - b[0];
            c.synaptic_ops += a[1] - b[1];
            c.adc_conversions += a[2] - b[2];
            c.packets += a[3] - b[3];
            c.hops += a[4] - b[4];
        }
        for act in &result.layers {
            if let Some(node) = graph
                .nodes
                .iter()
                .find(|n| n.name == act.name && n.kind.is_neuron())
            {
                c.neuron_updates +=
                    (numel(&node.output_shape) * opts.timesteps * data.nrows()) as u64;
                c.spikes += act.spikes;
            }
        }
        Ok(ChipRun {
            result,
            counters: c,
        })
    }
}

/// Run `data` on `chip` (programmed from `mapping`) at `t` seconds after programming:
/// [`ChipAtTime::new`] with the run's seed (`opts.seed`), then [`ChipAtTime::run`].
#[allow(clippy::too_many_arguments)]
pub fn run_on_chip(
    graph: &Graph,
    disc: Discretisation,
    mapping: &Mapping,
    setup: &ChipSetup,
    chip: &ProgrammedChip,
    t: f64,
    trial: u64,
    data: ArrayView2<f32>,
    opts: &RunOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ChipRun, SimError> {
    run_on_chip_with_neurons(
        graph,
        disc,
        NeuronModel::Float,
        mapping,
        setup,
        chip,
        t,
        trial,
        data,
        opts,
        progress,
    )
}

/// [`run_on_chip`] with the neuron arithmetic `neurons`.
#[allow(clippy::too_many_arguments)]
pub fn run_on_chip_with_neurons(
    graph: &Graph,
    disc: Discretisation,
    neurons: NeuronModel,
    mapping: &Mapping,
    setup: &ChipSetup,
    chip: &ProgrammedChip,
    t: f64,
    trial: u64,
    data: ArrayView2<f32>,
    opts: &RunOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ChipRun, SimError> {
    ChipAtTime::new(graph, mapping, setup, chip, t, trial, opts.seed)?
        .run_with_neurons(graph, disc, neurons, data, opts, progress)
}

/// A shared handle to an operator (the engine owns a box; the caller keeps the counters).
struct Shared(Arc<ChipSynapses>);

impl SynapticOp for Shared {
    fn in_len(&self) -> usize {
        self.0.in_len()
    }
    fn out_len(&self) -> usize {
        self.0.out_len()
    }
    fn fan_out(&self) -> f64 {
        self.0.fan_out()
    }
    fn forward(&self, x: &[f32], batch: Batch, out: &mut [f32]) {
        self.0.forward(x, batch, out)
    }
    fn state_len(&self) -> usize {
        self.0.state_len()
    }
    fn time_varying(&self) -> bool {
        self.0.time_varying()
    }
    fn forward_step(
        &self,
        x: &[f32],
        batch: Batch,
        state: &mut [f32],
        repeat: bool,
        sparse: bool,
        out: &mut [f32],
    ) {
        self.0.forward_step(x, batch, state, repeat, sparse, out)
    }
}

/// A simple mapping for tests and small chips: every synaptic layer as a dense matrix
/// (convolutions unrolled, structural zeros kept) split into blocks of at most `rows` inputs
/// × `cols` outputs, one core per block on a square mesh in layer order; every output's home
/// is the core of its first row block.
pub fn dense_mapping(graph: &Graph, rows: usize, cols: usize) -> Result<Mapping, SimError> {
    let bad = |m: String| SimError::Array(ArrayError::Shape(m));
    if rows == 0 || cols == 0 {
        return Err(bad("core rows and columns must be at least 1".into()));
    }
    let mut layers = Vec::new();
    let mut cores: Vec<(usize, usize, usize)> = Vec::new(); // (layer, rows, cols)
    for (ni, node) in graph.nodes.iter().enumerate() {
        if !node.kind.is_synaptic() {
            continue;
        }
        let op = IdealSynapses::from_node(&node.kind, &node.input_shape, &node.output_shape)
            .ok_or_else(|| {
                bad(format!(
                    "layer `{}`: weights do not fit its shapes",
                    node.name
                ))
            })?;
        let (n_in, n_out) = (op.in_len(), op.out_len());
        // W[:, i] = op(e_i) − op(0): exact for an affine operator.
        let batch = Batch {
            rows: 1,
            first_sample: 0,
            step: 0,
        };
        let mut bias = vec![0.0f32; n_out];
        let zero = vec![0.0f32; n_in];
        op.forward(&zero, batch, &mut bias);
        let mut w = Array2::<f32>::zeros((n_out, n_in));
        let mut x = vec![0.0f32; n_in];
        let mut y = vec![0.0f32; n_out];
        for i in 0..n_in {
            x[i] = 1.0;
            op.forward(&x, batch, &mut y);
            x[i] = 0.0;
            for j in 0..n_out {
                w[[j, i]] = y[j] - bias[j];
            }
        }
        let li = layers.len();
        let mut tiles = Vec::new();
        let mut home = vec![0u32; n_out];
        for c0 in (0..n_out).step_by(cols) {
            let c1 = (c0 + cols).min(n_out);
            for r0 in (0..n_in).step_by(rows) {
                let r1 = (r0 + rows).min(n_in);
                let core = cores.len();
                cores.push((li, r1 - r0, c1 - c0));
                if r0 == 0 {
                    home[c0..c1].fill(core as u32);
                }
                tiles.push(Tile {
                    core,
                    inputs: (r0 as u32..r1 as u32).collect(),
                    outputs: (c0 as u32..c1 as u32).collect(),
                    weights: w.slice(ndarray::s![c0..c1, r0..r1]).to_owned(),
                });
            }
        }
        layers.push(LayerMapping {
            node: ni,
            name: node.name.clone(),
            in_len: n_in,
            out_len: n_out,
            bias,
            tiles,
            home_core: home,
            shared: None,
        });
    }
    let side = (cores.len() as f64).sqrt().ceil().max(1.0) as u32;
    let cores = cores
        .into_iter()
        .enumerate()
        .map(|(k, (layer, r, c))| crate::chip::Core {
            position: (k as u32 % side, k as u32 / side),
            layer,
            rows_used: r,
            cols_used: 2 * c,
            neurons: c,
            splitters: 0,
            subarrays: 1,
        })
        .collect();
    Ok(Mapping {
        chip: format!("dense {rows}×{cols}"),
        mesh: (side, side),
        layers,
        cores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_cumulative_and_end_with_everything_on() {
        assert_eq!(STAGES[0].1, Effects::NONE);
        assert_eq!(STAGES[7].1, Effects::ALL);
        let count = |e: &Effects| {
            [
                e.levels,
                e.programming,
                e.drift,
                e.read_noise,
                e.wire,
                e.adc,
                e.timing,
            ]
            .iter()
            .filter(|&&b| b)
            .count()
        };
        for (k, (_, e)) in STAGES.iter().enumerate() {
            assert_eq!(count(e), k);
        }
    }
}
