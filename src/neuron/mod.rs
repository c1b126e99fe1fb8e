//! Neuron dynamics as batched structure-of-arrays kernels (f32).
//!
//! A [`Population`] holds one population's per-neuron coefficients, already discretised for
//! a time step `dt` (see [`Discretisation`]); the state of a batch of samples lives outside it
//! (in the engine's buffers), so one population is shared read-only by all threads.
//!
//! # Discretisation
//!
//! Continuous NIR dynamics `τ dv/dt = (v_leak − v) + R·I` are integrated with forward Euler:
//!
//! ```text
//! v[t] = β·v[t−1] + (dt/τ)·v_leak + (R·dt/τ)·I[t],      β = 1 − dt/τ
//! s[t] = v[t] > v_threshold                              (strictly greater)
//! ```
//!
//! The reset of a spike at step `t−1` is applied at step `t` (snnTorch's convention):
//! [`Reset::Zero`] replaces `v[t−1]` by `v_reset` before the leak
//! (`v[t] = β·v[t−1]·(1 − s[t−1]) + …` for `v_reset = 0`); [`Reset::Subtract`] subtracts the
//! threshold after the leak (`v[t] = β·v[t−1] + … − θ·s[t−1]`). Spike trains are identical to
//! resetting immediately after the spike for reset-to-zero.
//!
//! With snnTorch's export (`r = τ/dt`) the input scale `R·dt/τ` is 1 and the rule becomes
//! snnTorch's `v[t] = β·v[t−1]·(1 − s[t−1]) + I[t]`; Norse's LIF box (NIR paper, `lif_norse.nir`)
//! uses the same forward-Euler step. IF and Integrator integrate `dv/dt = R·I` as
//! `v[t] = v[t−1] + R·dt·I[t]` (use `dt = 1` for frameworks such as Sinabs whose IF adds the
//! input unscaled). CubaLIF updates the synaptic current first, then the membrane with the new
//! current: `i[t] = α·i[t−1] + (dt/τ_syn)·w_in·x[t]`, `v[t] = β·v[t−1] + (dt/τ_mem)·v_leak +
//! (R·dt/τ_mem)·i[t]` (snnTorch `Synaptic` order).
//!
//! Time constants shorter than `dt` (β < 0: forward Euler oscillates and diverges) are rejected.
//! Coefficients within 4 f32 ulps of 1 are snapped to exactly 1, so that networks exported
//! with `r = τ/dt` (whose product rounds to 0.99999994) reproduce the training framework bit for bit.

use serde::{Deserialize, Serialize};

mod exporter;
pub use exporter::Recognition;
mod fixed;
mod semantics;
pub use fixed::{
    ACT_SHIFT, Convention, DECAY_UNITY, FixedPopulation, MAX_UV, MAX_VTH, NeuronModel, VTH_TARGET,
    WEIGHT_MANTISSA, clip24, decay, quantise_weights, wrap24,
};
pub use semantics::{
    ALL_SEMANTICS, CurrentForm, Form, Params, ResetTiming, Rule, Semantics, SpikeFrom, SpikeRule,
};

/// What happens to the membrane after a spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reset {
    /// Membrane set to `v_reset` (0 unless the file says otherwise). Default (snnTorch's default for NIR import).
    #[default]
    Zero,
    /// Threshold subtracted from the membrane.
    Subtract,
}

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reset::Zero => "zero",
            Reset::Subtract => "subtract",
        })
    }
}

impl std::str::FromStr for Reset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zero" => Ok(Reset::Zero),
            "subtract" => Ok(Reset::Subtract),
            _ => Err(format!(
                "unknown reset mode `{s}` (expected zero or subtract)"
            )),
        }
    }
}

/// The discrete-time semantics NIR leaves open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Discretisation {
    /// Time step (s). Default 1e-4 (snnTorch's and Norse's NIR export value).
    pub dt: f64,
    /// Reset mechanism. Default [`Reset::Zero`]. Presets whose framework has one fixed reset
    /// (Norse, Sinabs, Rockpool, Spyx: see [`Rule::reset`]) use theirs instead.
    pub reset: Reset,
    /// How the file's parameters are stepped (one preset per framework). Default
    /// [`Semantics::Snntorch`].
    pub semantics: Semantics,
}

