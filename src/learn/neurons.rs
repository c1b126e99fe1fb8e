//! Neurons of the learning network: integrate-and-fire variants with an adaptive threshold, and
//! lateral inhibition (an inhibitory population, or a winner-take-all shortcut).
//!
//! Membrane equation of the excitatory neurons (Diehl & Cook 2015, eq. 1), integrated by forward
//! Euler with step `dt`, outside the refractory period:
//!
//! ```text
//! τ dv/dt = λ·(v_rest − v) + g_e·(E_exc − v) + g_i·(E_inh − v)      (conductance synapses)
//! τ dv/dt = λ·(v_rest − v),  v += Σ w·s (volt per unit weight)       (current synapses, BindsNET)
//! spike when v > v_thresh + θ − θ_offset;  v ← v_reset;  θ ← θ + θ₊ (adaptive only)
//! τ_θ dθ/dt = −θ,   τ_ge dg_e/dt = −g_e,   τ_gi dg_i/dt = −g_i
//! ```
//!
//! with `λ = 1` for LIF and adaptive LIF and `λ = 0` for IF. Conductances are in units of the
//! leak conductance (dimensionless), as in the published code.

use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// Which excitatory neuron model a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum NeuronKind {
    /// Integrate-and-fire: no leak, fixed threshold.
    If,
    /// Leaky integrate-and-fire, fixed threshold (θ stays at `theta_init`).
    Lif,
    /// Leaky integrate-and-fire with an adaptive threshold θ (Diehl & Cook's excitatory neurons).
    #[default]
    AdaptiveLif,
}

impl NeuronKind {
    /// The CLI name (`if`, `lif`, `alif`).
    pub fn name(&self) -> &'static str {
        match self {
            NeuronKind::If => "if",
            NeuronKind::Lif => "lif",
            NeuronKind::AdaptiveLif => "alif",
        }
    }

    /// Parse a CLI name.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "if" => NeuronKind::If,
            "lif" => NeuronKind::Lif,
            "alif" => NeuronKind::AdaptiveLif,
            _ => return None,
        })
    }
}

/// Parameters of a population of neurons (SI units). Defaults: Diehl & Cook's excitatory neurons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeuronParams {
    /// Resting potential (volt; default −65 mV).
    pub v_rest: f64,
    /// Reset potential (volt; default −65 mV).
    pub v_reset: f64,
    /// Threshold (volt; default −52 mV).
    pub v_thresh: f64,
    /// Membrane time constant (second; default 100 ms).
    pub tau: f64,
    /// Refractory period (second; default 5 ms).
    pub refractory: f64,
    /// Excitatory reversal potential (volt; default 0 V).
    pub e_exc: f64,
    /// Inhibitory reversal potential (volt; default −100 mV).
    pub e_inh: f64,
    /// Threshold increment per spike (volt; default 0.05 mV; adaptive neurons only).
    pub theta_plus: f64,
    /// Threshold decay time constant (second; default 10⁴ s = 10⁷ ms).
    pub tau_theta: f64,
    /// Initial θ (volt; default 20 mV).
    pub theta_init: f64,
    /// Offset subtracted from `v_thresh + θ` (volt; default 20 mV, so a fresh neuron fires at −52 mV).
    pub theta_offset: f64,
}

impl Default for NeuronParams {
    fn default() -> Self {
        Self {
            v_rest: -65e-3,
            v_reset: -65e-3,
            v_thresh: -52e-3,
            tau: 100e-3,
            refractory: 5e-3,
            e_exc: 0.0,
            e_inh: -100e-3,
            theta_plus: 0.05e-3,
            tau_theta: 1e4,
            theta_init: 20e-3,
            theta_offset: 20e-3,
        }
    }
}

impl NeuronParams {
    /// Diehl & Cook's inhibitory neurons: rest −60 mV, reset −45 mV, threshold −40 mV,
    /// τ = 10 ms, refractory 2 ms, E_inh = −85 mV, no adaptation.
    pub fn diehl_cook_inhibitory() -> Self {
        Self {
            v_rest: -60e-3,
            v_reset: -45e-3,
            v_thresh: -40e-3,
            tau: 10e-3,
            refractory: 2e-3,
            e_exc: 0.0,
            e_inh: -85e-3,
            theta_plus: 0.0,
            tau_theta: 1e4,
            theta_init: 0.0,
            theta_offset: 0.0,
        }
    }

