//! Loihi-style fixed-point CUBA LIF neurons (integer state, 12-bit decays).
//!
//! The dynamics are those of Loihi's compartment (Davies et al., IEEE Micro 38(1), 2018) as
//! Lava's bit-accurate `lava.proc.lif` model (`PyLifModelBitAcc`) computes them, per step:
//!
//! ```text
//! u[t] = wrap24( trunc(u[t−1]·(4096 − δu) / 4096) + a[t]·2^6 )
//! v[t] = clip24( trunc(v[t−1]·(4096 − δv) / 4096) + u[t] + bias )
//! s[t] = v[t] > vth·2^6 ;   v[t] = 0 after a spike
//! ```
//!
//! `trunc(x/4096)` is Loihi's shift with the sign restored (`sign(x)·(|x| >> 12)`, rounding
//! toward zero). δu and δv are the *effective* decay constants in `0..=4096`: Lava's 12-bit `du`
//! register plus its `ds_offset` of 1 (so `du = 4095` clears the current every step, which is
//! how a plain LIF without synaptic current runs), and `dv` plus `dm_offset` of 0. The current
//! wraps around modulo 2^24 at the 24-bit signed bounds (as Lava's model and the hardware do),
//! the voltage saturates at ±(2^23 − 1). `vth` is a 17-bit mantissa; the threshold is compared
//! in state units (`vth·2^6`). The synaptic input `a[t]` is an integer (weight mantissas times
//! the shared weight exponent, summed over the spikes that arrived).
//!
//! # From float populations
//!
//! A float population (see the parent module) integrates `v[t] = β·v[t−1] + k·I[t]` with
//! `β = 1 − dt/τ` and input scale `k = R·dt/τ`. The integer population represents a float
//! voltage `v` by `v·S·2^6` state units, where `S` (mantissa units per volt) is the population's
//! *voltage scale*; the float input current `I` enters as the integer activation
//! `a = round(I·k·S)` (for CubaLIF, `a = round(I·(dt/τ_syn)·w_in·k·S)`), the decays are
//! `δ = round(4096·dt/τ)`, the threshold `vth = round(θ·S)` and the bias
//! `round((dt/τ)·v_leak·S·2^6)`. [`Convention::Scaled`] chooses `S = 2^13/max θ`, so the
//! largest threshold is `2^13` mantissa units (`2^19` state units): 13 bits of the 17-bit
//! threshold field, with 4 bits of headroom left in the 24-bit state for voltages up to 16·θ
//! and currents (one step's input) up to 16·θ before they saturate or wrap.
//! [`Convention::NirPaper`] reproduces the NIR paper's Lava importer (`paper/01_lif/_lava_nir.py`
//! of neuromorphs/NIR), which produced the recorded Lava/Loihi traces of `lif_norse.nir`:
//! `S = 256`, `dv = ⌊4095·dt/τ⌋`, `vth = ⌊θ·131071⌋ >> 9`, weights `⌊w·(dt/τ)·256⌋`
//! (truncated, as `int()` does).
//!
//! Only spiking LIF, CubaLIF and IF populations with reset to zero and `v_reset = 0` have a
//! fixed-point form (Loihi resets to 0); leaky integrators and integrators whose membrane is the
//! output stay float.

use super::{Discretisation, NeuronError, Reset};
use crate::network::NodeKind;
use serde::{Deserialize, Serialize};

/// Decays are fractions of this (12 bits).
pub const DECAY_UNITY: i64 = 1 << 12;
/// Left shift of the synaptic activation and of the threshold (MSB alignment to 24 bits).
pub const ACT_SHIFT: u32 = 6;
/// Largest magnitude of the 24-bit signed state (`2^23`).
pub const MAX_UV: i64 = 1 << 23;
/// Largest threshold mantissa (17 bits unsigned).
pub const MAX_VTH: i64 = (1 << 17) - 1;
/// Threshold mantissa of the largest threshold of a population under [`Convention::Scaled`].
pub const VTH_TARGET: f64 = 8192.0;

/// Which neuron arithmetic a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NeuronModel {
    /// f32 forward-Euler neurons (the parent module). Default.
    #[default]
    Float,
    /// Loihi-style fixed-point CUBA LIF neurons ([`FixedPopulation`], [`Convention::Scaled`]).
    LoihiFixed,
}