impl Default for Discretisation {
    fn default() -> Self {
        Self {
            dt: 1e-4,
            reset: Reset::Zero,
            semantics: Semantics::Snntorch,
        }
    }
}

impl Discretisation {
    /// The reset mechanism in force: the preset's fixed one, else [`reset`](Self::reset).
    pub fn effective_reset(&self) -> Reset {
        self.semantics.rule().reset.unwrap_or(self.reset)
    }
}

/// Why a population cannot be discretised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("neuron node `{node}`: {reason}")]
pub struct NeuronError {
    /// The node's name.
    pub node: String,
    /// What is wrong and how to fix it.
    pub reason: String,
}

/// The kind of dynamics of a [`Population`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamics {
    /// Leaky integrate-and-fire.
    Lif,
    /// Integrate-and-fire.
    If,
    /// Current-based LIF (synaptic current + membrane).
    CubaLif,
    /// Leaky integrator (outputs the membrane).
    Li,
    /// Integrator (outputs the membrane).
    Integrator,
}

/// One neuron population's discretised coefficients (one entry per neuron).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    dynamics: Dynamics,
    reset: Reset,
    rule: Rule,
    /// Membrane decay β ([`Form::Decay`]).
    beta: Vec<f32>,
    /// Constant drive `(1 − β)·v_leak` ([`Form::Decay`]), or `v_leak` ([`Form::Increment`]).
    leak: Vec<f32>,
    /// Input scale on the membrane (inside the bracket for [`Form::Increment`]).
    scale: Vec<f32>,
    /// `dt/τ` of the membrane ([`Form::Increment`]).
    k: Vec<f32>,
    threshold: Vec<f32>,
    v_reset: Vec<f32>,
    /// CubaLIF synaptic decay α.
    alpha: Vec<f32>,
    /// CubaLIF synaptic `dt/τ_syn` ([`CurrentForm::Increment`]).
    syn_k: Vec<f32>,
    /// CubaLIF synaptic input scale.
    syn_scale: Vec<f32>,
}

fn snap(x: f64) -> f32 {
    let y = x as f32;
    if (y - 1.0).abs() <= 4.0 * f32::EPSILON {
        1.0
    } else {
        y
    }
}

struct Checker<'a> {
    node: &'a str,
    dt: f64,
    semantics: Semantics,
}

impl Checker<'_> {
    fn err(&self, reason: String) -> NeuronError {
        NeuronError {
            node: self.node.to_string(),
            reason,
        }
    }
    fn finite(&self, name: &str, v: &[f32]) -> Result<(), NeuronError> {
        match v.iter().position(|x| !x.is_finite()) {
            Some(i) => Err(self.err(format!("{name}[{i}] = {} is not finite", v[i]))),
            None => Ok(()),
        }
    }
    fn positive(&self, name: &str, tau: &[f32]) -> Result<(), NeuronError> {
        self.finite(name, tau)?;
        match tau.iter().position(|&t| t <= 0.0) {
            Some(i) => Err(self.err(format!("{name}[{i}] = {} s must be positive", tau[i]))),
            None => Ok(()),
        }
    }
    /// dt/τ per neuron for a forward-Euler preset, rejecting τ ≤ 0 and τ < dt.
    fn ratio(&self, name: &str, tau: &[f32]) -> Result<Vec<f64>, NeuronError> {
        self.positive(name, tau)?;
        tau.iter()
            .enumerate()
            .map(|(i, &t)| {
                let t = t as f64;
                let r = self.dt / t;
                if r > 1.0 + 1e-6 {
                    return Err(self.err(format!(
                        "{name}[{i}] = {t:.4e} s is shorter than dt = {:.4e} s: under the `{}` semantics \
                         (forward Euler, decay 1 − dt/τ) the membrane would oscillate and diverge; if the \
                         network was trained in discrete time, give the framework's own step (--dt) and \
                         semantics (--semantics), else a time step dt ≤ {t:.4e} s",
                        self.dt, self.semantics
                    )));
                }
                Ok(r.min(1.0))
            })
            .collect()
    }
}

/// Decay factors and gains of one state variable, per neuron.
struct Coeffs {
    beta: Vec<f32>,
    k: Vec<f32>,
    scale: Vec<f32>,
}

