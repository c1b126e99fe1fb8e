//! The per-device kernel interface every dynamic model implements, and the fixed-step RK4
//! integrator with adaptive substeps that advances it.

/// Largest state change allowed in one RK4 substep (dimensionless). Substeps are chosen so that
/// the first-stage estimate `|dx/dt|·h` stays below it.
pub const DX_MAX: f64 = 2e-3;

/// Most substeps one step may take; a step that would need more is taken with this many.
pub const MAX_SUBSTEPS: usize = 1 << 16;

/// A dynamic device model specialised for the inner loop.
///
/// State `x ∈ [0, 1]`, `x = 1` is ON (lowest resistance) for every model.
pub(crate) trait Kernel: Copy + Send + Sync {
    /// `dx/dt` (1/s) at voltage `v` (volt) and state `x`.
    fn dxdt(&self, v: f64, x: f64) -> f64;
    /// Current (ampere) at voltage `v` and state `x`.
    fn current(&self, v: f64, x: f64) -> f64;
    /// Chord conductance `i/v` (siemens) at `v`; the small-signal limit when `v = 0`.
    fn conductance(&self, v: f64, x: f64) -> f64;
}

/// Clamp to `[0, 1]`, mapping NaN to 0 (`f64::max` ignores a NaN operand).
#[inline(always)]
#[allow(clippy::manual_clamp)] // `clamp` would keep NaN; this maps it to 0
pub(crate) fn clamp01(x: f64) -> f64 {
    x.max(0.0).min(1.0)
}

/// One RK4 substep of length `h` under constant `v`, given the first stage `k1 = dx/dt(v, x)`.
/// Stage states are clamped to `[0, 1]`, so windows are always evaluated inside their domain.
#[inline(always)]
fn rk4_const<K: Kernel>(k: &K, v: f64, x: f64, k1: f64, h: f64) -> f64 {
    let k2 = k.dxdt(v, clamp01(x + 0.5 * h * k1));
    let k3 = k.dxdt(v, clamp01(x + 0.5 * h * k2));
    let k4 = k.dxdt(v, clamp01(x + h * k3));
    clamp01(x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4))
}

/// Advance one device from `x` under a constant voltage `v` for `dt` seconds.
///
/// Under a constant voltage the state ODE is autonomous, so a zero derivative means the state is
/// at rest (below a threshold, or held by a window at a boundary) and the step is exact. Otherwise
/// the step is cut into `n = ⌈|dx/dt|·dt / DX_MAX⌉` RK4 substeps (re-estimated each substep).
#[inline(always)]
pub(crate) fn step_const<K: Kernel>(k: &K, v: f64, x: f64, dt: f64) -> f64 {
    let mut x = clamp01(x);
    let mut left = dt;
    let mut taken = 0usize;
    while left > 0.0 {
        let k1 = k.dxdt(v, x);
        if k1 == 0.0 || !k1.is_finite() {
            return x;
        }
        let need = (k1.abs() * left / DX_MAX).ceil();
        let h = if need <= 1.0 || taken >= MAX_SUBSTEPS {
            left
        } else {
            left / need
        };
        x = rk4_const(k, v, x, k1, h);
        left -= h;
        taken += 1;
        if need <= 1.0 || taken > MAX_SUBSTEPS {
            break;
        }
    }
    x
}

/// Advance one device from `x` at time `t` for `dt` seconds under a time-varying voltage `v(t)`
/// (evaluated at the RK4 stage times, so threshold crossings inside the step are resolved by the
/// substeps). Substeps: `⌈max|dx/dt|·dt / DX_MAX⌉` with the maximum over `t`, `t + dt/2`, `t + dt`.
pub(crate) fn step_waveform<K: Kernel>(
    k: &K,
    v: &impl Fn(f64) -> f64,
    t: f64,
    x: f64,
    dt: f64,
) -> f64 {
    let mut x = clamp01(x);
    let rate = [t, t + 0.5 * dt, t + dt]
        .iter()
        .map(|&s| k.dxdt(v(s), x).abs())
        .fold(0.0, f64::max);
    let n = ((rate * dt / DX_MAX).ceil() as usize).clamp(4, MAX_SUBSTEPS);
    let h = dt / n as f64;
    for s in 0..n {
        let t0 = t + s as f64 * h;
        let vm = v(t0 + 0.5 * h);
        let k1 = k.dxdt(v(t0), x);
        let k2 = k.dxdt(vm, clamp01(x + 0.5 * h * k1));
        let k3 = k.dxdt(vm, clamp01(x + 0.5 * h * k2));
        let k4 = k.dxdt(v(t0 + h), clamp01(x + h * k3));
        x = clamp01(x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4));
    }
    x
}
