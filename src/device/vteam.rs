//! VTEAM: the voltage-threshold adaptive memristor model (Kvatinsky, Ramadan, Friedman &
//! Kolodny, IEEE TCAS-II 62(8), 786 (2015)).
//!
//! Physical state `w` (metre) between `w_on` (ON, `R_on`) and `w_off` (OFF, `R_off`):
//!
//! ```text
//! dw/dt = k_off·(v/v_off − 1)^α_off · f_off(w)   if 0 < v_off < v
//!       = 0                                      if v_on ≤ v ≤ v_off
//!       = k_on ·(v/v_on  − 1)^α_on  · f_on(w)    if v < v_on < 0
//! ```
//!
//! **Units of k:** `k_off` and `k_on` are velocities of the state `w` in **metre per second**
//! (`k_off > 0`, `k_on < 0`), as in the paper where `w` is a length.
//!
//! memsnn's normalised state is `x = (w_off − w)/(w_off − w_on)`, so `x = 1` is ON like every
//! other model, and `dx/dt = −(dw/dt)/(w_off − w_on)`.
//!
//! I–V relations (paper eqs. 3–4): linear `R = R_on + (R_off − R_on)·(w − w_on)/(w_off − w_on)`,
//! or exponential `R = R_on·exp(λ·(w − w_on)/(w_off − w_on))`, `λ = ln(R_off/R_on)`; `i = v/R`.

use super::kernel::Kernel;
use super::linear_ion_drift::{plausible, positive, resistance_pair, unit_interval, within};
use super::window::{Exponent, Window, WindowFn};
use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// How VTEAM's resistance depends on the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum IvRelation {
    /// Resistance linear in the state (paper eq. 3).
    #[default]
    Linear,
    /// Resistance exponential in the state (paper eq. 4).
    Exponential,
}

/// Parameters of the VTEAM model (SI units; see the module docs for the equations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// ON resistance, at `w = w_on` (ohm). Default 50.
    pub r_on: f64,
    /// OFF resistance, at `w = w_off` (ohm). Default 1000.
    pub r_off: f64,
    /// State bound of the ON state (metre). Default 0.
    pub w_on: f64,
    /// State bound of the OFF state (metre). Default 3e-9.
    pub w_off: f64,
    /// OFF-switching velocity factor (metre/second, positive). Default 5e-4.
    pub k_off: f64,
    /// ON-switching velocity factor (metre/second, negative). Default −6.39e-4.
    pub k_on: f64,
    /// OFF exponent (dimensionless, positive). Default 1.
    pub alpha_off: f64,
    /// ON exponent (dimensionless, positive). Default 3.
    pub alpha_on: f64,
    /// OFF threshold voltage (volt, positive). Default 0.02.
    pub v_off: f64,
    /// ON threshold voltage (volt, negative). Default −0.2.
    pub v_on: f64,
    /// I–V relation. Default linear.
    pub iv: IvRelation,
    /// Window function (on the normalised state, or [`Window::Kvatinsky`] on `w`). Default none.
    #[serde(deserialize_with = "super::card::de_window")]
    pub window: Window,
    /// Initial normalised state `x₀ = (w_off − w₀)/(w_off − w_on)` in [0, 1] (1 = ON). Default 0.5.
    pub x0: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            r_on: 50.0,
            r_off: 1000.0,
            w_on: 0.0,
            w_off: 3e-9,
            k_off: 5e-4,
            k_on: -6.39e-4,
            alpha_off: 1.0,
            alpha_on: 3.0,
            v_off: 0.02,
            v_on: -0.2,
            iv: IvRelation::Linear,
            window: Window::None,
            x0: 0.5,
        }
    }
}

impl Params {
    /// Check every field (signs of thresholds and rates, ordering of bounds).
    pub fn validate(&self) -> Result<(), FieldError> {
        resistance_pair(self.r_on, self.r_off)?;
        if !(self.w_on.is_finite() && self.w_off.is_finite() && self.w_off > self.w_on) {
            return Err(FieldError::new(
                "w_off",
                format!(
                    "must be finite and larger than w_on ({} m), got {} m",
                    self.w_on, self.w_off
                ),
            ));
        }
        positive("k_off", self.k_off, "metre/second")?;
        if !(self.k_on.is_finite() && self.k_on < 0.0) {
            return Err(FieldError::new(
                "k_on",
                format!(
                    "must be a negative finite number (metre/second), got {}",
                    self.k_on
                ),
            ));
        }
        positive("alpha_off", self.alpha_off, "dimensionless")?;
        positive("alpha_on", self.alpha_on, "dimensionless")?;
        positive("v_off", self.v_off, "volt")?;
        if !(self.v_on.is_finite() && self.v_on < 0.0) {
            return Err(FieldError::new(
                "v_on",
                format!("must be a negative finite number (volt), got {}", self.v_on),
            ));
        }
        for (f, v) in [("w_on", self.w_on), ("w_off", self.w_off)] {
            within(f, v, (0.0, plausible::STATE_WIDTH), "m")?;
        }
        within("k_off", self.k_off, plausible::STATE_SPEED, "m/s")?;
        within("k_on", self.k_on, plausible::STATE_SPEED, "m/s")?;
        within("alpha_off", self.alpha_off, (0.0, plausible::EXPONENT), "")?;
        within("alpha_on", self.alpha_on, (0.0, plausible::EXPONENT), "")?;
        within("v_off", self.v_off, (0.0, plausible::THRESHOLD), "V")?;
        within("v_on", self.v_on, (0.0, plausible::THRESHOLD), "V")?;
        unit_interval("x0", self.x0)?;
        self.window.validate(true)
    }