    /// Check the fields against `dt` (τ must exceed `dt` for Euler to be stable).
    pub fn validate(&self, dt: f64) -> Result<(), FieldError> {
        for (n, v) in [
            ("v_rest", self.v_rest),
            ("v_reset", self.v_reset),
            ("v_thresh", self.v_thresh),
            ("e_exc", self.e_exc),
            ("e_inh", self.e_inh),
            ("theta_init", self.theta_init),
            ("theta_offset", self.theta_offset),
        ] {
            if !v.is_finite() {
                return Err(FieldError::new(n, format!("{v} V must be finite")));
            }
        }
        if !(self.tau.is_finite() && self.tau > dt) {
            return Err(FieldError::new(
                "tau",
                format!(
                    "{} s must exceed dt = {dt} s (Euler is unstable otherwise)",
                    self.tau
                ),
            ));
        }
        if !(self.tau_theta.is_finite() && self.tau_theta > 0.0) {
            return Err(FieldError::new(
                "tau_theta",
                format!("{} s must be finite and > 0", self.tau_theta),
            ));
        }
        for (n, v) in [
            ("refractory", self.refractory),
            ("theta_plus", self.theta_plus),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FieldError::new(n, format!("{v} must be finite and ≥ 0")));
            }
        }
        if self.v_reset >= self.v_thresh + self.theta_init - self.theta_offset {
            return Err(FieldError::new(
                "v_reset",
                format!(
                    "{} V must lie below the initial threshold {} V",
                    self.v_reset,
                    self.v_thresh + self.theta_init - self.theta_offset
                ),
            ));
        }
        Ok(())
    }
}

/// How input spikes act on the membrane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SynapseKind {
    /// Exponentially decaying conductances (Diehl & Cook / Brian).
    Conductance {
        /// Excitatory conductance time constant (second; 1 ms in Diehl & Cook).
        tau_ge: f64,
        /// Inhibitory conductance time constant (second; 2 ms in Diehl & Cook).
        tau_gi: f64,
    },
    /// Instantaneous voltage jumps `Δv = scale·w` (BindsNET `DiehlAndCookNodes`).
    Current {
        /// Volt per unit weight (1 mV in BindsNET, whose voltages are in mV).
        scale: f64,
    },
}

impl Default for SynapseKind {
    fn default() -> Self {
        SynapseKind::Conductance {
            tau_ge: 1e-3,
            tau_gi: 2e-3,
        }
    }
}

/// Lateral inhibition between the excitatory neurons.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Inhibition {
    /// Diehl & Cook's inhibitory population: each excitatory neuron drives one inhibitory neuron
    /// (weight `w_ei`), which inhibits every *other* excitatory neuron (weight `w_ie`).
    Population {
        /// Excitatory → inhibitory weight (10.4 in Diehl & Cook).
        w_ei: f64,
        /// Inhibitory → excitatory weight (17.0 in Diehl & Cook).
        w_ie: f64,
    },
    /// Shortcut: an excitatory spike inhibits every other excitatory neuron directly with
    /// `w_ie`, as if its inhibitory partner fired at once (no inhibitory neurons simulated; one
    /// step faster and exactly one inhibitory event per excitatory spike).
    WinnerTakeAll {
        /// Inhibitory weight onto every other excitatory neuron.
        w_ie: f64,
    },
}

impl Default for Inhibition {
    fn default() -> Self {
        Inhibition::Population {
            w_ei: 10.4,
            w_ie: 17.0,
        }
    }
}

/// State of one population (structure of arrays).
#[derive(Debug, Clone)]
pub(crate) struct Population {
    pub v: Vec<f32>,
    pub ge: Vec<f32>,
    pub gi: Vec<f32>,
    pub refr: Vec<u32>,
    pub spikes: Vec<u32>,
}

impl Population {
    pub fn new(n: usize, v0: f64) -> Self {
        Self {
            v: vec![v0 as f32; n],
            ge: vec![0.0; n],
            gi: vec![0.0; n],
            refr: vec![0; n],
            spikes: Vec::with_capacity(n),
        }
    }

    pub fn reset(&mut self, v0: f64) {
        self.v.iter_mut().for_each(|v| *v = v0 as f32);
        self.ge.iter_mut().for_each(|g| *g = 0.0);
        self.gi.iter_mut().for_each(|g| *g = 0.0);
        self.refr.iter_mut().for_each(|r| *r = 0);
        self.spikes.clear();
    }
}

/// Per-step constants of one population, precomputed from its parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stepper {
    pub leak: f32,
    pub k: f32,
    pub v_rest: f32,
    pub v_reset: f32,
    pub e_exc: f32,
    pub e_inh: f32,
    pub dge: f32,
    pub dgi: f32,
    pub conductance: bool,
    pub refr_steps: u32,
    pub thresh: f32,
}

