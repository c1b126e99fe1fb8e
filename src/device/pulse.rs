//! Pulse update laws: what one programming pulse does to a device's conductance.
//!
//! On-chip learning writes a weight change as a train of identical potentiation (up) or
//! depression (down) pulses; how far each pulse moves the conductance depends on the device's
//! state (nonlinear, asymmetric, bounded) and varies from device to device and from pulse to
//! pulse. The step models are those IBM aihwkit documents for its pulsed devices
//! (`ConstantStepDevice`, `LinearStepDevice`, `SoftBoundsDevice`, `ExpStepDevice`,
//! `PowStepDevice`, `PiecewiseStepDevice`), written here on the normalised state
//! `w = (G − G_min)/(G_max − G_min) ∈ [0, 1]` with per-device bounds `b_min ≤ w ≤ b_max`
//! (nominally 0 and 1). One pulse in direction `d` (up or down) moves `w` by
//!
//! ```text
//! w ← clamp(w ± Δw_d·y_d(w)·(1 + σ_c2c·ξ) + σ_add·ξ', b_min, b_max),   ξ, ξ' ~ N(0, 1) per pulse
//! Δw_up = Δw_min·(1 + up_down)·(1 + σ_d2d·ξ_dev),  Δw_down = Δw_min·(1 − up_down)·(1 + σ_d2d·ξ_dev)
//! ```
//!
//! with the law's shape factor `y_d(w)` ([`StepLaw`]): constant `1`; linear `1 − γ_up·w` /
//! `1 − γ_down·(1 − w)`; soft bounds `(b_max − w)/(b_max − b_min)` / `(w − b_min)/(b_max − b_min)`;
//! exponential `max(1 − A_d·exp(γ_d·z), 0)` with `z = 2a·w + b` (up) or `z = 2a·(1 − w) + b`
//! (down); power `((b_max − w)/(b_max − b_min))^γ_up` / `((w − b_min)/(b_max − b_min))^γ_down`;
//! a piecewise-linear table of `y` over evenly spaced `w`. `up_down > 0` makes potentiation
//! steps larger than depression steps (aihwkit's convention). The physics option
//! ([`StepLaw::Ode`]) instead applies a rectangular voltage pulse through the card's dynamic
//! model (linear ion drift, VTEAM, Yakopcic) and reads the state it leaves.
//!
//! ```
//! use memsnn::device::{PulseSpec, PulsedDevices, StepLaw};
//! let spec = PulseSpec { law: StepLaw::SoftBounds, dw_min: 0.1, ..PulseSpec::default() };
//! let mut rng = memsnn::rng::stream(0, &[0]);
//! let mut dev = PulsedDevices::new(&spec, None, 1, &mut rng).unwrap();
//! dev.set_state(0, 0.0);
//! for _ in 0..3 { dev.pulse(0, true, &mut rng); }
//! assert!((dev.state(0) - (1.0 - 0.9f64.powi(3))).abs() < 1e-12);
//! ```

use super::{DeviceBatch, DeviceError, Model};
use crate::config::FieldError;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The shape of a device's pulse response (see the module docs for the formulas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum StepLaw {
    /// `y = 1`: equal steps until a hard bound (aihwkit `ConstantStepDevice`).
    #[default]
    ConstantStep,
    /// `y_up = 1 − γ_up·w`, `y_down = 1 − γ_down·(1 − w)` (aihwkit `LinearStepDevice`).
    LinearStep {
        /// Slope of the up steps (dimensionless, ≥ 0).
        gamma_up: f64,
        /// Slope of the down steps (dimensionless, ≥ 0).
        gamma_down: f64,
    },
    /// Steps shrink linearly to zero at the bound they approach (aihwkit `SoftBoundsDevice`).
    SoftBounds,
    /// `y = max(1 − A·exp(γ·z), 0)`, `z = 2a·w + b` (aihwkit `ExpStepDevice`).
    ExpStep {
        /// `A_up`.
        a_up: f64,
        /// `A_down`.
        a_down: f64,
        /// `γ_up`.
        gamma_up: f64,
        /// `γ_down`.
        gamma_down: f64,
        /// Global slope `a`.
        a: f64,
        /// Global offset `b`.
        b: f64,
    },
    /// `y = (distance to the approached bound / range)^γ` (aihwkit `PowStepDevice`).
    PowStep {
        /// Exponent of the up steps (> 0).
        gamma_up: f64,
        /// Exponent of the down steps (> 0).
        gamma_down: f64,
    },
    /// `y` interpolated linearly in a table over evenly spaced `w ∈ [0, 1]`
    /// (aihwkit `PiecewiseStepDevice`); each table needs at least 2 entries ≥ 0.
    Piecewise {
        /// `y_up` at `w = k/(n − 1)`.
        up: Vec<f64>,
        /// `y_down` at `w = k/(n − 1)`.
        down: Vec<f64>,
    },
    /// A rectangular voltage pulse through the card's dynamic model; `dw_min`, `up_down` and the
    /// variations are not used (the physics decides the step).
    Ode {
        /// Potentiation pulse amplitude (volt, > 0 drives towards ON for the shipped models).
        set_amplitude: f64,
        /// Depression pulse amplitude (volt, usually < 0).
        reset_amplitude: f64,
        /// Pulse width (second, > 0).
        width: f64,
        /// Read voltage for the conductance (volt; 0 = small-signal).
        v_read: f64,
    },
}