impl NeuronModel {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            NeuronModel::Float => "float",
            NeuronModel::LoihiFixed => "loihi-fixed",
        }
    }
}

impl std::fmt::Display for NeuronModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for NeuronModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "float" => Ok(NeuronModel::Float),
            "loihi-fixed" => Ok(NeuronModel::LoihiFixed),
            _ => Err(format!(
                "unknown neuron model `{s}` (expected float or loihi-fixed)"
            )),
        }
    }
}

/// How float parameters become integers (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convention {
    /// `S = 2^13 / max θ`, round to nearest, `δ = round(4096·dt/τ)`. Default.
    #[default]
    Scaled,
    /// The NIR paper's Lava importer: `S = 256`, truncation, `dv = ⌊4095·dt/τ⌋`.
    NirPaper,
}

/// `trunc(x·(4096 − d)/4096)`: Loihi's decay, rounding toward zero.
#[inline]
pub fn decay(x: i64, d: i64) -> i64 {
    let p = x * (DECAY_UNITY - d);
    p.signum() * (p.abs() >> 12)
}

/// Lava's wrap-around of the 24-bit current: above `2^23` subtract `2^24`, at or below `−2^23`
/// add `2^24`.
#[inline]
pub fn wrap24(x: i64) -> i64 {
    if x > MAX_UV {
        x - 2 * MAX_UV
    } else if x <= -MAX_UV {
        x + 2 * MAX_UV
    } else {
        x
    }
}

/// Saturate the voltage to ±(2^23 − 1).
#[inline]
pub fn clip24(x: i64) -> i64 {
    x.clamp(-MAX_UV + 1, MAX_UV - 1)
}

/// One population of fixed-point neurons (one entry per neuron).
#[derive(Debug, Clone, PartialEq)]
pub struct FixedPopulation {
    /// Effective current decay δu (0..=4096).
    pub du: Vec<i64>,
    /// Effective voltage decay δv (0..=4096).
    pub dv: Vec<i64>,
    /// Threshold mantissa (17 bits; compared as `vth·2^6`).
    pub vth: Vec<i64>,
    /// Effective bias added to `v` each step (state units).
    pub bias: Vec<i64>,
    /// Integer activation per unit of float input current (`a = round(I·in_scale)`).
    pub in_scale: Vec<f32>,
    /// Voltage scale `S` (mantissa units per volt; state units are `S·2^6` per volt).
    pub scale: f64,
    /// Truncate (instead of rounding) the activation, as [`Convention::NirPaper`] does.
    pub truncate_input: bool,
}

