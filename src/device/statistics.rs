//! Statistical device model: the block of a device card the crossbar layer uses.
//!
//! A device card's `statistics` block describes, as data, what happens to a conductance target
//! on its way to a read: finite levels, device-to-device variation of the range, stuck-at
//! faults, programming noise, conductance drift, accumulated 1/f read noise and per-read noise.
//! [`Statistics::default`] is the ideal device (no effect at all).
//!
//! The PCM presets follow the fit to ~1 M phase-change memory devices of Nandakumar et al.
//! (2019) and Joshi et al. (Nat. Commun. 11, 2473, 2020), with ĝ = G/G_max:
//!
//! - programming: σ_prog = 0.26348 + 1.9650·ĝ_T − 1.1731·ĝ_T² µS, G_prog = max(0, G_T + σ_prog·N(0,1));
//! - drift: G(t) = G_prog·((t + t₀)/t₀)^(−ν), t₀ = 20 s, ν = |N(μ_ν, σ_ν)| sampled once per device,
//!   μ_ν = clamp(−0.0155·ln ĝ_T + 0.0244, 0.049, 0.1), σ_ν = clamp(−0.0125·ln ĝ_T − 0.0059, 0.008, 0.045);
//! - 1/f read noise: σ_nG = G(t)·Q_s·sqrt(ln((t + t₀ + t_read)/(2·t_read))),
//!   Q_s = min(0.0088/ĝ_prog^0.65, 0.2), t_read = 250 ns, G_read = max(0, G(t) + σ_nG·N(0,1)).
//!
//! In the PCM presets ĝ is taken relative to the block's `g_max` (25 µS in `devices/pcm.ron`);
//! the programming-noise coefficients are absolute (siemens), as published.
//!
//! Validation ([`Statistics::validate`]) returns a [`FieldError`] naming the offending field.

use crate::config::FieldError;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Polynomial coefficients (siemens) of the PCM programming-noise fit, in powers of ĝ_T.
pub const PCM_PROG_COEFFS: [f64; 3] = [0.26348e-6, 1.9650e-6, -1.1731e-6];
/// Drift reference time t₀ of the PCM fit [s].
pub const PCM_T0: f64 = 20.0;
/// Duration of one read t_read in the PCM 1/f read-noise fit [s].
pub const PCM_T_READ: f64 = 250e-9;

/// Statistical non-idealities of a device.
///
/// `Default` is the ideal device: range [0, 25 µS], continuous levels, no noise, no drift,
/// no variation, no faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Statistics {
    /// Lowest programmable conductance [S]. Default 0.
    pub g_min: f64,
    /// Highest programmable conductance G_max [S]. Default 25 µS.
    pub g_max: f64,
    /// Finite conductance levels targets are quantised to. Default: continuous.
    pub levels: Levels,
    /// Device-to-device variation of the range [g_min, g_max]. Default: none.
    pub d2d: RangeVariation,
    /// Stuck-at faults. Default: none.
    pub faults: Faults,
    /// Programming noise σ(G_T). Default: none.
    pub programming: ProgrammingNoise,
    /// Conductance drift after programming. Default: none.
    pub drift: Drift,
    /// Accumulated (1/f) read noise at time t. Default: none.
    pub read_noise: ReadNoise,
    /// Independent Gaussian noise on every read. Default: none.
    pub per_read: PerReadNoise,
}

impl Default for Statistics {
    fn default() -> Self {
        Self {
            g_min: 0.0,
            g_max: 25e-6,
            levels: Levels::None,
            d2d: RangeVariation::default(),
            faults: Faults::default(),
            programming: ProgrammingNoise::None,
            drift: Drift::None,
            read_noise: ReadNoise::None,
            per_read: PerReadNoise::None,
        }
    }
}

/// Finite conductance levels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Levels {
    /// Continuous conductances (no quantisation).
    #[default]
    None,
    /// `n` levels spaced uniformly in G over [g_min, g_max] (n ≥ 2).
    Uniform(u32),
    /// An explicit, strictly increasing list of levels [S] inside [g_min, g_max] (at least 2).
    List(Vec<f64>),
}

/// Device-to-device variation of the programmable range.
///
/// Each device gets its own range g_min·(1 + g_min_frac·N₁), g_max·(1 + g_max_frac·N₂)
/// (clipped at 0 and so that g_min ≤ g_max); a target is mapped linearly from the nominal
/// range onto the device's own range (a per-device gain and offset error).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RangeVariation {
    /// Relative standard deviation of a device's g_min. Default 0.
    pub g_min_frac: f64,
    /// Relative standard deviation of a device's g_max. Default 0.
    pub g_max_frac: f64,
}

/// Stuck-at faults: fractions of devices that ignore programming.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction of devices stuck at their g_min. Default 0.
    pub stuck_at_min: f64,
    /// Fraction of devices stuck at their g_max. Default 0.
    pub stuck_at_max: f64,
}

