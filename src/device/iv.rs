//! I–V characterisation: drive one device with a periodic voltage at several frequencies and
//! measure the pinched hysteresis loop (Chua's fingerprints).

use super::kernel::{Kernel, step_waveform};
use super::model::with_kernel;
use super::{DeviceError, Model};
use crate::config::FieldError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Shape of the drive voltage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Waveform {
    /// `v(t) = A·sin(2πft)`.
    #[default]
    Sine,
    /// Symmetric triangle starting at 0 and rising: peaks `+A` at a quarter period, `−A` at three
    /// quarters.
    Triangle,
}

impl Waveform {
    /// Normalised value (in [−1, 1]) at phase `p ∈ [0, 1)` of a period.
    pub fn at_phase(self, p: f64) -> f64 {
        match self {
            Waveform::Sine => (std::f64::consts::TAU * p).sin(),
            Waveform::Triangle => {
                if p < 0.25 {
                    4.0 * p
                } else if p < 0.75 {
                    2.0 - 4.0 * p
                } else {
                    4.0 * p - 4.0
                }
            }
        }
    }
}

impl std::str::FromStr for Waveform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "sine" => Ok(Waveform::Sine),
            "triangle" => Ok(Waveform::Triangle),
            _ => Err(format!("unknown waveform `{s}` (use sine or triangle)")),
        }
    }
}

/// The I–V drive of a card (`iv: (...)`), also the full specification of a run of `memsnn iv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IvDefaults {
    /// Drive shape. Default sine.
    pub waveform: Waveform,
    /// Peak voltage (volt, positive). Default 1.
    pub amplitude: f64,
    /// Drive frequencies (hertz, positive), one loop each. Default `[1, 10, 100]`.
    pub frequencies: Vec<f64>,
    /// Periods simulated per frequency; loop measures use the last one. Default 2.
    pub cycles: u32,
    /// Samples per period (even, ≥ 8). Default 1000.
    pub samples_per_cycle: u32,
}

impl Default for IvDefaults {
    fn default() -> Self {
        Self {
            waveform: Waveform::Sine,
            amplitude: 1.0,
            frequencies: vec![1.0, 10.0, 100.0],
            cycles: 2,
            samples_per_cycle: 1000,
        }
    }
}

/// Largest drive amplitude (volt): memristive devices break down at a few volts; 100 V leaves
/// room for high-voltage models.
pub const MAX_AMPLITUDE: f64 = 100.0;
/// Drive frequency range (hertz): 1 µHz to 1 THz.
pub const FREQUENCY_RANGE: (f64, f64) = (1e-6, 1e12);

impl IvDefaults {
    /// Check every field (amplitude in (0, [`MAX_AMPLITUDE`]], frequencies in
    /// [`FREQUENCY_RANGE`]).
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(self.amplitude.is_finite() && self.amplitude > 0.0) {
            return Err(FieldError::new(
                "amplitude",
                format!(
                    "must be a positive finite voltage (volt), got {}",
                    self.amplitude
                ),
            ));
        }
        if self.amplitude > MAX_AMPLITUDE {
            return Err(FieldError::new(
                "amplitude",
                format!(
                    "{} V is above the plausible maximum of {MAX_AMPLITUDE} V",
                    self.amplitude
                ),
            ));
        }
        if self.frequencies.is_empty() {
            return Err(FieldError::new(
                "frequencies",
                "needs at least one frequency",
            ));
        }
        if let Some(f) = self
            .frequencies
            .iter()
            .find(|f| !(f.is_finite() && **f > 0.0))
        {
            return Err(FieldError::new(
                "frequencies",
                format!("every frequency must be positive and finite (hertz), got {f}"),
            ));
        }
        let (lo, hi) = FREQUENCY_RANGE;
        if let Some(f) = self.frequencies.iter().find(|f| !(lo..=hi).contains(*f)) {
            return Err(FieldError::new(
                "frequencies",
                format!("{f} Hz is outside the plausible range [{lo:e}, {hi:e}] Hz"),
            ));
        }
        if !(1..=10_000).contains(&self.cycles) {
            return Err(FieldError::new(
                "cycles",
                format!("must be between 1 and 10000, got {}", self.cycles),
            ));
        }
        if self.samples_per_cycle < 8
            || !self.samples_per_cycle.is_multiple_of(2)
            || self.samples_per_cycle > 1_000_000
        {
            return Err(FieldError::new(
                "samples_per_cycle",
                format!(
                    "must be even and between 8 and 1000000, got {}",
                    self.samples_per_cycle
                ),
            ));
        }
        Ok(())
    }
}

/// One simulated I–V loop (all periods at one frequency), sampled uniformly in time.
#[derive(Debug, Clone, PartialEq)]
pub struct IvLoop {
    /// Drive frequency (hertz).
    pub freq_hz: f64,
    /// Samples per period.
    pub samples_per_cycle: usize,
    /// Sample times (second).
    pub t_s: Vec<f64>,
    /// Voltage (volt).
    pub v_v: Vec<f64>,
    /// Current (ampere).
    pub i_a: Vec<f64>,
    /// State `x` (1 = ON).
    pub x: Vec<f64>,
    /// Small-signal resistance at the sample's state (ohm).
    pub r_ohm: Vec<f64>,
}

