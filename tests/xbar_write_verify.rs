//! Contract: write-verify programming through the device layer's ODE (HP TiO2 linear ion drift)
//! brings every reachable device within tolerance of its target, counts the pulses it used, and
//! reports devices it cannot reach; the resulting array reads back the mapped weights.

use memsnn::crossbar::{Crossbar, MapConfig, ReadConfig, WriteVerify, write_verify};
use memsnn::device::{DeviceBatch, DeviceCard, Statistics};
use memsnn::rng;
use ndarray::Array2;

fn hp() -> memsnn::device::Model {
    DeviceCard::builtin("hp-tio2").unwrap().model.unwrap()
}

#[test]
fn hp_devices_reach_targets_within_tolerance_and_unreachable_ones_fail() {
    let model = hp();
    // G = 1/(R_on·x + R_off·(1 − x)), R_on = 100 Ω, R_off = 16 kΩ; x₀ = 0.1 → 69.4 µS.
    let targets = [69.4e-6, 80e-6, 100e-6, 150e-6, 90e-6, 20e-3];
    let mut batch = DeviceBatch::new(model.clone(), targets.len()).unwrap();
    let cfg = WriteVerify {
        v_set: 1.0,
        v_reset: -1.0,
        width: 10e-3,
        tolerance: 0.5e-6,
        max_pulses: 400,
        max_halvings: 12,
    };
    let r = write_verify(&mut batch, &targets, &cfg).unwrap();
    // 20 mS is above 1/R_on = 10 mS: unreachable.
    assert_eq!(r.failed, vec![5]);
    assert_eq!(r.pulses[5], cfg.max_pulses);
    // The device at its initial state needs no pulse; the others needed some.
    assert_eq!(r.pulses[0], 0);
    assert!(
        r.pulses[1..5].iter().all(|&p| p > 0 && p < cfg.max_pulses),
        "{:?}",
        r.pulses
    );
    // Re-read the devices independently of the report: within tolerance, and the model's own
    // closed-form conductance at the final state agrees.
    let mut g = vec![0.0; targets.len()];
    batch.conductance(0.0, &mut g);
    for k in 0..5 {
        assert!(
            (g[k] - targets[k]).abs() <= cfg.tolerance,
            "device {k}: {} vs {}",
            g[k],
            targets[k]
        );
        let x = batch.states()[k];
        let closed = 1.0 / (100.0 * x + 16e3 * (1.0 - x));
        assert!((closed - g[k]).abs() <= 1e-9 * closed);
    }
    assert_eq!(g, r.conductance);
}

#[test]
fn write_verified_array_reads_back_the_weights() {
    let model = hp();
    let stats = Statistics {
        g_min: 70e-6,
        g_max: 120e-6,
        ..Statistics::default()
    };
    let w = Array2::from_shape_fn((3, 4), |(j, i)| (j as f32 - 1.0) * (i as f32 + 1.0) / 4.0);
    let cfg = WriteVerify {
        width: 10e-3,
        tolerance: 0.2e-6,
        max_pulses: 400,
        ..WriteVerify::default()
    };
    let mut r = rng::stream(3, &[]);
    let (xb, report) = Crossbar::program_write_verify(
        w.view(),
        &model,
        &stats,
        &MapConfig::default(),
        &ReadConfig::default(),
        &cfg,
        &mut r,
    )
    .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.total_pulses() > 0);
    // Each weight is the difference of two devices, each within 0.2 µS: |Δw| ≤ 0.4 µS / s.
    let tol = 0.4e-6 / xb.map().scale + 1e-6;
    for (a, b) in xb.weights().iter().zip(w.iter()) {
        assert!(f64::from((a - b).abs()) <= tol, "{a} vs {b}");
    }
}

#[test]
fn write_verified_arrays_drift_with_the_cards_law() {
    // ν = |N(0.05, 0)| = 0.05 for every device: after t, every conductance is G_prog·((t+t₀)/t₀)^−0.05.
    let model = hp();
    let stats = Statistics {
        g_min: 70e-6,
        g_max: 120e-6,
        drift: memsnn::device::statistics::Drift::PowerLaw {
            nu_mean: 0.05,
            nu_std: 0.0,
            t0: 20.0,
        },
        ..Statistics::default()
    };
    let w = Array2::from_shape_fn((2, 3), |(j, i)| j as f32 - i as f32);
    let cfg = WriteVerify {
        width: 10e-3,
        tolerance: 0.2e-6,
        max_pulses: 400,
        ..WriteVerify::default()
    };
    let mut r = rng::stream(4, &[]);
    let (mut xb, _) = Crossbar::program_write_verify(
        w.view(),
        &model,
        &stats,
        &MapConfig::default(),
        &ReadConfig::default(),
        &cfg,
        &mut r,
    )
    .unwrap();
    let g0 = xb.conductances();
    xb.set_time(1e5, &mut r).unwrap();
    let f = ((1e5f64 + 20.0) / 20.0).powf(-0.05);
    for (a, b) in xb.conductances().iter().zip(g0.iter()) {
        assert!((a - b * f).abs() <= 1e-6 * b, "{a} vs {}", b * f);
    }
    assert!(xb.devices().iter().all(|d| d.nu == 0.05));
}
