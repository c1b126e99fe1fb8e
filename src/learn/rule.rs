//! Plasticity rules on pre/post spike traces.

use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// A local learning rule, applied at every presynaptic (pre) and postsynaptic (post) spike.
///
/// Traces `x_pre`, `x_post` (and `x_post2` for the triplet rule) decay as `exp(−Δt/τ)` and are
/// set to 1 (or incremented, see [`TraceMode`]) at their neuron's spikes; each rule reads the
/// *other* side's trace at a spike, before that spike updates its own. Weights live in
/// `[0, w_max]` (`w_max` = 1 in the Diehl & Cook netlists) and are clipped there.
///
/// | rule | at a pre spike | at a post spike |
/// |---|---|---|
/// | `Stdp` (pair-based, additive) | `Δw = −ν_pre·x_post` | `Δw = +ν_post·x_pre` |
/// | `WeightDependentStdp` | `Δw = −ν_pre·x_post·(w/w_max)^μ` | `Δw = +ν_post·x_pre·(1 − w/w_max)^μ` |
/// | `Hebbian` | `Δw = +ν_pre·x_post` | `Δw = +ν_post·x_pre` |
/// | `Triplet` (Diehl & Cook's code, Pfister & Gerstner 2006 minimal) | `Δw = −ν_pre·x_post1` | `Δw = +ν_post·x_pre·x_post2` (before the spike) |
///
/// So a single pair with `Δt = t_post − t_pre` changes the weight of an additive-STDP synapse by
/// `ν_post·e^{−Δt/τ_pre}` for `Δt > 0` and `−ν_pre·e^{Δt/τ_post}` for `Δt < 0` (the window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Rule {
    /// Pair-based additive STDP (BindsNET `PostPre`; Diehl & Cook's pair variant).
    Stdp {
        /// Depression rate at pre spikes (weight units).
        nu_pre: f64,
        /// Potentiation rate at post spikes (weight units).
        nu_post: f64,
        /// Presynaptic trace time constant (second).
        tau_pre: f64,
        /// Postsynaptic trace time constant (second).
        tau_post: f64,
    },
    /// Pair-based STDP with soft bounds `(w/w_max)^μ`, `(1 − w/w_max)^μ` (BindsNET
    /// `WeightDependentPostPre` for μ = 1).
    WeightDependentStdp {
        /// Depression rate at pre spikes.
        nu_pre: f64,
        /// Potentiation rate at post spikes.
        nu_post: f64,
        /// Presynaptic trace time constant (second).
        tau_pre: f64,
        /// Postsynaptic trace time constant (second).
        tau_post: f64,
        /// Exponent of the weight dependence (≥ 0).
        mu: f64,
    },
    /// Hebbian: both orders potentiate (BindsNET `Hebbian`); bounded by clipping and normalisation.
    Hebbian {
        /// Potentiation rate at pre spikes.
        nu_pre: f64,
        /// Potentiation rate at post spikes.
        nu_post: f64,
        /// Presynaptic trace time constant (second).
        tau_pre: f64,
        /// Postsynaptic trace time constant (second).
        tau_post: f64,
    },
    /// Minimal triplet rule as in Diehl & Cook's published code (`post2before`).
    Triplet {
        /// Depression rate at pre spikes.
        nu_pre: f64,
        /// Potentiation rate at post spikes.
        nu_post: f64,
        /// Presynaptic trace time constant (second).
        tau_pre: f64,
        /// Fast postsynaptic trace time constant (second), read at pre spikes.
        tau_post1: f64,
        /// Slow postsynaptic trace time constant (second), read at post spikes.
        tau_post2: f64,
    },
}

/// How a trace responds to its neuron's spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum TraceMode {
    /// Set to 1 (nearest-spike interaction; Diehl & Cook, BindsNET `traces_additive = false`).
    #[default]
    Nearest,
    /// Incremented by 1 (all-to-all interaction).
    Additive,
}

