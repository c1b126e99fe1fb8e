//! The HP linear ion-drift model (Strukov, Snider, Stewart & Williams, Nature 453, 80 (2008)).
//!
//! `R(x) = R_on·x + R_off·(1 − x)`, `i = v / R(x)`,
//! `dx/dt = μ_v·R_on/D² · i · f(x)` with a [`Window`] `f`.
//! `x = w/D` is the normalised width of the doped (low-resistance) region; positive current
//! grows it. Without a window the memristance obeys the closed form
//! `M(t)² = M₀² − 2k·φ(t)`, `k = (R_off − R_on)·μ_v·R_on/D²`, `φ(t) = ∫₀ᵗ v dt`.

use super::kernel::Kernel;
use super::window::{Window, WindowFn};
use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// Parameters of the linear ion-drift model. Defaults: the HP TiO₂ device as commonly simulated
/// (Strukov 2008: D = 10 nm, μ_v = 1e-14 m²/(V·s); R_on = 100 Ω, R_off = 16 kΩ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Resistance when fully doped, `x = 1` (ohm). Default 100.
    pub r_on: f64,
    /// Resistance when undoped, `x = 0` (ohm). Default 16 000.
    pub r_off: f64,
    /// Device thickness `D` (metre). Default 10e-9.
    pub d: f64,
    /// Dopant mobility `μ_v` (m²/(V·s)). Default 1e-14.
    pub mu_v: f64,
    /// Initial state `x₀ = w₀/D` (dimensionless, in [0, 1]). Default 0.1.
    pub x0: f64,
    /// Window function. Default none.
    #[serde(deserialize_with = "super::card::de_window")]
    pub window: Window,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            r_on: 100.0,
            r_off: 16e3,
            d: 10e-9,
            mu_v: 1e-14,
            x0: 0.1,
            window: Window::None,
        }
    }
}

/// `value` must be a positive finite number.
pub(crate) fn positive(field: &str, value: f64, unit: &str) -> Result<(), FieldError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be a positive finite number ({unit}), got {value}"),
        ))
    }
}

/// Plausible ranges of the dynamic models' parameters (wide: every published device card the
/// models were fitted to lies well inside them). A value outside is an error naming the field,
/// so that a typo of many decades (`r_on: 1e300`) is caught instead of giving NaN loops or
/// chance accuracy.
pub mod plausible {
    /// Resistances `r_on`, `r_off` (ohm): 10 mΩ to 1 TΩ (devices: ~10 Ω to ~10 MΩ).
    pub const RESISTANCE: (f64, f64) = (1e-2, 1e12);
    /// Film thickness `d` (metre): 1 Å to 10 µm (HP TiO₂: 10 nm).
    pub const THICKNESS: (f64, f64) = (1e-10, 1e-5);
    /// Dopant mobility `mu_v` (m²/(V·s)): 1e-22 to 1e-8 (HP TiO₂: 1e-14).
    pub const MOBILITY: (f64, f64) = (1e-22, 1e-8);
    /// VTEAM state bounds `|w_on|`, `|w_off|` (metre): at most 10 µm (Kvatinsky 2015: 3 nm).
    pub const STATE_WIDTH: f64 = 1e-5;
    /// VTEAM rates `k_off`, `|k_on|` (metre/second): 1e-15 to 1e6.
    pub const STATE_SPEED: (f64, f64) = (1e-15, 1e6);
    /// Threshold voltages (`v_off`, `|v_on|`, `v_p`, `v_n`; volt): at most 100 V.
    pub const THRESHOLD: f64 = 100.0;
    /// Exponents (`alpha_*`; dimensionless): at most 100.
    pub const EXPONENT: f64 = 100.0;
    /// Yakopcic current scales `a1`, `a2` (ampere): 1 pA to 1 kA (Yakopcic 2011: 0.17 A).
    pub const CURRENT: (f64, f64) = (1e-12, 1e3);
    /// Yakopcic `b` (1/volt): 1e-4 to 1e3 (Yakopcic 2011: 0.05).
    pub const SINH_SLOPE: (f64, f64) = (1e-4, 1e3);
    /// Yakopcic state rates `a_p`, `a_n` (1/second): 1e-6 to 1e15 (Yakopcic 2011: 4000).
    pub const STATE_RATE: (f64, f64) = (1e-6, 1e15);
}

