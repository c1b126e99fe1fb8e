//! Contract: the read path — per-read noise sampled per column has the variance of independent
//! per-device noise (Σ vᵢ²σᵢ²), DAC/ADC/current limit quantise and clip as specified, bad
//! shapes are errors, and programming + reads are bit-identical for any rayon thread count.

use memsnn::crossbar::{
    Adc, AdcRange, ArrayError, Crossbar, Dac, MapConfig, MappingKind, ReadConfig, ScaleRule,
};
use memsnn::device::Statistics;
use memsnn::device::statistics::{Drift, PerReadNoise, ProgrammingNoise, ReadNoise};
use memsnn::rng;
use ndarray::{Array2, array};
use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;

fn var(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)
}

#[test]
fn per_column_read_noise_matches_independent_per_device_noise() {
    let w = Array2::from_shape_fn((3, 8), |(j, i)| (j as f32 + 1.0) * (i as f32 - 3.5));
    let read = ReadConfig::default();
    for per_read in [
        PerReadNoise::Proportional { frac: 0.05 },
        PerReadNoise::Constant { sigma: 0.3e-6 },
    ] {
        let stats = Statistics {
            g_min: 1e-6,
            per_read: per_read.clone(),
            ..Statistics::default()
        };
        let mut r = rng::stream(5, &[]);
        let mut xb =
            Crossbar::program(w.view(), &stats, &MapConfig::default(), &read, &mut r).unwrap();
        let g = xb.conductances();
        let v: Vec<f32> = (0..8).map(|i| 0.2 * (i as f32 - 2.0) / 6.0).collect();
        // Reference: every device gets its own N(0, σᵢⱼ) on every read.
        let n = 40_000;
        let cols = xb.cols();
        let (mut fast, mut slow) = (vec![Vec::new(); cols], vec![Vec::new(); cols]);
        let mut out = vec![0.0f32; cols];
        let mut r2 = rng::stream(6, &[]);
        for _ in 0..n {
            xb.read(&v, &mut out, &mut r).unwrap();
            for j in 0..cols {
                fast[j].push(f64::from(out[j]));
                let mut i_j = 0.0;
                for i in 0..8 {
                    let gij = g[[i, j]];
                    let z: f64 = r2.sample(StandardNormal);
                    i_j += f64::from(v[i]) * (gij + per_read.sigma(gij) * z);
                }
                slow[j].push(i_j);
            }
        }
        for j in 0..cols {
            let exact: f64 = (0..8)
                .map(|i| (f64::from(v[i]) * per_read.sigma(g[[i, j]])).powi(2))
                .sum();
            let (vf, vs) = (var(&fast[j]), var(&slow[j]));
            // Sample variance of 40,000 normals: relative std 0.7 %; 4 % is > 5 σ.
            assert!(
                (vf / exact - 1.0).abs() < 0.04,
                "{per_read:?} col {j}: {vf} vs exact {exact}"
            );
            assert!(
                (vs / exact - 1.0).abs() < 0.04,
                "reference col {j}: {vs} vs {exact}"
            );
            // Mean is the noise-free current.
            let mean = fast[j].iter().sum::<f64>() / n as f64;
            let ideal: f64 = (0..8).map(|i| f64::from(v[i]) * g[[i, j]]).sum();
            assert!((mean - ideal).abs() < 5.0 * (exact / n as f64).sqrt() + 1e-12);
        }
    }
}

#[test]
fn dac_adc_and_current_limit_quantise_and_clip() {
    // One input, one output, offset-free differential pair: G⁺ = 10 µS for w = 1, G⁻ = 0.
    let w = array![[1.0f32]];
    let stats = Statistics {
        g_max: 10e-6,
        ..Statistics::default()
    };
    let read = ReadConfig {
        v_read: 0.2,
        x_max: 1.0,
        dac: Some(Dac { bits: 3 }), // 3 steps per sign: inputs on {0, ±1/3, ±2/3, ±1}
        adc: Some(Adc {
            bits: 4,
            range: AdcRange::Fixed(2e-6),
        }), // 7 steps of 2/7 µA
        current_limit: None,
    };
    let mut r = rng::stream(0, &[]);
    let mut xb = Crossbar::program(w.view(), &stats, &MapConfig::default(), &read, &mut r).unwrap();
    let mut y = [0.0f32];
    // x = 0.4 → DAC 1/3 → 0.0667 V → I⁺ = 0.667 µA → ADC round(0.667/2·7) = 2 → 0.5714 µA;
    // I⁻ = 0. y = 0.5714 µA / (10 µS · 0.2 V) = 0.2857 = 2/7.
    xb.mvm(&[0.4], &mut y, &mut r).unwrap();
    assert!((y[0] - 2.0 / 7.0).abs() < 1e-6, "{}", y[0]);
    // x = 5 → clipped to 1 → 2 µA = full scale → y = 1.
    xb.mvm(&[5.0], &mut y, &mut r).unwrap();
    assert!((y[0] - 1.0).abs() < 1e-6, "{}", y[0]);
    // Current limit at 1 µA caps the same read at y = 0.5 (no ADC).
    let read = ReadConfig {
        dac: None,
        adc: None,
        current_limit: Some(1e-6),
        ..read
    };
    let mut xb = Crossbar::program(w.view(), &stats, &MapConfig::default(), &read, &mut r).unwrap();
    xb.mvm(&[1.0], &mut y, &mut r).unwrap();
    assert!((y[0] - 0.5).abs() < 1e-6, "{}", y[0]);
    xb.mvm(&[-0.25], &mut y, &mut r).unwrap();
    assert!((y[0] + 0.25).abs() < 1e-6, "{}", y[0]);
    // Calibrated ADC: full scale = margin × largest reference column current (10 µS · 0.2 V).
    let read = ReadConfig {
        adc: Some(Adc {
            bits: 8,
            range: AdcRange::Calibrated { margin: 1.5 },
        }),
        ..ReadConfig::default()
    };
    let xb = Crossbar::program(w.view(), &stats, &MapConfig::default(), &read, &mut r).unwrap();
    assert!((xb.adc_full_scale() - 3e-6).abs() < 1e-12);
}

