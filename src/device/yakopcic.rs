//! The Yakopcic generalized memristor model (Yakopcic, Taha, Subramanyam, Pino & Rogers,
//! IEEE EDL 32(10), 1436 (2011); Yakopcic et al., IEEE TCAD 32(8), 1201 (2013)): a nonlinear
//! RRAM model with a sinh-type I–V.
//!
//! ```text
//! i(t)  = a1·x·sinh(b·v)  (v ≥ 0),   a2·x·sinh(b·v)  (v < 0)
//! g(v)  =  A_p·(e^v − e^V_p)     if v > V_p
//!       = −A_n·(e^−v − e^V_n)    if v < −V_n
//!       =  0                     otherwise
//! f(x)  = e^(−α_p(x − x_p))·w_p(x)   if η·v > 0 and x ≥ x_p,   w_p = (x_p − x)/(1 − x_p) + 1
//!       = e^(α_n(x + x_n − 1))·w_n(x) if η·v < 0 and x ≤ 1 − x_n, w_n = x/(1 − x_n)
//!       = 1                        otherwise
//! dx/dt = η·g(v)·f(x)
//! ```
//!
//! As published, the exponentials take the voltage in volt as a bare number. `x = 1` is the
//! most conductive state (`i = a·sinh(bv)`), `x = 0` conducts nothing.

use super::kernel::Kernel;
use super::linear_ion_drift::{plausible, positive, unit_interval, within};
use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// Parameters of the Yakopcic model. Defaults: the fit to the Ag-chalcogenide device of Oblea
/// et al. (IJCNN 2010) published in Yakopcic et al., IEEE EDL 2011, Table I.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Current scale for `v ≥ 0` (ampere). Default 0.17.
    pub a1: f64,
    /// Current scale for `v < 0` (ampere). Default 0.17.
    pub a2: f64,
    /// sinh slope (1/volt). Default 0.05.
    pub b: f64,
    /// Positive switching threshold `V_p` (volt, ≥ 0). Default 0.16.
    pub v_p: f64,
    /// Negative switching threshold magnitude `V_n` (volt, ≥ 0). Default 0.15.
    pub v_n: f64,
    /// Positive switching rate `A_p` (1/second). Default 4000.
    pub a_p: f64,
    /// Negative switching rate `A_n` (1/second). Default 4000.
    pub a_n: f64,
    /// State above which positive motion decays, `x_p` in [0, 1). Default 0.3.
    pub x_p: f64,
    /// `1 − x_n` is the state below which negative motion decays; `x_n` in [0, 1). Default 0.5.
    pub x_n: f64,
    /// Decay rate of positive motion `α_p` (dimensionless, ≥ 0). Default 1.
    pub alpha_p: f64,
    /// Decay rate of negative motion `α_n` (dimensionless, ≥ 0). Default 5.
    pub alpha_n: f64,
    /// Direction of motion relative to the voltage, `η` = +1 or −1. Default 1.
    pub eta: f64,
    /// Initial state `x₀` in [0, 1]. Default 0.11.
    pub x0: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            a1: 0.17,
            a2: 0.17,
            b: 0.05,
            v_p: 0.16,
            v_n: 0.15,
            a_p: 4000.0,
            a_n: 4000.0,
            x_p: 0.3,
            x_n: 0.5,
            alpha_p: 1.0,
            alpha_n: 5.0,
            eta: 1.0,
            x0: 0.11,
        }
    }
}

fn non_negative(field: &str, v: f64, unit: &str) -> Result<(), FieldError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be a non-negative finite number ({unit}), got {v}"),
        ))
    }
}

fn below_one(field: &str, v: f64) -> Result<(), FieldError> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must lie in [0, 1), got {v}"),
        ))
    }
}

impl Params {
    /// Check every field.
    pub fn validate(&self) -> Result<(), FieldError> {
        positive("a1", self.a1, "ampere")?;
        positive("a2", self.a2, "ampere")?;
        positive("b", self.b, "1/volt")?;
        non_negative("v_p", self.v_p, "volt")?;
        non_negative("v_n", self.v_n, "volt")?;
        positive("a_p", self.a_p, "1/second")?;
        positive("a_n", self.a_n, "1/second")?;
        below_one("x_p", self.x_p)?;
        below_one("x_n", self.x_n)?;
        non_negative("alpha_p", self.alpha_p, "dimensionless")?;
        non_negative("alpha_n", self.alpha_n, "dimensionless")?;
        if self.eta != 1.0 && self.eta != -1.0 {
            return Err(FieldError::new(
                "eta",
                format!("must be +1 or -1, got {}", self.eta),
            ));
        }
        within("a1", self.a1, plausible::CURRENT, "A")?;
        within("a2", self.a2, plausible::CURRENT, "A")?;
        within("b", self.b, plausible::SINH_SLOPE, "1/V")?;
        within("v_p", self.v_p, (0.0, plausible::THRESHOLD), "V")?;
        within("v_n", self.v_n, (0.0, plausible::THRESHOLD), "V")?;
        within("a_p", self.a_p, plausible::STATE_RATE, "1/s")?;
        within("a_n", self.a_n, plausible::STATE_RATE, "1/s")?;
        within("alpha_p", self.alpha_p, (0.0, plausible::EXPONENT), "")?;
        within("alpha_n", self.alpha_n, (0.0, plausible::EXPONENT), "")?;
        unit_interval("x0", self.x0)
    }

