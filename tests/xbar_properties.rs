//! Contract (property tests): mapping round-trips with ideal devices, quantisation stays on the
//! level set within half a step, stuck-at fractions stay within binomial bounds, and drift
//! compensation (global and per column) restores the mean read of drifted arrays.

use memsnn::crossbar::{Compensation, Crossbar, MapConfig, MappingKind, ReadConfig, ScaleRule};
use memsnn::device::Statistics;
use memsnn::device::statistics::{Drift, Faults, Levels};
use memsnn::rng;
use ndarray::Array2;
use proptest::prelude::*;

fn weights() -> impl Strategy<Value = Array2<f32>> {
    (1usize..7, 1usize..7).prop_flat_map(|(o, i)| {
        prop::collection::vec(-10.0f32..10.0, o * i)
            .prop_map(move |v| Array2::from_shape_vec((o, i), v).unwrap())
    })
}

fn kind() -> impl Strategy<Value = MappingKind> {
    prop_oneof![Just(MappingKind::Differential), Just(MappingKind::Offset)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ideal_devices_round_trip_weights_and_products(
        w in weights(), kind in kind(), g_min in 0.0f64..5e-6, x_seed in any::<u64>()
    ) {
        let stats = Statistics { g_min, g_max: 50e-6, ..Statistics::default() };
        let cfg = MapConfig { kind, scale: ScaleRule::MaxAbs };
        let mut r = rng::stream(1, &[]);
        let mut xb = Crossbar::program(w.view(), &stats, &cfg, &ReadConfig::default(), &mut r).unwrap();
        let w_max = w.iter().fold(0.0f32, |a, b| a.max(b.abs()));
        let back = xb.weights();
        for (a, b) in back.iter().zip(w.iter()) {
            // Conductances are held in f32: a few ulps of g_max, in weight units.
            prop_assert!((a - b).abs() <= 1e-5 * w_max.max(1e-30), "{a} vs {b}");
        }
        // y = W·x through the read path (inputs inside ±x_max), against an f64 product.
        let (o, i) = w.dim();
        let mut xr = rng::stream(x_seed, &[]);
        let x: Vec<f32> = (0..i).map(|_| rand::RngExt::random_range(&mut xr, -1.0f32..1.0)).collect();
        let mut y = vec![0.0f32; o];
        xb.mvm(&x, &mut y, &mut r).unwrap();
        for j in 0..o {
            let e: f64 = (0..i).map(|k| f64::from(w[[j, k]]) * f64::from(x[k])).sum();
            let mag: f64 = (0..i).map(|k| f64::from(w[[j, k]].abs() * x[k].abs())).sum();
            prop_assert!((f64::from(y[j]) - e).abs() <= 1e-5 * (mag + f64::from(w_max)), "{} vs {e}", y[j]);
        }
    }

    #[test]
    fn quantisation_is_on_the_level_set_within_half_a_step(
        n in 2u32..64, g in 0.0f64..1.0,
        list in prop::collection::btree_set(0u32..1000, 2..20)
    ) {
        let (lo, hi) = (0.1, 0.9);
        let q = Levels::Uniform(n).quantise(g, lo, hi);
        let step = (hi - lo) / f64::from(n - 1);
        let k = (q - lo) / step;
        prop_assert!((k - k.round()).abs() < 1e-9 && k.round() >= 0.0 && k.round() <= f64::from(n - 1));
        prop_assert!((q - g.clamp(lo, hi)).abs() <= 0.5 * step + 1e-12);
        // Explicit list: the result is a listed level and no level is nearer.
        let levels: Vec<f64> = list.iter().map(|&k| f64::from(k) / 1000.0).collect();
        let l = Levels::List(levels.clone());
        let q = l.quantise(g, 0.0, 1.0);
        prop_assert!(levels.contains(&q));
        let best = levels.iter().map(|v| (v - g).abs()).fold(f64::INFINITY, f64::min);
        prop_assert!((q - g).abs() <= best + 1e-15);
    }

    #[test]
    fn programmed_arrays_with_levels_sit_on_the_levels(w in weights(), n in 2u32..17, seed in any::<u64>()) {
        let stats = Statistics { levels: Levels::Uniform(n), ..Statistics::default() };
        let mut r = rng::stream(seed, &[]);
        let xb = Crossbar::program(w.view(), &stats, &MapConfig::default(), &ReadConfig::default(), &mut r).unwrap();
        let step = stats.g_max / f64::from(n - 1);
        for d in xb.devices() {
            let k = d.g_prog / step;
            prop_assert!((k - k.round()).abs() < 1e-9, "{} not on a level", d.g_prog);
        }
    }

    #[test]
    fn stuck_at_fractions_are_within_binomial_bounds(
        p_min in 0.0f64..0.3, p_max in 0.0f64..0.3, seed in any::<u64>()
    ) {
        let stats = Statistics {
            faults: Faults { stuck_at_min: p_min, stuck_at_max: p_max },
            g_min: 1e-6,
            ..Statistics::default()
        };
        let w = Array2::from_shape_fn((50, 200), |(j, i)| ((j * 7 + i * 13) % 11) as f32 - 5.0);
        let mut r = rng::stream(seed, &[]);
        let xb = Crossbar::program(w.view(), &stats, &MapConfig::default(), &ReadConfig::default(), &mut r).unwrap();
        let n = xb.devices().len() as f64; // 20,000
        let lo = xb.devices().iter().filter(|d| d.stuck && d.g_prog == 1e-6).count() as f64;
        let hi = xb.devices().iter().filter(|d| d.stuck && d.g_prog == stats.g_max).count() as f64;
        let stuck = xb.devices().iter().filter(|d| d.stuck).count() as f64;
        prop_assert_eq!(stuck, lo + hi);
        for (count, p) in [(lo, p_min), (hi, p_max)] {
            // 5 binomial standard deviations (+1 for p ≈ 0).
            let bound = 5.0 * (n * p * (1.0 - p)).sqrt() + 1.0;
            prop_assert!((count - n * p).abs() <= bound, "{count} stuck vs expected {}", n * p);
        }
    }

    #[test]
    fn compensation_restores_the_mean_read_of_drifted_arrays(
        w in weights(), kind in kind(), nu_mean in 0.0f64..0.1, nu_std in 0.0f64..0.04,
        log_t in 0.0f64..9.0, seed in any::<u64>()
    ) {
        let stats = Statistics {
            g_min: 1e-6,
            drift: Drift::PowerLaw { nu_mean, nu_std, t0: 20.0 },
            ..Statistics::default()
        };
        let cfg = MapConfig { kind, scale: ScaleRule::MaxAbs };
        let read = ReadConfig::default();
        let mut r = rng::stream(seed, &[]);
        let mut xb = Crossbar::program(w.view(), &stats, &cfg, &read, &mut r).unwrap();
        let ones = vec![read.v_read as f32; xb.rows()];
        let mut i0 = vec![0.0f32; xb.cols()];
        xb.read(&ones, &mut i0, &mut r).unwrap();
        xb.set_time(10f64.powf(log_t), &mut r).unwrap();
        let mut it = vec![0.0f32; xb.cols()];
        xb.read(&ones, &mut it, &mut r).unwrap();
        // Drift only lowers conductances.
        prop_assert!(it.iter().zip(&i0).all(|(a, b)| a <= b));
        xb.compensate(Compensation::Global);
        xb.read(&ones, &mut it, &mut r).unwrap();
        let (s0, st): (f32, f32) = (i0.iter().sum(), it.iter().sum());
        prop_assert!((st - s0).abs() <= 1e-5 * s0, "global: {st} vs {s0}");
        xb.compensate(Compensation::PerColumn);
        xb.read(&ones, &mut it, &mut r).unwrap();
        for (a, b) in it.iter().zip(&i0) {
            prop_assert!((a - b).abs() <= 1e-5 * b, "per column: {a} vs {b}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn percentile_scale_clips_large_weights_and_round_trips_the_rest(
        w in weights(), kind in kind(), p in 10.0f64..100.0
    ) {
        let cfg = MapConfig { kind, scale: ScaleRule::Percentile(p) };
        let mut r = rng::stream(1, &[]);
        let xb = Crossbar::program(w.view(), &Statistics::default(), &cfg, &ReadConfig::default(), &mut r).unwrap();
        let w_ref = xb.map().w_ref as f32;
        // w_ref is one of the |w| (nearest rank), and at least p % of the |w| are ≤ w_ref.
        prop_assert!(w.iter().any(|x| x.abs() == w_ref) || w_ref == 1.0);
        let below = w.iter().filter(|x| x.abs() <= w_ref).count() as f64;
        prop_assert!(below >= p / 100.0 * w.len() as f64 - 1e-9);
        for (a, b) in xb.weights().iter().zip(w.iter()) {
            let e = b.clamp(-w_ref, w_ref);
            prop_assert!((a - e).abs() <= 1e-5 * w_ref.max(1e-30), "{a} vs clipped {e}");
        }
    }
}
