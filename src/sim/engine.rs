//! Evaluation plan and timestep loop.

use super::ops::{Batch, IdealSynapses, Pool, SynapticOp};
use super::workload::{SynapseTable, WorkloadCounts};
use crate::encode::Encoding;
use crate::network::{Graph, NodeKind, numel};
use crate::neuron::{
    Convention, Discretisation, FixedPopulation, NeuronError, NeuronModel, Population,
};
use ndarray::{Array2, ArrayView2, ArrayView3};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Samples per parallel work item (fixed, so results do not depend on the thread count).
pub const CHUNK: usize = 64;

/// Why a network cannot be simulated.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A neuron population's parameters are invalid for the chosen discretisation.
    #[error(transparent)]
    Neuron(#[from] NeuronError),
    /// The graph cannot be executed.
    #[error("network: {0}")]
    Graph(String),
    /// The data does not fit the network input.
    #[error(
        "data has {got} values per sample but the network input `{node}` expects {expected} (shape {shape:?})"
    )]
    InputSize {
        /// The input node.
        node: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Elements it expects.
        expected: usize,
        /// Elements per sample in the data.
        got: usize,
    },
    /// A run option is invalid.
    #[error("{0}")]
    Options(String),
    /// A crossbar of the chip cannot be programmed or read.
    #[error(transparent)]
    Array(#[from] crate::crossbar::ArrayError),
    /// A stop was requested ([`crate::cancel`]).
    #[error(transparent)]
    Interrupted(#[from] crate::cancel::Interrupted),
}

/// Options of one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Number of timesteps per sample.
    pub timesteps: usize,
    /// Input encoding.
    pub encoding: Encoding,
    /// Seed of the random encoders (stream per sample: `rng::stream(seed, &[sample])`).
    pub seed: u64,
}

/// How the output is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Readout {
    /// Spike count of each output neuron over the run.
    SpikeCounts,
    /// Value (membrane) of each output element at the last step.
    FinalValue,
}

/// Activity of one node over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerActivity {
    /// Node name.
    pub name: String,
    /// NIR type name.
    pub kind: String,
    /// Output elements (neurons for populations).
    pub size: usize,
    /// Spikes emitted (spiking populations; 0 otherwise).
    pub spikes: u64,
    /// Spikes per neuron per step (spiking populations).
    pub rate: f64,
    /// Synaptic events: Σ over steps of non-zero inputs × fan-out (synaptic layers).
    pub synaptic_events: u64,
}

/// The outcome of [`Engine::run`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// How [`outputs`](Self::outputs) was read.
    pub readout: Readout,
    /// `[samples, classes]` spike counts or final values.
    pub outputs: Array2<f32>,
    /// Predicted class per sample: argmax of the outputs, ties → lowest index.
    pub predictions: Vec<usize>,
    /// Per-node activity, in evaluation order (populations and synaptic layers).
    pub layers: Vec<LayerActivity>,
    /// Timesteps simulated.
    pub timesteps: usize,
    /// Integer totals behind the NeuroBench workload metrics (see [`WorkloadCounts`]).
    pub workload: WorkloadCounts,
}

impl RunResult {
    /// Fraction of predictions equal to `labels`.
    pub fn accuracy(&self, labels: &[u8]) -> f64 {
        let hits = self
            .predictions
            .iter()
            .zip(labels)
            .filter(|(p, l)| **p == **l as usize)
            .count();
        hits as f64 / self.predictions.len().max(1) as f64
    }

    /// Spike counts as int32 (for `.npy` output), when the readout is spike counts.
    pub fn spike_counts(&self) -> Option<Array2<i32>> {
        (self.readout == Readout::SpikeCounts).then(|| self.outputs.mapv(|v| v as i32))
    }
}

enum Op {
    Input,
    Copy,
    Synaptic(Box<dyn SynapticOp>),
    Neuron(Population),
    Fixed(FixedPopulation),
    Pool(Pool),
    Scale(Vec<f32>),
    Threshold(Vec<f32>),
}

struct Plan {
    name: String,
    kind: &'static str,
    op: Op,
    preds: Vec<usize>,
    in_len: usize,
    out_len: usize,
    /// Non-zero weights per input (synaptic layers), for the workload metrics.
    table: Option<SynapseTable>,
}