/// Programming noise: the standard deviation σ(G_T) of the programmed conductance around the
/// target; G_prog = max(0, G_T + σ(G_T)·N(0,1)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum ProgrammingNoise {
    /// Exact programming.
    #[default]
    None,
    /// σ = `sigma` [S].
    Constant {
        /// Standard deviation [S].
        sigma: f64,
    },
    /// σ = `frac`·G_T.
    Proportional {
        /// Relative standard deviation.
        frac: f64,
    },
    /// σ = Σₖ coeffs[k]·(G_T/g_max)ᵏ [S].
    Polynomial {
        /// Coefficients [S], lowest power first.
        coeffs: Vec<f64>,
        /// Normalising conductance [S].
        g_max: f64,
    },
    /// The PCM fit (Nandakumar 2019 / Joshi 2020): [`PCM_PROG_COEFFS`] with the block's g_max.
    Pcm,
}

/// Conductance drift G(t) = G_prog·((t + t₀)/t₀)^(−ν), ν = |N(μ_ν, σ_ν)| drawn once per device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Drift {
    /// No drift.
    #[default]
    None,
    /// The same ν distribution for every device.
    PowerLaw {
        /// μ_ν of the underlying normal.
        nu_mean: f64,
        /// σ_ν of the underlying normal.
        nu_std: f64,
        /// Reference time t₀ [s].
        t0: f64,
    },
    /// The PCM fit: μ_ν, σ_ν depend on ĝ_T (see the module docs), t₀ = 20 s.
    Pcm,
}

/// Accumulated 1/f read noise at time t after programming:
/// σ_nG = G(t)·Q_s·sqrt(ln((t + t₀ + t_read)/(2·t_read))), Q_s = min(q_coeff/ĝ_prog^q_exp, q_max).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum ReadNoise {
    /// No 1/f noise.
    #[default]
    None,
    /// A general 1/f law.
    Flicker {
        /// Coefficient of Q_s.
        q_coeff: f64,
        /// Exponent of ĝ_prog in Q_s.
        q_exp: f64,
        /// Upper bound of Q_s.
        q_max: f64,
        /// Reference time t₀ [s].
        t0: f64,
        /// Duration of one read [s].
        t_read: f64,
    },
    /// The PCM fit: q_coeff 0.0088, q_exp 0.65, q_max 0.2, t₀ 20 s, t_read 250 ns.
    Pcm,
}

/// Independent Gaussian noise of every single read of a device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum PerReadNoise {
    /// Noise-free reads.
    #[default]
    None,
    /// σ = `sigma` [S] per device.
    Constant {
        /// Standard deviation [S].
        sigma: f64,
    },
    /// σ = `frac`·G per device.
    Proportional {
        /// Relative standard deviation.
        frac: f64,
    },
}

/// One programmed device: what the statistical programming produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgrammedDevice {
    /// Conductance right after programming, G_prog [S].
    pub g_prog: f64,
    /// Drift exponent ν (0 without drift or for stuck devices).
    pub nu: f64,
    /// Whether the device is stuck (at its g_min or g_max).
    pub stuck: bool,
}

fn finite_nonneg(v: f64, field: &str) -> Result<(), FieldError> {
    if !v.is_finite() {
        Err(FieldError::new(field, format!("must be finite, got {v}")))
    } else if v < 0.0 {
        Err(FieldError::new(field, format!("must be ≥ 0, got {v}")))
    } else {
        Ok(())
    }
}

/// Documented plausible ranges of a statistics block: values outside are errors naming the
/// field, since they make every read underflow, overflow or lose all precision.
pub mod ranges {
    /// Conductances [S] (`g_max`, `Polynomial.g_max`, `levels.List`): 1 pS (1 TΩ) to 1 S (1 Ω).
    /// Memristive devices span about 1 nS – 10 mS.
    pub const CONDUCTANCE: (f64, f64) = (1e-12, 1.0);
    /// Drift exponents ν (`nu_mean`, `nu_std`): ≤ 1 (PCM ~0.05–0.1, RRAM ≤ 0.1; ν = 1 already
    /// means G ∝ 1/t).
    pub const DRIFT_EXPONENT_MAX: f64 = 1.0;
    /// Reference and read times [s] (`t0`, `t_read`): 1 fs to 10⁹ s (~30 years).
    pub const TIME: (f64, f64) = (1e-15, 1e9);
    /// Relative noise and variation (`frac`, `d2d.*_frac`, `q_max`): ≤ 1 (100 %).
    pub const FRACTION_MAX: f64 = 1.0;
    /// Absolute noise σ [S] (`Constant.sigma`): ≤ the block's `g_max`.
    pub const SIGMA_OVER_G_MAX: f64 = 1.0;
    /// 1/f noise: `q_coeff` ≤ 1, `q_exp` ≤ 10.
    pub const FLICKER: (f64, f64) = (1.0, 10.0);
}