impl Rule {
    /// The CLI name (`stdp`, `wdstdp`, `hebbian`, `triplet`).
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Stdp { .. } => "stdp",
            Rule::WeightDependentStdp { .. } => "wdstdp",
            Rule::Hebbian { .. } => "hebbian",
            Rule::Triplet { .. } => "triplet",
        }
    }

    /// The rule `name` with Diehl & Cook's rates and time constants (ν_pre = 1e-4, ν_post = 1e-2,
    /// τ = 20 ms, τ_post2 = 40 ms, μ = 1).
    pub fn from_name(name: &str) -> Option<Rule> {
        let (nu_pre, nu_post, tau_pre, tau_post) = (1e-4, 1e-2, 20e-3, 20e-3);
        Some(match name {
            "stdp" => Rule::Stdp {
                nu_pre,
                nu_post,
                tau_pre,
                tau_post,
            },
            "wdstdp" => Rule::WeightDependentStdp {
                nu_pre,
                nu_post,
                tau_pre,
                tau_post,
                mu: 1.0,
            },
            "hebbian" => Rule::Hebbian {
                nu_pre,
                nu_post,
                tau_pre,
                tau_post,
            },
            "triplet" => Rule::Triplet {
                nu_pre,
                nu_post,
                tau_pre,
                tau_post1: tau_post,
                tau_post2: 40e-3,
            },
            _ => return None,
        })
    }

    /// Time constants `(τ_pre, τ_post1, τ_post2)` (second); `τ_post2` is `None` but for the triplet rule.
    pub fn taus(&self) -> (f64, f64, Option<f64>) {
        match *self {
            Rule::Stdp {
                tau_pre, tau_post, ..
            }
            | Rule::WeightDependentStdp {
                tau_pre, tau_post, ..
            }
            | Rule::Hebbian {
                tau_pre, tau_post, ..
            } => (tau_pre, tau_post, None),
            Rule::Triplet {
                tau_pre,
                tau_post1,
                tau_post2,
                ..
            } => (tau_pre, tau_post1, Some(tau_post2)),
        }
    }

    /// Weight change at a pre spike, given the weight `w`, `w_max` and the post trace `x_post`.
    #[inline]
    pub fn on_pre(&self, w: f32, w_max: f32, x_post: f32) -> f32 {
        match *self {
            Rule::Stdp { nu_pre, .. } | Rule::Triplet { nu_pre, .. } => -(nu_pre as f32) * x_post,
            Rule::WeightDependentStdp { nu_pre, mu, .. } => {
                -(nu_pre as f32) * x_post * pow(w / w_max, mu as f32)
            }
            Rule::Hebbian { nu_pre, .. } => nu_pre as f32 * x_post,
        }
    }

    /// Weight change at a post spike, given `w`, `w_max`, the pre trace `x_pre` and the slow post
    /// trace just before this spike `x_post2` (used by the triplet rule only).
    #[inline]
    pub fn on_post(&self, w: f32, w_max: f32, x_pre: f32, x_post2: f32) -> f32 {
        match *self {
            Rule::Stdp { nu_post, .. } | Rule::Hebbian { nu_post, .. } => nu_post as f32 * x_pre,
            Rule::WeightDependentStdp { nu_post, mu, .. } => {
                nu_post as f32 * x_pre * pow(1.0 - w / w_max, mu as f32)
            }
            Rule::Triplet { nu_post, .. } => nu_post as f32 * x_pre * x_post2,
        }
    }

    /// Check rates (finite, ≥ 0) and time constants (> 0).
    pub fn validate(&self) -> Result<(), FieldError> {
        let (nu_pre, nu_post) = match *self {
            Rule::Stdp {
                nu_pre, nu_post, ..
            }
            | Rule::WeightDependentStdp {
                nu_pre, nu_post, ..
            }
            | Rule::Hebbian {
                nu_pre, nu_post, ..
            }
            | Rule::Triplet {
                nu_pre, nu_post, ..
            } => (nu_pre, nu_post),
        };
        for (n, v) in [("nu_pre", nu_pre), ("nu_post", nu_post)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FieldError::new(n, format!("{v} must be finite and ≥ 0")));
            }
        }
        let (a, b, c) = self.taus();
        for (n, v) in [
            ("tau_pre", Some(a)),
            ("tau_post", Some(b)),
            ("tau_post2", c),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                return Err(FieldError::new(n, format!("{v} s must be finite and > 0")));
            }
        }
        if let Rule::WeightDependentStdp { mu, .. } = *self
            && !(mu.is_finite() && mu >= 0.0)
        {
            return Err(FieldError::new(
                "mu",
                format!("{mu} must be finite and ≥ 0"),
            ));
        }
        Ok(())
    }
}

#[inline]
fn pow(x: f32, mu: f32) -> f32 {
    let x = x.max(0.0);
    if mu == 1.0 { x } else { x.powf(mu) }
}

/// Exponentially decaying spike traces of a population, evaluated lazily: each trace stores its
/// value at its last spike and the step of that spike, and is read as `value·e^{−(t − t_last)·dt/τ}`
/// (a table of `e^{−k·dt/τ}` makes that one multiplication).
#[derive(Debug, Clone)]
pub struct Traces {
    val: Vec<f32>,
    last: Vec<i64>,
    table: Vec<f32>,
    k: f64,
    mode: TraceMode,
}

const NEVER: i64 = i64::MIN / 2;

