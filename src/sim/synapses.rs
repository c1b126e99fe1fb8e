//! The chip-mode synaptic operator: one mapped layer computed by its tiles' crossbars.
//!
//! [`ChipSynapses`] implements [`SynapticOp`] for one [`LayerMapping`]. Each tile holds the
//! *effective read model* of its programmed [`Crossbar`] at one time point: the conductances
//! after levels, programming noise, faults, drift and 1/f noise (through the exact IR-drop
//! transfer matrix of [`CrossbarCircuit`] when the wires have resistance), divided by the
//! mapping scale so that a unit input gives a column "current" in weight units. A read of a
//! tile for one sample and step:
//!
//! 1. gathers the tile's inputs, clipped to ±x_max and through the DAC (when there is one); a
//!    whole number above x_max is a spike count `n` of a multi-spike population (Sinabs,
//!    Rockpool semantics): `n` unit read pulses, so the mean is `n·w`, the per-read noise
//!    variance `n·σ²`, and the tile counts `n` reads;
//! 2. accumulates the non-zero inputs' rows (event-driven: spikes cost their fan-out only);
//! 3. adds per-read noise, one Gaussian per physical column with variance Σᵢ xᵢ²σᵢⱼ² (exact for
//!    independent Gaussian per-device noise), drawn from the stream
//!    `rng::stream(seed, [trial, time, layer, tile, sample, step])`, independent of threads;
//! 4. digitises every physical column with the core's ADC, applies the drift-compensation gain,
//!    takes the differential (or offset) difference, and scatter-adds the partial sums into the
//!    outputs' home neurons, where the bias is added digitally.
//!
//! Without ADC and per-read noise the physical columns are folded into one logical weight per
//! (input, output) once, which halves the work. A constant input (direct encoding) is read once
//! per sample; later steps reuse the noise-free currents (adding fresh noise) or the outputs.
//! A delivery latency of `d` steps makes the layer see its input of `d` steps before (zero
//! before that). Event counts (reads, synaptic ops, ADC conversions, packets, hops) go to
//! [`LayerCounters`].

use crate::chip::{LayerMapping, Mapping, SharedConv};
use crate::crossbar::{
    ArrayError, CircuitParams, Crossbar, CrossbarCircuit, MappingKind, ReadConfig,
};
use crate::device::statistics::PerReadNoise;
use crate::sim::{Batch, SynapticOp};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use std::sync::atomic::{AtomicU64, Ordering};

/// Event counters of one layer, shared by the worker threads (integer sums, so the totals do
/// not depend on the thread count).
#[derive(Debug, Default)]
pub struct LayerCounters {
    /// Crossbar reads (tile × sample × step with a non-zero input).
    pub reads: AtomicU64,
    /// Synaptic events: Σ over reads of non-zero inputs × tile outputs.
    pub synaptic_ops: AtomicU64,
    /// ADC conversions: Σ over reads of physical columns.
    pub adc_conversions: AtomicU64,
    /// Packets: spikes sent to tiles on other cores, partial sums sent to other home cores.
    pub packets: AtomicU64,
    /// Σ over packets of their mesh hops.
    pub hops: AtomicU64,
}

impl LayerCounters {
    fn add(&self, c: &[u64; 5]) {
        self.reads.fetch_add(c[0], Ordering::Relaxed);
        self.synaptic_ops.fetch_add(c[1], Ordering::Relaxed);
        self.adc_conversions.fetch_add(c[2], Ordering::Relaxed);
        self.packets.fetch_add(c[3], Ordering::Relaxed);
        self.hops.fetch_add(c[4], Ordering::Relaxed);
    }

    /// The current totals `[reads, synaptic ops, ADC conversions, packets, hops]`.
    pub fn totals(&self) -> [u64; 5] {
        [
            self.reads.load(Ordering::Relaxed),
            self.synaptic_ops.load(Ordering::Relaxed),
            self.adc_conversions.load(Ordering::Relaxed),
            self.packets.load(Ordering::Relaxed),
            self.hops.load(Ordering::Relaxed),
        ]
    }
}

/// The read path of every tile of a layer (from the chip and the run's switches).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPath {
    /// DAC/ADC, read voltage and input range.
    pub read: ReadConfig,
    /// Wire resistances for IR drop; `None` = ideal wires.
    pub circuit: Option<CircuitParams>,
    /// Per-read noise of the devices (`PerReadNoise::None` = noise-free reads).
    pub per_read: PerReadNoise,
}

/// One tile's read model at one time point (weight units, see the module docs).
#[derive(Debug, Clone)]
struct TileOp {
    inputs: Vec<u32>,
    /// The first input when the inputs are consecutive (a plain slice of the layer input).
    first: Option<usize>,
    outputs: Vec<u32>,
    /// `[rows, width]`: logical weights (folded) or per-physical-column unit currents.
    m: Vec<f32>,
    /// `[rows, pcols]` per-read variance per unit input² (proportional noise); else empty.
    s2: Vec<f32>,
    /// Per-read variance per unit ‖x‖² (constant noise); 0 otherwise.
    c2: f32,
    gain: Vec<f32>,
    kind: MappingKind,
    pcols: usize,
    width: usize,
    adc_fs: f32,
    psum_packets: u64,
    psum_hops: u64,
    /// Shared (weight-stationary) convolution: per row, `(input channel offset c·H·W,
    /// ky·dh − ph, kx·dw − pw)`; empty otherwise.
    krow: Vec<(usize, isize, isize)>,
    /// Shared convolution: `(packets, hops)` of the partial sums of one read per position.
    psum_at: Vec<(u32, u32)>,
}