impl Population {
    /// Discretise the neuron node `kind` (named `node` in messages) with `disc`.
    ///
    /// Returns `Ok(None)` when `kind` is not a neuron population.
    pub fn from_node(
        node: &str,
        kind: &crate::network::NodeKind,
        disc: &Discretisation,
    ) -> Result<Option<Population>, NeuronError> {
        use crate::network::NodeKind as K;
        let c = Checker {
            node,
            dt: disc.dt,
            semantics: disc.semantics,
        };
        if !(disc.dt.is_finite() && disc.dt > 0.0) {
            return Err(c.err(format!("dt = {} s must be positive", disc.dt)));
        }
        let rule = disc.semantics.rule();
        let dt = disc.dt;
        let mut p = Population {
            dynamics: Dynamics::Lif,
            reset: disc.effective_reset(),
            rule,
            beta: vec![],
            leak: vec![],
            scale: vec![],
            k: vec![],
            threshold: vec![],
            v_reset: vec![],
            alpha: vec![],
            syn_k: vec![],
            syn_scale: vec![],
        };
        // Membrane coefficients of a leaky state with time constants `tau` and gains `r`.
        let leaky = |tau: &[f32], r: &[f32]| -> Result<Coeffs, NeuronError> {
            c.finite("r", r)?;
            let name = if matches!(kind, K::CubaLif { .. }) {
                "tau_mem"
            } else {
                "tau"
            };
            let n = tau.len();
            let mut out = Coeffs {
                beta: Vec::with_capacity(n),
                k: Vec::with_capacity(n),
                scale: Vec::with_capacity(n),
            };
            match rule.params {
                Params::Snntorch | Params::Euler => {
                    for (&k, &r) in c.ratio(name, tau)?.iter().zip(r) {
                        out.beta.push(snap(1.0 - k));
                        out.k.push(k as f32);
                        out.scale.push(match rule.membrane {
                            Form::Decay => snap(k * r as f64),
                            Form::Increment => r,
                        });
                    }
                }
                Params::Norse => {
                    for (k, &r) in norse_k(&c, name, tau)?.into_iter().zip(r) {
                        out.beta.push(1.0 - k);
                        out.k.push(k);
                        out.scale.push(r);
                    }
                }
                Params::Exact | Params::Sinabs | Params::Rockpool => {
                    c.positive(name, tau)?;
                    for (&t, &r) in tau.iter().zip(r) {
                        let k = dt / t as f64;
                        let b = (-k).exp();
                        out.beta.push(b as f32);
                        out.k.push(k as f32);
                        out.scale.push(match rule.params {
                            Params::Rockpool => snap(r as f64 * k / b),
                            _ => (r as f64 * (1.0 - b)) as f32,
                        });
                    }
                }
                Params::Spyx => {
                    c.positive(name, tau)?;
                    for &r in r {
                        // Spyx steps with clip(β, 0, 1); its exporter writes β as `r`.
                        out.beta.push(r.clamp(0.0, 1.0));
                        out.k.push(1.0 - r.clamp(0.0, 1.0));
                        out.scale.push(1.0);
                    }
                }
            }
            Ok(out)
        };
        let set_membrane = |p: &mut Population, m: Coeffs, v_leak: &[f32]| {
            p.leak = match rule.membrane {
                Form::Decay => m
                    .beta
                    .iter()
                    .zip(v_leak)
                    .map(|(&b, &l)| ((1.0 - b as f64) * l as f64) as f32)
                    .collect(),
                Form::Increment => v_leak.to_vec(),
            };
            p.beta = m.beta;
            p.k = m.k;
            p.scale = m.scale;
        };
        // Integrators (IF, Integrator): `v + g·x` with g = r·dt (ODE) or r (discrete-time
        // frameworks that add the input unscaled).
        let integrator_gain = |r: &[f32]| -> Vec<f32> {
            match rule.params {
                Params::Sinabs | Params::Spyx | Params::Rockpool => r.to_vec(),
                _ => r.iter().map(|&r| snap(r as f64 * dt)).collect(),
            }
        };
        let n;
        match kind {
            K::Lif {
                tau,
                r,
                v_leak,
                v_threshold,
                v_reset,
            } => {
                n = tau.len();
                c.finite("v_leak", &v_leak.to_vec())?;
                let m = leaky(&tau.to_vec(), &r.to_vec())?;
                set_membrane(&mut p, m, &v_leak.to_vec());
                p.threshold = v_threshold.to_vec();
                p.v_reset = v_reset.to_vec();
            }
            K::If {
                r,
                v_threshold,
                v_reset,
            } => {
                n = r.len();
                p.dynamics = Dynamics::If;
                c.finite("r", &r.to_vec())?;
                p.beta = vec![1.0; n];
                p.leak = vec![0.0; n];
                p.k = vec![0.0; n];
                p.scale = integrator_gain(&r.to_vec());
                p.threshold = v_threshold.to_vec();
                p.v_reset = v_reset.to_vec();
                // An integrator has no decay to write as an increment.
                p.rule.membrane = Form::Decay;
            }
            K::CubaLif {
                tau_syn,
                tau_mem,
                r,
                v_leak,
                v_threshold,
                v_reset,
                w_in,
            } => {
                n = tau_mem.len();
                p.dynamics = Dynamics::CubaLif;
                c.finite("v_leak", &v_leak.to_vec())?;
                let m = leaky(&tau_mem.to_vec(), &r.to_vec())?;
                set_membrane(&mut p, m, &v_leak.to_vec());
                let ts = tau_syn.to_vec();
                let w = w_in.to_vec();
                c.finite("w_in", &w)?;
                match rule.params {
                    Params::Snntorch | Params::Euler => {
                        let ks = c.ratio("tau_syn", &ts)?;
                        p.alpha = ks.iter().map(|&k| snap(1.0 - k)).collect();
                        p.syn_k = ks.iter().map(|&k| k as f32).collect();
                        p.syn_scale = ks
                            .iter()
                            .zip(&w)
                            .map(|(&k, &w)| snap(k * w as f64))
                            .collect();
                    }
                    Params::Norse => {
                        let ks = norse_k(&c, "tau_syn", &ts)?;
                        p.alpha = ks.iter().map(|&k| 1.0 - k).collect();
                        p.syn_k = ks;
                        // Norse adds the input to the current unscaled; `w_in` is 1 in its files.
                        p.syn_scale = w.clone();
                    }
                    Params::Exact | Params::Sinabs | Params::Rockpool | Params::Spyx => {
                        c.positive("tau_syn", &ts)?;
                        let a: Vec<f64> = ts.iter().map(|&t| (-dt / t as f64).exp()).collect();
                        p.alpha = a.iter().map(|&a| a as f32).collect();
                        p.syn_k = a.iter().map(|&a| (1.0 - a) as f32).collect();
                        p.syn_scale = match rule.params {
                            Params::Exact => a
                                .iter()
                                .zip(&w)
                                .map(|(&a, &w)| ((1.0 - a) * w as f64) as f32)
                                .collect(),
                            Params::Spyx => {
                                // Spyx's CuBaLIF: i = α·i + x, with α written as 1 − dt/τ_syn.
                                p.alpha = ts
                                    .iter()
                                    .map(|&t| (1.0 - dt / t as f64).clamp(0.0, 1.0) as f32)
                                    .collect();
                                w.clone()
                            }
                            _ => w.clone(),
                        };
                    }
                }
                p.threshold = v_threshold.to_vec();
                p.v_reset = v_reset.to_vec();
            }
            K::Li { tau, r, v_leak } => {
                n = tau.len();
                p.dynamics = Dynamics::Li;
                c.finite("v_leak", &v_leak.to_vec())?;
                let m = leaky(&tau.to_vec(), &r.to_vec())?;
                set_membrane(&mut p, m, &v_leak.to_vec());
            }
            K::Integrator { r } => {
                n = r.len();
                p.dynamics = Dynamics::Integrator;
                c.finite("r", &r.to_vec())?;
                p.beta = vec![1.0; n];
                p.leak = vec![0.0; n];
                p.k = vec![0.0; n];
                p.scale = integrator_gain(&r.to_vec());
                p.rule.membrane = Form::Decay;
            }
            _ => return Ok(None),
        }
        if p.spiking() {
            c.finite("v_threshold", &p.threshold)?;
            c.finite("v_reset", &p.v_reset)?;
            if p.rule.spike == SpikeRule::Multi
                && let Some(i) = p.threshold.iter().position(|&t| t <= 0.0)
            {
                return Err(c.err(format!(
                    "v_threshold[{i}] = {} must be positive under the `{}` semantics (⌊v/θ⌋ spikes per step)",
                    p.threshold[i], disc.semantics
                )));
            }
        }
        let lens_ok = [&p.beta, &p.leak, &p.scale, &p.k]
            .iter()
            .all(|v| v.len() == n)
            && (!p.spiking() || (p.threshold.len() == n && p.v_reset.len() == n))
            && (p.dynamics != Dynamics::CubaLif
                || (p.alpha.len() == n && p.syn_scale.len() == n && p.syn_k.len() == n));
        if !lens_ok {
            return Err(c.err("parameter arrays have different lengths".into()));
        }
        Ok(Some(p))
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.beta.len()
    }