impl Traces {
    /// `n` traces of time constant `tau` (second) sampled every `dt` (second); the table covers
    /// `horizon` steps (longer gaps are computed directly).
    pub fn new(n: usize, tau: f64, dt: f64, horizon: usize, mode: TraceMode) -> Self {
        let k = dt / tau;
        let table = (0..=horizon)
            .map(|s| (-(s as f64) * k).exp() as f32)
            .collect();
        Self {
            val: vec![0.0; n],
            last: vec![NEVER; n],
            table,
            k,
            mode,
        }
    }

    /// Forget every spike (all traces 0).
    pub fn clear(&mut self) {
        self.last.iter_mut().for_each(|l| *l = NEVER);
        self.val.iter_mut().for_each(|v| *v = 0.0);
    }

    /// Trace `i` at step `t`.
    #[inline]
    pub fn value(&self, i: usize, t: i64) -> f32 {
        let last = self.last[i];
        if last == NEVER {
            return 0.0;
        }
        let gap = (t - last) as usize;
        let d = match self.table.get(gap) {
            Some(&d) => d,
            None => (-(gap as f64) * self.k).exp() as f32,
        };
        self.val[i] * d
    }

    /// Register a spike of neuron `i` at step `t`.
    #[inline]
    pub fn spike(&mut self, i: usize, t: i64) {
        let v = match self.mode {
            TraceMode::Nearest => 1.0,
            TraceMode::Additive => self.value(i, t) + 1.0,
        };
        self.val[i] = v;
        self.last[i] = t;
    }
}