    /// Resistance (ohm) at normalised state `x` (1 = ON).
    pub fn resistance(&self, x: f64) -> f64 {
        let s = 1.0 - x; // (w − w_on)/(w_off − w_on)
        match self.iv {
            IvRelation::Linear => self.r_on + (self.r_off - self.r_on) * s,
            IvRelation::Exponential => self.r_on * ((self.r_off / self.r_on).ln() * s).exp(),
        }
    }

    pub(crate) fn kernel<W: WindowFn>(&self, window: W) -> Vteam<W> {
        Vteam {
            r_on: self.r_on,
            dr: self.r_off - self.r_on,
            lambda: (self.r_off / self.r_on).ln(),
            exponential: self.iv == IvRelation::Exponential,
            inv_len: 1.0 / (self.w_off - self.w_on),
            k_off: self.k_off,
            k_on: self.k_on,
            a_off: Exponent::new(self.alpha_off),
            a_on: Exponent::new(self.alpha_on),
            v_off: self.v_off,
            v_on: self.v_on,
            window,
        }
    }
}

/// The VTEAM kernel with a specialised window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Vteam<W> {
    r_on: f64,
    dr: f64,
    lambda: f64,
    exponential: bool,
    inv_len: f64,
    k_off: f64,
    k_on: f64,
    a_off: Exponent,
    a_on: Exponent,
    v_off: f64,
    v_on: f64,
    window: W,
}

impl<W: WindowFn> Vteam<W> {
    #[inline(always)]
    fn resistance(&self, x: f64) -> f64 {
        if self.exponential {
            self.r_on * (self.lambda * (1.0 - x)).exp()
        } else {
            self.r_on + self.dr * (1.0 - x)
        }
    }
}

impl<W: WindowFn> Kernel for Vteam<W> {
    /// `(dx/dt without window, drive direction)`.
    type At = (f64, f64);
    #[inline(always)]
    fn at(&self, v: f64) -> (f64, f64) {
        if v > self.v_off {
            // w grows towards OFF: x falls.
            let dw = self.k_off * self.a_off.pow(v / self.v_off - 1.0);
            (-dw * self.inv_len, -1.0)
        } else if v < self.v_on {
            // k_on < 0: w falls towards ON, x grows.
            let dw = self.k_on * self.a_on.pow(v / self.v_on - 1.0);
            (-dw * self.inv_len, 1.0)
        } else {
            (0.0, 0.0)
        }
    }
    #[inline(always)]
    fn dxdt_at(&self, &(rate, dir): &(f64, f64), x: f64) -> f64 {
        if rate == 0.0 {
            0.0
        } else {
            rate * self.window.f(x, dir)
        }
    }
    #[inline(always)]
    fn current(&self, v: f64, x: f64) -> f64 {
        v / self.resistance(x)
    }
    #[inline(always)]
    fn conductance(&self, _v: f64, x: f64) -> f64 {
        1.0 / self.resistance(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::window::NoWin;

    #[test]
    fn thresholds_follow_the_paper() {
        let p = Params::default();
        p.validate().unwrap();
        let k = p.kernel(NoWin);
        // Between the thresholds nothing moves.
        assert_eq!(k.dxdt(0.01, 0.5), 0.0);
        assert_eq!(k.dxdt(-0.1, 0.5), 0.0);
        // Above v_off: dw/dt = k_off (v/v_off − 1)^α_off; dx/dt = −dw/dt / (w_off − w_on)
        let v = 0.5;
        let want = -5e-4 * (v / 0.02 - 1.0) / 3e-9;
        assert!((k.dxdt(v, 0.5) - want).abs() < 1e-9 * want.abs());
        // Below v_on: dw/dt = k_on (v/v_on − 1)^α_on
        let v = -1.0;
        let want = 6.39e-4 * 4.0f64.powi(3) / 3e-9;
        assert!((k.dxdt(v, 0.5) - want).abs() < 1e-9 * want);
    }

    #[test]
    fn exponential_iv_spans_r_on_to_r_off() {
        let p = Params {
            iv: IvRelation::Exponential,
            ..Params::default()
        };
        assert!((p.resistance(1.0) - 50.0).abs() < 1e-9);
        assert!((p.resistance(0.0) - 1000.0).abs() < 1e-9);
        // geometric mean at the middle
        assert!((p.resistance(0.5) - (50.0f64 * 1000.0).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn validation_names_the_field() {
        let p = Params {
            k_on: 1.0,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "k_on");
        let p = Params {
            v_off: -0.1,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "v_off");
        let p = Params {
            w_off: 0.0,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "w_off");
    }
}