/// The read model of one tile at one time point, ready to be assembled into its layer's
/// operator ([`ChipSynapses::from_tiles`]); the crossbar itself is no longer needed.
#[derive(Debug, Clone)]
pub struct TileModel(TileOp);

/// The crossbar-backed operator of one mapped layer (see the module docs).
#[derive(Debug)]
pub struct ChipSynapses {
    in_len: usize,
    out_len: usize,
    bias: Vec<f32>,
    tiles: Vec<TileOp>,
    folded: bool,
    noisy: bool,
    adc_levels: Option<f32>,
    dac_levels: Option<f32>,
    x_max: f32,
    delay: usize,
    seed: u64,
    coords: [u64; 3],
    in_packets: Vec<u32>,
    in_hops: Vec<u32>,
    fan_out: f64,
    cache_len: usize,
    counters: LayerCounters,
    /// `Some` for a weight-stationary convolution (tiles read once per output position).
    shared: Option<SharedConv>,
}

/// Manhattan distance between two mesh positions (XY dimension-order routing).
fn mesh_hops(a: (u32, u32), b: (u32, u32)) -> u64 {
    u64::from(a.0.abs_diff(b.0)) + u64::from(a.1.abs_diff(b.1))
}

/// Steps per sign of a signed converter with `bits` bits.
fn steps(bits: u32) -> f32 {
    ((1u32 << (bits - 1)) - 1) as f32
}

#[inline]
fn quantise(x: f32, full: f32, levels: f32) -> f32 {
    (x / full * levels).round().clamp(-levels, levels) * full / levels
}

