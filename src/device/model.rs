//! The closed set of dynamic device models a card can name.

use super::window::Window;
use super::{linear_ion_drift, vteam, yakopcic};
use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// A dynamic memristor model with its parameters, e.g. in a card
/// `model: LinearIonDrift((r_on: 100, r_off: 16e3, d: 10e-9, mu_v: 1e-14, window: Joglekar(p: 1)))`.
///
/// Every model's state is `x ∈ [0, 1]` with `x = 1` the ON (most conductive) state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Model {
    /// HP linear ion drift (Strukov 2008) with a window function.
    LinearIonDrift(linear_ion_drift::Params),
    /// VTEAM threshold model (Kvatinsky 2015).
    Vteam(vteam::Params),
    /// Yakopcic generalized model (sinh I–V; Yakopcic 2011/2013).
    Yakopcic(yakopcic::Params),
}

impl Default for Model {
    fn default() -> Self {
        Model::LinearIonDrift(linear_ion_drift::Params::default())
    }
}

/// Expand `$body` once per concrete kernel type, with `$k` bound to the kernel of `$model`
/// (model and window are matched once here, never inside the per-device loop).
macro_rules! with_kernel {
    ($model:expr, |$k:ident| $body:expr) => {{
        use $crate::device::window::with_window;
        match $model {
            $crate::device::Model::LinearIonDrift(p) => {
                with_window!(&p.window, 0.0, 1.0, |w| {
                    let $k = p.kernel(w);
                    $body
                })
            }
            $crate::device::Model::Vteam(p) => {
                with_window!(&p.window, p.w_on, p.w_off, |w| {
                    let $k = p.kernel(w);
                    $body
                })
            }
            $crate::device::Model::Yakopcic(p) => {
                let $k = p.kernel();
                $body
            }
        }
    }};
}
pub(crate) use with_kernel;

impl Model {
    /// The model's name as written in a card.
    pub fn name(&self) -> &'static str {
        match self {
            Model::LinearIonDrift(_) => "LinearIonDrift",
            Model::Vteam(_) => "Vteam",
            Model::Yakopcic(_) => "Yakopcic",
        }
    }

    /// Check the parameters; the error's field path starts at the model's fields (`r_on`,
    /// `window.p`, …).
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            Model::LinearIonDrift(p) => p.validate(),
            Model::Vteam(p) => p.validate(),
            Model::Yakopcic(p) => p.validate(),
        }
    }

    /// The model's window function (`None` for models without one, e.g. Yakopcic's built-in
    /// state dependence).
    pub fn window(&self) -> Option<&Window> {
        match self {
            Model::LinearIonDrift(p) => Some(&p.window),
            Model::Vteam(p) => Some(&p.window),
            Model::Yakopcic(_) => None,
        }
    }

    /// Initial state `x₀`.
    pub fn x0(&self) -> f64 {
        match self {
            Model::LinearIonDrift(p) => p.x0,
            Model::Vteam(p) => p.x0,
            Model::Yakopcic(p) => p.x0,
        }
    }

    /// `dx/dt` (1/s) of one device at voltage `v` (volt) and state `x` (slow path: matches the
    /// enum per call; batches use [`crate::device::DeviceBatch`]).
    pub fn dxdt(&self, v: f64, x: f64) -> f64 {
        with_kernel!(self, |k| super::kernel::Kernel::dxdt(&k, v, x))
    }

    /// Current (ampere) of one device at voltage `v` and state `x`.
    pub fn current(&self, v: f64, x: f64) -> f64 {
        with_kernel!(self, |k| super::kernel::Kernel::current(&k, v, x))
    }

    /// Chord conductance `i/v` (siemens) at voltage `v` and state `x` (small-signal limit at
    /// `v = 0`).
    pub fn conductance(&self, v: f64, x: f64) -> f64 {
        with_kernel!(self, |k| super::kernel::Kernel::conductance(&k, v, x))
    }

    /// Small-signal resistance (ohm) at state `x` (`1/conductance(0, x)`).
    pub fn resistance(&self, x: f64) -> f64 {
        1.0 / self.conductance(0.0, x)
    }

    /// ON resistance (ohm): the small-signal resistance at `x = 1`.
    pub fn r_on(&self) -> f64 {
        self.resistance(1.0)
    }

    /// OFF resistance (ohm): the small-signal resistance at `x = 0` (infinite for Yakopcic,
    /// whose current scales with `x`).
    pub fn r_off(&self) -> f64 {
        self.resistance(0.0)
    }

    /// Conductance bounds `(g_min, g_max)` (siemens) at read voltage `v_read`: the conductance
    /// at `x = 0` and `x = 1`.
    pub fn g_bounds(&self, v_read: f64) -> (f64, f64) {
        (self.conductance(v_read, 0.0), self.conductance(v_read, 1.0))
    }

    /// Advance one device from state `x` under a constant voltage `v` for `dt` seconds (the
    /// same integrator as [`crate::device::DeviceBatch::advance`]).
    pub fn step(&self, v: f64, x: f64, dt: f64) -> f64 {
        with_kernel!(self, |k| super::kernel::step_const(&k, v, x, dt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_of_every_model() {
        let m = Model::default();
        assert!((m.r_on() - 100.0).abs() < 1e-9);
        assert!((m.r_off() - 16e3).abs() < 1e-9);
        let m = Model::Vteam(vteam::Params::default());
        assert!((m.r_on() - 50.0).abs() < 1e-9);
        assert!((m.r_off() - 1000.0).abs() < 1e-9);
        let m = Model::Yakopcic(yakopcic::Params::default());
        assert!((m.r_on() - 1.0 / (0.17 * 0.05)).abs() < 1e-9);
        assert!(m.r_off().is_infinite());
        let (g0, g1) = m.g_bounds(0.1);
        assert_eq!(g0, 0.0);
        assert!((g1 - 0.17 * (0.005f64).sinh() / 0.1).abs() < 1e-15);
    }
}
