//! Pulse responses of every model against closed forms (constant drive, unit window) and, where
//! the window makes the ODE nonlinear, against a slow independent integrator of the published
//! equations written here from the papers.

use memsnn::device::{DeviceBatch, Model, Window, linear_ion_drift, vteam, yakopcic};

fn pulse(model: &Model, x0: f64, v: f64, width: f64) -> f64 {
    let mut b = DeviceBatch::from_states(model.clone(), vec![x0]).unwrap();
    b.pulse(&[0], v, width);
    b.states()[0]
}

/// Slow reference: classic RK4 with `n` equal steps on `dx/dt = rhs(x)`, no clamping.
fn reference(rhs: impl Fn(f64) -> f64, x0: f64, t: f64, n: usize) -> f64 {
    let h = t / n as f64;
    let mut x = x0;
    for _ in 0..n {
        let k1 = rhs(x);
        let k2 = rhs(x + 0.5 * h * k1);
        let k3 = rhs(x + 0.5 * h * k2);
        let k4 = rhs(x + h * k3);
        x += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    }
    x
}

#[test]
fn vteam_pulse_without_window_moves_linearly_in_time() {
    let p = vteam::Params::default();
    let m = Model::Vteam(p.clone());
    let len = p.w_off - p.w_on;
    // OFF pulse (v > v_off): dw/dt = k_off (v/v_off − 1)^α_off, x = (w_off − w)/len falls.
    let (v, t) = (0.5, 20e-9);
    let want = 0.7 - p.k_off * (v / p.v_off - 1.0).powf(p.alpha_off) * t / len;
    assert!((pulse(&m, 0.7, v, t) - want).abs() < 1e-12, "{want}");
    // ON pulse (v < v_on): dw/dt = k_on (v/v_on − 1)^α_on with k_on < 0, x grows.
    let (v, t) = (-0.8, 20e-9);
    let want = 0.2 - p.k_on * (v / p.v_on - 1.0).powf(p.alpha_on) * t / len;
    assert!((pulse(&m, 0.2, v, t) - want).abs() < 1e-12, "{want}");
    // Between the thresholds: no motion at all.
    assert_eq!(pulse(&m, 0.4, 0.019, 1.0), 0.4);
    assert_eq!(pulse(&m, 0.4, -0.199, 1.0), 0.4);
}

#[test]
fn vteam_kvatinsky_window_against_reference() {
    let (a_on, a_off, w_c) = (0.6e-9, 2.4e-9, 0.2e-9);
    let p = vteam::Params {
        window: Window::Kvatinsky { a_on, a_off, w_c },
        ..vteam::Params::default()
    };
    let m = Model::Vteam(p.clone());
    // Published: dw/dt = k_on (v/v_on − 1)^α_on · exp(−exp(−(w − a_on)/w_c)) for v < v_on.
    let v = -1.0;
    let rate = p.k_on * (v / p.v_on - 1.0).powf(p.alpha_on);
    let t = 80e-9;
    let w0 = 2.5e-9;
    let w_ref = reference(
        |w| rate * (-(-(w - a_on) / w_c).exp()).exp(),
        w0,
        t,
        200_000,
    );
    let x0 = (p.w_off - w0) / (p.w_off - p.w_on);
    let x = pulse(&m, x0, v, t);
    let w = p.w_off - x * (p.w_off - p.w_on);
    assert!((w - w_ref).abs() < 1e-6 * 3e-9, "{w} vs {w_ref}");
    assert!(w0 - w > 1e-9, "the pulse must move the state");
}

#[test]
fn yakopcic_pulse_in_the_unit_window_region_is_linear() {
    let p = yakopcic::Params::default();
    let m = Model::Yakopcic(p.clone());
    // v > V_p and x < x_p: f = 1, dx/dt = A_p (e^v − e^V_p).
    let (v, t): (f64, f64) = (0.4, 20e-6);
    let g = p.a_p * (v.exp() - p.v_p.exp());
    let want = 0.1 + g * t;
    assert!(want < p.x_p);
    assert!((pulse(&m, 0.1, v, t) - want).abs() < 1e-12);
    // v < −V_n and x > 1 − x_n: f = 1, dx/dt = −A_n (e^−v − e^V_n).
    let (v, t): (f64, f64) = (-0.4, 20e-6);
    let g = -p.a_n * ((-v).exp() - p.v_n.exp());
    let want = 0.9 + g * t;
    assert!(want > 1.0 - p.x_n);
    assert!((pulse(&m, 0.9, v, t) - want).abs() < 1e-12);
}

#[test]
fn yakopcic_through_its_window_against_reference() {
    let p = yakopcic::Params::default();
    let m = Model::Yakopcic(p.clone());
    // Published f for η·v > 0: 1 below x_p; e^(−α_p (x − x_p)) ((x_p − x)/(1 − x_p) + 1) above.
    let fp = |x: f64| {
        if x >= p.x_p {
            (-p.alpha_p * (x - p.x_p)).exp() * ((p.x_p - x) / (1.0 - p.x_p) + 1.0)
        } else {
            1.0
        }
    };
    let v: f64 = 0.5;
    let g = p.a_p * (v.exp() - p.v_p.exp());
    let t = 2e-3;
    let x_ref = reference(|x| g * fp(x), 0.1, t, 400_000);
    let x = pulse(&m, 0.1, v, t);
    assert!((x - x_ref).abs() < 1e-6, "{x} vs {x_ref}");
    assert!(
        x_ref > 0.6,
        "the pulse must cross x_p and enter the window region"
    );
}

#[test]
fn hp_joglekar_pulse_against_reference() {
    let p = linear_ion_drift::Params {
        window: Window::Joglekar { p: 2.0 },
        ..Default::default()
    };
    let m = Model::LinearIonDrift(p.clone());
    let k = p.mu_v * p.r_on / (p.d * p.d);
    let v = 1.5;
    // dx/dt = μ_v R_on/D² · v/R(x) · (1 − (2x − 1)⁴)
    let rhs = |x: f64| k * v / (p.r_on * x + p.r_off * (1.0 - x)) * (1.0 - (2.0 * x - 1.0).powi(4));
    let t = 0.6;
    let x_ref = reference(rhs, 0.1, t, 200_000);
    let x = pulse(&m, 0.1, v, t);
    assert!((x - x_ref).abs() < 1e-7, "{x} vs {x_ref}");
    assert!(x_ref > 0.4, "{x_ref}");
}