impl ChipSynapses {
    /// Build the operator of mapping layer `li` from its tiles' crossbars (one per tile, at the
    /// time point to emulate, with compensation selected).
    ///
    /// `source_home[e]` is the core hosting the neuron that feeds input element `e` (`None` for
    /// a layer fed by the chip's input: no spike packets). `delay` is the delivery latency in
    /// steps; `seed` and `coords = [trial, time index, layer]` root the per-read noise streams.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        mapping: &Mapping,
        li: usize,
        crossbars: &[Crossbar],
        path: &ReadPath,
        source_home: Option<&[u32]>,
        delay: usize,
        seed: u64,
        coords: [u64; 3],
    ) -> Result<Self, ArrayError> {
        let layer: &LayerMapping = &mapping.layers[li];
        if crossbars.len() != layer.tiles.len() {
            return Err(ArrayError::Shape(format!(
                "layer `{}` has {} tiles but {} crossbars",
                layer.name,
                layer.tiles.len(),
                crossbars.len()
            )));
        }
        let tiles = crossbars
            .iter()
            .enumerate()
            .map(|(k, xb)| Self::tile(mapping, li, k, xb, path))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_tiles(mapping, li, tiles, path, source_home, delay, seed, coords)
    }

    /// The read model of tile `k` of mapping layer `li` from its programmed crossbar (at the
    /// time point to emulate, compensation selected); see [`ChipSynapses::from_tiles`].
    pub fn tile(
        mapping: &Mapping,
        li: usize,
        k: usize,
        xb: &Crossbar,
        path: &ReadPath,
    ) -> Result<TileModel, ArrayError> {
        let layer: &LayerMapping = &mapping.layers[li];
        let tile = &layer.tiles[k];
        let pos = |core: usize| mapping.cores[core].position;
        let read = &path.read;
        let folded_all = read.adc.is_none();
        let map = xb.map();
        let (rows, pcols) = (xb.rows(), xb.cols());
        if rows != tile.inputs.len() || map.outputs != tile.outputs.len() {
            return Err(ArrayError::Shape(format!(
                "layer `{}`: a {rows}-row, {}-output crossbar for a tile of {} inputs and {} outputs",
                layer.name,
                map.outputs,
                tile.inputs.len(),
                tile.outputs.len()
            )));
        }
        let g = xb.conductances();
        // Effective unit-input currents [rows, pcols] in siemens (through the wires).
        let geff = match &path.circuit {
            Some(params) => {
                let c = CrossbarCircuit::new(g.view(), params)
                    .map_err(|e| ArrayError::Shape(format!("IR drop: {e}")))?;
                c.transfer().t().to_owned()
            }
            None => g.clone(),
        };
        let inv = 1.0 / map.scale;
        let (s2, c2) = match &path.per_read {
            PerReadNoise::Proportional { frac } if *frac > 0.0 => (
                g.iter()
                    .map(|&gi| ((frac * gi * inv).powi(2)) as f32)
                    .collect(),
                0.0,
            ),
            PerReadNoise::Constant { sigma } if *sigma > 0.0 => {
                (Vec::new(), ((sigma * inv).powi(2)) as f32)
            }
            _ => (Vec::new(), 0.0),
        };
        let gain = xb.gains().to_vec();
        let outs = map.outputs;
        let folded = folded_all && path.per_read == PerReadNoise::None;
        let (m, width) = if folded {
            let mut m = vec![0.0f32; rows * outs];
            for i in 0..rows {
                for j in 0..outs {
                    let (a, b) = match map.kind {
                        MappingKind::Differential => (2 * j, 2 * j + 1),
                        MappingKind::Offset => (j, outs),
                    };
                    let d = f64::from(gain[a]) * geff[[i, a]] - f64::from(gain[b]) * geff[[i, b]];
                    m[i * outs + j] = (d * inv) as f32;
                }
            }
            (m, outs)
        } else {
            (geff.iter().map(|&x| (x * inv) as f32).collect(), pcols)
        };
        let mut psum_packets = 0;
        let mut psum_hops = 0;
        let (mut krow, mut psum_at) = (Vec::new(), Vec::new());
        match &layer.shared {
            None => {
                let home = |j: usize| layer.home_core[tile.outputs[j] as usize] as usize;
                for j in 0..outs {
                    if home(j) != tile.core {
                        psum_packets += 1;
                        psum_hops += mesh_hops(pos(tile.core), pos(home(j)));
                    }
                }
            }
            Some(sc) => {
                let [_, h, w] = sc.input;
                krow = tile
                    .inputs
                    .iter()
                    .map(|&r| {
                        let (c, ky, kx) = sc.row(r);
                        (
                            c * h * w,
                            (ky * sc.dilation[0]) as isize - sc.padding[0] as isize,
                            (kx * sc.dilation[1]) as isize - sc.padding[1] as isize,
                        )
                    })
                    .collect();
                let np = sc.positions();
                psum_at = (0..np)
                    .map(|q| {
                        let (mut n, mut hp) = (0u32, 0u32);
                        for &oc in &tile.outputs {
                            let home = layer.home_core[oc as usize * np + q] as usize;
                            if home != tile.core {
                                n += 1;
                                hp += mesh_hops(pos(tile.core), pos(home)) as u32;
                            }
                        }
                        (n, hp)
                    })
                    .collect();
            }
        }
        let v_per_unit = read.v_read / read.x_max;
        let consecutive = tile.inputs.windows(2).all(|w| w[1] == w[0] + 1);
        let consecutive = consecutive && layer.shared.is_none();
        Ok(TileModel(TileOp {
            krow,
            psum_at,
            first: (consecutive && !tile.inputs.is_empty()).then(|| tile.inputs[0] as usize),
            inputs: tile.inputs.clone(),
            outputs: tile.outputs.clone(),
            m,
            s2,
            c2,
            gain,
            kind: map.kind,
            pcols,
            width,
            adc_fs: (xb.adc_full_scale() / (map.scale * v_per_unit)) as f32,
            psum_packets,
            psum_hops,
        }))
    }

    /// Assemble the operator of mapping layer `li` from the read models of its tiles (in
    /// tile order, see [`ChipSynapses::tile`]), with the other arguments of
    /// [`ChipSynapses::new`].
    #[allow(clippy::too_many_arguments)]
    pub fn from_tiles(
        mapping: &Mapping,
        li: usize,
        tiles: Vec<TileModel>,
        path: &ReadPath,
        source_home: Option<&[u32]>,
        delay: usize,
        seed: u64,
        coords: [u64; 3],
    ) -> Result<Self, ArrayError> {
        let layer: &LayerMapping = &mapping.layers[li];
        if tiles.len() != layer.tiles.len() {
            return Err(ArrayError::Shape(format!(
                "layer `{}` has {} tiles but {} read models",
                layer.name,
                layer.tiles.len(),
                tiles.len()
            )));
        }
        let pos = |core: usize| mapping.cores[core].position;
        let read = &path.read;
        let adc_levels = read.adc.map(|a| steps(a.bits));
        let dac_levels = read.dac.map(|d| steps(d.bits));
        let folded_all = read.adc.is_none();
        let tiles: Vec<TileOp> = tiles.into_iter().map(|t| t.0).collect();
        let noisy = tiles.iter().any(|t| !t.s2.is_empty() || t.c2 > 0.0);
        let folded = folded_all && path.per_read == PerReadNoise::None;
        // Spike packets: one per (input element, distinct destination core off the source core).
        let (mut in_packets, mut in_hops) = (Vec::new(), Vec::new());
        if let Some(src) = source_home {
            in_packets = vec![0u32; layer.in_len];
            in_hops = vec![0u32; layer.in_len];
            let mut dests: Vec<Vec<usize>> = vec![Vec::new(); layer.in_len];
            for t in &layer.tiles {
                for &e in layer.tile_elements(t).iter() {
                    let d = &mut dests[e as usize];
                    if !d.contains(&t.core) {
                        d.push(t.core);
                    }
                }
            }
            for (e, d) in dests.iter().enumerate() {
                let s = src.get(e).copied().unwrap_or(0) as usize;
                for &c in d {
                    if c != s && s < mapping.cores.len() {
                        in_packets[e] += 1;
                        in_hops[e] += mesh_hops(pos(s), pos(c)) as u32;
                    }
                }
            }
        }
        let reads = layer.reads_per_step();
        let synapses: usize = layer
            .tiles
            .iter()
            .map(|t| t.inputs.len() * t.outputs.len() * reads)
            .sum();
        // A noisy shared convolution caches its currents only when fed by the chip's input
        // (the only input that repeats); deeper ones recompute.
        let cache_len = match (noisy, &layer.shared) {
            (false, _) => layer.out_len,
            (true, None) => tiles.iter().map(|t| 2 * t.pcols).sum(),
            (true, Some(_)) if source_home.is_none() => {
                tiles.iter().map(|t| 2 * t.pcols * reads).sum()
            }
            (true, Some(_)) => 0,
        };
        Ok(ChipSynapses {
            in_len: layer.in_len,
            out_len: layer.out_len,
            bias: layer.bias.clone(),
            tiles,
            folded,
            noisy,
            adc_levels,
            dac_levels,
            x_max: read.x_max as f32,
            delay,
            seed,
            coords,
            in_packets,
            in_hops,
            fan_out: synapses as f64 / layer.in_len.max(1) as f64,
            cache_len,
            counters: LayerCounters::default(),
            shared: layer.shared.clone(),
        })
    }

    /// The layer's event counters so far.
    pub fn counters(&self) -> &LayerCounters {
        &self.counters
    }

    /// Gather tile `t`'s inputs from `x` into `xv` (clipped, through the DAC); returns the
    /// non-zero inputs, the per-read noise variance factor and the read pulses (the largest
    /// spike count of a multi-spike input, else 1), in one pass.
    fn gather(&self, t: &TileOp, x: &[f32], xv: &mut Vec<f32>) -> (usize, f32, u64) {
        xv.clear();
        match t.first {
            Some(a) => xv.extend_from_slice(&x[a..a + t.inputs.len()]),
            None => xv.extend(t.inputs.iter().map(|&e| x[e as usize])),
        }
        let m = self.x_max;
        let mut nnz = 0usize;
        let mut pulses = 1u64;
        for v in xv.iter_mut() {
            // A whole number above x_max is a spike count of a multi-spike population: `n`
            // unit pulses (n reads), neither clipped nor through the DAC.
            if is_count(*v, m) {
                pulses = pulses.max(v.abs() as u64);
            } else {
                *v = v.clamp(-m, m);
                if let Some(n) = self.dac_levels {
                    *v = quantise(*v, m, n);
                }
            }
            nnz += usize::from(*v != 0.0);
        }
        let sq = if t.c2 > 0.0 {
            xv.iter().map(|&v| read_variance(v, m)).sum()
        } else {
            0.0
        };
        (nnz, sq, pulses)
    }

    /// Turn one tile's (noisy) physical column values into logical outputs added to `o`.
    fn finish(&self, t: &TileOp, cur: &mut [f32], o: &mut [f32]) {
        self.finish_at(t, cur, o, 1, 0)
    }

    /// [`finish`](Self::finish) adding output `j` to `o[outputs[j]·mul + add]` (a shared
    /// convolution's position `add` of `mul`).
    fn finish_at(&self, t: &TileOp, cur: &mut [f32], o: &mut [f32], mul: usize, add: usize) {
        if let Some(n) = self.adc_levels {
            // Symmetric uniform quantiser on n steps per sign over ±full scale (saturating).
            let (to, from) = (n / t.adc_fs, t.adc_fs / n);
            for c in cur.iter_mut() {
                *c = (*c * to).round().clamp(-n, n) * from;
            }
        }
        for (c, &g) in cur.iter_mut().zip(&t.gain) {
            *c *= g;
        }
        let outs = t.outputs.len();
        match t.kind {
            MappingKind::Differential => {
                for (j, &dst) in t.outputs.iter().enumerate() {
                    o[dst as usize * mul + add] += cur[2 * j] - cur[2 * j + 1];
                }
            }
            MappingKind::Offset => {
                let r = cur[outs];
                for (j, &dst) in t.outputs.iter().enumerate() {
                    o[dst as usize * mul + add] += cur[j] - r;
                }
            }
        }
    }

    /// Add one standard normal times `sd` to every column with `sd > 0`.
    fn noise(&self, rng: &mut impl Rng, sd: &[f32], cur: &mut [f32]) {
        for (c, &s) in cur.iter_mut().zip(sd) {
            if s > 0.0 {
                let n: f32 = rng.sample(StandardNormal);
                *c += s * n;
            }
        }
    }
}