    /// True for an empty population.
    pub fn is_empty(&self) -> bool {
        self.beta.is_empty()
    }

    /// The dynamics.
    pub fn dynamics(&self) -> Dynamics {
        self.dynamics
    }

    /// The update rule in force.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// True when the output is a spike train (LIF, IF, CubaLIF); false when it is the membrane.
    pub fn spiking(&self) -> bool {
        matches!(
            self.dynamics,
            Dynamics::Lif | Dynamics::If | Dynamics::CubaLif
        )
    }

    /// True when the output is a spike count per step that may exceed 1 ([`SpikeRule::Multi`]).
    pub fn multi_spike(&self) -> bool {
        self.spiking() && self.rule.spike == SpikeRule::Multi
    }

    /// Number of state variables per sample (`len()`, or `2·len()` for CubaLIF).
    pub fn state_len(&self) -> usize {
        if self.dynamics == Dynamics::CubaLif {
            2 * self.len()
        } else {
            self.len()
        }
    }

    /// Advance one sample by one step.
    ///
    /// `input` is this step's input current, `state` the sample's state (zero at the start),
    /// `out` holds the previous step's output on entry (zero at the start) and this step's on
    /// exit (spikes as 0/1 or counts, or the membrane for LI/Integrator). Returns the number of
    /// spikes.
    pub fn step(&self, input: &[f32], state: &mut [f32], out: &mut [f32]) -> u32 {
        let n = self.len();
        debug_assert!(input.len() == n && out.len() == n && state.len() == self.state_len());
        match self.dynamics {
            Dynamics::Lif | Dynamics::If => self.spike_step(input, &mut state[..n], out),
            Dynamics::CubaLif => {
                let (syn, v) = state.split_at_mut(n);
                let (a, g, k) = (&self.alpha[..n], &self.syn_scale[..n], &self.syn_k[..n]);
                let input = &input[..n];
                match self.rule.current {
                    CurrentForm::Decay => {
                        for i in 0..n {
                            syn[i] = a[i] * syn[i] + g[i] * input[i];
                        }
                    }
                    CurrentForm::DecayAfterInput => {
                        for i in 0..n {
                            syn[i] = (syn[i] + g[i] * input[i]) * a[i];
                        }
                    }
                    CurrentForm::Increment => {
                        for i in 0..n {
                            syn[i] = (syn[i] - k[i] * syn[i]) + g[i] * input[i];
                        }
                    }
                }
                self.spike_step(syn, v, out)
            }
            Dynamics::Li | Dynamics::Integrator => {
                for i in 0..n {
                    let v = self.membrane(i, state[i], input[i]);
                    state[i] = v;
                    out[i] = v;
                }
                0
            }
        }
    }

