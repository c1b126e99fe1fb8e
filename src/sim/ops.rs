//! Synaptic operators: the layers with weights, behind a trait the chip layer can replace.

use crate::network::NodeKind;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut2};

/// Where in a run a synaptic operator is called: lets an implementation with randomness
/// (e.g. a crossbar's read noise) derive a per-(sample, step) stream, independent of threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Number of samples (rows) in this call.
    pub rows: usize,
    /// Global index of the first sample.
    pub first_sample: usize,
    /// Timestep (0-based).
    pub step: usize,
}

/// A layer with synaptic weights, applied to a batch of flat per-sample vectors.
///
/// The ideal (software) implementation is [`IdealSynapses`]; a chip emulation implements this
/// trait with crossbar reads and hands it to [`Engine::with_synapses`](super::Engine::with_synapses).
pub trait SynapticOp: Send + Sync {
    /// Input length per sample.
    fn in_len(&self) -> usize;
    /// Output length per sample.
    fn out_len(&self) -> usize;
    /// Mean number of output elements one input element drives (for synaptic-event counts).
    fn fan_out(&self) -> f64;
    /// `out = op(x)` for `x` `[rows, in_len]` and `out` `[rows, out_len]`, both row-major.
    fn forward(&self, x: &[f32], batch: Batch, out: &mut [f32]);
    /// Same as [`forward`](Self::forward) for an input that is mostly zeros (spikes): only the
    /// non-zero inputs' weight rows need be accumulated (event-driven). Defaults to `forward`.
    fn forward_sparse(&self, x: &[f32], batch: Batch, out: &mut [f32]) {
        self.forward(x, batch, out)
    }
    /// Floats of per-sample state the engine keeps for this operator across the steps of one
    /// sample (zeroed when the sample starts). Default 0.
    fn state_len(&self) -> usize {
        0
    }
    /// Whether the engine must call the operator at every step even when its input does not
    /// change (per-read noise, delivery delays, per-step event counting). Default false: a
    /// constant input is evaluated at the first step only.
    fn time_varying(&self) -> bool {
        false
    }
    /// The call the engine makes at every evaluation: `state` is `[rows, state_len]` (kept
    /// across the steps of a sample), `repeat` is true when the input is the same as at the
    /// previous step (a constant input after the first step), `sparse` when the engine judged
    /// the input mostly zeros. Defaults to [`forward_sparse`](Self::forward_sparse) or
    /// [`forward`](Self::forward).
    fn forward_step(
        &self,
        x: &[f32],
        batch: Batch,
        state: &mut [f32],
        repeat: bool,
        sparse: bool,
        out: &mut [f32],
    ) {
        let _ = (state, repeat);
        if sparse {
            self.forward_sparse(x, batch, out)
        } else {
            self.forward(x, batch, out)
        }
    }
}

/// The ideal synaptic operator of an `Affine`, `Linear` or `Conv2d` node (exact f32 arithmetic).
#[derive(Debug, Clone)]
pub enum IdealSynapses {
    /// `y = W·x + b`, stored transposed (`[in, out]`) so that one input's fan-out is contiguous.
    Dense {
        /// `Wᵀ`, `[in, out]`.
        wt: Array2<f32>,
        /// Bias `[out]`.
        bias: Vec<f32>,
    },
    /// 2-D convolution (cross-correlation) over `[C, H, W]`.
    Conv(Box<Conv>),
}

/// A 2-D convolution's geometry and weights.
#[derive(Debug, Clone)]
pub struct Conv {
    weight: Vec<f32>,
    bias: Vec<f32>,
    cin: usize,
    h: usize,
    w: usize,
    cout: usize,
    oh: usize,
    ow: usize,
    k: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    groups: usize,
}