/// `|value|` must lie in `[lo, hi]` (`unit` for the message); checked after the sign.
pub(crate) fn within(
    field: &str,
    value: f64,
    (lo, hi): (f64, f64),
    unit: &str,
) -> Result<(), FieldError> {
    let m = value.abs();
    if (lo..=hi).contains(&m) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("{value:e} {unit} is outside the plausible range [{lo:e}, {hi:e}] {unit}"),
        ))
    }
}

/// `value` must lie in [0, 1].
pub(crate) fn unit_interval(field: &str, value: f64) -> Result<(), FieldError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must lie in [0, 1], got {value}"),
        ))
    }
}

/// `r_on` and `r_off` must be positive with `r_on < r_off`.
pub(crate) fn resistance_pair(r_on: f64, r_off: f64) -> Result<(), FieldError> {
    positive("r_on", r_on, "ohm")?;
    positive("r_off", r_off, "ohm")?;
    within("r_on", r_on, plausible::RESISTANCE, "ohm")?;
    within("r_off", r_off, plausible::RESISTANCE, "ohm")?;
    if r_on >= r_off {
        return Err(FieldError::new(
            "r_on",
            format!("R_on ({r_on} ohm) must be smaller than R_off ({r_off} ohm)"),
        ));
    }
    Ok(())
}

impl Params {
    /// Check every field (units and physical sense).
    pub fn validate(&self) -> Result<(), FieldError> {
        resistance_pair(self.r_on, self.r_off)?;
        positive("d", self.d, "metre")?;
        positive("mu_v", self.mu_v, "m²/(V·s)")?;
        within("d", self.d, plausible::THICKNESS, "m")?;
        within("mu_v", self.mu_v, plausible::MOBILITY, "m²/(V·s)")?;
        unit_interval("x0", self.x0)?;
        self.window.validate(false)
    }

    /// `k = (R_off − R_on)·μ_v·R_on/D²` (Ω²/(V·s)) of the closed form `M² = M₀² − 2kφ`.
    pub fn k(&self) -> f64 {
        (self.r_off - self.r_on) * self.mu_v * self.r_on / (self.d * self.d)
    }

    /// Memristance `R(x)` (ohm).
    pub fn resistance(&self, x: f64) -> f64 {
        self.r_on * x + self.r_off * (1.0 - x)
    }

    pub(crate) fn kernel<W: WindowFn>(&self, window: W) -> Lid<W> {
        Lid {
            r_off: self.r_off,
            dr: self.r_off - self.r_on,
            rate: self.mu_v * self.r_on / (self.d * self.d),
            window,
        }
    }
}

/// The linear ion-drift kernel with a specialised window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lid<W> {
    r_off: f64,
    dr: f64,
    rate: f64,
    window: W,
}

impl<W: WindowFn> Kernel for Lid<W> {
    type At = f64;
    #[inline(always)]
    fn at(&self, v: f64) -> f64 {
        v
    }
    #[inline(always)]
    fn dxdt_at(&self, &v: &f64, x: f64) -> f64 {
        let i = v / (self.r_off - self.dr * x);
        self.rate * i * self.window.f(x, i)
    }
    #[inline(always)]
    fn current(&self, v: f64, x: f64) -> f64 {
        v / (self.r_off - self.dr * x)
    }
    #[inline(always)]
    fn conductance(&self, _v: f64, x: f64) -> f64 {
        1.0 / (self.r_off - self.dr * x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_hp_device_and_validate() {
        let p = Params::default();
        p.validate().unwrap();
        // k = 15 900 Ω · 1e-14 · 100 / 1e-16 = 1.59e8 Ω²/(V·s)
        assert!((p.k() - 1.59e8).abs() < 1e-6 * 1.59e8);
    }

    #[test]
    fn validation_names_the_field() {
        let p = Params {
            d: -1e-9,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "d");
        let p = Params {
            r_on: 2e4,
            ..Params::default()
        };
        let e = p.validate().unwrap_err();
        assert_eq!(e.field, "r_on");
        assert!(e.reason.contains("smaller than R_off"));
        let p = Params {
            x0: 1.5,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "x0");
    }
}