    /// The membrane after one update from `v` with input `x` (no reset).
    #[inline(always)]
    fn membrane(&self, i: usize, v: f32, x: f32) -> f32 {
        match self.rule.membrane {
            Form::Decay => self.beta[i] * v + self.leak[i] + self.scale[i] * x,
            Form::Increment => v + self.k[i] * ((self.leak[i] - v) + self.scale[i] * x),
        }
    }

    /// Spikes of membrane `v` at threshold `th`.
    #[inline(always)]
    fn spikes(&self, v: f32, th: f32) -> f32 {
        match self.rule.spike {
            SpikeRule::Single { strict: true } => (v > th) as u32 as f32,
            SpikeRule::Single { strict: false } => (v >= th) as u32 as f32,
            SpikeRule::Multi => {
                if v >= th {
                    (v / th).floor()
                } else {
                    0.0
                }
            }
        }
    }

    fn spike_step(&self, input: &[f32], v: &mut [f32], out: &mut [f32]) -> u32 {
        let r = self.rule;
        if r.membrane == Form::Decay
            && r.spike == (SpikeRule::Single { strict: true })
            && r.spike_from == SpikeFrom::Updated
            && r.reset_timing == ResetTiming::NextStep
        {
            return self.snntorch_step(input, v, out);
        }
        let n = v.len();
        let (input, out) = (&input[..n], &mut out[..n]);
        let (th, vr) = (&self.threshold[..n], &self.v_reset[..n]);
        let mut count = 0f64;
        for i in 0..n {
            let s = match (r.spike_from, r.reset_timing) {
                (SpikeFrom::Updated, ResetTiming::SameStep) => {
                    let x = self.membrane(i, v[i], input[i]);
                    let s = self.spikes(x, th[i]);
                    v[i] = if s == 0.0 {
                        x
                    } else {
                        match self.reset {
                            Reset::Zero => vr[i],
                            Reset::Subtract => x - s * th[i],
                        }
                    };
                    s
                }
                (SpikeFrom::Updated, ResetTiming::NextStep) => {
                    // The previous step's spikes (0/1 or counts) reset before this update.
                    let prev = out[i];
                    let x = match self.reset {
                        Reset::Zero => {
                            let base = if prev != 0.0 { vr[i] } else { v[i] };
                            self.membrane(i, base, input[i])
                        }
                        Reset::Subtract => self.membrane(i, v[i], input[i]) - prev * th[i],
                    };
                    v[i] = x;
                    self.spikes(x, th[i])
                }
                (SpikeFrom::Previous, _) => {
                    // Spyx: the spike is read from the membrane before this step's update, and
                    // its reset enters this update (`v = β·v + x − s·θ`).
                    let s = self.spikes(v[i], th[i]);
                    v[i] = match self.reset {
                        Reset::Zero => {
                            let base = if s != 0.0 { vr[i] } else { v[i] };
                            self.membrane(i, base, input[i])
                        }
                        Reset::Subtract => self.membrane(i, v[i], input[i]) - s * th[i],
                    };
                    s
                }
            };
            out[i] = s;
            count += s as f64;
        }
        count.min(u32::MAX as f64) as u32
    }

