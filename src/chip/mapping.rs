//! The mapping of a network onto a chip: which core computes which part of which layer.
//!
//! This is the contract between the partitioner/placer (which produces a [`Mapping`]) and the
//! chip-mode engine (which programs one crossbar per [`Tile`] and runs the network on them).
//!
//! Every synaptic layer (Affine, Linear, Conv2d) becomes a [`LayerMapping`] made of tiles.
//! A tile is one core's crossbar: it *gathers* the layer-input elements listed in
//! [`Tile::inputs`] onto its rows (axons), multiplies them by its dense weight block, digitises
//! the column currents with the core's ADC, and *scatter-adds* the partial sums into the
//! layer-output elements listed in [`Tile::outputs`] (the neurons' home cores sum the partial
//! sums of all tiles, each partial sum travelling as a packet when it is computed on another
//! core). The bias of the layer is added digitally at the neurons. A fully connected layer whose
//! fan-in exceeds a core's rows is split into row blocks; a convolution is unrolled
//! TrueNorth-style: each tile hosts a patch of output neurons and the receptive-field input
//! elements they need, with the weights replicated per tile (structural zeros where a neuron
//! does not see an input). Summing `Σ_tiles scatter(W_tile · gather(x))` + bias must equal the
//! layer's ideal output exactly in real arithmetic.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// One core's share of one synaptic layer (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Index of the core in [`Mapping::cores`] that holds this tile's crossbar.
    pub core: usize,
    /// For each crossbar row (axon), the flat index of the layer-input element it carries.
    pub inputs: Vec<u32>,
    /// For each output of the tile, the flat index of the layer-output element it adds to.
    pub outputs: Vec<u32>,
    /// Weight block `[outputs.len(), inputs.len()]` (logical weights, before conductance mapping).
    pub weights: Array2<f32>,
}

/// The geometry of a convolution mapped weight-stationary ([`ConvMapping::Shared`]
/// (crate::chip::ConvMapping)): its tiles hold blocks of the kernel matrix, and every tile is
/// read once per output position per step.
///
/// In a shared layer a [`Tile`]'s `inputs` are *kernel rows* (flat indices into
/// `[C_in, kh, kw]`: `(c·kh + ky)·kw + kx`) and its `outputs` are *output channels*. The read
/// at output position `(oy, ox)` gathers, for every kernel row, the input element
/// `(c, oy·sh + ky·dh − ph, ox·sw + kx·dw − pw)` (zero outside the image) and adds column
/// `j`'s sum to output element `(outputs[j], oy, ox)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedConv {
    /// Input shape `[C_in, H, W]`.
    pub input: [usize; 3],
    /// Output shape `[C_out, OH, OW]`.
    pub output: [usize; 3],
    /// Kernel `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Stride `[sh, sw]`.
    pub stride: [usize; 2],
    /// Padding `[ph, pw]`.
    pub padding: [usize; 2],
    /// Dilation `[dh, dw]`.
    pub dilation: [usize; 2],
}

impl SharedConv {
    /// Output positions per channel (`OH · OW`): reads of each tile per step.
    pub fn positions(&self) -> usize {
        self.output[1] * self.output[2]
    }

    /// `(channel, ky, kx)` of a kernel row.
    pub fn row(&self, r: u32) -> (usize, usize, usize) {
        let [kh, kw] = self.kernel;
        let r = r as usize;
        (r / (kh * kw), (r / kw) % kh, r % kw)
    }

    /// The input element kernel row `r` reads at output position `p`, if inside the image.
    #[inline]
    pub fn element(&self, r: u32, p: usize) -> Option<usize> {
        let (c, ky, kx) = self.row(r);
        let [_, h, w] = self.input;
        let ow = self.output[2];
        let (oy, ox) = (p / ow, p % ow);
        let iy = (oy * self.stride[0] + ky * self.dilation[0]).checked_sub(self.padding[0])?;
        let ix = (ox * self.stride[1] + kx * self.dilation[1]).checked_sub(self.padding[1])?;
        (iy < h && ix < w).then_some((c * h + iy) * w + ix)
    }

