//! NeuroBench-compatible workload metrics of a run: effective synaptic operations (split into
//! multiply-accumulates for non-binary inputs and accumulates for spike inputs), dense
//! operations and activation sparsity.
//!
//! Definitions (those of NeuroBench 2.x's `synaptic_operations` and `activation_sparsity`):
//! - A synaptic layer (`Affine`, `Linear`, `Conv2d`) evaluated on an input `x` performs one
//!   effective operation per (input element, output element) pair joined by a **non-zero
//!   weight** with `xⱼ ≠ 0`; biases are not operations. Per layer and step this is
//!   `Σ_{j: xⱼ≠0} nnzⱼ`, where `nnzⱼ` is the number of non-zero weights input `j` drives: the
//!   table [`SynapseTable`] holds `nnzⱼ`, so a step costs one sum over the active inputs.
//! - The operations of one evaluation are **ACs** when every input value is 0, 1 or −1 (spikes)
//!   and **MACs** otherwise. NeuroBench decides this per batch; memsnn per sample, which is the
//!   same whenever all samples of a batch agree (e.g. direct image input: never binary).
//! - **Dense** counts every (input, output) pair of the layer's connectivity, zero weights and
//!   zero inputs included (for a convolution: every kernel tap that lands inside the input, not
//!   on padding), at every step.
//! - **ActivationSparsity** is `1 − (non-zero outputs) / (outputs)` over all spiking neuron
//!   populations (the output layer included, the input encoding excluded), all steps and all
//!   samples.
//! - Operation counts are reported per sample: totals over the run divided by the samples.
//!
//! All counts are integers summed per chunk and then in chunk order, so they do not depend on
//! the thread count.

use serde::{Deserialize, Serialize};

use crate::network::NodeKind;

/// Per synaptic layer: how many non-zero weights each input element drives, and the dense
/// operation count of one evaluation (one sample, one step).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SynapseTable {
    /// `nnzⱼ` per input element.
    pub per_input: Vec<u32>,
    /// The common value of `per_input` when all are equal (then a step needs only the number of
    /// active inputs).
    pub uniform: Option<u32>,
    /// (input, output) pairs of the connectivity.
    pub dense: u64,
}

