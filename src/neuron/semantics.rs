//! Discrete-time semantics: how each framework steps the neurons its NIR exporter describes.
//!
//! NIR stores continuous-time ODEs, but every framework trains with its own discrete update and
//! every exporter writes `tau`, `r` and `w_in` with its own convention. A [`Semantics`] preset
//! names one framework; its [`Rule`] is the data memsnn steps with: how the file's parameters
//! become a decay factor and an input gain, the form of the update (so that the arithmetic is
//! the framework's own, operation for operation), the spike rule and the reset timing. The
//! README's semantics table cites the framework source each row was read from.
//!
//! Symbols: `v` membrane, `i` synaptic current (CubaLIF), `x` the layer input of this step,
//! `s` the spikes (0/1, or a count under [`SpikeRule::Multi`]), `θ` the threshold.

use serde::{Deserialize, Serialize};

/// A named discrete-time semantics, one per framework (see the module docs and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Semantics {
    /// snnTorch `Leaky` / `Synaptic` / `RLeaky` with snnTorch's exporter (`τ = dt/(1−β)`,
    /// `r = τ/dt`, `w_in = τ_syn/dt`): forward Euler, input added unscaled, a spike when
    /// `v > θ`, reset applied at the next step. Default (the bundled netlists' behaviour).
    #[default]
    Snntorch,
    /// Norse `LIFCell` (NIR CubaLIF) / `LIFBoxCell` (NIR LIF) with Norse's exporter: forward
    /// Euler written as an increment `v + dt/τ·((v_leak − v) + i)`, the input added to the
    /// synaptic current unscaled (the file's `w_in = 1` is not an ODE scale), reset to `v_reset`
    /// in the same step. The exporter writes `τ = dt/τ_inv` (a time constant times `dt`);
    /// files whose every τ is at least `dt` are read as seconds (older exports).
    Norse,
    /// Sinabs `IAF` / `LIF`: several spikes per step (`n = ⌊v/θ⌋` when `v ≥ θ`), `n·θ`
    /// subtracted in the same step, the input added unscaled (`IF`: `v + r·x`; `LIF`: exact
    /// decay `exp(−dt/τ)` with the input normalised by `1 − exp(−dt/τ)`, τ in steps, `dt = 1`).
    Sinabs,
    /// Rockpool `LIFTorch` (NIR CubaLIF): exact decays, `i = exp(−dt/τ_syn)·(i + x)`,
    /// `v = exp(−dt/τ_mem)·v + i`, several spikes per step (`n = ⌊v/θ⌋` when `v ≥ θ`) and `n·θ`
    /// subtracted in the same step. The exporter writes `r = τ·exp(−dt/τ)/dt` (unit gain).
    Rockpool,
    /// Spyx `LIF`: `s = H(v[t−1] − θ)` from the previous step's membrane (one step of lag per
    /// layer), `v = β·v + x − s·θ`. The exporter writes `τ = dt/(1−β)` and `r = β`.
    Spyx,
    /// The NIR spec's ODE `τ dv/dt = (v_leak − v) + R·I` (`τ_syn di/dt = −i + w_in·x`)
    /// integrated with forward Euler (`v += dt/τ·(…)`), one spike when `v > θ`, reset in the
    /// same step.
    Nir,
    /// The NIR spec's ODE integrated exactly over each step with the input held constant
    /// (`v = e^{−dt/τ}·v + (1 − e^{−dt/τ})·(v_leak + R·I)`), one spike when `v > θ`, reset in
    /// the same step.
    NirExact,
}

/// Every preset, in documentation order.
pub const ALL_SEMANTICS: [Semantics; 7] = [
    Semantics::Snntorch,
    Semantics::Norse,
    Semantics::Sinabs,
    Semantics::Rockpool,
    Semantics::Spyx,
    Semantics::Nir,
    Semantics::NirExact,
];

impl Semantics {
    /// The preset's name (as written in netlists and on the command line).
    pub fn name(self) -> &'static str {
        match self {
            Semantics::Snntorch => "snntorch",
            Semantics::Norse => "norse",
            Semantics::Sinabs => "sinabs",
            Semantics::Rockpool => "rockpool",
            Semantics::Spyx => "spyx",
            Semantics::Nir => "nir",
            Semantics::NirExact => "nir-exact",
        }
    }

    /// The framework's own default time step (s), which the NIR file does not store (Sinabs
    /// and Spyx count in steps: 1).
    pub fn default_dt(self) -> f64 {
        match self {
            Semantics::Snntorch | Semantics::Nir | Semantics::NirExact => 1e-4,
            Semantics::Norse | Semantics::Rockpool => 1e-3,
            Semantics::Sinabs | Semantics::Spyx => 1.0,
        }
    }

    /// The update rule of this preset.
    pub fn rule(self) -> Rule {
        use Semantics as S;
        let single = SpikeRule::Single { strict: true };
        match self {
            S::Snntorch => Rule {
                params: Params::Snntorch,
                membrane: Form::Decay,
                current: CurrentForm::Decay,
                spike: single,
                spike_from: SpikeFrom::Updated,
                reset_timing: ResetTiming::NextStep,
                reset: None,
            },
            S::Norse => Rule {
                params: Params::Norse,
                membrane: Form::Increment,
                current: CurrentForm::Increment,
                spike: single,
                spike_from: SpikeFrom::Updated,
                reset_timing: ResetTiming::SameStep,
                reset: Some(super::Reset::Zero),
            },
            S::Sinabs => Rule {
                params: Params::Sinabs,
                membrane: Form::Decay,
                current: CurrentForm::DecayAfterInput,
                spike: SpikeRule::Multi,
                spike_from: SpikeFrom::Updated,
                reset_timing: ResetTiming::SameStep,
                reset: Some(super::Reset::Subtract),
            },
            S::Rockpool => Rule {
                params: Params::Rockpool,
                membrane: Form::Decay,
                current: CurrentForm::DecayAfterInput,
                spike: SpikeRule::Multi,
                spike_from: SpikeFrom::Updated,
                reset_timing: ResetTiming::SameStep,
                reset: Some(super::Reset::Subtract),
            },
            S::Spyx => Rule {
                params: Params::Spyx,
                membrane: Form::Decay,
                current: CurrentForm::Decay,
                spike: single,
                spike_from: SpikeFrom::Previous,
                reset_timing: ResetTiming::SameStep,
                reset: Some(super::Reset::Subtract),
            },
            S::Nir => Rule {
                params: Params::Euler,
                membrane: Form::Increment,
                current: CurrentForm::Decay,
                spike: single,
                spike_from: SpikeFrom::Updated,
                reset_timing: ResetTiming::SameStep,
                reset: None,
            },
            S::NirExact => Rule {
                params: Params::Exact,
                membrane: Form::Decay,
                current: CurrentForm::Decay,
                spike: single,
                spike_from: SpikeFrom::Updated,
                reset_timing: ResetTiming::SameStep,
                reset: None,
            },
        }
    }
}