/// Per-thread buffers of a shared convolution's reads: the input through the DAC, per-position
/// column sums and variances, and per-position active inputs, read pulses and Σ x².
#[derive(Default)]
struct SharedScratch {
    xq: Vec<f32>,
    acc: Vec<f32>,
    var: Vec<f32>,
    nnz: Vec<u32>,
    pulses: Vec<u32>,
    sq: Vec<f32>,
    cur: Vec<f32>,
    sd: Vec<f32>,
}

thread_local! {
    static SHARED: std::cell::RefCell<SharedScratch> = std::cell::RefCell::new(SharedScratch::default());
}

impl ChipSynapses {
    /// One step of a weight-stationary convolution for one sample: every tile is read once per
    /// output position with an active input (im2col, accumulated event by event over the
    /// active inputs of each kernel row), its columns noised, digitised and scattered to the
    /// position's outputs. With a cache (noisy layer fed by the chip's input, see `new`) the
    /// noise-free currents and variances of every (tile, position) are kept for the repeats;
    /// without noise the caller caches the outputs.
    #[allow(clippy::too_many_arguments)]
    fn read_shared(
        &self,
        sc: &SharedConv,
        xin: &[f32],
        o: &mut [f32],
        cache: &mut [f32],
        sample: u64,
        step: u64,
        c: &mut [u64; 5],
    ) {
        let [_, h, w] = sc.input;
        let [_, oh, ow] = sc.output;
        let [sh, sw] = sc.stride;
        let np = oh * ow;
        let m = self.x_max;
        let keep = self.noisy && !cache.is_empty();
        SHARED.with(|s| {
            let s = &mut *s.borrow_mut();
            // The input through clipping and the DAC, once for every tile and position.
            s.xq.clear();
            s.xq.extend(xin.iter().map(|&v| {
                if is_count(v, m) {
                    v
                } else {
                    let v = v.clamp(-m, m);
                    match self.dac_levels {
                        Some(n) => quantise(v, m, n),
                        None => v,
                    }
                }
            }));
            let mut at = 0;
            for (ti, t) in self.tiles.iter().enumerate() {
                let wd = t.width;
                s.acc.clear();
                s.acc.resize(np * wd, 0.0);
                s.nnz.clear();
                s.nnz.resize(np, 0);
                s.pulses.clear();
                s.pulses.resize(np, 1);
                let prop = self.noisy && !t.s2.is_empty();
                s.var.clear();
                if prop {
                    s.var.resize(np * wd, 0.0);
                }
                s.sq.clear();
                s.sq.resize(np, 0.0);
                let acc_in = SharedAcc {
                    krow: &t.krow,
                    m: &t.m,
                    s2: if prop { &t.s2 } else { &[] },
                    wd,
                    h,
                    w,
                    oh,
                    ow,
                    sh,
                    sw,
                    xq: &s.xq,
                    x_max: m,
                    noisy: self.noisy,
                };
                accumulate(
                    &acc_in,
                    &mut s.acc,
                    &mut s.var,
                    &mut s.nnz,
                    &mut s.pulses,
                    &mut s.sq,
                );
                let mut rng = self.noisy.then(|| {
                    crate::rng::stream(
                        self.seed,
                        &[
                            self.coords[0],
                            self.coords[1],
                            self.coords[2],
                            ti as u64,
                            sample,
                            step,
                        ],
                    )
                });
                for q in 0..np {
                    let n = s.nnz[q] as usize;
                    if n == 0 {
                        if keep {
                            cache[at..at + 2 * wd].fill(0.0);
                            at += 2 * wd;
                        }
                        continue;
                    }
                    c[0] += u64::from(s.pulses[q]);
                    c[1] += (n * t.outputs.len()) as u64;
                    if self.adc_levels.is_some() {
                        c[2] += t.pcols as u64;
                    }
                    c[3] += u64::from(t.psum_at[q].0);
                    c[4] += u64::from(t.psum_at[q].1);
                    let a = &s.acc[q * wd..(q + 1) * wd];
                    if self.folded {
                        for (j, &dst) in t.outputs.iter().enumerate() {
                            o[dst as usize * np + q] += a[j];
                        }
                        continue;
                    }
                    s.cur.clear();
                    s.cur.extend_from_slice(a);
                    if let Some(rng) = rng.as_mut() {
                        s.sd.clear();
                        if prop {
                            s.sd.extend(s.var[q * wd..(q + 1) * wd].iter().map(|v| v.sqrt()));
                        } else {
                            s.sd.resize(wd, (t.c2 * s.sq[q]).sqrt());
                        }
                        if keep {
                            cache[at..at + wd].copy_from_slice(&s.cur);
                            cache[at + wd..at + 2 * wd].copy_from_slice(&s.sd);
                            at += 2 * wd;
                        }
                        self.noise(rng, &s.sd, &mut s.cur);
                    }
                    let mut cur = std::mem::take(&mut s.cur);
                    self.finish_at(t, &mut cur, o, np, q);
                    s.cur = cur;
                }
            }
        });
    }