impl StepLaw {
    /// The law's name as written in cards.
    pub fn name(&self) -> &'static str {
        match self {
            StepLaw::ConstantStep => "ConstantStep",
            StepLaw::LinearStep { .. } => "LinearStep",
            StepLaw::SoftBounds => "SoftBounds",
            StepLaw::ExpStep { .. } => "ExpStep",
            StepLaw::PowStep { .. } => "PowStep",
            StepLaw::Piecewise { .. } => "Piecewise",
            StepLaw::Ode { .. } => "Ode",
        }
    }

    /// The shape factor `y_d(w)` of one step (without the step size and noise), for a device
    /// with bounds `[b_min, b_max]`. Not defined for [`StepLaw::Ode`] (returns 0).
    pub fn shape(&self, w: f64, up: bool, b_min: f64, b_max: f64) -> f64 {
        let range = (b_max - b_min).max(f64::MIN_POSITIVE);
        match self {
            StepLaw::ConstantStep => 1.0,
            StepLaw::LinearStep {
                gamma_up,
                gamma_down,
            } => {
                if up {
                    1.0 - gamma_up * w
                } else {
                    1.0 - gamma_down * (1.0 - w)
                }
            }
            StepLaw::SoftBounds => {
                if up {
                    (b_max - w) / range
                } else {
                    (w - b_min) / range
                }
            }
            StepLaw::ExpStep {
                a_up,
                a_down,
                gamma_up,
                gamma_down,
                a,
                b,
            } => {
                let (big_a, g, z) = if up {
                    (*a_up, *gamma_up, 2.0 * a * w + b)
                } else {
                    (*a_down, *gamma_down, 2.0 * a * (1.0 - w) + b)
                };
                (1.0 - big_a * (g * z).exp()).max(0.0)
            }
            StepLaw::PowStep {
                gamma_up,
                gamma_down,
            } => {
                if up {
                    ((b_max - w) / range).max(0.0).powf(*gamma_up)
                } else {
                    ((w - b_min) / range).max(0.0).powf(*gamma_down)
                }
            }
            StepLaw::Piecewise { up: tu, down: td } => {
                let t = if up { tu } else { td };
                let pos = w.clamp(0.0, 1.0) * (t.len() - 1) as f64;
                let k = (pos.floor() as usize).min(t.len() - 2);
                let f = pos - k as f64;
                t[k] * (1.0 - f) + t[k + 1] * f
            }
            StepLaw::Ode { .. } => 0.0,
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(FieldError::new(name, format!("{v} must be finite")))
            }
        };
        match self {
            StepLaw::ConstantStep | StepLaw::SoftBounds => Ok(()),
            StepLaw::LinearStep {
                gamma_up,
                gamma_down,
            } => {
                for (n, v) in [("gamma_up", *gamma_up), ("gamma_down", *gamma_down)] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(FieldError::new(n, format!("{v} must be finite and ≥ 0")));
                    }
                }
                Ok(())
            }
            StepLaw::ExpStep {
                a_up,
                a_down,
                gamma_up,
                gamma_down,
                a,
                b,
            } => {
                for (n, v) in [
                    ("a_up", *a_up),
                    ("a_down", *a_down),
                    ("gamma_up", *gamma_up),
                    ("gamma_down", *gamma_down),
                    ("a", *a),
                    ("b", *b),
                ] {
                    finite(n, v)?;
                }
                Ok(())
            }
            StepLaw::PowStep {
                gamma_up,
                gamma_down,
            } => {
                for (n, v) in [("gamma_up", *gamma_up), ("gamma_down", *gamma_down)] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(FieldError::new(n, format!("{v} must be finite and > 0")));
                    }
                }
                Ok(())
            }
            StepLaw::Piecewise { up, down } => {
                for (n, t) in [("up", up), ("down", down)] {
                    if t.len() < 2 {
                        return Err(FieldError::new(n, "the table needs at least 2 entries"));
                    }
                    if let Some(v) = t.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                        return Err(FieldError::new(
                            n,
                            format!("entry {v} must be finite and ≥ 0"),
                        ));
                    }
                }
                Ok(())
            }
            StepLaw::Ode {
                set_amplitude,
                reset_amplitude,
                width,
                v_read,
            } => {
                finite("set_amplitude", *set_amplitude)?;
                finite("reset_amplitude", *reset_amplitude)?;
                finite("v_read", *v_read)?;
                if !(width.is_finite() && *width > 0.0) {
                    return Err(FieldError::new(
                        "width",
                        format!("{width} s must be finite and > 0"),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// The `pulse` section of a device card: the update law and its variations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PulseSpec {
    /// The step law (default [`StepLaw::ConstantStep`]).
    pub law: StepLaw,
    /// Conductance at `w = 0` (siemens, default 1 µS; ignored by [`StepLaw::Ode`], which reads the model).
    pub g_min: f64,
    /// Conductance at `w = 1` (siemens, default 25 µS; ignored by [`StepLaw::Ode`]).
    pub g_max: f64,
    /// Nominal step `Δw_min` as a fraction of the range (default 0.01, i.e. about 100 states).
    pub dw_min: f64,
    /// Up/down asymmetry: up steps `×(1 + up_down)`, down steps `×(1 − up_down)`; in (−1, 1), default 0.
    pub up_down: f64,
    /// Device-to-device relative std of `Δw_min` (default 0).
    pub dw_min_dtod: f64,
    /// Device-to-device std of `up_down` (default 0).
    pub up_down_dtod: f64,
    /// Device-to-device std of the bounds `b_min = 0 + σ·ξ`, `b_max = 1 + σ·ξ`, in units of the
    /// range (default 0; bounds are clipped to `[0, 1]` and kept apart by at least `dw_min`).
    pub bounds_dtod: f64,
    /// Cycle-to-cycle std of each step, relative to the step (aihwkit `dw_min_std`, default 0).
    pub ctoc: f64,
    /// Cycle-to-cycle std added to each step, in units of the range, whatever the step's size
    /// (NeuroSim's convention, e.g. 0.035 for "3.5 % C2C"; default 0).
    pub ctoc_additive: f64,
    /// State of a fresh device, in `[0, 1]` (default 0).
    pub w_init: f64,
}

impl Default for PulseSpec {
    fn default() -> Self {
        Self {
            law: StepLaw::ConstantStep,
            g_min: 1e-6,
            g_max: 25e-6,
            dw_min: 0.01,
            up_down: 0.0,
            dw_min_dtod: 0.0,
            up_down_dtod: 0.0,
            bounds_dtod: 0.0,
            ctoc: 0.0,
            ctoc_additive: 0.0,
            w_init: 0.0,
        }
    }
}

impl PulseSpec {
    /// Check every field (the error names it relative to the section).
    pub fn validate(&self) -> Result<(), FieldError> {
        self.law.validate().map_err(|e| e.within("law"))?;
        if !(self.g_min.is_finite() && self.g_min >= 0.0) {
            return Err(FieldError::new(
                "g_min",
                format!("{} S must be finite and ≥ 0", self.g_min),
            ));
        }
        if !(self.g_max.is_finite() && self.g_max > self.g_min) {
            return Err(FieldError::new(
                "g_max",
                format!(
                    "{} S must be finite and > g_min ({} S)",
                    self.g_max, self.g_min
                ),
            ));
        }
        if !(self.dw_min.is_finite() && self.dw_min > 0.0 && self.dw_min <= 1.0) {
            return Err(FieldError::new(
                "dw_min",
                format!("{} must be in (0, 1]", self.dw_min),
            ));
        }
        if !(self.up_down.is_finite() && self.up_down.abs() < 1.0) {
            return Err(FieldError::new(
                "up_down",
                format!("{} must be in (−1, 1)", self.up_down),
            ));
        }
        for (n, v) in [
            ("dw_min_dtod", self.dw_min_dtod),
            ("up_down_dtod", self.up_down_dtod),
            ("bounds_dtod", self.bounds_dtod),
            ("ctoc", self.ctoc),
            ("ctoc_additive", self.ctoc_additive),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FieldError::new(n, format!("{v} must be finite and ≥ 0")));
            }
        }
        if !(0.0..=1.0).contains(&self.w_init) {
            return Err(FieldError::new(
                "w_init",
                format!("{} must be in [0, 1]", self.w_init),
            ));
        }
        Ok(())
    }

    /// Number of nominal up steps across the range (`1/(Δw_min·(1 + up_down))`), a proxy for the
    /// number of states.
    pub fn states(&self) -> f64 {
        1.0 / (self.dw_min * (1.0 + self.up_down))
    }
}

/// `n` devices that obey one [`PulseSpec`], each with its own sampled step sizes and bounds.
#[derive(Debug, Clone)]
pub struct PulsedDevices {
    law: StepLaw,
    g_min: f64,
    g_max: f64,
    ctoc: f64,
    ctoc_additive: f64,
    w: Vec<f64>,
    dw_up: Vec<f64>,
    dw_down: Vec<f64>,
    b_min: Vec<f64>,
    b_max: Vec<f64>,
    ode: Option<DeviceBatch>,
    pulses: u64,
}

impl PulsedDevices {
    /// Sample `n` devices of `spec` (device-to-device variation drawn from `rng`, device after
    /// device). [`StepLaw::Ode`] needs the card's dynamic `model`.
    pub fn new(
        spec: &PulseSpec,
        model: Option<&Model>,
        n: usize,
        rng: &mut crate::rng::Rng,
    ) -> Result<Self, DeviceError> {
        spec.validate().map_err(|e| e.within("pulse"))?;
        let mut dw_up = Vec::with_capacity(n);
        let mut dw_down = Vec::with_capacity(n);
        let mut b_min = Vec::with_capacity(n);
        let mut b_max = Vec::with_capacity(n);
        for _ in 0..n {
            let mut z = || -> f64 { StandardNormal.sample(rng) };
            let scale = (1.0 + spec.dw_min_dtod * z()).max(0.0);
            let ud = (spec.up_down + spec.up_down_dtod * z()).clamp(-0.999, 0.999);
            dw_up.push(spec.dw_min * scale * (1.0 + ud));
            dw_down.push(spec.dw_min * scale * (1.0 - ud));
            let lo = (spec.bounds_dtod * z()).clamp(0.0, 1.0 - spec.dw_min);
            let hi = (1.0 + spec.bounds_dtod * z()).clamp(lo + spec.dw_min, 1.0);
            b_min.push(lo);
            b_max.push(hi);
        }
        let (ode, g_min, g_max) = match &spec.law {
            StepLaw::Ode { v_read, .. } => {
                let m = model.ok_or_else(|| {
                    FieldError::new(
                        "pulse.law",
                        "`Ode` pulses need the card's dynamic `model` block",
                    )
                })?;
                let (lo, hi) = m.g_bounds(*v_read);
                let batch = DeviceBatch::from_states(m.clone(), vec![spec.w_init; n])?;
                (Some(batch), lo, hi)
            }
            _ => (None, spec.g_min, spec.g_max),
        };
        let w = (0..n)
            .map(|k| spec.w_init.clamp(b_min[k], b_max[k]))
            .collect();
        Ok(Self {
            law: spec.law.clone(),
            g_min,
            g_max,
            ctoc: spec.ctoc,
            ctoc_additive: spec.ctoc_additive,
            w,
            dw_up,
            dw_down,
            b_min,
            b_max,
            ode,
            pulses: 0,
        })
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.w.len()
    }

    /// True when there are no devices.
    pub fn is_empty(&self) -> bool {
        self.w.is_empty()
    }

    /// Normalised state `w ∈ [0, 1]` of device `i`.
    pub fn state(&self, i: usize) -> f64 {
        match &self.ode {
            Some(b) => b.states()[i],
            None => self.w[i],
        }
    }

    /// All normalised states.
    pub fn states(&self) -> &[f64] {
        match &self.ode {
            Some(b) => b.states(),
            None => &self.w,
        }
    }

    /// Conductance (siemens) of device `i`: `G_min + w·(G_max − G_min)` for the step laws, the
    /// model's chord conductance at the read voltage for [`StepLaw::Ode`].
    pub fn conductance(&self, i: usize) -> f64 {
        match (&self.ode, &self.law) {
            (Some(b), StepLaw::Ode { v_read, .. }) => b.model().conductance(*v_read, b.states()[i]),
            _ => self.g_min + self.w[i] * (self.g_max - self.g_min),
        }
    }

    /// The conductance range `(G_min, G_max)` (siemens).
    pub fn g_range(&self) -> (f64, f64) {
        (self.g_min, self.g_max)
    }

    /// Device `i`'s bounds `(b_min, b_max)` and nominal steps `(Δw_up, Δw_down)`.
    pub fn device_params(&self, i: usize) -> ([f64; 2], [f64; 2]) {
        (
            [self.b_min[i], self.b_max[i]],
            [self.dw_up[i], self.dw_down[i]],
        )
    }

    /// Total pulses applied since creation.
    pub fn pulse_count(&self) -> u64 {
        self.pulses
    }

    /// Set device `i`'s state directly (an ideal write, e.g. a refresh or initial programming),
    /// clipped to its bounds.
    pub fn set_state(&mut self, i: usize, w: f64) {
        let w = w.clamp(self.b_min[i], self.b_max[i]);
        match &mut self.ode {
            Some(b) => {
                let mut s = b.states().to_vec();
                s[i] = w;
                b.set_states(&s);
            }
            None => self.w[i] = w,
        }
    }

    /// The expected (noise-free) step of one pulse on device `i` at its current state.
    pub fn expected_step(&self, i: usize, up: bool) -> f64 {
        let w = self.w[i];
        let y = self.law.shape(w, up, self.b_min[i], self.b_max[i]);
        if up {
            self.dw_up[i] * y
        } else {
            -self.dw_down[i] * y
        }
    }

    /// Apply one pulse to device `i` (`up`: potentiation). Cycle-to-cycle noise draws one
    /// normal from `rng` when `ctoc > 0` (nothing otherwise).
    pub fn pulse(&mut self, i: usize, up: bool, rng: &mut crate::rng::Rng) {
        self.pulses += 1;
        if let (
            Some(b),
            StepLaw::Ode {
                set_amplitude,
                reset_amplitude,
                width,
                ..
            },
        ) = (&mut self.ode, &self.law)
        {
            let v = if up { *set_amplitude } else { *reset_amplitude };
            b.pulse(&[i], v, *width);
            return;
        }
        let mut step = self.expected_step(i, up);
        if self.ctoc > 0.0 {
            let z: f64 = StandardNormal.sample(rng);
            step *= 1.0 + self.ctoc * z;
        }
        if self.ctoc_additive > 0.0 {
            let z: f64 = StandardNormal.sample(rng);
            step += self.ctoc_additive * z;
        }
        self.w[i] = (self.w[i] + step).clamp(self.b_min[i], self.b_max[i]);
    }

    /// Apply `|n|` pulses to device `i`, up when `n > 0`.
    pub fn pulses(&mut self, i: usize, n: i64, rng: &mut crate::rng::Rng) {
        for _ in 0..n.unsigned_abs() {
            self.pulse(i, n > 0, rng);
        }
    }

    /// The number of pulses that realises a weight change `dw` (in units of the range) on a device
    /// whose nominal step is `dw_min`: `dw/dw_min` rounded stochastically (floor, plus one with
    /// probability equal to the fraction), so the expected change is `dw` (aihwkit's stochastic
    /// rounding). Draws one uniform from `rng` when the fraction is non-zero.
    pub fn pulses_for(dw: f64, dw_min: f64, rng: &mut crate::rng::Rng) -> i64 {
        let n = dw.abs() / dw_min;
        let whole = n.floor();
        let frac = n - whole;
        let extra = frac > 0.0 && rng.random::<f64>() < frac;
        let k = whole as i64 + extra as i64;
        if dw < 0.0 { -k } else { k }
    }
}

/// One row of a pulse-response experiment: pulse index, direction, state and conductance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PulseResponsePoint {
    /// Pulse number (0 = the state before the first pulse).
    pub pulse: usize,
    /// `true` during potentiation.
    pub up: bool,
    /// Normalised state after the pulse.
    pub w: f64,
    /// Conductance after the pulse (siemens).
    pub g: f64,
}