impl std::fmt::Display for Semantics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Semantics {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ALL_SEMANTICS
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ALL_SEMANTICS.iter().map(|p| p.name()).collect();
                format!(
                    "unknown semantics `{s}` (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// One preset's update, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// How the file's `tau`, `r`, `w_in` become decay factors and gains.
    pub params: Params,
    /// The form of the membrane update.
    pub membrane: Form,
    /// The form of the synaptic-current update (CubaLIF).
    pub current: CurrentForm,
    /// When and how many spikes.
    pub spike: SpikeRule,
    /// Which membrane the spike is read from.
    pub spike_from: SpikeFrom,
    /// When a spike's reset is applied.
    pub reset_timing: ResetTiming,
    /// The framework's fixed reset mechanism (`None`: the run's `reset` setting applies).
    pub reset: Option<super::Reset>,
}

/// How a preset reads the file's parameters (per neuron; `k = dt/τ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// snnTorch: `β = 1 − k`, membrane gain `r·k`, current decay `1 − k_syn`, current gain `w_in·k_syn`.
    Snntorch,
    /// Norse: `τ_inv = dt/τ` when τ < dt (the exporter's `τ = dt/τ_inv`), else `1/τ`;
    /// `k = dt·τ_inv`; the input joins the current unscaled (gain 1).
    Norse,
    /// Sinabs: IF gain `r`; LIF `β = exp(−dt/τ)`, gain `r·(1 − β)`.
    Sinabs,
    /// Rockpool: `β = exp(−k)`, membrane gain `r·k/β` (1 for the exporter's `r`), current decay
    /// `α = exp(−k_syn)` applied to `i + w_in·x`.
    Rockpool,
    /// Spyx: `β = r` (the exporter writes the decay factor as `r`), clipped to [0, 1]; gain 1.
    Spyx,
    /// The NIR ODE with forward Euler: `β = 1 − k`, gain `r·k`, current `1 − k_syn`, `w_in·k_syn`.
    Euler,
    /// The NIR ODE integrated exactly: `β = exp(−k)`, gain `r·(1 − β)`, current
    /// `α = exp(−k_syn)`, gain `w_in·(1 − α)`.
    Exact,
}

/// The arithmetic form of the membrane update (the same value, rounded as the framework rounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `v = β·v + c + g·x` (snnTorch, Sinabs, Rockpool, Spyx; `c = (1 − β)·v_leak`).
    Decay,
    /// `v = v + k·((v_leak − v) + g·x)` (Norse's and the ODE's forward-Euler increment).
    Increment,
}

/// The arithmetic form of the synaptic-current update (CubaLIF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrentForm {
    /// `i = α·i + g·x` (snnTorch `Synaptic`, the NIR ODE).
    Decay,
    /// `i = α·(i + g·x)` (Rockpool, Sinabs: the input decays once before it reaches the membrane).
    DecayAfterInput,
    /// `i = (i − k·i) + g·x` (Norse: the input jumps onto the decayed current).
    Increment,
}

/// When and how many spikes a neuron emits in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeRule {
    /// One spike when `v > θ` (`strict`) or `v ≥ θ`.
    Single {
        /// Strictly greater.
        strict: bool,
    },
    /// `n = ⌊v/θ⌋` spikes when `v ≥ θ` (else 0); the output is the count.
    Multi,
}

/// Which membrane value the spike is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeFrom {
    /// The membrane after this step's update.
    Updated,
    /// The previous step's membrane, before this step's update (Spyx: one step of lag).
    Previous,
}

/// When a spike's reset is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTiming {
    /// At the next step (snnTorch): zero-reset replaces `v[t−1]` by `v_reset` before the
    /// decay; subtraction removes `θ` after the decay.
    NextStep,
    /// Right after the spike in the same step (subtraction is then decayed with the membrane).
    SameStep,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for p in ALL_SEMANTICS {
            assert_eq!(p.name().parse::<Semantics>().unwrap(), p);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.name()));
        }
        let e = "lava".parse::<Semantics>().unwrap_err();
        assert!(e.contains("snntorch") && e.contains("nir-exact"), "{e}");
    }

    #[test]
    fn multi_spike_presets_reset_in_the_same_step() {
        for p in ALL_SEMANTICS {
            let r = p.rule();
            if r.spike == SpikeRule::Multi {
                assert_eq!(r.reset_timing, ResetTiming::SameStep, "{p}");
            }
        }
    }
}