impl FixedPopulation {
    /// Convert the float neuron node `kind` (named `node`) with `disc` under `conv`.
    ///
    /// Returns `Ok(None)` for nodes that have no fixed-point form (non-spiking populations and
    /// non-neuron nodes); errors name the node for parameters Loihi cannot hold.
    pub fn from_node(
        node: &str,
        kind: &NodeKind,
        disc: &Discretisation,
        conv: Convention,
    ) -> Result<Option<FixedPopulation>, NeuronError> {
        let err = |reason: String| NeuronError {
            node: node.to_string(),
            reason,
        };
        // Reuse the float discretisation's checks (τ ≥ dt, finite values).
        let Some(float) = super::Population::from_node(node, kind, disc)? else {
            return Ok(None);
        };
        if !float.spiking() {
            return Ok(None);
        }
        if disc.effective_reset() != Reset::Zero {
            return Err(err(
                "Loihi's fixed-point neuron resets to zero; reset mode `subtract` has no fixed-point form (use --reset zero or float neurons)".into(),
            ));
        }
        if let Some(i) = float.v_reset.iter().position(|&r| r != 0.0) {
            return Err(err(format!(
                "v_reset[{i}] = {} but Loihi's fixed-point neuron resets to 0",
                float.v_reset[i]
            )));
        }
        let n = float.len();
        if let Some(i) = float.threshold.iter().position(|&t| t <= 0.0) {
            return Err(err(format!(
                "v_threshold[{i}] = {} must be positive for a fixed-point threshold",
                float.threshold[i]
            )));
        }
        let max_th = float.threshold.iter().fold(0.0f32, |a, &b| a.max(b)) as f64;
        let s = match conv {
            Convention::Scaled => VTH_TARGET / max_th,
            Convention::NirPaper => 256.0,
        };
        let quant = |x: f64| match conv {
            Convention::Scaled => x.round(),
            Convention::NirPaper => x.trunc(),
        };
        // Decay from a float decay factor β = 1 − dt/τ.
        let delta = |beta: f32| -> i64 {
            let k = 1.0 - beta as f64;
            match conv {
                Convention::Scaled => (k * DECAY_UNITY as f64).round() as i64,
                Convention::NirPaper => (k * 4095.0).trunc() as i64,
            }
            .clamp(0, DECAY_UNITY)
        };
        let dv: Vec<i64> = float.beta.iter().map(|&b| delta(b)).collect();
        let du: Vec<i64> = match float.dynamics {
            super::Dynamics::CubaLif => float.alpha.iter().map(|&a| delta(a)).collect(),
            // No synaptic current: du = 4095 plus Loihi's ds_offset of 1 clears u each step.
            _ => vec![DECAY_UNITY; n],
        };
        let vth: Vec<i64> = float
            .threshold
            .iter()
            .map(|&t| match conv {
                Convention::Scaled => (t as f64 * s).round() as i64,
                Convention::NirPaper => ((t as f64 * MAX_VTH as f64).trunc() as i64) >> 9,
            })
            .collect();
        if let Some(i) = vth.iter().position(|v| !(1..=MAX_VTH).contains(v)) {
            return Err(err(format!(
                "threshold mantissa {} of neuron {i} does not fit Loihi's 17-bit field",
                vth[i]
            )));
        }
        let bias: Vec<i64> = float
            .leak
            .iter()
            .map(|&l| quant(l as f64 * s * (1 << ACT_SHIFT) as f64) as i64)
            .collect();
        if let Some(i) = bias.iter().position(|b| b.abs() >= MAX_UV) {
            return Err(err(format!(
                "bias of neuron {i} ({}) exceeds the 24-bit state",
                bias[i]
            )));
        }
        let in_scale: Vec<f32> = (0..n)
            .map(|i| {
                let syn = if float.dynamics == super::Dynamics::CubaLif {
                    float.syn_scale[i] as f64
                } else {
                    1.0
                };
                (float.scale[i] as f64 * syn * s) as f32
            })
            .collect();
        if let Some(i) = in_scale.iter().position(|x| !x.is_finite()) {
            return Err(err(format!("input scale of neuron {i} is not finite")));
        }
        Ok(Some(FixedPopulation {
            du,
            dv,
            vth,
            bias,
            in_scale,
            scale: s,
            truncate_input: conv == Convention::NirPaper,
        }))
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.dv.len()
    }

    /// True for an empty population.
    pub fn is_empty(&self) -> bool {
        self.dv.is_empty()
    }

    /// State variables per sample: `u` then `v` (`2·len()`), each an integer held exactly in
    /// an f32 (24-bit values).
    pub fn state_len(&self) -> usize {
        2 * self.len()
    }

    /// The integer activation of a float input current for neuron `i`.
    #[inline]
    pub fn activation(&self, i: usize, current: f32) -> i64 {
        let x = current as f64 * self.in_scale[i] as f64;
        let a = if self.truncate_input {
            x.trunc()
        } else {
            x.round()
        };
        // Far beyond the 24-bit state either way; keeps the shift below finite.
        a.clamp(-(MAX_UV as f64), MAX_UV as f64) as i64
    }

    /// Advance one sample by one step with integer activations `a` (already scaled, before the
    /// 6-bit shift). `state` is `[u.., v..]`; `out` receives 0/1 spikes. Returns the spike count.
    pub fn step_int(&self, a: impl Fn(usize) -> i64, state: &mut [f32], out: &mut [f32]) -> u32 {
        let n = self.len();
        let (u, v) = state.split_at_mut(n);
        let mut count = 0;
        for i in 0..n {
            let ui = wrap24(decay(u[i] as i64, self.du[i]) + (a(i) << ACT_SHIFT));
            let mut vi = clip24(decay(v[i] as i64, self.dv[i]) + ui + self.bias[i]);
            let s = vi > self.vth[i] << ACT_SHIFT;
            if s {
                vi = 0;
            }
            u[i] = ui as f32;
            v[i] = vi as f32;
            out[i] = s as u32 as f32;
            count += s as u32;
        }
        count
    }