impl SynapseTable {
    /// The table of a synaptic node with the given (validated) shapes; `None` for other kinds.
    pub fn of(kind: &NodeKind, input_shape: &[usize], output_shape: &[usize]) -> Option<Self> {
        let (per_input, dense) = match kind {
            NodeKind::Affine { weight, .. } | NodeKind::Linear { weight } => {
                let mut per = vec![0u32; weight.ncols()];
                for row in weight.rows() {
                    for (c, &w) in per.iter_mut().zip(row) {
                        *c += (w != 0.0) as u32;
                    }
                }
                (per, (weight.nrows() * weight.ncols()) as u64)
            }
            NodeKind::Conv2d {
                weight,
                stride,
                padding,
                dilation,
                groups,
                ..
            } => {
                let (&[cin, h, w], &[cout, oh, ow]) = (input_shape, output_shape) else {
                    return None;
                };
                let s = weight.shape();
                let (cg, kh, kw) = (s[1], s[2], s[3]);
                if *groups == 0 || cg * groups != cin || s[0] != cout {
                    return None;
                }
                let opg = cout / groups;
                let mut per = vec![0u32; cin * h * w];
                let mut dense = 0u64;
                for co in 0..cout {
                    let g = co / opg.max(1);
                    for oy in 0..oh {
                        for ox in 0..ow {
                            for ci in 0..cg {
                                for ky in 0..kh {
                                    let y = (oy * stride[0] + ky * dilation[0]) as isize
                                        - padding[0] as isize;
                                    if y < 0 || y >= h as isize {
                                        continue;
                                    }
                                    for kx in 0..kw {
                                        let x = (ox * stride[1] + kx * dilation[1]) as isize
                                            - padding[1] as isize;
                                        if x < 0 || x >= w as isize {
                                            continue;
                                        }
                                        dense += 1;
                                        if weight[[co, ci, ky, kx]] != 0.0 {
                                            let c = g * cg + ci;
                                            per[(c * h + y as usize) * w + x as usize] += 1;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (per, dense)
            }
            _ => return None,
        };
        let uniform = match per_input.split_first() {
            Some((&a, rest)) if rest.iter().all(|&b| b == a) => Some(a),
            None => Some(0),
            _ => None,
        };
        Some(SynapseTable {
            per_input,
            uniform,
            dense,
        })
    }

    /// Effective operations of one sample's input `x` (`[in_len]`), and whether `x` is binary
    /// (every value 0, 1 or −1).
    pub fn count(&self, x: &[f32]) -> (u64, bool) {
        let mut ops = 0u64;
        let mut binary = true;
        for (&v, &n) in x.iter().zip(&self.per_input) {
            if v != 0.0 {
                ops += n as u64;
                binary &= v == 1.0 || v == -1.0;
            }
        }
        (ops, binary)
    }
}

/// Integer totals of a run, from which the NeuroBench metrics follow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadCounts {
    /// Samples run.
    pub samples: u64,
    /// Effective operations on non-binary inputs, over all samples, steps and synaptic layers.
    pub macs: u64,
    /// Effective operations on binary (spike) inputs, likewise.
    pub acs: u64,
    /// Dense operations, likewise.
    pub dense: u64,
    /// Outputs of spiking populations (neurons × steps × samples).
    pub activations: u64,
    /// Non-zero outputs of spiking populations.
    pub active: u64,
}

impl WorkloadCounts {
    /// The metrics as NeuroBench names them.
    pub fn metrics(&self) -> Workload {
        let n = self.samples.max(1) as f64;
        Workload {
            effective_macs: self.macs as f64 / n,
            effective_acs: self.acs as f64 / n,
            dense: self.dense as f64 / n,
            activation_sparsity: if self.activations == 0 {
                0.0
            } else {
                (self.activations - self.active) as f64 / self.activations as f64
            },
        }
    }
}

/// NeuroBench 2.x workload metrics of a run (per sample), under NeuroBench's names. These
/// describe the network's computation; the chip's physical events (crossbar reads, ADC
/// conversions, packets) are counted apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Effective multiply-accumulates per sample (non-zero non-binary input × non-zero weight).
    #[serde(rename = "Effective_MACs")]
    pub effective_macs: f64,
    /// Effective accumulates per sample (spike input × non-zero weight).
    #[serde(rename = "Effective_ACs")]
    pub effective_acs: f64,
    /// Dense synaptic operations per sample (every connection at every step).
    #[serde(rename = "Dense")]
    pub dense: f64,
    /// Fraction of zero outputs of the spiking populations over all steps and samples.
    #[serde(rename = "ActivationSparsity")]
    pub activation_sparsity: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array4, array};

    #[test]
    fn dense_table_counts_non_zero_weights_per_input() {
        let kind = NodeKind::Linear {
            weight: array![[1.0, 0.0, 2.0], [0.0, 0.0, -1.0]],
        };
        let t = SynapseTable::of(&kind, &[3], &[2]).unwrap();
        assert_eq!(t.per_input, vec![1, 0, 2]);
        assert_eq!(t.uniform, None);
        assert_eq!(t.dense, 6);
        assert_eq!(t.count(&[1.0, 1.0, 0.0]), (1, true));
        assert_eq!(t.count(&[0.5, 0.0, -1.0]), (3, false));
    }

    #[test]
    fn conv_table_skips_padding_and_zero_taps() {
        // 1 channel 3×3 input, 1 output channel, 3×3 kernel of ones except the centre, padding 1:
        // 3×3 outputs; each output sees the in-bounds taps of its 3×3 window.
        let mut weight = Array4::<f32>::ones((1, 1, 3, 3));
        weight[[0, 0, 1, 1]] = 0.0;
        let kind = NodeKind::Conv2d {
            weight,
            bias: Array1::zeros(1),
            stride: [1, 1],
            padding: [1, 1],
            dilation: [1, 1],
            groups: 1,
        };
        let t = SynapseTable::of(&kind, &[1, 3, 3], &[1, 3, 3]).unwrap();
        // In-bounds taps: corners 4 each, edges 6 each, centre 9: 4·4 + 4·6 + 9 = 49.
        assert_eq!(t.dense, 49);
        // Input pixel p is reached by the outputs in its 3×3 neighbourhood; the zero centre tap
        // removes the one from the output at p itself.
        assert_eq!(t.per_input, vec![3, 5, 3, 5, 8, 5, 3, 5, 3]);
    }
}