/// Potentiation then depression of one device: `n_up` up pulses from `b_min`, then `n_down` down
/// pulses (the curve `memsnn device pulses` draws).
pub fn pulse_response(
    spec: &PulseSpec,
    model: Option<&Model>,
    n_up: usize,
    n_down: usize,
    seed: u64,
) -> Result<Vec<PulseResponsePoint>, DeviceError> {
    let mut rng = crate::rng::stream(seed, &[0]);
    let mut dev = PulsedDevices::new(spec, model, 1, &mut rng)?;
    dev.set_state(0, 0.0);
    let mut out = Vec::with_capacity(n_up + n_down + 1);
    out.push(PulseResponsePoint {
        pulse: 0,
        up: true,
        w: dev.state(0),
        g: dev.conductance(0),
    });
    for k in 0..n_up + n_down {
        let up = k < n_up;
        dev.pulse(0, up, &mut rng);
        out.push(PulseResponsePoint {
            pulse: k + 1,
            up,
            w: dev.state(0),
            g: dev.conductance(0),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(spec: &PulseSpec) -> (PulsedDevices, crate::rng::Rng) {
        let mut rng = crate::rng::stream(1, &[2]);
        let d = PulsedDevices::new(spec, None, 1, &mut rng).unwrap();
        (d, rng)
    }

    fn run(spec: &PulseSpec, w0: f64, up: bool, n: usize) -> Vec<f64> {
        let (mut d, mut rng) = one(spec);
        d.set_state(0, w0);
        (0..n)
            .map(|_| {
                d.pulse(0, up, &mut rng);
                d.state(0)
            })
            .collect()
    }

    #[test]
    fn constant_step_is_linear_until_the_hard_bound() {
        let spec = PulseSpec {
            dw_min: 0.03,
            up_down: 0.2,
            ..PulseSpec::default()
        };
        let up = run(&spec, 0.0, true, 40);
        for (k, w) in up.iter().enumerate() {
            assert!((w - (0.036 * (k + 1) as f64).min(1.0)).abs() < 1e-12, "{k}");
        }
        let down = run(&spec, 1.0, false, 50);
        for (k, w) in down.iter().enumerate() {
            assert!((w - (1.0 - 0.024 * (k + 1) as f64).max(0.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn soft_bounds_follow_the_geometric_closed_form() {
        let spec = PulseSpec {
            law: StepLaw::SoftBounds,
            dw_min: 0.05,
            ..PulseSpec::default()
        };
        // 1 − w_k = (1 − Δw)^k (1 − w_0) on the way up; w_k = (1 − Δw)^k w_0 on the way down.
        for (k, w) in run(&spec, 0.2, true, 60).iter().enumerate() {
            let want = 1.0 - 0.95f64.powi(k as i32 + 1) * 0.8;
            assert!((w - want).abs() < 1e-12);
        }
        for (k, w) in run(&spec, 0.9, false, 60).iter().enumerate() {
            assert!((w - 0.9 * 0.95f64.powi(k as i32 + 1)).abs() < 1e-12);
        }
    }

    #[test]
    fn linear_step_converges_to_its_fixed_point() {
        // w_{k+1} = w_k + Δ(1 − γ w_k) ⇒ w_k = 1/γ − (1/γ − w_0)(1 − Δγ)^k (while below 1).
        let (g, dw) = (2.0, 0.02);
        let spec = PulseSpec {
            law: StepLaw::LinearStep {
                gamma_up: g,
                gamma_down: 0.5,
            },
            dw_min: dw,
            ..PulseSpec::default()
        };
        for (k, w) in run(&spec, 0.0, true, 200).iter().enumerate() {
            let want = 1.0 / g - (1.0 / g) * (1.0 - dw * g).powi(k as i32 + 1);
            assert!((w - want).abs() < 1e-12, "{k}: {w} vs {want}");
        }
        // Down: u = 1 − w obeys the same recurrence with γ_down.
        for (k, w) in run(&spec, 1.0, false, 200).iter().enumerate() {
            let u = 1.0 / 0.5 - (1.0 / 0.5) * (1.0 - dw * 0.5).powi(k as i32 + 1);
            assert!((w - (1.0 - u).max(0.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn pow_step_with_exponent_one_is_soft_bounds_and_two_follows_its_recurrence() {
        let sb = PulseSpec {
            law: StepLaw::SoftBounds,
            dw_min: 0.04,
            ..PulseSpec::default()
        };
        let p1 = PulseSpec {
            law: StepLaw::PowStep {
                gamma_up: 1.0,
                gamma_down: 1.0,
            },
            ..sb.clone()
        };
        assert_eq!(run(&sb, 0.1, true, 30), run(&p1, 0.1, true, 30));
        let p2 = PulseSpec {
            law: StepLaw::PowStep {
                gamma_up: 2.0,
                gamma_down: 3.0,
            },
            ..sb.clone()
        };
        let mut w = 0.0f64;
        for got in run(&p2, 0.0, true, 50) {
            w += 0.04 * (1.0 - w) * (1.0 - w);
            assert!((got - w).abs() < 1e-12);
        }
        let mut w = 1.0f64;
        for got in run(&p2, 1.0, false, 50) {
            w -= 0.04 * w * w * w;
            assert!((got - w).abs() < 1e-12);
        }
    }

    #[test]
    fn exp_step_follows_its_formula_and_never_reverses() {
        let law = StepLaw::ExpStep {
            a_up: 0.1,
            a_down: 0.2,
            gamma_up: 3.0,
            gamma_down: 2.0,
            a: 0.5,
            b: 0.0,
        };
        let spec = PulseSpec {
            law,
            dw_min: 0.02,
            up_down: 0.1,
            ..PulseSpec::default()
        };
        let mut w = 0.0f64;
        for got in run(&spec, 0.0, true, 80) {
            let y = (1.0 - 0.1 * (3.0 * w).exp()).max(0.0);
            w = (w + 0.022 * y).min(1.0);
            assert!((got - w).abs() < 1e-12);
        }
        // y_up reaches zero where 0.1·e^{3w} = 1: w* = ln(10)/3 = 0.7675; the state saturates there.
        let last = *run(&spec, 0.0, true, 3000).last().unwrap();
        assert!((last - 10f64.ln() / 3.0).abs() < 1e-3, "{last}");
        let mut w = 1.0f64;
        for got in run(&spec, 1.0, false, 80) {
            let y = (1.0 - 0.2 * (2.0 * (1.0 - w)).exp()).max(0.0);
            w = (w - 0.018 * y).max(0.0);
            assert!((got - w).abs() < 1e-12);
        }
    }

    #[test]
    fn piecewise_table_interpolates_linearly() {
        // A table y = 1 − 0.5 w (two nodes) is the linear step with γ = 0.5.
        let pw = PulseSpec {
            law: StepLaw::Piecewise {
                up: vec![1.0, 0.5],
                down: vec![0.5, 1.0],
            },
            dw_min: 0.03,
            ..PulseSpec::default()
        };
        let lin = PulseSpec {
            law: StepLaw::LinearStep {
                gamma_up: 0.5,
                gamma_down: 0.5,
            },
            ..pw.clone()
        };
        for (a, b) in run(&pw, 0.0, true, 50).iter().zip(run(&lin, 0.0, true, 50)) {
            assert!((a - b).abs() < 1e-12);
        }
        for (a, b) in run(&pw, 1.0, false, 50)
            .iter()
            .zip(run(&lin, 1.0, false, 50))
        {
            assert!((a - b).abs() < 1e-12);
        }
        let law = StepLaw::Piecewise {
            up: vec![1.0, 0.2, 0.6],
            down: vec![1.0, 1.0],
        };
        assert!((law.shape(0.25, true, 0.0, 1.0) - 0.6).abs() < 1e-12);
        assert!((law.shape(0.75, true, 0.0, 1.0) - 0.4).abs() < 1e-12);
        assert!((law.shape(1.0, true, 0.0, 1.0) - 0.6).abs() < 1e-12);
    }

    #[test]
    fn cycle_to_cycle_and_device_to_device_spread_match_their_sigmas() {
        let n = 20_000;
        let spec = PulseSpec {
            dw_min: 0.01,
            ctoc: 0.3,
            dw_min_dtod: 0.2,
            up_down: 0.25,
            ..PulseSpec::default()
        };
        let mut rng = crate::rng::stream(5, &[0]);
        let mut d = PulsedDevices::new(&spec, None, n, &mut rng).unwrap();
        let ups: Vec<f64> = (0..n).map(|i| d.device_params(i).1[0]).collect();
        let (m, s) = mean_std(&ups);
        assert!((m - 0.0125).abs() < 1e-4, "{m}");
        assert!((s / m - 0.2).abs() < 0.01, "{}", s / m);
        // One pulse from 0.5: relative spread = sqrt((1+σc²)(1+σd²) − 1) for independent factors.
        let steps: Vec<f64> = (0..n)
            .map(|i| {
                d.set_state(i, 0.5);
                d.pulse(i, true, &mut rng);
                (d.state(i) - 0.5) / d.device_params(i).1[0]
            })
            .collect();
        let (m, s) = mean_std(&steps);
        assert!((m - 1.0).abs() < 0.01, "{m}");
        assert!((s - 0.3).abs() < 0.01, "{s}");
        let steps_down: f64 = (0..n)
            .map(|i| {
                d.set_state(i, 0.5);
                d.pulse(i, false, &mut rng);
                0.5 - d.state(i)
            })
            .sum::<f64>()
            / n as f64;
        // Mean down step Δw_min(1 − up_down) = 0.0075.
        assert!((steps_down - 0.0075).abs() < 1e-4, "{steps_down}");
    }

    #[test]
    fn stochastic_rounding_is_unbiased() {
        let mut rng = crate::rng::stream(9, &[0]);
        let n = 100_000;
        let total: i64 = (0..n)
            .map(|_| PulsedDevices::pulses_for(-0.0237, 0.01, &mut rng))
            .sum();
        let mean = total as f64 / n as f64;
        assert!((mean + 2.37).abs() < 0.01, "{mean}");
        assert_eq!(PulsedDevices::pulses_for(0.03, 0.01, &mut rng).abs(), 3);
    }

    #[test]
    fn ode_pulses_move_the_model_state_the_way_its_integrator_does() {
        let card = crate::device::DeviceCard::builtin("hp-tio2").unwrap();
        let model = card.model.clone().unwrap();
        let spec = PulseSpec {
            law: StepLaw::Ode {
                set_amplitude: 1.0,
                reset_amplitude: -1.0,
                width: 1e-3,
                v_read: 0.0,
            },
            w_init: 0.1,
            ..PulseSpec::default()
        };
        let mut rng = crate::rng::stream(0, &[0]);
        let mut d = PulsedDevices::new(&spec, Some(&model), 1, &mut rng).unwrap();
        let mut x = 0.1;
        for _ in 0..5 {
            d.pulse(0, true, &mut rng);
            x = model.step(1.0, x, 1e-3);
            assert!((d.state(0) - x).abs() < 1e-12);
        }
        assert!(d.state(0) > 0.1);
        assert!((d.conductance(0) - model.conductance(0.0, x)).abs() < 1e-15);
        d.pulse(0, false, &mut rng);
        assert!(d.state(0) < x);
        let e = PulsedDevices::new(&spec, None, 1, &mut rng).unwrap_err();
        assert!(e.to_string().contains("pulse.law"), "{e}");
    }

    #[test]
    fn reram_card_spans_its_range_in_its_published_pulse_counts() {
        // Without noise and variation: 97 up pulses 0 → 1, 100 down pulses 1 → 0 (NeuroSim table).
        let card = crate::device::DeviceCard::builtin("reram-pulse").unwrap();
        let spec = PulseSpec {
            dw_min_dtod: 0.0,
            bounds_dtod: 0.0,
            ctoc_additive: 0.0,
            ..card.pulse.unwrap()
        };
        let up = run(&spec, 0.0, true, 97);
        assert!((up[95] - 1.0).abs() < 2e-2 && up[95] < 1.0, "{}", up[95]);
        assert!((up[96] - 1.0).abs() < 1e-5, "{}", up[96]);
        let down = run(&spec, 1.0, false, 100);
        assert!(down[98] > 0.0 && down[98] < 2e-2, "{}", down[98]);
        assert!(down[99].abs() < 1e-5, "{}", down[99]);
        // The curve is concave: the first up step is larger than the last.
        assert!(up[0] > up[96] - up[95]);
    }

    #[test]
    fn invalid_sections_name_the_field() {
        let bad = PulseSpec {
            dw_min: 0.0,
            ..PulseSpec::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "dw_min");
        let bad = PulseSpec {
            law: StepLaw::Piecewise {
                up: vec![1.0],
                down: vec![1.0, 1.0],
            },
            ..PulseSpec::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "law.up");
        let bad = PulseSpec {
            g_max: 0.5e-6,
            ..PulseSpec::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "g_max");
    }

    fn mean_std(v: &[f64]) -> (f64, f64) {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let s = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt();
        (m, s)
    }
}