    /// Small-signal resistance `1/(a·b·x)` (ohm) at state `x` (infinite at `x = 0`); `a` is the
    /// smaller of `a1`, `a2` (a conservative bound).
    pub fn resistance(&self, x: f64) -> f64 {
        1.0 / (self.a1.min(self.a2) * self.b * x)
    }

    pub(crate) fn kernel(&self) -> Yakopcic {
        Yakopcic {
            p: self.clone().into(),
            e_vp: self.v_p.exp(),
            e_vn: self.v_n.exp(),
        }
    }
}

/// The Yakopcic kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Yakopcic {
    p: ParamsCopy,
    e_vp: f64,
    e_vn: f64,
}

/// A `Copy` view of [`Params`] for the kernel.
#[derive(Debug, Clone, Copy)]
struct ParamsCopy {
    a1: f64,
    a2: f64,
    b: f64,
    v_p: f64,
    v_n: f64,
    a_p: f64,
    a_n: f64,
    x_p: f64,
    x_n: f64,
    alpha_p: f64,
    alpha_n: f64,
    eta: f64,
}

impl From<Params> for ParamsCopy {
    fn from(p: Params) -> Self {
        Self {
            a1: p.a1,
            a2: p.a2,
            b: p.b,
            v_p: p.v_p,
            v_n: p.v_n,
            a_p: p.a_p,
            a_n: p.a_n,
            x_p: p.x_p,
            x_n: p.x_n,
            alpha_p: p.alpha_p,
            alpha_n: p.alpha_n,
            eta: p.eta,
        }
    }
}

impl Kernel for Yakopcic {
    /// `(η·g(v), η·v)`.
    type At = (f64, f64);
    #[inline(always)]
    fn at(&self, v: f64) -> (f64, f64) {
        let p = &self.p;
        let g = if v > p.v_p {
            p.a_p * (v.exp() - self.e_vp)
        } else if v < -p.v_n {
            -p.a_n * ((-v).exp() - self.e_vn)
        } else {
            0.0
        };
        (p.eta * g, p.eta * v)
    }
    #[inline(always)]
    fn dxdt_at(&self, &(eg, ev): &(f64, f64), x: f64) -> f64 {
        let p = &self.p;
        if eg == 0.0 {
            return 0.0;
        }
        let f = if ev > 0.0 && x >= p.x_p {
            let wp = (p.x_p - x) / (1.0 - p.x_p) + 1.0;
            (-p.alpha_p * (x - p.x_p)).exp() * wp
        } else if ev < 0.0 && x <= 1.0 - p.x_n {
            let wn = x / (1.0 - p.x_n);
            (p.alpha_n * (x + p.x_n - 1.0)).exp() * wn
        } else {
            1.0
        };
        eg * f
    }
    #[inline(always)]
    fn current(&self, v: f64, x: f64) -> f64 {
        let a = if v >= 0.0 { self.p.a1 } else { self.p.a2 };
        a * x * (self.p.b * v).sinh()
    }
    #[inline(always)]
    fn conductance(&self, v: f64, x: f64) -> f64 {
        if v == 0.0 {
            self.p.a1.min(self.p.a2) * self.p.b * x
        } else {
            self.current(v, x) / v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equations_match_the_published_forms() {
        let p = Params::default();
        p.validate().unwrap();
        let k = p.kernel();
        // Below both thresholds nothing moves.
        assert_eq!(k.dxdt(0.1, 0.5), 0.0);
        assert_eq!(k.dxdt(-0.1, 0.5), 0.0);
        // v = 0.5 > V_p, x = 0.2 < x_p: f = 1
        let g = 4000.0 * (0.5f64.exp() - 0.16f64.exp());
        assert!((k.dxdt(0.5, 0.2) - g).abs() < 1e-12 * g);
        // x = 0.6 ≥ x_p: f = e^(−(0.6−0.3))·((0.3−0.6)/0.7 + 1)
        let f = (-0.3f64).exp() * (1.0 - 0.3 / 0.7);
        assert!((k.dxdt(0.5, 0.6) - g * f).abs() < 1e-12 * g);
        // v = −0.5 < −V_n, x = 0.2 ≤ 1 − x_n: f = e^(5(0.2 + 0.5 − 1))·0.2/0.5
        let g = -4000.0 * (0.5f64.exp() - 0.15f64.exp());
        let f = (5.0 * -0.3f64).exp() * 0.4;
        assert!((k.dxdt(-0.5, 0.2) - g * f).abs() < 1e-12 * g.abs());
        // The window vanishes at the boundary being approached.
        assert_eq!(k.dxdt(0.5, 1.0), 0.0);
        assert_eq!(k.dxdt(-0.5, 0.0), 0.0);
        // sinh I–V
        let i = 0.17 * 0.3 * (0.05f64 * 0.4).sinh();
        assert!((k.current(0.4, 0.3) - i).abs() < 1e-18);
    }

    #[test]
    fn validation_names_the_field() {
        let p = Params {
            eta: 0.5,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "eta");
        let p = Params {
            x_p: 1.0,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "x_p");
    }
}