    /// A repeated step of a noisy shared convolution fed by the chip's input: the cached
    /// currents of every (tile, position) with fresh per-read noise.
    fn repeat_shared(
        &self,
        sc: &SharedConv,
        cache: &[f32],
        o: &mut [f32],
        cur: &mut Vec<f32>,
        sample: u64,
        step: u64,
    ) {
        let np = sc.positions();
        let mut at = 0;
        for (ti, t) in self.tiles.iter().enumerate() {
            let wd = t.width;
            let mut rng = crate::rng::stream(
                self.seed,
                &[
                    self.coords[0],
                    self.coords[1],
                    self.coords[2],
                    ti as u64,
                    sample,
                    step,
                ],
            );
            for q in 0..np {
                let (a, v) = (&cache[at..at + wd], &cache[at + wd..at + 2 * wd]);
                at += 2 * wd;
                if v.iter().all(|&v| v == 0.0) && a.iter().all(|&c| c == 0.0) {
                    continue;
                }
                cur.clear();
                cur.extend_from_slice(a);
                self.noise(&mut rng, v, cur);
                self.finish_at(t, cur, o, np, q);
            }
        }
    }
}

/// The inputs of one shared tile's accumulation over its kernel rows (see [`accumulate`]).
struct SharedAcc<'a> {
    krow: &'a [(usize, isize, isize)],
    m: &'a [f32],
    /// Per-read variance rows (proportional noise), or empty.
    s2: &'a [f32],
    wd: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    sh: usize,
    sw: usize,
    xq: &'a [f32],
    x_max: f32,
    noisy: bool,
}

