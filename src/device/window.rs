//! Window functions of the drift models: they bound the state to `[0, 1]` by slowing the
//! motion near the boundaries.
//!
//! Convention (shared by every model in [`crate::device`]): the state `x ∈ [0, 1]` is the
//! normalised position of the switching front, `x = 1` is the low-resistance (ON) state, and the
//! *drive direction* `dir` is the sign of the motion the model would have without a window
//! (`dir > 0`: towards ON). Only the Biolek and Kvatinsky windows depend on `dir`.
//!
//! Published forms:
//! - Joglekar & Wolf, Eur. J. Phys. 30, 661 (2009): `f(x) = 1 − (2x − 1)^(2p)`.
//! - Biolek, Biolek & Biolková, Radioengineering 18(2), 210 (2009):
//!   `f(x) = 1 − (x − stp(−i))^(2p)`, `stp(z) = 1` for `z ≥ 0`, else 0.
//! - Prodromakis et al., IEEE TED 58(9), 3099 (2011): `f(x) = j·(1 − ((x − 0.5)² + 0.75)^p)`.
//! - Kvatinsky et al. (TEAM, IEEE TCAS-I 60(1), 2013; VTEAM, IEEE TCAS-II 62(8), 2015), on the
//!   physical state `w` (metre): `f_on(w) = exp(−exp(−(w − a_on)/w_c))`,
//!   `f_off(w) = exp(−exp((w − a_off)/w_c))`.
//!
//! Powers of a possibly negative base are taken of its absolute value (`|2x − 1|^(2p)`), which
//! equals the published form for the integer `p` the papers use and never produces NaN.

use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// Expand `$body` once per window type, with `$w` bound to the specialised window (the
/// [`Window`] variant is matched once, outside the hot loop).
macro_rules! with_window {
    ($window:expr, $w_on:expr, $w_off:expr, |$w:ident| $body:expr) => {{
        use $crate::device::window::*;
        match *$window {
            Window::None => {
                let $w = NoWin;
                $body
            }
            Window::Joglekar { p } => {
                let $w = JoglekarWin(Exponent::new(2.0 * p));
                $body
            }
            Window::Biolek { p } => {
                let $w = BiolekWin(Exponent::new(2.0 * p));
                $body
            }
            Window::Prodromakis { p, j } => {
                let $w = ProdromakisWin {
                    p: Exponent::new(p),
                    j,
                };
                $body
            }
            Window::Kvatinsky { a_on, a_off, w_c } => {
                let $w = KvatinskyWin {
                    w_on: $w_on,
                    w_off: $w_off,
                    a_on,
                    a_off,
                    w_c,
                };
                $body
            }
        }
    }};
}
pub(crate) use with_window;

/// A window function, chosen by name in a device card (e.g. `window: Joglekar(p: 2)`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Window {
    /// No window: `f(x) = 1` (the state is only clamped to its range).
    #[default]
    None,
    /// Joglekar: `f(x) = 1 − (2x − 1)^(2p)`; `p ≥ 1` (dimensionless).
    Joglekar {
        /// Exponent `p` (positive, usually an integer).
        p: f64,
    },
    /// Biolek: `f(x) = 1 − (x − stp(−dir))^(2p)`; vanishes only at the boundary being approached.
    Biolek {
        /// Exponent `p` (positive, usually an integer).
        p: f64,
    },
    /// Prodromakis: `f(x) = j·(1 − ((x − 0.5)² + 0.75)^p)`.
    Prodromakis {
        /// Exponent `p` (positive).
        p: f64,
        /// Scale `j` (positive, `f(0.5) = j·(1 − 0.75^p)`).
        j: f64,
    },
    /// Kvatinsky's TEAM/VTEAM window on the physical state `w` (VTEAM only).
    Kvatinsky {
        /// Position (metre) where the ON-going motion is damped (`f_on(a_on) = e⁻¹`).
        a_on: f64,
        /// Position (metre) where the OFF-going motion is damped (`f_off(a_off) = e⁻¹`).
        a_off: f64,
        /// Width (metre) of the damping region; positive.
        w_c: f64,
    },
}

/// `|b|^e` for an exponent `e = 2p`, using `powi` when `2p` is a small integer.
#[inline(always)]
fn pow_abs(b: f64, e: Exponent) -> f64 {
    match e {
        Exponent::Int(n) => b.abs().powi(n),
        Exponent::Real(r) => b.abs().powf(r),
    }
}