/// A compiled network, ready to run (see the module docs).
pub struct Engine {
    plans: Vec<Plan>,
    /// Evaluation order (indices into `plans`).
    order: Vec<usize>,
    input: usize,
    input_shape: Vec<usize>,
    /// Node whose output is read (the Output node).
    output: usize,
    disc: Discretisation,
    neurons: NeuronModel,
    /// Nodes that are the source of a cycle-closing edge (read at the next step).
    back_sources: Vec<usize>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field(
                "order",
                &self
                    .order
                    .iter()
                    .map(|&i| &self.plans[i].name)
                    .collect::<Vec<_>>(),
            )
            .field("disc", &self.disc)
            .finish()
    }
}

impl Engine {
    /// Compile `graph` with ideal synapses.
    pub fn new(graph: &Graph, disc: Discretisation) -> Result<Engine, SimError> {
        Self::with_synapses(graph, disc, |_, _| None)
    }

    /// Compile `graph`, asking `synapses(index, node)` for each synaptic node's operator;
    /// `None` uses the ideal [`IdealSynapses`].
    pub fn with_synapses(
        graph: &Graph,
        disc: Discretisation,
        synapses: impl FnMut(usize, &crate::network::Node) -> Option<Box<dyn SynapticOp>>,
    ) -> Result<Engine, SimError> {
        Self::with_neurons(graph, disc, NeuronModel::Float, synapses)
    }