/// For every kernel row and every output position where that row sees an active input, add
/// the row's currents (and variances) into the position's column sums: event-driven im2col.
/// Dispatched once per call to the widest vector unit the CPU has (AVX-512, AVX2, else the
/// baseline); the arithmetic (separate multiply and add, no fused multiply-add) and its order
/// are the same on every path, so the results are bit-identical whatever the CPU.
fn accumulate(
    p: &SharedAcc<'_>,
    acc: &mut [f32],
    var: &mut [f32],
    nnz: &mut [u32],
    pulses: &mut [u32],
    sq: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { accumulate_avx512(p, acc, var, nnz, pulses, sq) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { accumulate_avx2(p, acc, var, nnz, pulses, sq) };
        }
    }
    accumulate_body(p, acc, var, nnz, pulses, sq)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn accumulate_avx512(
    p: &SharedAcc<'_>,
    acc: &mut [f32],
    var: &mut [f32],
    nnz: &mut [u32],
    pulses: &mut [u32],
    sq: &mut [f32],
) {
    accumulate_body(p, acc, var, nnz, pulses, sq)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn accumulate_avx2(
    p: &SharedAcc<'_>,
    acc: &mut [f32],
    var: &mut [f32],
    nnz: &mut [u32],
    pulses: &mut [u32],
    sq: &mut [f32],
) {
    accumulate_body(p, acc, var, nnz, pulses, sq)
}

#[inline(always)]
fn accumulate_body(
    p: &SharedAcc<'_>,
    acc: &mut [f32],
    var: &mut [f32],
    nnz: &mut [u32],
    pulses: &mut [u32],
    sq: &mut [f32],
) {
    let wd = p.wd;
    let prop = !p.s2.is_empty();
    for (k, &(coff, dy, dx)) in p.krow.iter().enumerate() {
        let row = &p.m[k * wd..(k + 1) * wd];
        let row2 = if prop {
            &p.s2[k * wd..(k + 1) * wd]
        } else {
            &[][..]
        };
        for oy in 0..p.oh {
            let iy = (oy * p.sh) as isize + dy;
            if iy < 0 || iy as usize >= p.h {
                continue;
            }
            let base = coff + iy as usize * p.w;
            for ox in 0..p.ow {
                let ix = (ox * p.sw) as isize + dx;
                if ix < 0 || ix as usize >= p.w {
                    continue;
                }
                let v = p.xq[base + ix as usize];
                if v == 0.0 {
                    continue;
                }
                let q = oy * p.ow + ox;
                nnz[q] += 1;
                if is_count(v, p.x_max) {
                    pulses[q] = pulses[q].max(v.abs() as u32);
                }
                let a = &mut acc[q * wd..(q + 1) * wd];
                if v == 1.0 {
                    for (a, &b) in a.iter_mut().zip(row) {
                        *a += b;
                    }
                } else {
                    for (a, &b) in a.iter_mut().zip(row) {
                        *a += v * b;
                    }
                }
                if p.noisy {
                    let v2 = read_variance(v, p.x_max);
                    sq[q] += v2;
                    if prop {
                        let a = &mut var[q * wd..(q + 1) * wd];
                        for (a, &b) in a.iter_mut().zip(row2) {
                            *a += v2 * b;
                        }
                    }
                }
            }
        }
    }
}

/// True for an input that is a spike count above one pulse (a whole number above `x_max`).
fn is_count(v: f32, x_max: f32) -> bool {
    v.abs() > x_max && v.fract() == 0.0
}

/// The per-read noise variance factor of input `v`: `v²` for one pulse of amplitude `v`, `n`
/// for a count of `n` independent unit pulses.
fn read_variance(v: f32, x_max: f32) -> f32 {
    if is_count(v, x_max) { v.abs() } else { v * v }
}

/// Per-thread buffers of a read: delayed input, gathered tile input, currents, variances.
type Scratch = (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>);

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new(), Vec::new())) };
}

impl SynapticOp for ChipSynapses {
    fn in_len(&self) -> usize {
        self.in_len
    }

    fn out_len(&self) -> usize {
        self.out_len
    }

    fn fan_out(&self) -> f64 {
        self.fan_out
    }

    fn forward(&self, x: &[f32], batch: Batch, out: &mut [f32]) {
        let mut state = vec![0.0; batch.rows * self.state_len()];
        self.forward_step(x, batch, &mut state, false, false, out);
    }

    fn state_len(&self) -> usize {
        self.cache_len + 5 + self.delay * self.in_len
    }

    fn time_varying(&self) -> bool {
        true
    }