/// A precomputed exponent: integer exponents use the fast `powi`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Exponent {
    Int(i32),
    Real(f64),
}

impl Exponent {
    /// `b^e` for a non-negative base `b`.
    #[inline(always)]
    pub(crate) fn pow(self, b: f64) -> f64 {
        match self {
            Exponent::Int(n) => b.powi(n),
            Exponent::Real(r) => b.powf(r),
        }
    }

    pub(crate) fn new(e: f64) -> Self {
        if e.fract() == 0.0 && e.abs() <= 64.0 {
            Exponent::Int(e as i32)
        } else {
            Exponent::Real(e)
        }
    }
}

/// A window specialised for the inner loop (one type per [`Window`] variant, so the kernel is
/// monomorphised and the variant is matched once per batch, not per device).
pub(crate) trait WindowFn: Copy + Send + Sync {
    /// Window value at state `x` for drive direction `dir`.
    fn f(&self, x: f64, dir: f64) -> f64;
}

/// `f = 1`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoWin;
impl WindowFn for NoWin {
    #[inline(always)]
    fn f(&self, _x: f64, _dir: f64) -> f64 {
        1.0
    }
}

/// Joglekar window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JoglekarWin(pub Exponent);
impl WindowFn for JoglekarWin {
    #[inline(always)]
    fn f(&self, x: f64, _dir: f64) -> f64 {
        1.0 - pow_abs(2.0 * x - 1.0, self.0)
    }
}

/// Biolek window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BiolekWin(pub Exponent);
impl WindowFn for BiolekWin {
    #[inline(always)]
    fn f(&self, x: f64, dir: f64) -> f64 {
        // stp(−dir): 1 when the drive points towards x = 0 (or is zero), else 0.
        let s = if -dir >= 0.0 { 1.0 } else { 0.0 };
        1.0 - pow_abs(x - s, self.0)
    }
}

/// Prodromakis window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProdromakisWin {
    pub p: Exponent,
    pub j: f64,
}
impl WindowFn for ProdromakisWin {
    #[inline(always)]
    fn f(&self, x: f64, _dir: f64) -> f64 {
        let d = x - 0.5;
        self.j * (1.0 - pow_abs(d * d + 0.75, self.p))
    }
}

/// Kvatinsky window, evaluated on `w = w_off − x·(w_off − w_on)` (metre).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KvatinskyWin {
    pub w_on: f64,
    pub w_off: f64,
    pub a_on: f64,
    pub a_off: f64,
    pub w_c: f64,
}
impl WindowFn for KvatinskyWin {
    #[inline(always)]
    fn f(&self, x: f64, dir: f64) -> f64 {
        let w = self.w_off - x * (self.w_off - self.w_on);
        if dir > 0.0 {
            (-(-(w - self.a_on) / self.w_c).exp()).exp()
        } else {
            (-((w - self.a_off) / self.w_c).exp()).exp()
        }
    }
}

impl Window {
    /// The window value `f(x)` for drive direction `dir` (sign of the unwindowed motion,
    /// positive towards ON). For [`Window::Kvatinsky`], `w_on`/`w_off` (metre) map `x` to `w`;
    /// other windows ignore them.
    pub fn value(&self, x: f64, dir: f64, w_on: f64, w_off: f64) -> f64 {
        with_window!(self, w_on, w_off, |w| w.f(x, dir))
    }