    /// snnTorch's `Leaky`: forward Euler, one spike when `v > θ`, reset at the next step.
    fn snntorch_step(&self, input: &[f32], v: &mut [f32], out: &mut [f32]) -> u32 {
        // Re-slice everything to one length so the loops compile without bounds checks and
        // vectorise (branch-free selects).
        let n = v.len();
        let (input, out) = (&input[..n], &mut out[..n]);
        let (beta, leak, scale) = (&self.beta[..n], &self.leak[..n], &self.scale[..n]);
        let (th, vr) = (&self.threshold[..n], &self.v_reset[..n]);
        let mut count = 0u32;
        match self.reset {
            Reset::Zero => {
                for i in 0..n {
                    // out[i] is exactly 0 or 1, so this selects v or v_reset exactly.
                    let prev = v[i] * (1.0 - out[i]) + vr[i] * out[i];
                    let x = beta[i] * prev + leak[i] + scale[i] * input[i];
                    v[i] = x;
                    let s = x > th[i];
                    count += s as u32;
                    out[i] = s as u32 as f32;
                }
            }
            Reset::Subtract => {
                for i in 0..n {
                    let x = beta[i] * v[i] + leak[i] + scale[i] * input[i] - out[i] * th[i];
                    v[i] = x;
                    let s = x > th[i];
                    count += s as u32;
                    out[i] = s as u32 as f32;
                }
            }
        }
        count
    }
}