/// The weight after a sequence of hand-made spikes on one synapse, processed in time order the
/// way the network does (at equal steps the pre event comes first): `events` are `(step, is_post)`.
/// Weights are clipped to `[0, w_max]` after every event.
pub fn synapse_history(
    rule: &Rule,
    mode: TraceMode,
    w0: f32,
    w_max: f32,
    dt: f64,
    events: &[(i64, bool)],
) -> f32 {
    let (tp, t1, t2) = rule.taus();
    let mut ev = events.to_vec();
    ev.sort_by_key(|&(t, post)| (t, post));
    let horizon = 4096;
    let mut pre = Traces::new(1, tp, dt, horizon, mode);
    let mut post1 = Traces::new(1, t1, dt, horizon, mode);
    let mut post2 = t2.map(|t| Traces::new(1, t, dt, horizon, mode));
    let mut w = w0;
    for (t, is_post) in ev {
        if is_post {
            let x2 = post2.as_ref().map_or(1.0, |p| p.value(0, t));
            w = (w + rule.on_post(w, w_max, pre.value(0, t), x2)).clamp(0.0, w_max);
            post1.spike(0, t);
            if let Some(p) = post2.as_mut() {
                p.spike(0, t);
            }
        } else {
            w = (w + rule.on_pre(w, w_max, post1.value(0, t))).clamp(0.0, w_max);
            pre.spike(0, t);
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_traces_decay_exponentially_in_both_modes() {
        let mut t = Traces::new(2, 20e-3, 0.5e-3, 100, TraceMode::Nearest);
        t.spike(0, 10);
        assert_eq!(t.value(1, 50), 0.0);
        assert!((t.value(0, 50) - (-1.0f32)).abs() > 0.0);
        assert!((t.value(0, 50) as f64 - (-40.0 * 0.5e-3 / 20e-3f64).exp()).abs() < 1e-6);
        // Beyond the table.
        assert!((t.value(0, 1010) as f64 - (-1000.0 * 0.025f64).exp()).abs() < 1e-9);
        t.spike(0, 50);
        assert_eq!(t.value(0, 50), 1.0);
        let mut a = Traces::new(1, 20e-3, 0.5e-3, 100, TraceMode::Additive);
        a.spike(0, 0);
        a.spike(0, 40);
        let want = 1.0 + (-1.0f64).exp();
        assert!((a.value(0, 40) as f64 - want).abs() < 1e-6);
    }

    /// Δw of one pair at Δt = (t_post − t_pre) steps of 0.5 ms, from w = 0.5.
    fn pair(rule: &Rule, dt_steps: i64) -> f64 {
        let ev = if dt_steps >= 0 {
            [(100, false), (100 + dt_steps, true)]
        } else {
            [(100 - dt_steps, false), (100, true)]
        };
        (synapse_history(rule, TraceMode::Nearest, 0.5, 1.0, 0.5e-3, &ev) - 0.5) as f64
    }

    #[test]
    fn each_rule_reproduces_its_window_on_single_pairs() {
        let dts = [-80i64, -40, -10, -1, 1, 5, 20, 40, 80, 200];
        let (np, nq, tau) = (1e-3, 1e-2, 20e-3);
        for &k in &dts {
            let d = k as f64 * 0.5e-3;
            let e = (-d.abs() / tau).exp();
            let tol = 1e-6;
            let stdp = Rule::from_name("stdp").unwrap();
            let stdp = match stdp {
                Rule::Stdp {
                    tau_pre, tau_post, ..
                } => Rule::Stdp {
                    nu_pre: np,
                    nu_post: nq,
                    tau_pre,
                    tau_post,
                },
                _ => unreachable!(),
            };
            let want = if k > 0 { nq * e } else { -np * e };
            assert!(
                (pair(&stdp, k) - want).abs() < tol,
                "stdp {k}: {} vs {want}",
                pair(&stdp, k)
            );
            // Weight-dependent: potentiation × (1 − w), depression × w, at w = 0.5.
            let wd = Rule::WeightDependentStdp {
                nu_pre: np,
                nu_post: nq,
                tau_pre: tau,
                tau_post: tau,
                mu: 1.0,
            };
            assert!((pair(&wd, k) - 0.5 * want).abs() < tol, "wdstdp {k}");
            let wd2 = Rule::WeightDependentStdp {
                nu_pre: np,
                nu_post: nq,
                tau_pre: tau,
                tau_post: tau,
                mu: 2.0,
            };
            assert!((pair(&wd2, k) - 0.25 * want).abs() < tol, "wdstdp mu=2 {k}");
            // Hebbian: both orders potentiate.
            let hb = Rule::Hebbian {
                nu_pre: np,
                nu_post: nq,
                tau_pre: tau,
                tau_post: tau,
            };
            let want_h = if k > 0 { nq * e } else { np * e };
            assert!((pair(&hb, k) - want_h).abs() < tol, "hebbian {k}");
            // Triplet: a first post spike sees post2 = 0 before it, so a lone pair only depresses.
            let tr = Rule::Triplet {
                nu_pre: np,
                nu_post: nq,
                tau_pre: tau,
                tau_post1: tau,
                tau_post2: 40e-3,
            };
            let want_t = if k > 0 { 0.0 } else { -np * e };
            assert!((pair(&tr, k) - want_t).abs() < tol, "triplet {k}");
        }
        // Triplet: post at 0, pre at 10 ms, post at 30 ms: −ν_pre e^{−10/20} then
        // +ν_post e^{−20/20} e^{−30/40}.
        let tr = Rule::Triplet {
            nu_pre: np,
            nu_post: nq,
            tau_pre: tau,
            tau_post1: tau,
            tau_post2: 40e-3,
        };
        let got = synapse_history(
            &tr,
            TraceMode::Nearest,
            0.5,
            1.0,
            0.5e-3,
            &[(0, true), (20, false), (60, true)],
        ) - 0.5;
        let want = -np * (-0.5f64).exp() + nq * (-1.0f64).exp() * (-0.75f64).exp();
        assert!((got as f64 - want).abs() < 1e-6, "{got} vs {want}");
        // Additive traces: two pre spikes 10 ms apart, then a post 10 ms later: ν_post (e^{-1} + e^{-1/2}).
        let stdp = Rule::Stdp {
            nu_pre: np,
            nu_post: nq,
            tau_pre: tau,
            tau_post: tau,
        };
        let got = synapse_history(
            &stdp,
            TraceMode::Additive,
            0.5,
            1.0,
            0.5e-3,
            &[(0, false), (20, false), (40, true)],
        ) - 0.5;
        let want = nq * ((-1.0f64).exp() + (-0.5f64).exp());
        assert!((got as f64 - want).abs() < 1e-6);
        // Nearest traces: only the latest pre counts.
        let got = synapse_history(
            &stdp,
            TraceMode::Nearest,
            0.5,
            1.0,
            0.5e-3,
            &[(0, false), (20, false), (40, true)],
        ) - 0.5;
        assert!((got as f64 - nq * (-0.5f64).exp()).abs() < 1e-6);
        // Clipping at the bounds.
        assert_eq!(
            synapse_history(
                &stdp,
                TraceMode::Nearest,
                0.995,
                1.0,
                0.5e-3,
                &[(0, false), (1, true)]
            ),
            1.0
        );
    }

    #[test]
    fn names_round_trip_and_bad_rules_name_the_field() {
        for n in ["stdp", "wdstdp", "hebbian", "triplet"] {
            assert_eq!(Rule::from_name(n).unwrap().name(), n);
        }
        assert!(Rule::from_name("oja").is_none());
        let bad = Rule::Stdp {
            nu_pre: 1e-4,
            nu_post: 1e-2,
            tau_pre: 0.0,
            tau_post: 0.02,
        };
        assert_eq!(bad.validate().unwrap_err().field, "tau_pre");
        let bad = Rule::WeightDependentStdp {
            nu_pre: 1e-4,
            nu_post: -1.0,
            tau_pre: 0.02,
            tau_post: 0.02,
            mu: 1.0,
        };
        assert_eq!(bad.validate().unwrap_err().field, "nu_post");
    }
}