/// `v` in `[lo, hi]` (finite), or an error naming `field`, the value, the range and its `unit`.
fn within(v: f64, field: &str, lo: f64, hi: f64, unit: &str) -> Result<(), FieldError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("{v:e} {unit} is outside the plausible range [{lo:e}, {hi:e}] {unit}"),
        ))
    }
}

/// `v` ≥ 0 and ≤ `hi`.
fn at_most(v: f64, field: &str, hi: f64, what: &str) -> Result<(), FieldError> {
    finite_nonneg(v, field)?;
    if v > hi {
        return Err(FieldError::new(
            field,
            format!("{v:e} is above the plausible maximum {hi:e} ({what})"),
        ));
    }
    Ok(())
}

fn positive(v: f64, field: &str) -> Result<(), FieldError> {
    if !(v.is_finite() && v > 0.0) {
        Err(FieldError::new(
            field,
            format!("must be finite and > 0, got {v}"),
        ))
    } else {
        Ok(())
    }
}

impl Levels {
    /// Check the level set against the range [g_min, g_max].
    pub fn validate(&self, g_min: f64, g_max: f64) -> Result<(), FieldError> {
        match self {
            Levels::None => Ok(()),
            Levels::Uniform(n) if *n < 2 => Err(FieldError::new(
                "Uniform",
                format!("needs at least 2 levels, got {n}"),
            )),
            Levels::Uniform(_) => Ok(()),
            Levels::List(l) => {
                if l.len() < 2 {
                    return Err(FieldError::new(
                        "List",
                        format!("needs at least 2 levels, got {}", l.len()),
                    ));
                }
                for (i, &g) in l.iter().enumerate() {
                    if !g.is_finite() || g < g_min || g > g_max {
                        return Err(FieldError::new(
                            format!("List[{i}]"),
                            format!("level {g} S is outside [g_min, g_max] = [{g_min}, {g_max}]"),
                        ));
                    }
                    if i > 0 && g <= l[i - 1] {
                        return Err(FieldError::new(
                            format!("List[{i}]"),
                            "levels must be strictly increasing",
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// Quantise `g` to the nearest level (ties go to the lower level); `None` returns `g`.
    ///
    /// `g` is first clipped to [g_min, g_max].
    pub fn quantise(&self, g: f64, g_min: f64, g_max: f64) -> f64 {
        let g = g.clamp(g_min, g_max);
        match self {
            Levels::None => g,
            Levels::Uniform(n) => {
                // `validate` rejects n < 2; stay finite for unvalidated input anyway.
                let top = f64::from(n.saturating_sub(1).max(1));
                let step = (g_max - g_min) / top;
                let k = ((g - g_min) / step).round().clamp(0.0, top);
                g_min + k * step
            }
            Levels::List(l) if l.is_empty() => g,
            Levels::List(l) => {
                // First level ≥ g; compare with its lower neighbour.
                let i = l.partition_point(|&x| x < g);
                if i == 0 {
                    l[0]
                } else if i == l.len() {
                    l[l.len() - 1]
                } else if g - l[i - 1] <= l[i] - g {
                    l[i - 1]
                } else {
                    l[i]
                }
            }
        }
    }
}

impl ProgrammingNoise {
    /// σ_prog [S] at target `g_t`, with `g_max` the block's range top (used by `Pcm`).
    pub fn sigma(&self, g_t: f64, g_max: f64) -> f64 {
        let poly = |c: &[f64], gm: f64| {
            let x = g_t / gm;
            c.iter().rev().fold(0.0, |acc, &ck| acc * x + ck)
        };
        match self {
            ProgrammingNoise::None => 0.0,
            ProgrammingNoise::Constant { sigma } => *sigma,
            ProgrammingNoise::Proportional { frac } => frac * g_t.abs(),
            ProgrammingNoise::Polynomial { coeffs, g_max } => poly(coeffs, *g_max).max(0.0),
            ProgrammingNoise::Pcm => poly(&PCM_PROG_COEFFS, g_max).max(0.0),
        }
    }

    fn validate(&self, g_max: f64) -> Result<(), FieldError> {
        match self {
            ProgrammingNoise::None | ProgrammingNoise::Pcm => Ok(()),
            ProgrammingNoise::Constant { sigma } => at_most(
                *sigma,
                "Constant.sigma",
                ranges::SIGMA_OVER_G_MAX * g_max,
                "a noise σ above g_max",
            ),
            ProgrammingNoise::Proportional { frac } => at_most(
                *frac,
                "Proportional.frac",
                ranges::FRACTION_MAX,
                "a relative noise",
            ),
            ProgrammingNoise::Polynomial { coeffs, g_max: gm } => {
                positive(*gm, "Polynomial.g_max")?;
                within(
                    *gm,
                    "Polynomial.g_max",
                    ranges::CONDUCTANCE.0,
                    ranges::CONDUCTANCE.1,
                    "S",
                )?;
                if coeffs.is_empty() {
                    return Err(FieldError::new(
                        "Polynomial.coeffs",
                        "needs at least one coefficient",
                    ));
                }
                for (i, c) in coeffs.iter().enumerate() {
                    if !c.is_finite() {
                        return Err(FieldError::new(
                            format!("Polynomial.coeffs[{i}]"),
                            format!("must be finite, got {c}"),
                        ));
                    }
                }
                // σ must not be negative anywhere on the range.
                for k in 0..=100 {
                    let g = g_max * f64::from(k) / 100.0;
                    let x = g / gm;
                    let s = coeffs.iter().rev().fold(0.0, |acc, &ck| acc * x + ck);
                    if s < 0.0 {
                        return Err(FieldError::new(
                            "Polynomial.coeffs",
                            format!("σ is negative ({s} S) at G = {g} S"),
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

/// (μ_ν, σ_ν, t₀) of a drift model at relative target ĝ_T, or `None` without drift.
fn drift_params(drift: &Drift, g_hat: f64) -> Option<(f64, f64, f64)> {
    match drift {
        Drift::None => None,
        Drift::PowerLaw {
            nu_mean,
            nu_std,
            t0,
        } => Some((*nu_mean, *nu_std, *t0)),
        Drift::Pcm => {
            // ln 0 = −∞ gives +∞ before the clamp: ĝ = 0 sits at the upper bounds.
            let l = g_hat.max(0.0).ln();
            let mu = (-0.0155 * l + 0.0244).clamp(0.049, 0.1);
            let sd = (-0.0125 * l - 0.0059).clamp(0.008, 0.045);
            Some((mu, sd, PCM_T0))
        }
    }
}

impl Drift {
    /// (μ_ν, σ_ν) of the normal whose absolute value is ν, at relative target ĝ_T = G_T/g_max.
    pub fn nu_params(&self, g_hat: f64) -> (f64, f64) {
        drift_params(self, g_hat).map_or((0.0, 0.0), |(m, s, _)| (m, s))
    }

    /// Reference time t₀ [s] (1 without drift, where it does not matter).
    pub fn t0(&self) -> f64 {
        drift_params(self, 1.0).map_or(1.0, |p| p.2)
    }

    /// The drift factor ((t + t₀)/t₀)^(−ν).
    pub fn factor(&self, nu: f64, t: f64) -> f64 {
        match self {
            Drift::None => 1.0,
            _ => {
                let t0 = self.t0();
                ((t + t0) / t0).powf(-nu)
            }
        }
    }
}

impl ReadNoise {
    /// (q_coeff, q_exp, q_max, t₀, t_read), or `None` without 1/f noise.
    fn params(&self) -> Option<(f64, f64, f64, f64, f64)> {
        match self {
            ReadNoise::None => None,
            ReadNoise::Flicker {
                q_coeff,
                q_exp,
                q_max,
                t0,
                t_read,
            } => Some((*q_coeff, *q_exp, *q_max, *t0, *t_read)),
            ReadNoise::Pcm => Some((0.0088, 0.65, 0.2, PCM_T0, PCM_T_READ)),
        }
    }

    /// Relative standard deviation σ_nG/G(t) at time `t` for a device with ĝ_prog = G_prog/g_max.
    pub fn relative_sigma(&self, g_hat_prog: f64, t: f64) -> f64 {
        match self.params() {
            None => 0.0,
            Some((qc, qe, qm, t0, tr)) => {
                // ĝ_prog = 0 gives qc/0 = +∞ before the min: Q_s = q_max (and G(t) = 0 anyway).
                let q = (qc / g_hat_prog.max(0.0).powf(qe)).min(qm);
                q * ((t + t0 + tr) / (2.0 * tr)).ln().max(0.0).sqrt()
            }
        }
    }
}

impl PerReadNoise {
    /// σ [S] of one read of a device of conductance `g`.
    pub fn sigma(&self, g: f64) -> f64 {
        match self {
            PerReadNoise::None => 0.0,
            PerReadNoise::Constant { sigma } => *sigma,
            PerReadNoise::Proportional { frac } => frac * g.abs(),
        }
    }
}

impl Statistics {
    /// The ideal device (same as `Default`).
    pub fn ideal() -> Self {
        Self::default()
    }

    /// The PCM preset (Nandakumar 2019 / Joshi 2020) on [0, 25 µS], continuous levels.
    pub fn pcm() -> Self {
        Self {
            g_min: 0.0,
            g_max: 25e-6,
            programming: ProgrammingNoise::Pcm,
            drift: Drift::Pcm,
            read_noise: ReadNoise::Pcm,
            ..Self::default()
        }
    }

    /// Check every field; the error names the offending field (e.g. `g_max`, `faults.stuck_at_min`).
    ///
    /// Besides signs and finiteness, every value must lie in the documented plausible range
    /// of [`ranges`] (e.g. `g_max` in [1 pS, 1 S], drift exponents ≤ 1).
    pub fn validate(&self) -> Result<(), FieldError> {
        use ranges::*;
        finite_nonneg(self.g_min, "g_min")?;
        positive(self.g_max, "g_max")?;
        within(self.g_max, "g_max", CONDUCTANCE.0, CONDUCTANCE.1, "S")?;
        if self.g_min >= self.g_max {
            return Err(FieldError::new(
                "g_max",
                format!("g_min ({}) must be < g_max ({})", self.g_min, self.g_max),
            ));
        }
        self.levels
            .validate(self.g_min, self.g_max)
            .map_err(|e| e.within("levels"))?;
        at_most(
            self.d2d.g_min_frac,
            "d2d.g_min_frac",
            FRACTION_MAX,
            "a relative spread",
        )?;
        at_most(
            self.d2d.g_max_frac,
            "d2d.g_max_frac",
            FRACTION_MAX,
            "a relative spread",
        )?;
        let f = &self.faults;
        for (v, name) in [
            (f.stuck_at_min, "faults.stuck_at_min"),
            (f.stuck_at_max, "faults.stuck_at_max"),
        ] {
            finite_nonneg(v, name)?;
            if v > 1.0 {
                return Err(FieldError::new(
                    name,
                    format!("a fraction must be ≤ 1, got {v}"),
                ));
            }
        }
        if f.stuck_at_min + f.stuck_at_max > 1.0 {
            return Err(FieldError::new(
                "faults",
                format!(
                    "stuck_at_min + stuck_at_max = {} exceeds 1",
                    f.stuck_at_min + f.stuck_at_max
                ),
            ));
        }
        self.programming
            .validate(self.g_max)
            .map_err(|e| e.within("programming"))?;
        if let Drift::PowerLaw {
            nu_mean,
            nu_std,
            t0,
        } = self.drift
        {
            at_most(
                nu_mean,
                "drift.PowerLaw.nu_mean",
                DRIFT_EXPONENT_MAX,
                "a drift exponent",
            )?;
            at_most(
                nu_std,
                "drift.PowerLaw.nu_std",
                DRIFT_EXPONENT_MAX,
                "a drift exponent",
            )?;
            positive(t0, "drift.PowerLaw.t0")?;
            within(t0, "drift.PowerLaw.t0", TIME.0, TIME.1, "s")?;
        }
        if let ReadNoise::Flicker {
            q_coeff,
            q_exp,
            q_max,
            t0,
            t_read,
        } = self.read_noise
        {
            at_most(
                q_coeff,
                "read_noise.Flicker.q_coeff",
                FLICKER.0,
                "a 1/f coefficient",
            )?;
            at_most(
                q_exp,
                "read_noise.Flicker.q_exp",
                FLICKER.1,
                "a 1/f exponent",
            )?;
            at_most(
                q_max,
                "read_noise.Flicker.q_max",
                FRACTION_MAX,
                "a relative noise",
            )?;
            positive(t0, "read_noise.Flicker.t0")?;
            within(t0, "read_noise.Flicker.t0", TIME.0, TIME.1, "s")?;
            positive(t_read, "read_noise.Flicker.t_read")?;
            within(t_read, "read_noise.Flicker.t_read", TIME.0, TIME.1, "s")?;
        }
        match self.per_read {
            PerReadNoise::None => {}
            PerReadNoise::Constant { sigma } => at_most(
                sigma,
                "per_read.Constant.sigma",
                SIGMA_OVER_G_MAX * self.g_max,
                "a noise σ above g_max",
            )?,
            PerReadNoise::Proportional { frac } => at_most(
                frac,
                "per_read.Proportional.frac",
                FRACTION_MAX,
                "a relative noise",
            )?,
        }
        Ok(())
    }

    /// Whether every non-ideality is off (reads return the targets exactly, up to quantisation).
    pub fn is_ideal(&self) -> bool {
        let d = Self::default();
        self.levels == Levels::None
            && self.d2d == d.d2d
            && self.faults == d.faults
            && self.programming == ProgrammingNoise::None
            && self.drift == Drift::None
            && self.read_noise == ReadNoise::None
            && self.per_read == PerReadNoise::None
    }

    /// Quantise a target to the block's levels (after clipping to [g_min, g_max]).
    pub fn quantise(&self, g: f64) -> f64 {
        self.levels.quantise(g, self.g_min, self.g_max)
    }

    /// Program one device to target `g_t` [S] (must be finite; the block must be validated).
    ///
    /// Order: stuck-at fault (one uniform draw when faults are enabled); device range (two
    /// normals when d2d variation is enabled); quantisation of the target to the levels;
    /// programming noise (one normal when enabled; G_prog = max(0, ·)); ν (one normal when
    /// drift is enabled; ĝ_T is the quantised target over g_max). Stuck devices sit exactly at
    /// their range end, with ν = 0.
    pub fn program<R: Rng + ?Sized>(&self, g_t: f64, rng: &mut R) -> ProgrammedDevice {
        let f = &self.faults;
        let (mut lo, mut hi) = (self.g_min, self.g_max);
        let fault_draw = if f.stuck_at_min > 0.0 || f.stuck_at_max > 0.0 {
            Some(rng.random::<f64>())
        } else {
            None
        };
        if self.d2d.g_min_frac > 0.0 || self.d2d.g_max_frac > 0.0 {
            let a: f64 = rng.sample(StandardNormal);
            let b: f64 = rng.sample(StandardNormal);
            lo = (lo * (1.0 + self.d2d.g_min_frac * a)).max(0.0);
            hi = (hi * (1.0 + self.d2d.g_max_frac * b)).max(lo);
        }
        if let Some(u) = fault_draw {
            if u < f.stuck_at_min {
                return ProgrammedDevice {
                    g_prog: lo,
                    nu: 0.0,
                    stuck: true,
                };
            }
            if u < f.stuck_at_min + f.stuck_at_max {
                return ProgrammedDevice {
                    g_prog: hi,
                    nu: 0.0,
                    stuck: true,
                };
            }
        }
        let q = self.quantise(g_t);
        // Map the nominal range linearly onto this device's range.
        let g_dev = lo + (q - self.g_min) * (hi - lo) / (self.g_max - self.g_min);
        let sigma = self.programming.sigma(q, self.g_max);
        let g_prog = if sigma > 0.0 {
            let n: f64 = rng.sample(StandardNormal);
            (g_dev + sigma * n).max(0.0)
        } else {
            g_dev
        };
        let nu = match drift_params(&self.drift, q / self.g_max) {
            None => 0.0,
            Some((mu, sd, _)) => {
                let n: f64 = rng.sample(StandardNormal);
                (mu + sd * n).abs()
            }
        };
        ProgrammedDevice {
            g_prog,
            nu,
            stuck: false,
        }
    }

    /// Conductance of a programmed device at time `t` [s] after programming, before read noise.
    pub fn drifted(&self, dev: &ProgrammedDevice, t: f64) -> f64 {
        dev.g_prog * self.drift.factor(dev.nu, t)
    }

    /// Relative σ of the accumulated 1/f read noise of `dev` at time `t`.
    pub fn read_noise_rel_sigma(&self, dev: &ProgrammedDevice, t: f64) -> f64 {
        self.read_noise.relative_sigma(dev.g_prog / self.g_max, t)
    }

    /// The conductance read at time `t` [s]: drift, then accumulated 1/f noise
    /// (G_read = max(0, G(t) + σ_nG·N(0,1)); one normal when 1/f noise is enabled).
    /// Per-read noise is not included (the crossbar read path adds it per column).
    pub fn read_at<R: Rng + ?Sized>(&self, dev: &ProgrammedDevice, t: f64, rng: &mut R) -> f64 {
        let g = self.drifted(dev, t);
        if self.read_noise == ReadNoise::None {
            return g;
        }
        let s = self.read_noise_rel_sigma(dev, t) * g;
        let n: f64 = rng.sample(StandardNormal);
        (g + s * n).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    #[test]
    fn default_is_ideal_and_valid() {
        let s = Statistics::default();
        s.validate().unwrap();
        assert!(s.is_ideal());
        let mut r = rng::stream(1, &[0]);
        let d = s.program(7e-6, &mut r);
        assert_eq!(d.g_prog, 7e-6);
        assert_eq!(s.read_at(&d, 1e6, &mut r), 7e-6);
    }

    #[test]
    fn pcm_closed_forms_at_known_points() {
        let p = ProgrammingNoise::Pcm;
        // ĝ = 1: 0.26348 + 1.9650 − 1.1731 = 1.05538 µS.
        assert!((p.sigma(25e-6, 25e-6) - 1.05538e-6).abs() < 1e-15);
        // ĝ = 0.1: μ = 0.0155·ln 10 + 0.0244, σ = 0.0125·ln 10 − 0.0059.
        let (mu, sd) = Drift::Pcm.nu_params(0.1);
        assert!((mu - (0.0155 * 10f64.ln() + 0.0244)).abs() < 1e-15);
        assert!((sd - (0.0125 * 10f64.ln() - 0.0059)).abs() < 1e-15);
        // Clamps at ĝ = 1 and ĝ = 0 (no NaN).
        assert_eq!(Drift::Pcm.nu_params(1.0), (0.049, 0.008));
        assert_eq!(Drift::Pcm.nu_params(0.0), (0.1, 0.045));
        // Q_s capped at 0.2 for ĝ_prog = 0.
        let r = ReadNoise::Pcm.relative_sigma(0.0, 0.0);
        let expect = 0.2 * ((20.0 + 250e-9) / 500e-9f64).ln().sqrt();
        assert!((r - expect).abs() < 1e-12);
    }

    #[test]
    fn d2d_variation_scales_targets_onto_each_devices_range() {
        // g_min = 0: a device's range is [0, g_max·(1 + 0.1·N)], so a target at fraction f of
        // the nominal range programs to f·g_max·(1 + 0.1·N): mean f·g_max, std 0.1·f·g_max.
        let s = Statistics {
            d2d: RangeVariation {
                g_min_frac: 0.0,
                g_max_frac: 0.1,
            },
            ..Statistics::default()
        };
        s.validate().unwrap();
        let mut r = rng::stream(3, &[]);
        for f in [1.0, 0.5] {
            let n = 20_000;
            let g: Vec<f64> = (0..n)
                .map(|_| s.program(f * s.g_max, &mut r).g_prog)
                .collect();
            let m = g.iter().sum::<f64>() / n as f64;
            let sd = (g.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64).sqrt();
            assert!((m / (f * s.g_max) - 1.0).abs() < 0.005, "{m}");
            assert!((sd / (0.1 * f * s.g_max) - 1.0).abs() < 0.03, "{sd}");
        }
    }

    #[test]
    fn summary_is_identical_for_any_thread_count_and_counts_stuck_devices() {
        let s = Statistics {
            faults: Faults {
                stuck_at_min: 0.1,
                stuck_at_max: 0.05,
            },
            ..Statistics::pcm()
        };
        // 40,000 devices = 3 chunks, the last one partial.
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    s.summarise(&[5e-6, 20e-6], &[0.0, 3600.0], 40_000, 11)
                        .unwrap()
                })
        };
        let a = run(1);
        assert_eq!(a, run(3));
        for t in &a {
            // Binomial: std of the fraction is sqrt(0.15·0.85/40000) = 0.0018.
            assert!(
                (t.stuck_fraction - 0.15).abs() < 0.01,
                "{}",
                t.stuck_fraction
            );
        }
    }

    #[test]
    fn quantise_uniform_and_list() {
        let l = Levels::Uniform(5);
        assert_eq!(l.quantise(0.3, 0.0, 1.0), 0.25);
        assert_eq!(l.quantise(0.4, 0.0, 1.0), 0.5);
        assert_eq!(l.quantise(2.0, 0.0, 1.0), 1.0);
        let l = Levels::List(vec![0.0, 0.1, 0.7]);
        assert_eq!(l.quantise(0.39, 0.0, 1.0), 0.1);
        assert_eq!(l.quantise(0.41, 0.0, 1.0), 0.7);
    }

    #[test]
    fn inconsistent_blocks_name_the_field() {
        let bad = |s: Statistics| s.validate().unwrap_err().field;
        let base = Statistics::default;
        assert_eq!(
            bad(Statistics {
                g_min: 3e-5,
                ..base()
            }),
            "g_max"
        );
        assert_eq!(
            bad(Statistics {
                levels: Levels::Uniform(0),
                ..base()
            }),
            "levels.Uniform"
        );
        assert_eq!(
            bad(Statistics {
                programming: ProgrammingNoise::Constant { sigma: -1.0 },
                ..base()
            }),
            "programming.Constant.sigma"
        );
        assert_eq!(
            bad(Statistics {
                faults: Faults {
                    stuck_at_min: 0.6,
                    stuck_at_max: 0.5
                },
                ..base()
            }),
            "faults"
        );
        assert_eq!(
            bad(Statistics {
                levels: Levels::List(vec![0.0, 1.0]),
                ..base()
            }),
            "levels.List[1]"
        );
        assert_eq!(
            bad(Statistics {
                programming: ProgrammingNoise::Polynomial {
                    coeffs: vec![1e-6, -1e-5],
                    g_max: 25e-6
                },
                ..base()
            }),
            "programming.Polynomial.coeffs"
        );
    }
}

/// Devices per parallel work item of [`Statistics::summarise`]; each chunk has its own RNG stream.
pub const SUMMARY_CHUNK: usize = 16_384;

/// Mean and standard deviation of a conductance at one time after programming.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeSummary {
    /// Time since programming [s].
    pub t: f64,
    /// Mean read conductance (programming, drift, 1/f read noise) [S].
    pub mean: f64,
    /// Standard deviation of the read conductance [S].
    pub std: f64,
}

/// Statistics of `n` devices programmed to one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetSummary {
    /// Conductance target [S].
    pub target: f64,
    /// Mean conductance right after programming [S].
    pub g_prog_mean: f64,
    /// Standard deviation right after programming [S].
    pub g_prog_std: f64,
    /// Mean drift exponent ν.
    pub nu_mean: f64,
    /// Standard deviation of ν.
    pub nu_std: f64,
    /// Fraction of stuck devices.
    pub stuck_fraction: f64,
    /// Read conductance at each requested time.
    pub times: Vec<TimeSummary>,
}

/// Running mean / M2 accumulator, merged in a fixed order (Chan et al.).
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }
    fn merge(self, o: Moments) -> Moments {
        if self.n == 0.0 {
            return o;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        Moments {
            n,
            mean: self.mean + d * o.n / n,
            m2: self.m2 + o.m2 + d * d * self.n * o.n / n,
        }
    }
    fn std(&self) -> f64 {
        if self.n > 1.0 {
            (self.m2 / (self.n - 1.0)).sqrt()
        } else {
            0.0
        }
    }
}

impl Statistics {
    /// Monte-Carlo summary of `n` devices per target: each device is programmed once (ν drawn
    /// once) and read at every time in `times` (a fresh 1/f noise draw per time).
    ///
    /// Devices are processed in chunks of [`SUMMARY_CHUNK`], chunk c of target k drawing from
    /// `rng::stream(seed, [k, c])`, in parallel; chunk results are merged in order, so the
    /// result is bit-identical for any thread count.
    ///
    /// Errors (naming `targets[i]`, `times[i]`, `n` or the block's field): an invalid block,
    /// empty lists, non-finite or out-of-range targets (outside [g_min, g_max]), negative or
    /// non-finite times, n < 2.
    pub fn summarise(
        &self,
        targets: &[f64],
        times: &[f64],
        n: usize,
        seed: u64,
    ) -> Result<Vec<TargetSummary>, FieldError> {
        self.summarise_observed(targets, times, n, seed, &|_| {})
    }

    /// [`summarise`](Self::summarise), calling `progress(k)` after each finished block of `k`
    /// devices (from worker threads). Blocks are skipped once a stop is requested
    /// ([`crate::cancel`]): the caller must then discard the result.
    pub fn summarise_observed(
        &self,
        targets: &[f64],
        times: &[f64],
        n: usize,
        seed: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<TargetSummary>, FieldError> {
        use rayon::prelude::*;
        self.validate()?;
        if targets.is_empty() {
            return Err(FieldError::new("targets", "needs at least one target"));
        }
        if times.is_empty() {
            return Err(FieldError::new("times", "needs at least one time"));
        }
        if n < 2 {
            return Err(FieldError::new(
                "n",
                format!("needs at least 2 devices, got {n}"),
            ));
        }
        for (i, &g) in targets.iter().enumerate() {
            if !g.is_finite() || g < self.g_min || g > self.g_max {
                return Err(FieldError::new(
                    format!("targets[{i}]"),
                    format!(
                        "{g} S is not a finite conductance inside the card's range [{}, {}] S",
                        self.g_min, self.g_max
                    ),
                ));
            }
        }
        for (i, &t) in times.iter().enumerate() {
            if !(t.is_finite() && t >= 0.0) {
                return Err(FieldError::new(
                    format!("times[{i}]"),
                    format!("{t} s is not a finite time ≥ 0"),
                ));
            }
        }
        let chunks = n.div_ceil(SUMMARY_CHUNK);
        let out = targets
            .iter()
            .enumerate()
            .map(|(k, &g_t)| {
                let parts: Vec<(Moments, Moments, f64, Vec<Moments>)> = (0..chunks)
                    .into_par_iter()
                    .map(|c| {
                        let mut rng = crate::rng::stream(seed, &[k as u64, c as u64]);
                        let len = SUMMARY_CHUNK.min(n - c * SUMMARY_CHUNK);
                        let (mut gp, mut nu, mut stuck) =
                            (Moments::default(), Moments::default(), 0.0);
                        let mut at = vec![Moments::default(); times.len()];
                        if crate::cancel::requested() {
                            return (gp, nu, stuck, at);
                        }
                        for _ in 0..len {
                            let d = self.program(g_t, &mut rng);
                            gp.push(d.g_prog);
                            nu.push(d.nu);
                            stuck += f64::from(u8::from(d.stuck));
                            for (m, &t) in at.iter_mut().zip(times) {
                                m.push(self.read_at(&d, t, &mut rng));
                            }
                        }
                        progress(len as u64);
                        (gp, nu, stuck, at)
                    })
                    .collect();
                let mut acc = (
                    Moments::default(),
                    Moments::default(),
                    0.0,
                    vec![Moments::default(); times.len()],
                );
                for p in parts {
                    acc.0 = acc.0.merge(p.0);
                    acc.1 = acc.1.merge(p.1);
                    acc.2 += p.2;
                    for (a, b) in acc.3.iter_mut().zip(p.3) {
                        *a = a.merge(b);
                    }
                }
                TargetSummary {
                    target: g_t,
                    g_prog_mean: acc.0.mean,
                    g_prog_std: acc.0.std(),
                    nu_mean: acc.1.mean,
                    nu_std: acc.1.std(),
                    stuck_fraction: acc.2 / n as f64,
                    times: times
                        .iter()
                        .zip(&acc.3)
                        .map(|(&t, m)| TimeSummary {
                            t,
                            mean: m.mean,
                            std: m.std(),
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(out)
    }
}