    /// Every input element the kernel rows `rows` read at some position (sorted, distinct).
    pub fn elements(&self, rows: &[u32]) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.positions())
            .flat_map(|p| rows.iter().filter_map(move |&r| self.element(r, p)))
            .map(|e| e as u32)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Every output element fed by output channels `channels` (at every position).
    pub fn targets(&self, channels: &[u32]) -> Vec<u32> {
        let p = self.positions() as u32;
        channels
            .iter()
            .flat_map(|&c| (0..p).map(move |q| c * p + q))
            .collect()
    }
}

/// How one synaptic layer is spread over cores.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerMapping {
    /// Index of the synaptic node in the [`Graph`](crate::network::Graph).
    pub node: usize,
    /// Its name.
    pub name: String,
    /// Flat input length of the layer.
    pub in_len: usize,
    /// Flat output length of the layer.
    pub out_len: usize,
    /// Bias per output element, added digitally at the neurons (zeros for Linear/bias-free).
    pub bias: Vec<f32>,
    /// The tiles; every output element is covered by at least one tile, or has only bias.
    pub tiles: Vec<Tile>,
    /// For each output element, the core hosting its neuron (where partial sums are summed).
    pub home_core: Vec<u32>,
    /// `Some` for a convolution mapped weight-stationary (see [`SharedConv`]); `None` when the
    /// tiles' inputs and outputs are layer elements.
    pub shared: Option<SharedConv>,
}

impl LayerMapping {
    /// The layer-input elements tile `t` reads (its rows' elements at every position).
    pub fn tile_elements<'a>(&'a self, t: &'a Tile) -> std::borrow::Cow<'a, [u32]> {
        match &self.shared {
            None => std::borrow::Cow::Borrowed(&t.inputs),
            Some(s) => std::borrow::Cow::Owned(s.elements(&t.inputs)),
        }
    }

    /// The layer-output elements tile `t`'s reads add to.
    pub fn tile_targets<'a>(&'a self, t: &'a Tile) -> std::borrow::Cow<'a, [u32]> {
        match &self.shared {
            None => std::borrow::Cow::Borrowed(&t.outputs),
            Some(s) => std::borrow::Cow::Owned(s.targets(&t.outputs)),
        }
    }

    /// Reads of tile `t` per step when every input is active (positions for a shared conv).
    pub fn reads_per_step(&self) -> usize {
        self.shared.as_ref().map_or(1, SharedConv::positions)
    }
}

/// A core of the chip as used by a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Core {
    /// Position on the 2-D mesh `(x, y)`.
    pub position: (u32, u32),
    /// Index into [`Mapping::layers`] of the layer this core serves.
    pub layer: usize,
    /// Crossbar rows (axons) in use.
    pub rows_used: usize,
    /// Crossbar columns in use (physical: e.g. two per weight for differential pairs).
    pub cols_used: usize,
    /// Neurons hosted (outputs whose home is this core).
    pub neurons: usize,
    /// Splitter neurons needed for fan-out (TrueNorth-style chips; 0 otherwise).
    pub splitters: usize,
    /// Physical crossbar subarrays built on the core (1 when the core is one array; 0 for a
    /// core that hosts only neurons).
    #[serde(default = "one")]
    pub subarrays: usize,
}

fn one() -> usize {
    1
}

/// A network mapped onto a chip.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// Name of the chip spec.
    pub chip: String,
    /// Mesh size `(width, height)` in cores.
    pub mesh: (u32, u32),
    /// One entry per synaptic layer, in evaluation order.
    pub layers: Vec<LayerMapping>,
    /// The cores used.
    pub cores: Vec<Core>,
}

/// Event counters of a chip run, summed over all samples (divide by samples for per-inference).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Samples (inferences) run.
    pub samples: u64,
    /// Timesteps per sample.
    pub timesteps: u64,
    /// Crossbar read operations (one per tile per timestep with any non-zero input).
    pub crossbar_reads: u64,
    /// Synaptic events: Σ over reads of (non-zero inputs × tile outputs).
    pub synaptic_ops: u64,
    /// ADC conversions: Σ over reads of digitised columns.
    pub adc_conversions: u64,
    /// Neuron state updates (neurons × timesteps).
    pub neuron_updates: u64,
    /// Spikes emitted by neurons.
    pub spikes: u64,
    /// Packets sent between cores (spike packets and partial-sum packets).
    pub packets: u64,
    /// Σ over packets of their hop counts on the mesh.
    pub hops: u64,
}