/// Norse's `dt/τ` per neuron: its exporter writes `τ = dt/τ_inv` (shorter than `dt` for any
/// time constant above `dt`), older files `τ = 1/τ_inv` (seconds). Norse computes `dt·τ_inv`
/// in f32, so do we.
fn norse_k(c: &Checker, name: &str, tau: &[f32]) -> Result<Vec<f32>, NeuronError> {
    c.positive(name, tau)?;
    let dt = c.dt;
    let times_dt = tau.iter().all(|&t| (t as f64) < dt);
    let dt32 = dt as f32;
    tau.iter()
        .enumerate()
        .map(|(i, &t)| {
            let inv = if times_dt {
                (dt / t as f64) as f32
            } else {
                (1.0 / t as f64) as f32
            };
            let k = dt32 * inv;
            if k > 1.0 + 1e-6 {
                return Err(c.err(format!(
                    "{name}[{i}] = {t:.4e} s gives dt/τ = {k} > 1 under the `norse` semantics (dt = {dt:e} s): \
                     give Norse's own time step with --dt (its default is 1e-3 s)"
                )));
            }
            Ok(k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NodeKind;
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

    /// Reference: snnTorch's Leaky written out literally.
    fn snntorch_leaky(beta: f32, th: f32, input: &[f32], subtract: bool) -> Vec<u8> {
        let (mut mem, mut spk) = (0.0f32, 0.0f32);
        let mut out = vec![];
        for &x in input {
            mem = if subtract {
                beta * mem + x - spk * th
            } else {
                beta * mem * (1.0 - spk) + x
            };
            spk = (mem > th) as u8 as f32;
            out.push(spk as u8);
        }
        out
    }

    #[test]
    fn lif_matches_snntorch_leaky_for_both_resets() {
        let dt = 1e-4;
        let tau = (dt / (1.0 - 0.9)) as f32;
        let r = (tau as f64 / dt) as f32;
        let input: Vec<f32> = (0..200).map(|t| ((t * 37 % 11) as f32) * 0.07).collect();
        for reset in [Reset::Zero, Reset::Subtract] {
            let p = Population::from_node(
                "n",
                &lif(tau, r, 1.0),
                &Discretisation {
                    dt,
                    reset,
                    semantics: Semantics::Snntorch,
                },
            )
            .unwrap()
            .unwrap();
            assert_eq!(p.scale[0], 1.0);
            assert_eq!(p.beta[0], 0.9f32);
            let (mut st, mut out) = (vec![0.0], vec![0.0]);
            let got: Vec<u8> = input
                .iter()
                .map(|&x| {
                    p.step(&[x], &mut st, &mut out);
                    out[0] as u8
                })
                .collect();
            let want = snntorch_leaky(0.9, 1.0, &input, reset == Reset::Subtract);
            assert_eq!(got, want, "{reset}");
            assert!(got.iter().filter(|&&s| s == 1).count() > 10);
        }
    }

    #[test]
    fn li_decays_exponentially_to_leak_free_closed_form() {
        let kind = NodeKind::Li {
            tau: Array1::from(vec![1e-3]),
            r: Array1::from(vec![1.0]),
            v_leak: Array1::from(vec![0.5]),
        };
        let p = Population::from_node("li", &kind, &Discretisation::default())
            .unwrap()
            .unwrap();
        let (mut st, mut out) = (vec![0.0], vec![0.0]);
        for _ in 0..50 {
            p.step(&[0.0], &mut st, &mut out);
        }
        // v[t] = v_leak (1 − β^t)
        let want = 0.5 * (1.0 - 0.9f64.powi(50));
        assert!((out[0] as f64 - want).abs() < 1e-5, "{} vs {want}", out[0]);
    }

    #[test]
    fn integrate_and_fire_counts_input_over_threshold() {
        let kind = NodeKind::If {
            r: Array1::from(vec![1.0]),
            v_threshold: Array1::from(vec![1.0]),
            v_reset: Array1::from(vec![0.0]),
        };
        let d = Discretisation {
            dt: 1.0,
            reset: Reset::Subtract,
            semantics: Default::default(),
        };
        let p = Population::from_node("if", &kind, &d).unwrap().unwrap();
        let (mut st, mut out) = (vec![0.0], vec![0.0]);
        let spikes: u32 = (0..100).map(|_| p.step(&[0.25], &mut st, &mut out)).sum();
        // v climbs 0.25 per step and must exceed 1 strictly: first spike at step 5, then one
        // every 4 steps (1.25 − 1 + 0.25·3 = 1.0 is not above threshold): 1 + ⌊95/4⌋ = 24.
        assert_eq!(spikes, 24);
    }

    #[test]
    fn cuba_lif_current_then_membrane() {
        let kind = NodeKind::CubaLif {
            tau_syn: Array1::from(vec![2e-4]),
            tau_mem: Array1::from(vec![1e-3]),
            r: Array1::from(vec![10.0]),
            v_leak: Array1::from(vec![0.0]),
            v_threshold: Array1::from(vec![100.0]),
            v_reset: Array1::from(vec![0.0]),
            w_in: Array1::from(vec![2.0]),
        };
        let p = Population::from_node("c", &kind, &Discretisation::default())
            .unwrap()
            .unwrap();
        let mut st = vec![0.0, 0.0];
        let mut out = vec![0.0];
        p.step(&[1.0], &mut st, &mut out);
        // i = 0.5·2·1 = 1, v = 0.9·0 + 1·1 = 1
        assert!(
            (st[0] - 1.0).abs() < 1e-6 && (st[1] - 1.0).abs() < 1e-6,
            "{st:?}"
        );
        p.step(&[0.0], &mut st, &mut out);
        // i = 0.5, v = 0.9 + 0.5
        assert!(
            (st[0] - 0.5).abs() < 1e-6 && (st[1] - 1.4).abs() < 1e-6,
            "{st:?}"
        );
    }

    #[test]
    fn time_constant_shorter_than_dt_is_rejected_naming_node() {
        let err = Population::from_node("layer1", &lif(1e-5, 1.0, 1.0), &Discretisation::default())
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("layer1") && msg.contains("shorter than dt"),
            "{msg}"
        );
    }

    fn run(p: &Population, x: f32, steps: usize) -> Vec<f32> {
        let (mut st, mut out) = (vec![0.0; p.state_len()], vec![0.0]);
        (0..steps)
            .map(|_| {
                p.step(&[x], &mut st, &mut out);
                out[0]
            })
            .collect()
    }

    #[test]
    fn sinabs_emits_floor_v_over_theta_spikes_and_subtracts_them() {
        let kind = NodeKind::If {
            r: Array1::from(vec![1.0]),
            v_threshold: Array1::from(vec![1.0]),
            v_reset: Array1::from(vec![0.0]),
        };
        let d = Discretisation {
            dt: 1.0,
            reset: Reset::Zero, // Sinabs always subtracts
            semantics: Semantics::Sinabs,
        };
        let p = Population::from_node("if", &kind, &d).unwrap().unwrap();
        assert!(p.multi_spike());
        // v: 2.5 → 2 spikes, 0.5; 3.0 → 3, 0; 2.5 → 2, 0.5.
        assert_eq!(run(&p, 2.5, 3), vec![2.0, 3.0, 2.0]);
    }

    #[test]
    fn spyx_reads_the_spike_from_the_previous_membrane() {
        // β = 0.5 written as r, τ = dt/(1 − β) = 2 steps.
        let d = Discretisation {
            dt: 1.0,
            reset: Reset::Zero,
            semantics: Semantics::Spyx,
        };
        let p = Population::from_node("l", &lif(2.0, 0.5, 1.0), &d)
            .unwrap()
            .unwrap();
        // v: 0 → 1.5 (s = 0); s = H(1.5 − 1) = 1, v = 0.75 + 1.5 − 1 = 1.25; s = 1, v = 1.125.
        assert_eq!(run(&p, 1.5, 3), vec![0.0, 1.0, 1.0]);
    }

    #[test]
    fn exact_preset_decays_by_exp_and_holds_the_input() {
        let d = Discretisation {
            dt: 1e-3,
            reset: Reset::Zero,
            semantics: Semantics::NirExact,
        };
        // τ = 2 ms shorter than 2·dt is fine for exact integration; threshold out of reach.
        let p = Population::from_node("l", &lif(2e-3, 1.0, 100.0), &d)
            .unwrap()
            .unwrap();
        let (mut st, mut out) = (vec![0.0], vec![0.0]);
        for _ in 0..3 {
            p.step(&[1.0], &mut st, &mut out);
        }
        // v(3·dt) = R·I·(1 − e^{−3 dt/τ}) for a constant input from rest.
        let want = 1.0 - (-1.5f64).exp();
        assert!((st[0] as f64 - want).abs() < 1e-6, "{} vs {want}", st[0]);
    }
}