impl IdealSynapses {
    /// Build the ideal operator for a synaptic node with the given (validated) input and
    /// output shapes; `None` for any other node kind or inconsistent shapes.
    pub fn from_node(
        kind: &NodeKind,
        input_shape: &[usize],
        output_shape: &[usize],
    ) -> Option<Self> {
        match kind {
            NodeKind::Affine { weight, bias } => Some(IdealSynapses::Dense {
                wt: weight.t().as_standard_layout().to_owned(),
                bias: bias.to_vec(),
            }),
            NodeKind::Linear { weight } => Some(IdealSynapses::Dense {
                wt: weight.t().as_standard_layout().to_owned(),
                bias: vec![0.0; weight.nrows()],
            }),
            NodeKind::Conv2d {
                weight,
                bias,
                stride,
                padding,
                dilation,
                groups,
            } => {
                let (&[cin, h, w], &[cout, oh, ow]) = (input_shape, output_shape) else {
                    return None;
                };
                let s = weight.shape();
                if s[0] != cout || *groups == 0 || s[1] * groups != cin || bias.len() != cout {
                    return None;
                }
                Some(IdealSynapses::Conv(Box::new(Conv {
                    weight: weight.as_standard_layout().iter().copied().collect(),
                    bias: bias.to_vec(),
                    cin,
                    h,
                    w,
                    cout,
                    oh,
                    ow,
                    k: [s[2], s[3]],
                    stride: *stride,
                    padding: *padding,
                    dilation: *dilation,
                    groups: *groups,
                })))
            }
            _ => None,
        }
    }
}

thread_local! {
    /// im2col scratch, one per worker thread: grows once, then reused at every step.
    static COLS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Conv {
    /// One sample: im2col (`[cin/groups·kh·kw, oh·ow]` per group) then a GEMM per group.
    fn forward_one(&self, x: &[f32], out: &mut [f32], cols: &mut Vec<f32>) {
        let cin_g = self.cin / self.groups;
        let cout_g = self.cout / self.groups;
        let [kh, kw] = self.k;
        let (oh, ow) = (self.oh, self.ow);
        let kk = cin_g * kh * kw;
        let np = oh * ow;
        cols.resize(kk * np, 0.0);
        for g in 0..self.groups {
            for ic in 0..cin_g {
                let plane = &x[(g * cin_g + ic) * self.h * self.w..][..self.h * self.w];
                for ky in 0..kh {
                    for kx in 0..kw {
                        let row = &mut cols[((ic * kh + ky) * kw + kx) * np..][..np];
                        for oy in 0..oh {
                            let dst = &mut row[oy * ow..(oy + 1) * ow];
                            let iy = (oy * self.stride[0] + ky * self.dilation[0]) as isize
                                - self.padding[0] as isize;
                            if iy < 0 || iy >= self.h as isize {
                                dst.fill(0.0);
                                continue;
                            }
                            let src = &plane[iy as usize * self.w..][..self.w];
                            for (ox, d) in dst.iter_mut().enumerate() {
                                let ix = (ox * self.stride[1] + kx * self.dilation[1]) as isize
                                    - self.padding[1] as isize;
                                *d = if ix >= 0 && (ix as usize) < self.w {
                                    src[ix as usize]
                                } else {
                                    0.0
                                };
                            }
                        }
                    }
                }
            }
            let wg = ArrayView2::from_shape(
                (cout_g, kk),
                &self.weight[g * cout_g * kk..][..cout_g * kk],
            )
            .expect("weight block");
            let cv = ArrayView2::from_shape((kk, np), &cols[..kk * np]).expect("im2col block");
            let mut ov =
                ArrayViewMut2::from_shape((cout_g, np), &mut out[g * cout_g * np..][..cout_g * np])
                    .expect("output block");
            for (oc, mut r) in ov.rows_mut().into_iter().enumerate() {
                r.fill(self.bias[g * cout_g + oc]);
            }
            general_mat_mul(1.0, &wg, &cv, 1.0, &mut ov);
        }
    }
}

impl SynapticOp for IdealSynapses {
    fn in_len(&self) -> usize {
        match self {
            IdealSynapses::Dense { wt, .. } => wt.nrows(),
            IdealSynapses::Conv(c) => c.cin * c.h * c.w,
        }
    }

    fn out_len(&self) -> usize {
        match self {
            IdealSynapses::Dense { wt, .. } => wt.ncols(),
            IdealSynapses::Conv(c) => c.cout * c.oh * c.ow,
        }
    }

    fn fan_out(&self) -> f64 {
        match self {
            IdealSynapses::Dense { wt, .. } => wt.ncols() as f64,
            IdealSynapses::Conv(c) => {
                let macs = (c.cout * c.oh * c.ow * (c.cin / c.groups) * c.k[0] * c.k[1]) as f64;
                macs / (c.cin * c.h * c.w).max(1) as f64
            }
        }
    }

    fn forward(&self, x: &[f32], batch: Batch, out: &mut [f32]) {
        let (n_in, n_out) = (self.in_len(), self.out_len());
        match self {
            IdealSynapses::Dense { wt, bias } => {
                let rows = batch.rows;
                let xv = ArrayView2::from_shape((rows, n_in), &x[..rows * n_in])
                    .expect("input buffer matches its shape");
                let mut ov = ArrayViewMut2::from_shape((rows, n_out), &mut out[..rows * n_out])
                    .expect("output buffer matches its shape");
                for mut row in ov.rows_mut() {
                    row.as_slice_mut()
                        .expect("contiguous row")
                        .copy_from_slice(bias);
                }
                general_mat_mul(1.0, &xv, wt, 1.0, &mut ov);
            }
            IdealSynapses::Conv(c) => COLS.with(|cols| {
                let cols = &mut cols.borrow_mut();
                for r in 0..batch.rows {
                    c.forward_one(
                        &x[r * n_in..(r + 1) * n_in],
                        &mut out[r * n_out..(r + 1) * n_out],
                        cols,
                    );
                }
            }),
        }
    }

    fn forward_sparse(&self, x: &[f32], batch: Batch, out: &mut [f32]) {
        let IdealSynapses::Dense { wt, bias } = self else {
            return self.forward(x, batch, out);
        };
        let (n_in, n_out) = (wt.nrows(), wt.ncols());
        let w = wt.as_slice().expect("standard layout");
        // Branch-free gather of the active inputs (in blocks, on the stack), then one
        // weight-row accumulation per active input: cost ∝ active inputs × fan-out.
        for (xr, o) in x[..batch.rows * n_in]
            .chunks_exact(n_in)
            .zip(out[..batch.rows * n_out].chunks_exact_mut(n_out))
        {
            o.copy_from_slice(bias);
            // Bit mask of the active inputs, 64 at a time, then one weight-row accumulation
            // per set bit: cost ∝ inputs/64 + active inputs × fan-out.
            for (b0, xb) in xr.chunks(64).enumerate() {
                let mut mask = 0u64;
                for (i, &xi) in xb.iter().enumerate() {
                    mask |= ((xi != 0.0) as u64) << i;
                }
                while mask != 0 {
                    let i = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let xi = xb[i];
                    let row = b0 * 64 + i;
                    let wr = &w[row * n_out..(row + 1) * n_out];
                    // xi = 1 (a spike) multiplies exactly.
                    for (a, &b) in o.iter_mut().zip(wr) {
                        *a += xi * b;
                    }
                }
            }
        }
    }
}

/// Average (`sum = false`, zero padding counted) or sum pooling over `[C, H, W]`, one sample.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    pub k: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub average: bool,
}