impl Stepper {
    pub fn new(p: &NeuronParams, leaky: bool, syn: SynapseKind, dt: f64) -> Self {
        let (conductance, dge, dgi) = match syn {
            SynapseKind::Conductance { tau_ge, tau_gi } => {
                (true, (-dt / tau_ge).exp(), (-dt / tau_gi).exp())
            }
            SynapseKind::Current { .. } => (false, 0.0, 0.0),
        };
        Self {
            leak: if leaky { 1.0 } else { 0.0 },
            k: (dt / p.tau) as f32,
            v_rest: p.v_rest as f32,
            v_reset: p.v_reset as f32,
            e_exc: p.e_exc as f32,
            e_inh: p.e_inh as f32,
            dge: dge as f32,
            dgi: dgi as f32,
            conductance,
            refr_steps: (p.refractory / dt).round() as u32,
            thresh: (p.v_thresh - p.theta_offset) as f32,
        }
    }

    /// Advance every neuron one step; push the indices that spike into `pop.spikes`.
    /// `theta[j]` (volt) is added to the threshold.
    #[inline]
    #[allow(clippy::needless_range_loop)]
    pub fn step(&self, pop: &mut Population, theta: &[f32]) {
        pop.spikes.clear();
        for j in 0..pop.v.len() {
            let mut v = pop.v[j];
            if pop.refr[j] > 0 {
                pop.refr[j] -= 1;
                v = self.v_reset;
            } else if self.conductance {
                let dv = self.leak * (self.v_rest - v)
                    + pop.ge[j] * (self.e_exc - v)
                    + pop.gi[j] * (self.e_inh - v);
                v += self.k * dv;
            } else {
                v += self.k * self.leak * (self.v_rest - v) + pop.ge[j] - pop.gi[j];
            }
            if self.conductance {
                pop.ge[j] *= self.dge;
                pop.gi[j] *= self.dgi;
            } else {
                pop.ge[j] = 0.0;
                pop.gi[j] = 0.0;
            }
            if v > self.thresh + theta[j] {
                v = self.v_reset;
                pop.refr[j] = self.refr_steps;
                pop.spikes.push(j as u32);
            }
            pop.v[j] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaky_membrane_relaxes_exponentially_and_if_holds() {
        let p = NeuronParams::default();
        let s = Stepper::new(&p, true, SynapseKind::default(), 0.5e-3);
        let mut pop = Population::new(1, -55e-3);
        let theta = [1.0f32];
        for _ in 0..200 {
            s.step(&mut pop, &theta);
        }
        // Euler: v − v_rest shrinks by (1 − dt/τ) per step.
        let want = -65e-3 + 10e-3 * (1.0 - 0.005f64).powi(200);
        assert!((pop.v[0] as f64 - want).abs() < 1e-6, "{}", pop.v[0]);
        let s_if = Stepper::new(&p, false, SynapseKind::default(), 0.5e-3);
        let mut pop = Population::new(1, -55e-3);
        s_if.step(&mut pop, &theta);
        assert_eq!(pop.v[0], -55e-3f32);
    }

    #[test]
    fn conductance_drive_fires_then_holds_reset_for_the_refractory_period() {
        let p = NeuronParams::default();
        let s = Stepper::new(&p, true, SynapseKind::default(), 0.5e-3);
        let mut pop = Population::new(1, -65e-3);
        let theta = [20e-3f32];
        let mut fired_at = None;
        for t in 0..400 {
            pop.ge[0] += 0.5;
            s.step(&mut pop, &theta);
            if !pop.spikes.is_empty() {
                fired_at = Some(t);
                break;
            }
        }
        let t0 = fired_at.expect("a strong drive fires");
        assert_eq!(pop.refr[0], 10);
        for _ in 0..10 {
            pop.ge[0] += 0.5;
            s.step(&mut pop, &theta);
            assert!(pop.spikes.is_empty());
            assert_eq!(pop.v[0], -65e-3f32);
        }
        assert!(t0 > 0);
    }

    #[test]
    fn parameters_are_checked_against_dt() {
        let p = NeuronParams {
            tau: 0.1e-3,
            ..NeuronParams::default()
        };
        assert_eq!(p.validate(0.5e-3).unwrap_err().field, "tau");
        let p = NeuronParams {
            v_reset: -40e-3,
            ..NeuronParams::default()
        };
        assert_eq!(p.validate(0.5e-3).unwrap_err().field, "v_reset");
        NeuronParams::diehl_cook_inhibitory()
            .validate(0.5e-3)
            .unwrap();
    }
}