    /// As [`with_synapses`](Self::with_synapses), with the neuron arithmetic `neurons`: under
    /// [`NeuronModel::LoihiFixed`] every spiking population (LIF, CubaLIF, IF) runs as a
    /// [`FixedPopulation`] converted with [`Convention::Scaled`]; populations without a
    /// fixed-point form (leaky integrators, integrators) stay float.
    pub fn with_neurons(
        graph: &Graph,
        disc: Discretisation,
        neurons: NeuronModel,
        mut synapses: impl FnMut(usize, &crate::network::Node) -> Option<Box<dyn SynapticOp>>,
    ) -> Result<Engine, SimError> {
        let g = |m: String| SimError::Graph(m);
        let input = graph.input().ok_or_else(|| g("no Input node".into()))?;
        let output = graph.output().ok_or_else(|| g("no Output node".into()))?;
        // Validated graphs are in topological order of their forward edges
        // (`Graph::validate`); an edge (u, v) with u ≥ v closes a cycle.
        let order: Vec<usize> = (0..graph.nodes.len()).collect();
        // Under fixed-point neurons, ideal (digital) synapses feeding a fixed-point population
        // hold Loihi's 8-bit weight mantissas with a shared exponent per layer.
        let mut weight_scale: Vec<Option<f64>> = vec![None; graph.nodes.len()];
        if neurons == NeuronModel::LoihiFixed {
            for (j, node) in graph.nodes.iter().enumerate() {
                if !node.kind.is_neuron() {
                    continue;
                }
                let preds: Vec<usize> = graph.predecessors(j).collect();
                if let ([i], Ok(Some(p))) = (
                    preds.as_slice(),
                    FixedPopulation::from_node(&node.name, &node.kind, &disc, Convention::Scaled),
                ) && graph.nodes[*i].kind.is_synaptic()
                {
                    weight_scale[*i] =
                        Some(p.in_scale.iter().fold(0.0f64, |a, &b| a.max(b as f64)));
                }
            }
        }
        let mut plans: Vec<Plan> = Vec::with_capacity(graph.nodes.len());
        for (i, node) in graph.nodes.iter().enumerate() {
            let preds: Vec<usize> = graph.predecessors(i).collect();
            let in_len = numel(&node.input_shape);
            let out_len = numel(&node.output_shape);
            for &p in &preds {
                let pl = numel(&graph.nodes[p].output_shape);
                if pl != in_len {
                    return Err(g(format!(
                        "edge {} → {}: source gives {pl} values, target takes {in_len}",
                        graph.nodes[p].name, node.name
                    )));
                }
            }
            let bad = |what: &str| {
                g(format!(
                    "node `{}` ({}): {what}",
                    node.name,
                    node.kind.type_name()
                ))
            };
            let op = match &node.kind {
                NodeKind::Input => Op::Input,
                NodeKind::Output | NodeKind::Flatten { .. } => {
                    if in_len != out_len {
                        return Err(bad("input and output sizes differ"));
                    }
                    Op::Copy
                }
                k if k.is_synaptic() => {
                    let op: Box<dyn SynapticOp> = match synapses(i, node) {
                        Some(op) => op,
                        None => {
                            let quantised = weight_scale[i].map(|g| quantised_kind(k, g));
                            Box::new(
                                IdealSynapses::from_node(
                                    quantised.as_ref().unwrap_or(k),
                                    &node.input_shape,
                                    &node.output_shape,
                                )
                                .ok_or_else(|| {
                                    bad("weights do not match the input/output shapes")
                                })?,
                            )
                        }
                    };
                    if op.in_len() != in_len || op.out_len() != out_len {
                        return Err(bad(&format!(
                            "operator maps {} → {} values, node shapes say {in_len} → {out_len}",
                            op.in_len(),
                            op.out_len()
                        )));
                    }
                    Op::Synaptic(op)
                }
                k if k.is_neuron()
                    && neurons == NeuronModel::LoihiFixed
                    && let Some(p) =
                        FixedPopulation::from_node(&node.name, k, &disc, Convention::Scaled)? =>
                {
                    if p.len() != out_len || in_len != out_len {
                        return Err(bad(&format!(
                            "{} neurons but input/output sizes {in_len}/{out_len}",
                            p.len()
                        )));
                    }
                    Op::Fixed(p)
                }
                k if k.is_neuron() => {
                    let p = Population::from_node(&node.name, k, &disc)?
                        .expect("is_neuron nodes are populations");
                    if p.len() != out_len || in_len != out_len {
                        return Err(bad(&format!(
                            "{} neurons but input/output sizes {in_len}/{out_len}",
                            p.len()
                        )));
                    }
                    Op::Neuron(p)
                }
                NodeKind::AvgPool2d {
                    kernel,
                    stride,
                    padding,
                }
                | NodeKind::SumPool2d {
                    kernel,
                    stride,
                    padding,
                } => {
                    let (&[c, h, w], &[oc, oh, ow]) =
                        (node.input_shape.as_slice(), node.output_shape.as_slice())
                    else {
                        return Err(bad("pooling needs [C, H, W] input and output shapes"));
                    };
                    let ok = |i: usize| {
                        stride[i] > 0
                            && kernel[i] > 0
                            && (if i == 0 { h } else { w }) + 2 * padding[i] >= kernel[i]
                            && (if i == 0 { oh } else { ow })
                                == ((if i == 0 { h } else { w }) + 2 * padding[i] - kernel[i])
                                    / stride[i]
                                    + 1
                    };
                    if c != oc || !ok(0) || !ok(1) {
                        return Err(bad(
                            "output shape does not follow from kernel/stride/padding",
                        ));
                    }
                    Op::Pool(Pool {
                        c,
                        h,
                        w,
                        oh,
                        ow,
                        k: *kernel,
                        stride: *stride,
                        padding: *padding,
                        average: matches!(node.kind, NodeKind::AvgPool2d { .. }),
                    })
                }
                NodeKind::Scale { scale } => {
                    if scale.len() != out_len || in_len != out_len {
                        return Err(bad("scale length differs from the node size"));
                    }
                    Op::Scale(scale.to_vec())
                }
                NodeKind::Threshold { threshold } => {
                    if threshold.len() != out_len || in_len != out_len {
                        return Err(bad("threshold length differs from the node size"));
                    }
                    Op::Threshold(threshold.to_vec())
                }
                other => return Err(bad(&format!("unsupported node type {}", other.type_name()))),
            };
            if !matches!(op, Op::Input) && preds.is_empty() {
                return Err(bad("has no incoming edge"));
            }
            let table = match op {
                Op::Synaptic(_) => Some(
                    SynapseTable::of(&node.kind, &node.input_shape, &node.output_shape)
                        .ok_or_else(|| bad("weights do not match the input/output shapes"))?,
                ),
                _ => None,
            };
            plans.push(Plan {
                name: node.name.clone(),
                kind: node.kind.type_name(),
                op,
                preds,
                in_len,
                out_len,
                table,
            });
        }
        if numel(&graph.nodes[input].output_shape) == 0 {
            return Err(g("the Input node has an empty shape".into()));
        }
        let mut back_sources: Vec<usize> = plans
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.preds.iter().copied().filter(move |&q| q >= i))
            .collect();
        back_sources.sort_unstable();
        back_sources.dedup();
        Ok(Engine {
            back_sources,
            input_shape: graph.nodes[input].output_shape.clone(),
            plans,
            order,
            input,
            output,
            disc,
            neurons,
        })
    }

    /// The neuron arithmetic in use.
    pub fn neuron_model(&self) -> NeuronModel {
        self.neurons
    }

    /// The discretisation in use.
    pub fn discretisation(&self) -> Discretisation {
        self.disc
    }

    /// Number of input values per sample.
    pub fn input_len(&self) -> usize {
        self.plans[self.input].out_len
    }

    /// Number of output values (classes) per sample.
    pub fn output_len(&self) -> usize {
        self.plans[self.output].out_len
    }

    /// Per node: (output constant after step 0, output is 0/1), for an input that is constant
    /// and/or binary. Computed in evaluation order; cycle-closing inputs count as neither.
    fn flags(&self, input_constant: bool, input_binary: bool) -> (Vec<bool>, Vec<bool>) {
        let n = self.plans.len();
        let (mut constant, mut binary) = (vec![false; n], vec![false; n]);
        let mut pos = vec![0; n];
        for (k, &i) in self.order.iter().enumerate() {
            pos[i] = k;
        }
        for &i in &self.order {
            let p = &self.plans[i];
            let fwd = p.preds.iter().all(|&q| pos[q] < pos[i]);
            let all_const = fwd && p.preds.iter().all(|&q| constant[q]);
            let all_bin = fwd && p.preds.len() == 1 && binary[p.preds[0]];
            (constant[i], binary[i]) = match &p.op {
                Op::Input => (input_constant, input_binary),
                Op::Neuron(pop) => (false, pop.spiking()),
                Op::Fixed(_) => (false, true),
                Op::Threshold(_) => (all_const, true),
                Op::Copy => (all_const, all_bin),
                Op::Synaptic(op) => (all_const && !op.time_varying(), false),
                Op::Pool(_) | Op::Scale(_) => (all_const, false),
            };
        }
        (constant, binary)
    }

    /// How the output is read for an input of the given kind: spike counts when the output
    /// carries spikes (spiking population or binary input passed through), else final values.
    pub fn readout(&self, encoding: &Encoding) -> Readout {
        if self.flags(encoding.is_constant(), encoding.is_binary()).1[self.output] {
            Readout::SpikeCounts
        } else {
            Readout::FinalValue
        }
    }

    /// Simulate every row of `data` (`[samples, input_len]`) for `opts.timesteps` steps.
    ///
    /// Runs on the current rayon pool; `progress(n)` is called after each finished chunk of `n`
    /// samples (from worker threads).
    pub fn run(
        &self,
        data: ArrayView2<f32>,
        opts: &RunOptions,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<RunResult, SimError> {
        let inp = &self.plans[self.input];
        if data.ncols() != inp.out_len {
            return Err(SimError::InputSize {
                node: inp.name.clone(),
                shape: self.input_shape.clone(),
                expected: inp.out_len,
                got: data.ncols(),
            });
        }
        if opts.timesteps == 0 {
            return Err(SimError::Options("timesteps must be at least 1".into()));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(SimError::Options(format!(
                "input value #{i} is not finite ({})",
                data.iter().nth(i).copied().unwrap_or(f32::NAN)
            )));
        }
        opts.encoding
            .validate()
            .map_err(|e| SimError::Options(format!("encoding: {e}")))?;
        let data = data.as_standard_layout();
        let x = data.as_slice().expect("standard layout");
        self.run_source(
            Source::Encoded {
                x,
                encoding: opts.encoding,
                seed: opts.seed,
            },
            data.nrows(),
            opts.timesteps,
            progress,
        )
    }

    /// Simulate samples given as explicit input sequences `[samples, timesteps, input_len]`
    /// (e.g. recorded spike trains): step `t` of sample `s` receives `data[s, t, ..]`.
    pub fn run_sequence(
        &self,
        data: ArrayView3<f32>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<RunResult, SimError> {
        let inp = &self.plans[self.input];
        let (n, timesteps, len) = data.dim();
        if len != inp.out_len {
            return Err(SimError::InputSize {
                node: inp.name.clone(),
                shape: self.input_shape.clone(),
                expected: inp.out_len,
                got: len,
            });
        }
        if timesteps == 0 {
            return Err(SimError::Options("timesteps must be at least 1".into()));
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(SimError::Options(
                "input sequence holds a non-finite value".into(),
            ));
        }
        let data = data.as_standard_layout();
        let x = data.as_slice().expect("standard layout");
        let binary = x.iter().all(|&v| v == 0.0 || v == 1.0);
        self.run_source(Source::Sequence { x, binary }, n, timesteps, progress)
    }

    fn run_source(
        &self,
        src: Source,
        n: usize,
        timesteps: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<RunResult, SimError> {
        let (constant, binary) = match src {
            Source::Encoded { encoding, .. } => {
                self.flags(encoding.is_constant(), encoding.is_binary())
            }
            Source::Sequence { binary, .. } => self.flags(false, binary),
        };
        let readout = if binary[self.output] {
            Readout::SpikeCounts
        } else {
            Readout::FinalValue
        };
        let plan = RunPlan {
            constant,
            readout,
            timesteps,
        };
        let n_in = self.input_len();
        let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
        let chunks: Vec<Option<ChunkOut>> = starts
            .par_iter()
            .map_init(
                || Work::new(self, CHUNK),
                |work, &s| {
                    if crate::cancel::requested() {
                        return None;
                    }
                    let rows = CHUNK.min(n - s);
                    let out =
                        self.run_chunk(work, src.chunk(s, rows, n_in, timesteps), s, rows, &plan);
                    progress(rows);
                    Some(out)
                },
            )
            .collect();
        let chunks: Vec<ChunkOut> = chunks
            .into_iter()
            .collect::<Option<_>>()
            .ok_or(SimError::Interrupted(crate::cancel::Interrupted))?;
        let classes = self.output_len();
        let mut outputs = Array2::zeros((n, classes));
        let mut spikes = vec![0u64; self.plans.len()];
        let mut events = vec![0u64; self.plans.len()];
        let mut workload = self.dense_workload(n, timesteps);
        for (c, &s) in chunks.iter().zip(&starts) {
            workload.macs += c.macs;
            workload.acs += c.acs;
            workload.active += c.active;
            let rows = c.readout.len() / classes.max(1);
            outputs
                .slice_mut(ndarray::s![s..s + rows, ..])
                .assign(&ArrayView2::from_shape((rows, classes), &c.readout).expect("shape"));
            for k in 0..self.plans.len() {
                spikes[k] += c.spikes[k];
                events[k] += c.events[k];
            }
        }
        let predictions = outputs
            .rows()
            .into_iter()
            .map(|r| {
                let mut best = 0;
                for (j, &v) in r.iter().enumerate() {
                    if v > r[best] {
                        best = j;
                    }
                }
                best
            })
            .collect();
        let layers = self
            .order
            .iter()
            .filter(|&&i| {
                matches!(
                    self.plans[i].op,
                    Op::Synaptic(_) | Op::Neuron(_) | Op::Fixed(_)
                )
            })
            .map(|&i| {
                let p = &self.plans[i];
                LayerActivity {
                    name: p.name.clone(),
                    kind: p.kind.to_string(),
                    size: p.out_len,
                    spikes: spikes[i],
                    rate: spikes[i] as f64
                        / (p.out_len as f64 * timesteps as f64 * n.max(1) as f64),
                    synaptic_events: events[i],
                }
            })
            .collect();
        Ok(RunResult {
            readout,
            outputs,
            predictions,
            layers,
            timesteps,
            workload,
        })
    }

    /// The workload counts that follow from the shapes alone: samples, dense operations and
    /// spiking-population outputs of `n` samples × `timesteps` steps.
    fn dense_workload(&self, n: usize, timesteps: usize) -> WorkloadCounts {
        let evals = (n * timesteps) as u64;
        let mut w = WorkloadCounts {
            samples: n as u64,
            ..Default::default()
        };
        for p in &self.plans {
            if let Some(t) = &p.table {
                w.dense += t.dense * evals;
            }
            let spiking = match &p.op {
                Op::Neuron(pop) => pop.spiking(),
                Op::Fixed(_) => true,
                _ => false,
            };
            if spiking {
                w.activations += p.out_len as u64 * evals;
            }
        }
        w
    }

    fn run_chunk(
        &self,
        w: &mut Work,
        src: Source,
        first: usize,
        rows: usize,
        plan: &RunPlan,
    ) -> ChunkOut {
        w.reset();
        let classes = self.output_len();
        let mut readout = vec![0.0f32; rows * classes];
        let mut spikes = vec![0u64; self.plans.len()];
        let mut events = vec![0u64; self.plans.len()];
        let (mut macs, mut acs, mut active) = (0u64, 0u64, 0u64);
        // Per-sample streams for random encoders.
        if let Source::Encoded { seed, .. } = src {
            for r in 0..rows {
                w.rngs[r] = crate::rng::stream(seed, &[(first + r) as u64]);
            }
        }
        // A cycle-closing edge carries its source's previous-step output; before the first
        // step that is the source evaluated on the zero initial state: a synaptic layer gives
        // its bias there (snnTorch's RLeaky adds `recurrent(0) = bias` at step 0).
        for &i in &self.back_sources {
            if let Op::Synaptic(op) = &self.plans[i].op {
                let p = &self.plans[i];
                let zeros = vec![0.0f32; rows * p.in_len];
                let batch = Batch {
                    rows,
                    first_sample: first,
                    step: 0,
                };
                op.forward(&zeros, batch, &mut w.out[i][..rows * p.out_len]);
            }
        }
        let counting = plan.readout == Readout::SpikeCounts;
        let timesteps = plan.timesteps;
        for t in 0..timesteps {
            for &i in &self.order {
                let p = &self.plans[i];
                if plan.constant[i] && t > 0 {
                    if let Op::Synaptic(op) = &p.op {
                        events[i] += w.const_events[i];
                        macs += w.const_ops[i].0;
                        acs += w.const_ops[i].1;
                        let _ = op;
                    }
                    continue;
                }
                let mut out = std::mem::take(&mut w.out[i]);
                let mut scratch = std::mem::take(&mut w.scratch[i]);
                let input: &[f32] = match p.preds.as_slice() {
                    [] => &[],
                    [only] if *only != i => &w.out[*only][..rows * p.in_len],
                    preds => {
                        let s = &mut scratch[..rows * p.in_len];
                        s.fill(0.0);
                        for &q in preds {
                            let src: &[f32] = if q == i { &out } else { &w.out[q] };
                            for (a, b) in s.iter_mut().zip(src) {
                                *a += *b;
                            }
                        }
                        s
                    }
                };
                let n_in = p.in_len;
                let n_out = p.out_len;
                match &p.op {
                    Op::Input => match src {
                        Source::Encoded { x, encoding, .. } => {
                            for r in 0..rows {
                                encoding.encode_step(
                                    &x[r * n_out..(r + 1) * n_out],
                                    t,
                                    timesteps,
                                    self.disc.dt,
                                    &mut w.rngs[r],
                                    &mut out[r * n_out..(r + 1) * n_out],
                                );
                            }
                        }
                        Source::Sequence { x, .. } => {
                            for r in 0..rows {
                                let at = (r * timesteps + t) * n_out;
                                out[r * n_out..(r + 1) * n_out].copy_from_slice(&x[at..at + n_out]);
                            }
                        }
                    },
                    Op::Copy => out[..rows * n_out].copy_from_slice(input),
                    Op::Synaptic(op) => {
                        // A spiking population already counted its non-zero outputs.
                        let nnz = match p.preds.as_slice() {
                            [q] if w.nnz[*q] != usize::MAX => w.nnz[*q],
                            _ => input.iter().map(|&v| (v != 0.0) as u32).sum::<u32>() as usize,
                        };
                        let ev = (nnz as f64 * op.fan_out()).round() as u64;
                        events[i] += ev;
                        w.const_events[i] = ev;
                        let ops = self.effective_ops(p, input, rows, &w.nnz);
                        macs += ops.0;
                        acs += ops.1;
                        w.const_ops[i] = ops;
                        let batch = Batch {
                            rows,
                            first_sample: first,
                            step: t,
                        };
                        // Event-driven (gather the active rows, accumulate them) when that is
                        // cheaper than a GEMM. Cost model in cycles per sample, measured on
                        // x86-64 (conservative): gather ≈ 2·in, accumulate ≈ nnz·out/4 (SSE), GEMM
                        // ≈ in·out/16 (AVX2 FMA). Sparse spikes into a wide layer go event-driven;
                        // a dense image, or 20 % spikes into a 10-wide readout, go through the GEMM
                        // (measured 1.6× faster there than the event path).
                        let (rin, rout) = (rows * n_in, n_out);
                        let sparse = 32 * rin + 4 * nnz * rout < rin * rout;
                        // The input repeats when every source is constant (forward edges only).
                        let repeat = t > 0 && p.preds.iter().all(|&q| q < i && plan.constant[q]);
                        let sl = op.state_len();
                        op.forward_step(
                            input,
                            batch,
                            &mut w.state[i][..rows * sl],
                            repeat,
                            sparse,
                            &mut out[..rows * n_out],
                        );
                    }
                    Op::Neuron(pop) => {
                        let sl = pop.state_len();
                        let mut c = 0u64;
                        for r in 0..rows {
                            c += pop.step(
                                &input[r * n_in..(r + 1) * n_in],
                                &mut w.state[i][r * sl..(r + 1) * sl],
                                &mut out[r * n_out..(r + 1) * n_out],
                            ) as u64;
                        }
                        spikes[i] += c;
                        w.nnz[i] = if pop.multi_spike() {
                            // Counts: the synaptic layer sees each active input once.
                            out[..rows * n_out].iter().filter(|&&v| v != 0.0).count()
                        } else if pop.spiking() {
                            c as usize
                        } else {
                            usize::MAX
                        };
                        if pop.spiking() {
                            active += w.nnz[i] as u64;
                        }
                    }
                    Op::Fixed(pop) => {
                        let sl = pop.state_len();
                        let mut c = 0u64;
                        for r in 0..rows {
                            c += pop.step(
                                &input[r * n_in..(r + 1) * n_in],
                                &mut w.state[i][r * sl..(r + 1) * sl],
                                &mut out[r * n_out..(r + 1) * n_out],
                            ) as u64;
                        }
                        spikes[i] += c;
                        w.nnz[i] = c as usize;
                        active += c;
                    }
                    Op::Pool(pool) => {
                        for r in 0..rows {
                            pool.forward_one(
                                &input[r * n_in..(r + 1) * n_in],
                                &mut out[r * n_out..(r + 1) * n_out],
                            );
                        }
                    }
                    Op::Scale(s) => {
                        for r in 0..rows {
                            for ((o, &v), &k) in out[r * n_out..(r + 1) * n_out]
                                .iter_mut()
                                .zip(&input[r * n_in..(r + 1) * n_in])
                                .zip(s)
                            {
                                *o = v * k;
                            }
                        }
                    }
                    Op::Threshold(th) => {
                        for r in 0..rows {
                            for ((o, &v), &k) in out[r * n_out..(r + 1) * n_out]
                                .iter_mut()
                                .zip(&input[r * n_in..(r + 1) * n_in])
                                .zip(th)
                            {
                                *o = (v > k) as u8 as f32;
                            }
                        }
                    }
                }
                w.out[i] = out;
                w.scratch[i] = scratch;
            }
            let o = &w.out[self.output][..rows * classes];
            if counting {
                for (a, b) in readout.iter_mut().zip(o) {
                    *a += *b;
                }
            } else if t + 1 == timesteps {
                readout.copy_from_slice(o);
            }
        }
        ChunkOut {
            readout,
            spikes,
            events,
            macs,
            acs,
            active,
        }
    }

    /// Effective synaptic operations (MACs, ACs) of plan `p` on `input` (`[rows, in_len]`).
    /// Fed by one 0/1 spiking population, every row is binary and, when each input drives the
    /// same number of non-zero weights, the population's spike count gives the sum.
    fn effective_ops(&self, p: &Plan, input: &[f32], rows: usize, nnz: &[usize]) -> (u64, u64) {
        let Some(t) = &p.table else {
            return (0, 0);
        };
        if let [q] = p.preds.as_slice() {
            let spikes01 = match &self.plans[*q].op {
                Op::Neuron(pop) => pop.spiking() && !pop.multi_spike(),
                Op::Fixed(_) => true,
                _ => false,
            };
            if spikes01 {
                return match (t.uniform, nnz[*q]) {
                    (Some(u), k) if k != usize::MAX => (0, u as u64 * k as u64),
                    _ => {
                        let per = t.per_input.iter().cycle();
                        let ops = input
                            .iter()
                            .zip(per)
                            .filter(|(v, _)| **v != 0.0)
                            .map(|(_, &n)| n as u64)
                            .sum();
                        (0, ops)
                    }
                };
            }
        }
        let (mut m, mut a) = (0u64, 0u64);
        for r in 0..rows {
            let (ops, binary) = t.count(&input[r * p.in_len..(r + 1) * p.in_len]);
            if binary {
                a += ops;
            } else {
                m += ops;
            }
        }
        (m, a)
    }
}

/// `kind` with its weights quantised by [`crate::neuron::quantise_weights`] at activation scale `g`.
fn quantised_kind(kind: &NodeKind, g: f64) -> NodeKind {
    let mut k = kind.clone();
    match &mut k {
        NodeKind::Affine { weight, .. } | NodeKind::Linear { weight } => {
            let mut v: Vec<f32> = weight.iter().copied().collect();
            crate::neuron::quantise_weights(&mut v, g);
            weight.iter_mut().zip(v).for_each(|(a, b)| *a = b);
        }
        NodeKind::Conv2d { weight, .. } => {
            let mut v: Vec<f32> = weight.iter().copied().collect();
            crate::neuron::quantise_weights(&mut v, g);
            weight.iter_mut().zip(v).for_each(|(a, b)| *a = b);
        }
        _ => {}
    }
    k
}

/// Buffers of one chunk, allocated once per worker and reused for every step and chunk.
struct Work {
    out: Vec<Vec<f32>>,
    scratch: Vec<Vec<f32>>,
    state: Vec<Vec<f32>>,
    const_events: Vec<u64>,
    /// (MACs, ACs) of each synaptic node at its last evaluation (reused for a constant input).
    const_ops: Vec<(u64, u64)>,
    /// Non-zero outputs of each node at its last evaluation, when known (else `usize::MAX`).
    nnz: Vec<usize>,
    rngs: Vec<crate::rng::Rng>,
}

impl Work {
    fn new(e: &Engine, rows: usize) -> Work {
        let out = e
            .plans
            .iter()
            .map(|p| vec![0.0; rows * p.out_len])
            .collect();
        let scratch = e
            .plans
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let needs = p.preds.len() > 1 || p.preds.contains(&i);
                vec![0.0; if needs { rows * p.in_len } else { 0 }]
            })
            .collect();
        let state = e
            .plans
            .iter()
            .map(|p| match &p.op {
                Op::Neuron(pop) => vec![0.0; rows * pop.state_len()],
                Op::Fixed(pop) => vec![0.0; rows * pop.state_len()],
                Op::Synaptic(op) => vec![0.0; rows * op.state_len()],
                _ => vec![],
            })
            .collect();
        Work {
            out,
            scratch,
            state,
            const_events: vec![0; e.plans.len()],
            const_ops: vec![(0, 0); e.plans.len()],
            nnz: vec![usize::MAX; e.plans.len()],
            rngs: (0..rows).map(|_| crate::rng::stream(0, &[])).collect(),
        }
    }

    fn reset(&mut self) {
        for v in self.out.iter_mut().chain(self.state.iter_mut()) {
            v.fill(0.0);
        }
        self.nnz.fill(usize::MAX);
    }
}

struct ChunkOut {
    readout: Vec<f32>,
    spikes: Vec<u64>,
    events: Vec<u64>,
    macs: u64,
    acs: u64,
    active: u64,
}

/// Where a run's input comes from (whole data set, or one chunk of it).
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Static samples `[n, len]` through an encoder.
    Encoded {
        x: &'a [f32],
        encoding: Encoding,
        seed: u64,
    },
    /// Explicit sequences `[n, T, len]`.
    Sequence { x: &'a [f32], binary: bool },
}

impl<'a> Source<'a> {
    fn chunk(self, start: usize, rows: usize, len: usize, timesteps: usize) -> Source<'a> {
        match self {
            Source::Encoded { x, encoding, seed } => Source::Encoded {
                x: &x[start * len..(start + rows) * len],
                encoding,
                seed,
            },
            Source::Sequence { x, binary } => Source::Sequence {
                x: &x[start * timesteps * len..(start + rows) * timesteps * len],
                binary,
            },
        }
    }
}

/// Per-run facts shared by all chunks.
struct RunPlan {
    constant: Vec<bool>,
    readout: Readout,
    timesteps: usize,
}
