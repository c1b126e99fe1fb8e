//! Spike and analog encoders, seeded per sample.

use rand::RngExt;
use serde::{Deserialize, Serialize};

/// How a sample `x ∈ [0, 1]` (per input element) becomes the network input at each step.
///
/// Random encoders draw from the sample's own stream `rng::stream(seed, &[sample_index])`,
/// element by element in row-major order, step after step, so results do not depend on
/// batching or threads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum Encoding {
    /// The analog value itself at every step (default; what snnTorch does with a static image).
    #[default]
    Direct,
    /// Poisson process of rate `x·max_rate` (Hz), binned at `dt`: a spike in a step with
    /// probability `1 − exp(−x·max_rate·dt)` (at most one spike per element and step).
    Poisson {
        /// Rate for `x = 1` (Hz).
        max_rate: f64,
    },
    /// A spike with probability `clamp(gain·x, 0, 1)` at each step (snnTorch `spikegen.rate`).
    Bernoulli {
        /// Probability per step for `x = 1`.
        gain: f64,
    },
    /// One spike per element at step `round((1 − x)·(T − 1))` (brighter = earlier); `x ≤ 0`
    /// never spikes (time-to-first-spike, linear).
    Latency,
}

impl Encoding {
    /// The parameterless name (`direct`, `poisson`, `bernoulli`, `latency`).
    pub fn name(&self) -> &'static str {
        match self {
            Encoding::Direct => "direct",
            Encoding::Poisson { .. } => "poisson",
            Encoding::Bernoulli { .. } => "bernoulli",
            Encoding::Latency => "latency",
        }
    }

    /// Parse a CLI name, with default parameters (`poisson`: 1000 Hz; `bernoulli`: gain 1).
    pub fn from_name(s: &str) -> Option<Encoding> {
        Some(match s {
            "direct" => Encoding::Direct,
            "poisson" => Encoding::Poisson { max_rate: 1000.0 },
            "bernoulli" => Encoding::Bernoulli { gain: 1.0 },
            "latency" => Encoding::Latency,
            _ => return None,
        })
    }

    /// True when the input does not change over time (direct).
    pub fn is_constant(&self) -> bool {
        matches!(self, Encoding::Direct)
    }

    /// True when the encoder emits 0/1 spikes.
    pub fn is_binary(&self) -> bool {
        !self.is_constant()
    }

    /// Check the parameters (names the offending field).
    pub fn validate(&self) -> Result<(), crate::config::FieldError> {
        use crate::config::FieldError;
        match *self {
            Encoding::Poisson { max_rate } if !(max_rate.is_finite() && max_rate >= 0.0) => Err(
                FieldError::new("max_rate", format!("{max_rate} Hz must be finite and ≥ 0")),
            ),
            Encoding::Bernoulli { gain } if !(gain.is_finite() && gain >= 0.0) => Err(
                FieldError::new("gain", format!("{gain} must be finite and ≥ 0")),
            ),
            _ => Ok(()),
        }
    }

    /// Write the input of step `t` (of `timesteps`, time step `dt` s) for sample `x` into `out`.
    pub fn encode_step(
        &self,
        x: &[f32],
        t: usize,
        timesteps: usize,
        dt: f64,
        rng: &mut crate::rng::Rng,
        out: &mut [f32],
    ) {
        match *self {
            Encoding::Direct => out.copy_from_slice(x),
            Encoding::Poisson { max_rate } => {
                let k = max_rate * dt;
                for (o, &v) in out.iter_mut().zip(x) {
                    let p = 1.0 - (-(v.max(0.0) as f64) * k).exp();
                    *o = (rng.random::<f64>() < p) as u8 as f32;
                }
            }
            Encoding::Bernoulli { gain } => {
                for (o, &v) in out.iter_mut().zip(x) {
                    let p = (gain * v as f64).clamp(0.0, 1.0);
                    *o = (rng.random::<f64>() < p) as u8 as f32;
                }
            }
            Encoding::Latency => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = (v > 0.0 && Self::latency_step(v, timesteps) == t) as u8 as f32;
                }
            }
        }
    }

    /// The spike step of the latency code for a value `x > 0`: `round((1 − x)·(T − 1))`.
    pub fn latency_step(x: f32, timesteps: usize) -> usize {
        let x = x.clamp(0.0, 1.0) as f64;
        ((1.0 - x) * (timesteps.saturating_sub(1)) as f64).round() as usize
    }
}