impl IvLoop {
    /// Index range of the last full period.
    fn last_cycle(&self) -> std::ops::Range<usize> {
        let end = self.t_s.len() - 1;
        end - self.samples_per_cycle..end + 1
    }

    /// Loop area (V·A) of the last period: the sum over its two half periods of
    /// `|∮ i dv|` (trapezoid rule). Each half period is a closed lobe, since `v` starts and ends
    /// at 0 and so does `i` for a pinched loop.
    pub fn loop_area(&self) -> f64 {
        let r = self.last_cycle();
        let half = self.samples_per_cycle / 2;
        let lobe = |a: usize, b: usize| {
            let mut s = 0.0;
            for k in a..b {
                s += (self.v_v[k + 1] - self.v_v[k]) * (self.i_a[k + 1] + self.i_a[k]) * 0.5;
            }
            s.abs()
        };
        lobe(r.start, r.start + half) + lobe(r.start + half, r.end - 1)
    }

    /// `(min, max)` small-signal resistance (ohm) over the last period.
    pub fn r_range(&self) -> (f64, f64) {
        self.r_ohm[self.last_cycle()]
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
                (lo.min(r), hi.max(r))
            })
    }

    /// Largest `|i|` at the zero crossings of `v` (every half period), divided by `max |i|`
    /// over the whole run: ≈ 0 for a loop pinched at the origin.
    pub fn pinch_ratio(&self) -> f64 {
        let half = self.samples_per_cycle / 2;
        let at_zero = self
            .i_a
            .iter()
            .step_by(half)
            .fold(0.0f64, |m, i| m.max(i.abs()));
        let max = self.i_a.iter().fold(0.0f64, |m, i| m.max(i.abs()));
        if max == 0.0 { 0.0 } else { at_zero / max }
    }
}

/// Simulate the I–V loops of `model` under `spec`, one per frequency (in parallel, results in
/// the order of `spec.frequencies`). The device starts at the model's `x₀` for every frequency.
pub fn simulate_iv(model: &Model, spec: &IvDefaults) -> Result<Vec<IvLoop>, DeviceError> {
    model
        .validate()
        .map_err(|e| DeviceError::Field(e.within("model")))?;
    spec.validate()
        .map_err(|e| DeviceError::Field(e.within("iv")))?;
    let loops: Vec<IvLoop> = spec
        .frequencies
        .par_iter()
        .map(|&f| with_kernel!(model, |k| one_loop(&k, model, spec, f)))
        .collect();
    for l in &loops {
        l.check_finite(spec.amplitude)?;
    }
    Ok(loops)
}

impl IvLoop {
    /// An error naming the drive when any sample or loop measure is not finite (the model left
    /// its range: e.g. an overflowing current), so NaN or ∞ is never printed or written.
    fn check_finite(&self, amplitude: f64) -> Result<(), DeviceError> {
        let bad = |what: &str, k: Option<usize>| {
            DeviceError::Field(FieldError::new(
                "iv",
                format!(
                    "the simulation at amplitude {amplitude} V, frequency {} Hz gives a non-finite {what}{}: \
                     the drive is outside the model's numeric range",
                    self.freq_hz,
                    k.map(|k| format!(" at t = {:e} s", self.t_s[k]))
                        .unwrap_or_default()
                ),
            ))
        };
        for (what, v) in [
            ("current", &self.i_a),
            ("state", &self.x),
            ("resistance", &self.r_ohm),
        ] {
            if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                return Err(bad(what, Some(k)));
            }
        }
        let (lo, hi) = self.r_range();
        for (what, v) in [
            ("loop area", self.loop_area()),
            ("resistance range", lo.min(hi)),
            ("resistance range", hi),
            ("pinch ratio", self.pinch_ratio()),
        ] {
            if !v.is_finite() {
                return Err(bad(what, None));
            }
        }
        Ok(())
    }
}

fn one_loop<K: Kernel>(k: &K, model: &Model, spec: &IvDefaults, freq: f64) -> IvLoop {
    let spc = spec.samples_per_cycle as usize;
    let n = spc * spec.cycles as usize + 1;
    let period = 1.0 / freq;
    let dt = period / spc as f64;
    let (a, wave) = (spec.amplitude, spec.waveform);
    let v_of_t = |t: f64| a * wave.at_phase((t * freq).fract());
    let mut out = IvLoop {
        freq_hz: freq,
        samples_per_cycle: spc,
        t_s: Vec::with_capacity(n),
        v_v: Vec::with_capacity(n),
        i_a: Vec::with_capacity(n),
        x: Vec::with_capacity(n),
        r_ohm: Vec::with_capacity(n),
    };
    let mut x = model.x0();
    for s in 0..n {
        let t = s as f64 * dt;
        // Exact phase at the sample points, so v = 0 exactly where the waveform crosses zero
        // (up to sin(π) rounding).
        let v = a * wave.at_phase((s % spc) as f64 / spc as f64);
        out.t_s.push(t);
        out.v_v.push(v);
        out.i_a.push(k.current(v, x));
        out.x.push(x);
        out.r_ohm.push(1.0 / k.conductance(0.0, x));
        if s + 1 < n {
            x = step_waveform(k, &v_of_t, t, x, dt);
        }
    }
    out
}