    fn forward_step(
        &self,
        x: &[f32],
        batch: Batch,
        state: &mut [f32],
        repeat: bool,
        _sparse: bool,
        out: &mut [f32],
    ) {
        let (n_in, n_out, sl) = (self.in_len, self.out_len, self.state_len());
        // A noisy shared convolution deeper than the first layer keeps no cache: it recomputes.
        let repeat = repeat && self.delay == 0 && !(self.noisy && self.cache_len == 0);
        let mut total = [0u64; 5];
        SCRATCH.with(|s| {
            let (xin, xv, cur, var) = &mut *s.borrow_mut();
            for r in 0..batch.rows {
                let st = &mut state[r * sl..(r + 1) * sl];
                let (cache, rest) = st.split_at_mut(self.cache_len);
                let (cnt, ring) = rest.split_at_mut(5);
                let o = &mut out[r * n_out..(r + 1) * n_out];
                let sample = (batch.first_sample + r) as u64;
                let step = batch.step as u64;
                if repeat {
                    for (k, c) in cnt.iter().enumerate() {
                        total[k] += *c as u64;
                    }
                    if !self.noisy {
                        o.copy_from_slice(cache);
                        continue;
                    }
                    o.copy_from_slice(&self.bias);
                    if let Some(sc) = &self.shared {
                        self.repeat_shared(sc, cache, o, cur, sample, step);
                        continue;
                    }
                    let mut at = 0;
                    for (ti, t) in self.tiles.iter().enumerate() {
                        let p = t.pcols;
                        cur.clear();
                        cur.extend_from_slice(&cache[at..at + p]);
                        let v = &cache[at + p..at + 2 * p];
                        at += 2 * p;
                        if v.iter().all(|&v| v == 0.0) && cur.iter().all(|&c| c == 0.0) {
                            continue;
                        }
                        let mut rng = crate::rng::stream(
                            self.seed,
                            &[
                                self.coords[0],
                                self.coords[1],
                                self.coords[2],
                                ti as u64,
                                sample,
                                step,
                            ],
                        );
                        self.noise(&mut rng, v, cur);
                        self.finish(t, cur, o);
                    }
                    continue;
                }
                // The input this step sees (delayed by `delay` steps through a ring buffer).
                xin.clear();
                let xs = &x[r * n_in..(r + 1) * n_in];
                if self.delay > 0 {
                    let slot = (batch.step % self.delay) * n_in;
                    xin.extend_from_slice(&ring[slot..slot + n_in]);
                    ring[slot..slot + n_in].copy_from_slice(xs);
                } else {
                    xin.extend_from_slice(xs);
                }
                let mut c = [0u64; 5];
                if !self.in_packets.is_empty() {
                    for (e, &v) in xin.iter().enumerate() {
                        if v != 0.0 {
                            c[3] += u64::from(self.in_packets[e]);
                            c[4] += u64::from(self.in_hops[e]);
                        }
                    }
                }
                o.copy_from_slice(&self.bias);
                if let Some(sc) = &self.shared {
                    self.read_shared(sc, xin, o, cache, sample, step, &mut c);
                    if !self.noisy {
                        cache.copy_from_slice(o);
                    }
                    for (k, v) in c.iter().enumerate() {
                        cnt[k] = *v as f32;
                        total[k] += v;
                    }
                    continue;
                }
                let mut at = 0;
                for (ti, t) in self.tiles.iter().enumerate() {
                    let (nnz, sq, pulses) = self.gather(t, xin, xv);
                    let w = t.width;
                    cur.clear();
                    cur.resize(w, 0.0);
                    if nnz > 0 {
                        // A count input of n is n read pulses of the tile.
                        c[0] += pulses;
                        c[1] += (nnz * t.outputs.len()) as u64;
                        if self.adc_levels.is_some() {
                            c[2] += t.pcols as u64;
                        }
                        c[3] += t.psum_packets;
                        c[4] += t.psum_hops;
                        for (k, &v) in xv.iter().enumerate() {
                            if v != 0.0 {
                                let row = &t.m[k * w..(k + 1) * w];
                                for (a, &b) in cur.iter_mut().zip(row) {
                                    *a += v * b;
                                }
                            }
                        }
                    }
                    if self.folded {
                        if nnz > 0 {
                            for (j, &dst) in t.outputs.iter().enumerate() {
                                o[dst as usize] += cur[j];
                            }
                        }
                        continue;
                    }
                    if self.noisy {
                        var.clear();
                        var.resize(w, 0.0);
                        if nnz > 0 {
                            if !t.s2.is_empty() {
                                for (k, &v) in xv.iter().enumerate() {
                                    if v != 0.0 {
                                        let v2 = read_variance(v, self.x_max);
                                        let row = &t.s2[k * w..(k + 1) * w];
                                        for (a, &b) in var.iter_mut().zip(row) {
                                            *a += v2 * b;
                                        }
                                    }
                                }
                            } else {
                                var.fill(t.c2 * sq);
                            }
                        }
                        for v in var.iter_mut() {
                            *v = v.sqrt();
                        }
                        cache[at..at + w].copy_from_slice(cur);
                        cache[at + w..at + 2 * w].copy_from_slice(var);
                        at += 2 * w;
                        if nnz == 0 {
                            continue;
                        }
                        let mut rng = crate::rng::stream(
                            self.seed,
                            &[
                                self.coords[0],
                                self.coords[1],
                                self.coords[2],
                                ti as u64,
                                sample,
                                step,
                            ],
                        );
                        self.noise(&mut rng, var, cur);
                    } else if nnz == 0 {
                        continue;
                    }
                    self.finish(t, cur, o);
                }
                if !self.noisy {
                    cache.copy_from_slice(o);
                }
                for (k, v) in c.iter().enumerate() {
                    cnt[k] = *v as f32;
                    total[k] += v;
                }
            }
        });
        self.counters.add(&total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::{Core, Tile};
    use crate::crossbar::{Adc, AdcRange, MapConfig};
    use crate::device::Statistics;
    use rand::RngExt;

    fn one_tile(w: &ndarray::Array2<f32>) -> Mapping {
        let (o, i) = w.dim();
        Mapping {
            chip: "t".into(),
            mesh: (1, 1),
            layers: vec![LayerMapping {
                node: 0,
                name: "fc".into(),
                in_len: i,
                out_len: o,
                bias: vec![0.5; o],
                tiles: vec![Tile {
                    core: 0,
                    inputs: (0..i as u32).collect(),
                    outputs: (0..o as u32).collect(),
                    weights: w.clone(),
                }],
                home_core: vec![0; o],
                shared: None,
            }],
            cores: vec![Core {
                position: (0, 0),
                layer: 0,
                rows_used: i,
                cols_used: 2 * o,
                neurons: o,
                splitters: 0,
                subarrays: 1,
            }],
        }
    }

    fn batch(step: usize) -> Batch {
        Batch {
            rows: 1,
            first_sample: 0,
            step,
        }
    }

    #[test]
    fn noise_free_read_with_adc_equals_the_crossbar_mvm() {
        let mut rng = crate::rng::stream(1, &[]);
        let w = ndarray::Array2::from_shape_fn((5, 12), |_| rng.random_range(-1.0f32..1.0));
        let m = one_tile(&w);
        let stats = Statistics {
            programming: crate::device::statistics::ProgrammingNoise::Proportional { frac: 0.1 },
            ..Statistics::default()
        };
        let read = ReadConfig {
            adc: Some(Adc {
                bits: 5,
                range: AdcRange::Calibrated { margin: 1.0 },
            }),
            ..ReadConfig::default()
        };
        let mut xb =
            Crossbar::program(w.view(), &stats, &MapConfig::default(), &read, &mut rng).unwrap();
        xb.compensate(crate::crossbar::Compensation::PerColumn);
        let path = ReadPath {
            read,
            circuit: None,
            per_read: PerReadNoise::None,
        };
        let op =
            ChipSynapses::new(&m, 0, std::slice::from_ref(&xb), &path, None, 0, 0, [0; 3]).unwrap();
        for _ in 0..20 {
            let x: Vec<f32> = (0..12)
                .map(|_| {
                    if rng.random::<f32>() < 0.5 {
                        0.0
                    } else {
                        rng.random()
                    }
                })
                .collect();
            let mut y = vec![0.0; 5];
            op.forward(&x, batch(0), &mut y);
            let mut want = vec![0.0; 5];
            xb.mvm(&x, &mut want, &mut rng).unwrap();
            for (a, b) in y.iter().zip(&want) {
                // Same ADC codes; the value differs only by float rounding.
                assert!(
                    (a - 0.5 - b).abs() < 1e-4 * (1.0 + b.abs()),
                    "{y:?} vs {want:?}"
                );
            }
        }
    }

    #[test]
    fn per_read_noise_has_the_closed_form_variance_and_is_redrawn_each_step() {
        let w = ndarray::array![[1.0f32, 0.5, -0.25], [0.0, -1.0, 0.75]];
        let m = one_tile(&w);
        let stats = Statistics {
            per_read: PerReadNoise::Proportional { frac: 0.1 },
            ..Statistics::default()
        };
        let mut rng = crate::rng::stream(2, &[]);
        let xb = Crossbar::program(
            w.view(),
            &stats,
            &MapConfig::default(),
            &ReadConfig::default(),
            &mut rng,
        )
        .unwrap();
        let path = ReadPath {
            read: ReadConfig::default(),
            circuit: None,
            per_read: stats.per_read.clone(),
        };
        let op = ChipSynapses::new(&m, 0, &[xb], &path, None, 0, 9, [0; 3]).unwrap();
        let x = [1.0f32, 0.5, 1.0];
        // Differential pair, g_min = 0: output j's noise variance is Σᵢ xᵢ²·(0.1·|wᵢⱼ|)².
        let var: Vec<f64> = (0..2)
            .map(|j| {
                (0..3)
                    .map(|i| (f64::from(x[i]) * 0.1 * f64::from(w[[j, i]])).powi(2))
                    .sum()
            })
            .collect();
        let mean: Vec<f64> = (0..2)
            .map(|j| 0.5 + (0..3).map(|i| f64::from(x[i] * w[[j, i]])).sum::<f64>())
            .collect();
        let n = 20_000;
        let mut state = vec![0.0; op.state_len()];
        let (mut s1, mut s2) = ([0.0f64; 2], [0.0f64; 2]);
        for step in 0..n {
            let mut y = [0.0f32; 2];
            op.forward_step(&x, batch(step), &mut state, step > 0, false, &mut y);
            for j in 0..2 {
                let d = f64::from(y[j]) - mean[j];
                s1[j] += d;
                s2[j] += d * d;
            }
        }
        for j in 0..2 {
            let m1 = s1[j] / n as f64;
            let v = s2[j] / n as f64 - m1 * m1;
            assert!(m1.abs() < 5.0 * (var[j] / n as f64).sqrt(), "mean {m1}");
            // Sample variance within 5 standard errors (2σ⁴/(n−1) for a Gaussian).
            let se = var[j] * (2.0 / n as f64).sqrt();
            assert!((v - var[j]).abs() < 5.0 * se, "var {v} vs {}", var[j]);
        }
    }

    #[test]
    fn wire_resistance_read_equals_the_circuit_solve() {
        let mut rng = crate::rng::stream(3, &[]);
        let w = ndarray::Array2::from_shape_fn((4, 16), |_| rng.random_range(-1.0f32..1.0));
        let m = one_tile(&w);
        let stats = Statistics::default();
        let read = ReadConfig::default();
        let xb =
            Crossbar::program(w.view(), &stats, &MapConfig::default(), &read, &mut rng).unwrap();
        let params = CircuitParams {
            r_row: 2.0,
            r_col: 2.0,
            ..CircuitParams::default()
        };
        let path = ReadPath {
            read,
            circuit: Some(params),
            per_read: PerReadNoise::None,
        };
        let op =
            ChipSynapses::new(&m, 0, std::slice::from_ref(&xb), &path, None, 0, 0, [0; 3]).unwrap();
        let circuit = CrossbarCircuit::new(xb.conductances().view(), &params).unwrap();
        let x: Vec<f32> = (0..16).map(|_| rng.random()).collect();
        let mut y = vec![0.0; 4];
        op.forward(&x, batch(0), &mut y);
        // Reference: a direct nodal solve for this input, currents mapped back to weights.
        let v: Vec<f64> = x.iter().map(|&xi| f64::from(xi) * read.v_read).collect();
        let mut i = vec![0.0; 8];
        circuit.solve_direct(&v, &mut i).unwrap();
        let i32: Vec<f32> = i.iter().map(|&c| c as f32).collect();
        let mut want = vec![0.0; 4];
        xb.map().outputs_from_currents(&i32, read.v_read, &mut want);
        let mut ideal = [0.0f32; 4];
        for j in 0..4 {
            ideal[j] = (0..16).map(|k| w[[j, k]] * x[k]).sum();
        }
        for j in 0..4 {
            assert!(
                (y[j] - 0.5 - want[j]).abs() < 1e-3 * (1.0 + want[j].abs()),
                "{y:?} vs {want:?}"
            );
        }
        // And the wires do change the result (the test would catch an ignored circuit).
        let drop: f32 = (0..4).map(|j| (want[j] - ideal[j]).abs()).sum();
        assert!(drop > 1e-3, "no IR drop: {drop}");
    }
}