    /// Advance one sample by one step with float input currents (see [`activation`](Self::activation)).
    pub fn step(&self, input: &[f32], state: &mut [f32], out: &mut [f32]) -> u32 {
        self.step_int(|i| self.activation(i, input[i]), state, out)
    }
}

/// Weight mantissa range (8-bit signed).
pub const WEIGHT_MANTISSA: (i32, i32) = (-128, 127);

/// Quantise a layer's float weights to Loihi's 8-bit signed mantissas with one shared exponent
/// (Lava's weight scaling): with `g` the integer activation per unit of weight (the target
/// population's input scale), `w ← m·2^e / g` where `m = round(w·g / 2^e)` in −128..=127 and
/// `e` is the smallest exponent for which the largest `|w|·g` fits. Returns `e` (0 for an
/// all-zero layer). Summed over binary spikes the quantised weights give integer activations.
pub fn quantise_weights(w: &mut [f32], g: f64) -> i32 {
    let max = w.iter().fold(0.0f64, |a, &x| a.max((x as f64 * g).abs()));
    if max == 0.0 || !max.is_finite() {
        return 0;
    }
    let (lo, hi) = WEIGHT_MANTISSA;
    let mut e = (max / hi as f64).log2().ceil() as i32;
    // Guard the boundary against log2 rounding.
    while (max / 2f64.powi(e)).round() > hi as f64 {
        e += 1;
    }
    while e > -64 && (max / 2f64.powi(e - 1)).round() <= hi as f64 {
        e -= 1;
    }
    let step = 2f64.powi(e);
    for x in w.iter_mut() {
        let m = (*x as f64 * g / step).round().clamp(lo as f64, hi as f64);
        *x = (m * step / g) as f32;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn lif(tau: f32, r: f32, th: f32) -> NodeKind {
        NodeKind::Lif {
            tau: Array1::from(vec![tau]),
            r: Array1::from(vec![r]),
            v_leak: Array1::from(vec![0.0]),
            v_threshold: Array1::from(vec![th]),
            v_reset: Array1::from(vec![0.0]),
        }
    }

    fn disc() -> Discretisation {
        Discretisation::default()
    }

    #[test]
    fn decay_truncates_toward_zero_both_signs() {
        // 1431·3933 = 5 628 123; /4096 = 1374.05 → 1374 (Lava's trace of lif_norse).
        assert_eq!(decay(1431, 163), 1374);
        // 1431·3932 = 5 626 692; /4096 = 1373.7 → 1373 (toward zero, not nearest).
        assert_eq!(decay(1431, 164), 1373);
        assert_eq!(decay(-1431, 164), -1373);
        assert_eq!(decay(1, 164), 0);
        assert_eq!(decay(-1, 164), 0);
        assert_eq!(decay(12345, 0), 12345);
        assert_eq!(decay(12345, 4096), 0);
        // δ = 4095 leaves trunc(x/4096).
        assert_eq!(decay(100_000, 4095), 24);
    }

    #[test]
    fn current_wraps_and_voltage_saturates_at_24_bits() {
        assert_eq!(wrap24(MAX_UV), MAX_UV);
        assert_eq!(wrap24(MAX_UV + 5), -MAX_UV + 5);
        assert_eq!(wrap24(-MAX_UV), MAX_UV);
        assert_eq!(wrap24(-MAX_UV - 3), MAX_UV - 3);
        assert_eq!(clip24(MAX_UV + 100), MAX_UV - 1);
        assert_eq!(clip24(-MAX_UV - 100), -MAX_UV + 1);
        // Inhibition drives v to the negative bound −(2^23 − 1), where it saturates.
        let p = FixedPopulation {
            du: vec![4096],
            dv: vec![0],
            vth: vec![MAX_VTH],
            bias: vec![0],
            in_scale: vec![1.0],
            scale: 1.0,
            truncate_input: false,
        };
        let (mut st, mut out) = (vec![0.0; 2], vec![0.0]);
        for _ in 0..10 {
            p.step_int(|_| -100_000, &mut st, &mut out);
        }
        assert_eq!(st[0], -6_400_000.0); // u = a·2^6, cleared each step
        assert_eq!(st[1], (-MAX_UV + 1) as f32);
        // An activation past −2^23 wraps the current to a large positive value.
        p.step_int(|_| -140_000, &mut st, &mut out);
        assert_eq!(st[0], (-140_000 * 64 + 2 * MAX_UV) as f32);
        assert_eq!(st[0], 7_817_216.0);
        // The positive bound 2^23 − 1 lies above the largest threshold 131071·2^6.
        let (mut st, mut out) = (vec![0.0, (MAX_UV - 1) as f32], vec![0.0]);
        assert_eq!(p.step_int(|_| 100_000, &mut st, &mut out), 1);
        assert_eq!(st[1], 0.0);
    }

    #[test]
    fn threshold_is_strict_and_reset_is_to_zero() {
        let mut p = FixedPopulation {
            du: vec![4096],
            dv: vec![0],
            vth: vec![10],
            bias: vec![0],
            in_scale: vec![1.0],
            scale: 1.0,
            truncate_input: false,
        };
        let (mut st, mut out) = (vec![0.0; 2], vec![0.0]);
        // v = 640 = 10·2^6 equals the threshold: no spike (strictly greater).
        assert_eq!(p.step_int(|_| 10, &mut st, &mut out), 0);
        assert_eq!((st[0], st[1], out[0]), (640.0, 640.0, 0.0));
        // One state unit more: spike, v reset to 0, u keeps its value.
        p.bias = vec![1];
        let (mut st, mut out) = (vec![0.0; 2], vec![0.0]);
        assert_eq!(p.step_int(|_| 10, &mut st, &mut out), 1);
        assert_eq!((st[0], st[1], out[0]), (640.0, 0.0, 1.0));
        // Float input rounds to the nearest activation: 10.4 → 10, 10.6 → 11.
        assert_eq!(p.activation(0, 10.4), 10);
        assert_eq!(p.activation(0, 10.6), 11);
        assert_eq!(p.activation(0, -10.6), -11);
    }

    #[test]
    fn cuba_current_decays_then_feeds_voltage_hand_count() {
        let p = FixedPopulation {
            du: vec![1024], // u·3/4
            dv: vec![2048], // v/2
            vth: vec![1000],
            bias: vec![3],
            in_scale: vec![1.0],
            scale: 1.0,
            truncate_input: false,
        };
        let (mut st, mut out) = (vec![0.0; 2], vec![0.0]);
        p.step_int(|_| 5, &mut st, &mut out);
        // u = 320, v = 0 + 320 + 3
        assert_eq!((st[0], st[1]), (320.0, 323.0));
        p.step_int(|_| 0, &mut st, &mut out);
        // u = 240, v = trunc(323/2) + 240 + 3 = 161 + 243
        assert_eq!((st[0], st[1]), (240.0, 404.0));
        p.step_int(|_| -7, &mut st, &mut out);
        // u = 180 − 448 = −268, v = 202 − 268 + 3 = −63
        assert_eq!((st[0], st[1]), (-268.0, -63.0));
        p.step_int(|_| 0, &mut st, &mut out);
        // u = trunc(−201) = −201, v = trunc(−31.5) = −31 − 201 + 3
        assert_eq!((st[0], st[1]), (-201.0, -229.0));
    }

    #[test]
    fn conversion_of_a_float_lif() {
        // τ = 2.5 ms, dt = 0.1 ms, r = 1, θ = 0.1 (lif_norse.nir).
        let p =
            FixedPopulation::from_node("n", &lif(2.5e-3, 1.0, 0.1), &disc(), Convention::Scaled)
                .unwrap()
                .unwrap();
        assert_eq!(p.dv, vec![164]); // round(4096·0.04)
        assert_eq!(p.du, vec![4096]);
        assert_eq!(p.vth, vec![8192]);
        assert!((p.scale - 81_920.0).abs() < 1e-2, "{}", p.scale);
        // a = round(I·(dt/τ)·S) = round(0.04·81920) = 3277 for I = 1
        assert_eq!(p.activation(0, 1.0), 3277);
        let q =
            FixedPopulation::from_node("n", &lif(2.5e-3, 1.0, 0.1), &disc(), Convention::NirPaper)
                .unwrap()
                .unwrap();
        assert_eq!((q.dv[0], q.vth[0], q.activation(0, 1.0)), (163, 25, 10));
    }

    #[test]
    fn conversion_of_cuba_lif_and_leak() {
        let kind = NodeKind::CubaLif {
            tau_syn: Array1::from(vec![5e-4]),
            tau_mem: Array1::from(vec![1e-3]),
            r: Array1::from(vec![2.0]),
            v_leak: Array1::from(vec![0.5]),
            v_threshold: Array1::from(vec![2.0]),
            v_reset: Array1::from(vec![0.0]),
            w_in: Array1::from(vec![3.0]),
        };
        let p = FixedPopulation::from_node("c", &kind, &disc(), Convention::Scaled)
            .unwrap()
            .unwrap();
        assert_eq!(p.du, vec![819]); // round(4096·0.2)
        assert_eq!(p.dv, vec![410]); // round(4096·0.1)
        assert_eq!(p.vth, vec![8192]);
        // S = 4096; in = (R·dt/τm)·(dt/τs)·w_in·S = 0.2·0.2·3·4096 = 491.52
        assert!((p.in_scale[0] - 491.52).abs() < 1e-3);
        // bias = (dt/τm)·v_leak·S·64 = 0.1·0.5·4096·64 = 13107.2 → 13107
        assert_eq!(p.bias, vec![13107]);
    }

    #[test]
    fn conversion_rejects_what_loihi_cannot_hold() {
        let d = Discretisation {
            dt: 1e-4,
            reset: Reset::Subtract,
            semantics: Default::default(),
        };
        let e = FixedPopulation::from_node("lay", &lif(1e-3, 1.0, 1.0), &d, Convention::Scaled)
            .unwrap_err();
        assert!(e.to_string().contains("lay") && e.to_string().contains("subtract"));
        let e = FixedPopulation::from_node("z", &lif(1e-3, 1.0, 0.0), &disc(), Convention::Scaled)
            .unwrap_err();
        assert!(e.to_string().contains("v_threshold"), "{e}");
        let li = NodeKind::Li {
            tau: Array1::from(vec![1e-3]),
            r: Array1::from(vec![1.0]),
            v_leak: Array1::from(vec![0.0]),
        };
        assert_eq!(
            FixedPopulation::from_node("li", &li, &disc(), Convention::Scaled).unwrap(),
            None
        );
    }

    #[test]
    fn fixed_lif_tracks_the_float_lif() {
        // Same input to both; spike trains agree except near-threshold ties.
        let kind = lif(1e-3, 10.0, 1.0);
        let f = super::super::Population::from_node("n", &kind, &disc())
            .unwrap()
            .unwrap();
        let p = FixedPopulation::from_node("n", &kind, &disc(), Convention::Scaled)
            .unwrap()
            .unwrap();
        let (mut fs, mut fo, mut ps, mut po) = (vec![0.0], vec![0.0], vec![0.0; 2], vec![0.0]);
        let (mut nf, mut np) = (0, 0);
        for t in 0..2000 {
            let x = 0.12 + 0.1 * ((t as f32) * 0.37).sin();
            nf += f.step(&[x], &mut fs, &mut fo);
            np += p.step(&[x], &mut ps, &mut po);
        }
        assert!(nf > 50, "{nf}");
        assert!(
            (nf as i64 - np as i64).abs() <= nf as i64 / 50,
            "{nf} vs {np}"
        );
    }

    #[test]
    fn weights_quantise_to_8_bit_mantissas_with_a_shared_exponent() {
        // g = 10: integer weights 50, −1270, 3.4, 0 → e = 4 (1270/16 = 79.4 ≤ 127; /8 = 158.8 > 127).
        let mut w = vec![5.0f32, -127.0, 0.34, 0.0];
        let e = quantise_weights(&mut w, 10.0);
        assert_eq!(e, 4);
        // m = round(50/16) = 3, round(−1270/16) = −79, round(3.4/16) = 0 → w = m·16/10.
        assert_eq!(w, vec![4.8, -126.4, 0.0, 0.0]);
        // Small weights get negative exponents: 0.5·2^8 = 128 > 127, so e = −7 and m = 64, −32.
        let mut v = vec![0.5f32, -0.25];
        let e = quantise_weights(&mut v, 1.0);
        assert_eq!(e, -7);
        assert_eq!(v, vec![0.5, -0.25]);
        let mut z = vec![0.0f32; 3];
        assert_eq!(quantise_weights(&mut z, 5.0), 0);
    }
}