impl Pool {
    pub(crate) fn forward_one(&self, x: &[f32], out: &mut [f32]) {
        let norm = if self.average {
            1.0 / (self.k[0] * self.k[1]) as f32
        } else {
            1.0
        };
        for c in 0..self.c {
            for oy in 0..self.oh {
                for ox in 0..self.ow {
                    let mut acc = 0.0f32;
                    for ky in 0..self.k[0] {
                        let iy = (oy * self.stride[0] + ky) as isize - self.padding[0] as isize;
                        if iy < 0 || iy >= self.h as isize {
                            continue;
                        }
                        for kx in 0..self.k[1] {
                            let ix = (ox * self.stride[1] + kx) as isize - self.padding[1] as isize;
                            if ix < 0 || ix >= self.w as isize {
                                continue;
                            }
                            acc += x[(c * self.h + iy as usize) * self.w + ix as usize];
                        }
                    }
                    out[(c * self.oh + oy) * self.ow + ox] = acc * norm;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array4};
    use rand::RngExt;

    #[test]
    fn dense_gemm_and_event_paths_agree_with_naive_product() {
        let mut rng = crate::rng::stream(1, &[]);
        let (n_in, n_out, rows) = (150, 13, 5);
        let w = Array2::from_shape_fn((n_out, n_in), |_| rng.random_range(-1.0f32..1.0));
        let b = Array1::from_shape_fn(n_out, |_| rng.random_range(-1.0f32..1.0));
        let x: Vec<f32> = (0..rows * n_in)
            .map(|_| if rng.random::<f32>() < 0.3 { 1.0 } else { 0.0 })
            .collect();
        let op = IdealSynapses::from_node(
            &NodeKind::Affine {
                weight: w.clone(),
                bias: b.clone(),
            },
            &[n_in],
            &[n_out],
        )
        .unwrap();
        let batch = Batch {
            rows,
            first_sample: 0,
            step: 0,
        };
        let (mut o1, mut o2) = (vec![0.0; rows * n_out], vec![0.0; rows * n_out]);
        op.forward(&x, batch, &mut o1);
        op.forward_sparse(&x, batch, &mut o2);
        for r in 0..rows {
            for j in 0..n_out {
                let want: f64 = b[j] as f64
                    + (0..n_in)
                        .map(|i| w[[j, i]] as f64 * x[r * n_in + i] as f64)
                        .sum::<f64>();
                let tol = 1e-5 * (n_in as f64);
                assert!((o1[r * n_out + j] as f64 - want).abs() < tol);
                assert!((o2[r * n_out + j] as f64 - want).abs() < tol);
            }
        }
    }

    #[test]
    fn conv_matches_naive_definition_with_stride_padding_dilation_groups() {
        let mut rng = crate::rng::stream(2, &[]);
        let (cin, h, w, cout, groups) = (4, 7, 6, 6, 2);
        let (k, s, p, d) = ([3, 2], [2, 1], [1, 2], [1, 2]);
        let oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0] + 1;
        let ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1] + 1;
        let wt = Array4::from_shape_fn((cout, cin / groups, k[0], k[1]), |_| {
            rng.random_range(-1.0f32..1.0)
        });
        let bias = Array1::from_shape_fn(cout, |_| rng.random_range(-1.0f32..1.0));
        let x: Vec<f32> = (0..cin * h * w)
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        let op = IdealSynapses::from_node(
            &NodeKind::Conv2d {
                weight: wt.clone(),
                bias: bias.clone(),
                stride: s,
                padding: p,
                dilation: d,
                groups,
            },
            &[cin, h, w],
            &[cout, oh, ow],
        )
        .unwrap();
        let mut out = vec![0.0; cout * oh * ow];
        op.forward(
            &x,
            Batch {
                rows: 1,
                first_sample: 0,
                step: 0,
            },
            &mut out,
        );
        // Naive reference on a zero-padded copy of the input.
        let (ph, pw) = (h + 2 * p[0], w + 2 * p[1]);
        let mut xp = vec![0.0f64; cin * ph * pw];
        for c in 0..cin {
            for y in 0..h {
                for xx in 0..w {
                    xp[(c * ph + y + p[0]) * pw + xx + p[1]] = x[(c * h + y) * w + xx] as f64;
                }
            }
        }
        for oc in 0..cout {
            let g = oc / (cout / groups);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias[oc] as f64;
                    for ic in 0..cin / groups {
                        for ky in 0..k[0] {
                            for kx in 0..k[1] {
                                let c = g * (cin / groups) + ic;
                                let y = oy * s[0] + ky * d[0];
                                let xx = ox * s[1] + kx * d[1];
                                acc += wt[[oc, ic, ky, kx]] as f64 * xp[(c * ph + y) * pw + xx];
                            }
                        }
                    }
                    let got = out[(oc * oh + oy) * ow + ox] as f64;
                    assert!((got - acc).abs() < 1e-4, "{got} vs {acc}");
                }
            }
        }
    }

    #[test]
    fn pools_sum_and_average_with_padding() {
        // 1×3×3 input 1..9, kernel 2, stride 2, padding 1 → 2×2 windows.
        let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        let mut p = Pool {
            c: 1,
            h: 3,
            w: 3,
            oh: 2,
            ow: 2,
            k: [2, 2],
            stride: [2, 2],
            padding: [1, 1],
            average: false,
        };
        let mut out = vec![0.0; 4];
        p.forward_one(&x, &mut out);
        assert_eq!(out, vec![1.0, 2.0 + 3.0, 4.0 + 7.0, 5.0 + 6.0 + 8.0 + 9.0]);
        p.average = true;
        p.forward_one(&x, &mut out);
        assert_eq!(out, vec![0.25, 1.25, 2.75, 7.0]);
    }
}