#[test]
fn wrong_buffer_lengths_and_bad_config_are_errors() {
    let w = Array2::<f32>::ones((2, 3));
    let mut r = rng::stream(0, &[]);
    let mut xb = Crossbar::program(
        w.view(),
        &Statistics::default(),
        &MapConfig::default(),
        &ReadConfig::default(),
        &mut r,
    )
    .unwrap();
    let mut y = [0.0f32; 2];
    assert!(matches!(
        xb.mvm(&[1.0; 2], &mut y, &mut r),
        Err(ArrayError::Shape(_))
    ));
    assert!(matches!(
        xb.read(&[1.0; 3], &mut y, &mut r),
        Err(ArrayError::Shape(_))
    ));
    assert!(matches!(
        xb.set_time(f64::NAN, &mut r),
        Err(ArrayError::NonFinite(_))
    ));
    let e = Crossbar::program(
        w.view(),
        &Statistics::default(),
        &MapConfig {
            kind: MappingKind::Offset,
            scale: ScaleRule::Percentile(0.0),
        },
        &ReadConfig::default(),
        &mut r,
    )
    .unwrap_err();
    assert!(e.to_string().contains("map.scale.Percentile"), "{e}");
    let read = ReadConfig {
        adc: Some(Adc {
            bits: 1,
            range: AdcRange::Max,
        }),
        ..ReadConfig::default()
    };
    let e = Crossbar::program(
        w.view(),
        &Statistics::default(),
        &MapConfig::default(),
        &read,
        &mut r,
    )
    .unwrap_err();
    assert!(e.to_string().contains("read.adc.bits"), "{e}");
    let nan = array![[f32::NAN]];
    let e = Crossbar::program(
        nan.view(),
        &Statistics::default(),
        &MapConfig::default(),
        &ReadConfig::default(),
        &mut r,
    )
    .unwrap_err();
    assert!(matches!(e, ArrayError::NonFinite(_)));
}

/// Program 8 arrays (one RNG stream per array), drift them and read them, in parallel.
fn run(threads: usize) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let stats = Statistics {
        per_read: PerReadNoise::Proportional { frac: 0.02 },
        ..Statistics::pcm()
    };
    pool.install(|| {
        (0..8u64)
            .into_par_iter()
            .map(|a| {
                let w = Array2::from_shape_fn((16, 32), |(j, i)| {
                    ((j * 31 + i * 17 + a as usize) % 13) as f32 - 6.0
                });
                let mut r = rng::stream(42, &[0, a]);
                let mut xb = Crossbar::program(
                    w.view(),
                    &stats,
                    &MapConfig::default(),
                    &ReadConfig::default(),
                    &mut r,
                )
                .unwrap();
                xb.set_time(86_400.0, &mut r).unwrap();
                let x: Vec<f32> = (0..32).map(|i| (i as f32 / 31.0) - 0.5).collect();
                let mut y = vec![0.0f32; 16];
                xb.mvm(&x, &mut y, &mut r).unwrap();
                y
            })
            .collect()
    })
}

#[test]
fn results_are_bit_identical_for_any_thread_count() {
    let a = run(1);
    let b = run(2);
    let c = run(4);
    assert_eq!(a, b);
    assert_eq!(a, c);
    // And they are noisy (the test would be vacuous otherwise): arrays differ from each other.
    assert_ne!(a[0], a[1]);
}

#[test]
fn statistical_programming_moves_the_read_weights_as_the_card_says() {
    // Constant programming noise σ on a differential pair: each read weight has std
    // sqrt(2)·σ/s around its target (two independent devices), checked over 64×64 weights.
    let sigma = 0.5e-6;
    let stats = Statistics {
        g_min: 2e-6,
        programming: ProgrammingNoise::Constant { sigma },
        drift: Drift::None,
        read_noise: ReadNoise::None,
        ..Statistics::default()
    };
    let w = Array2::from_shape_fn((64, 64), |(j, i)| ((j + 2 * i) % 5) as f32 - 2.0);
    let mut r = rng::stream(9, &[]);
    let xb = Crossbar::program(
        w.view(),
        &stats,
        &MapConfig::default(),
        &ReadConfig::default(),
        &mut r,
    )
    .unwrap();
    let s = xb.map().scale;
    let err: Vec<f64> = xb
        .weights()
        .iter()
        .zip(w.iter())
        .map(|(a, b)| f64::from(a - b))
        .collect();
    let sd = var(&err).sqrt();
    let expect = 2f64.sqrt() * sigma / s;
    assert!((sd / expect - 1.0).abs() < 0.05, "{sd} vs {expect}");
}