    /// Check the window's parameters. `allow_kvatinsky` is false for models whose state has no
    /// physical length.
    pub fn validate(&self, allow_kvatinsky: bool) -> Result<(), FieldError> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(FieldError::new(
                    format!("window.{name}"),
                    format!("must be a positive finite number, got {v}"),
                ))
            }
        };
        match *self {
            Window::None => Ok(()),
            Window::Joglekar { p } | Window::Biolek { p } => positive("p", p),
            Window::Prodromakis { p, j } => {
                positive("p", p)?;
                positive("j", j)
            }
            Window::Kvatinsky { a_on, a_off, w_c } => {
                if !allow_kvatinsky {
                    return Err(FieldError::new(
                        "window",
                        "the Kvatinsky window acts on a physical state length and exists only for the Vteam model",
                    ));
                }
                positive("w_c", w_c)?;
                for (n, v) in [("a_on", a_on), ("a_off", a_off)] {
                    if !v.is_finite() {
                        return Err(FieldError::new(
                            format!("window.{n}"),
                            format!("must be finite, got {v}"),
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

    fn values(w: Window, dir: f64) -> Vec<f64> {
        XS.iter().map(|&x| w.value(x, dir, 0.0, 1.0)).collect()
    }

    fn close(a: &[f64], b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-14, "{a:?} vs {b:?}");
        }
    }

    // Expected values are the published formulas evaluated by hand.
    #[test]
    fn joglekar_matches_formula_at_five_points() {
        // p = 1: 1 − (2x−1)²
        close(
            &values(Window::Joglekar { p: 1.0 }, 1.0),
            &[0.0, 0.75, 1.0, 0.75, 0.0],
        );
        // p = 2: 1 − (2x−1)⁴ → 1 − 0.5⁴ = 0.9375
        close(
            &values(Window::Joglekar { p: 2.0 }, -1.0),
            &[0.0, 0.9375, 1.0, 0.9375, 0.0],
        );
    }

    #[test]
    fn biolek_matches_formula_at_five_points() {
        // i > 0: stp(−i) = 0 → 1 − x^(2p); p = 1
        close(
            &values(Window::Biolek { p: 1.0 }, 1.0),
            &[1.0, 0.9375, 0.75, 0.4375, 0.0],
        );
        // i < 0: stp(−i) = 1 → 1 − (x − 1)^(2p)
        close(
            &values(Window::Biolek { p: 1.0 }, -1.0),
            &[0.0, 0.4375, 0.75, 0.9375, 1.0],
        );
        // p = 2, i > 0: 1 − x⁴
        close(
            &values(Window::Biolek { p: 2.0 }, 1.0),
            &[
                1.0,
                1.0 - 0.25f64.powi(4),
                1.0 - 0.0625,
                1.0 - 0.75f64.powi(4),
                0.0,
            ],
        );
    }

    #[test]
    fn prodromakis_matches_formula_at_five_points() {
        // p = 1, j = 1: 1 − ((x−0.5)² + 0.75)
        close(
            &values(Window::Prodromakis { p: 1.0, j: 1.0 }, 1.0),
            &[0.0, 0.1875, 0.25, 0.1875, 0.0],
        );
        // p = 7, j = 1 (the values used in Prodromakis 2011, Fig. 2): f(0.5) = 1 − 0.75⁷
        let v = values(Window::Prodromakis { p: 7.0, j: 1.0 }, 1.0);
        close(
            &v,
            &[
                0.0,
                1.0 - 0.8125f64.powi(7),
                1.0 - 0.75f64.powi(7),
                1.0 - 0.8125f64.powi(7),
                0.0,
            ],
        );
        // j scales the window
        let v2 = values(Window::Prodromakis { p: 7.0, j: 2.0 }, 1.0);
        close(&v2, &v.iter().map(|a| 2.0 * a).collect::<Vec<_>>());
    }

    #[test]
    fn kvatinsky_is_e_inverse_at_its_anchor_points() {
        let w = Window::Kvatinsky {
            a_on: 0.2,
            a_off: 0.8,
            w_c: 0.1,
        };
        // w = w_off − x(w_off − w_on) with w_on = 0, w_off = 1 → w = 1 − x
        let e = (-1.0f64).exp();
        assert!((w.value(0.8, 1.0, 0.0, 1.0) - e).abs() < 1e-15); // w = 0.2 = a_on
        assert!((w.value(0.2, -1.0, 0.0, 1.0) - e).abs() < 1e-15); // w = 0.8 = a_off
        // ON-going motion is free far from a_on (w large) and damped near w_on
        // x = 0 → w = 1: f_on = exp(−exp(−8)); x = 1 → w = 0: f_on = exp(−exp(2))
        assert!((w.value(0.0, 1.0, 0.0, 1.0) - (-(-8.0f64).exp()).exp()).abs() < 1e-15);
        assert!((w.value(1.0, 1.0, 0.0, 1.0) - (-(2.0f64).exp()).exp()).abs() < 1e-15);
        assert!(w.value(1.0, 1.0, 0.0, 1.0) < 1e-3);
    }

    #[test]
    fn bad_window_parameters_are_rejected() {
        assert!(Window::Joglekar { p: -1.0 }.validate(false).is_err());
        assert!(
            Window::Prodromakis {
                p: 1.0,
                j: f64::NAN
            }
            .validate(false)
            .is_err()
        );
        let e = Window::Kvatinsky {
            a_on: 0.0,
            a_off: 1.0,
            w_c: 1.0,
        }
        .validate(false)
        .unwrap_err();
        assert_eq!(e.field, "window");
    }
}
