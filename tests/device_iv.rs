//! Device physics against closed forms and Chua's fingerprints: the HP model matches
//! `M² = M₀² − 2kφ`, every shipped card's default I–V loop is pinched, shrinks with frequency and
//! nearly vanishes at 1000× its base frequency, and no drive moves a state out of [0, 1].

use memsnn::device::{
    DeviceBatch, DeviceCard, IvDefaults, Model, Waveform, Window, linear_ion_drift, simulate_iv,
};

/// HP model, no window, 1 V sine at 1 Hz over one full period: M(t)² = M₀² − 2k·φ(t) with
/// φ(t) = ∫₀ᵗ v dt = A(1 − cos ωt)/ω (positive v grows x and lowers M).
#[test]
fn hp_without_window_matches_closed_form_over_a_full_period() {
    let p = linear_ion_drift::Params::default();
    let model = Model::LinearIonDrift(p.clone());
    let (a, f) = (1.0, 1.0);
    let spec = IvDefaults {
        waveform: Waveform::Sine,
        amplitude: a,
        frequencies: vec![f],
        cycles: 1,
        samples_per_cycle: 1000,
    };
    let lp = &simulate_iv(&model, &spec).unwrap()[0];
    let m0 = p.resistance(p.x0);
    let w = std::f64::consts::TAU * f;
    let mut worst = 0.0f64;
    for (t, x) in lp.t_s.iter().zip(&lp.x) {
        assert!(*x > 0.0 && *x < 1.0, "state left (0, 1): {x}");
        let phi = a * (1.0 - (w * t).cos()) / w;
        let m_exact = (m0 * m0 - 2.0 * p.k() * phi).sqrt();
        let m = p.resistance(*x);
        worst = worst.max(((m - m_exact) / m_exact).abs());
    }
    assert!(worst < 1e-6, "relative error {worst}");
    // The drive is strong enough for the test to mean something: M moves by > 20 %.
    let (lo, hi) = lp.r_range();
    assert!(hi / lo > 1.2, "{lo}..{hi}");
}

/// The same closed form through the batched API with piecewise-constant voltages, where φ is the
/// exact integral of the held waveform.
#[test]
fn batch_advance_matches_closed_form_for_held_voltages() {
    let p = linear_ion_drift::Params::default();
    let mut b = DeviceBatch::new(Model::LinearIonDrift(p.clone()), 3).unwrap();
    let m0 = p.resistance(p.x0);
    let dt = 1e-3;
    let mut phi = [0.0f64; 3];
    for s in 0..1000 {
        let t = s as f64 * dt;
        let v: Vec<f64> = [1.0, 0.5, -0.05]
            .iter()
            .map(|amp| amp * (std::f64::consts::TAU * t).sin())
            .collect();
        b.advance(&v, dt);
        for (f, vk) in phi.iter_mut().zip(&v) {
            *f += vk * dt;
        }
    }
    for (k, f) in phi.iter().enumerate() {
        let exact = (m0 * m0 - 2.0 * p.k() * f).sqrt();
        let m = p.resistance(b.states()[k]);
        assert!(
            ((m - exact) / exact).abs() < 1e-9,
            "device {k}: {m} vs {exact}"
        );
    }
}

fn builtin_cards() -> Vec<DeviceCard> {
    DeviceCard::builtin_names()
        .map(|n| DeviceCard::builtin(n).unwrap())
        // Purely statistical cards (pcm, ideal, rram-wan) have no dynamic model to drive.
        .filter(|c| c.model.is_some())
        .collect()
}

#[test]
fn every_shipped_card_shows_chuas_fingerprints_at_its_defaults() {
    for card in builtin_cards() {
        let model = card.require_model().unwrap();
        let spec = &card.iv;
        let f0 = spec.frequencies[0];
        let fmax = spec.frequencies.iter().cloned().fold(f0, f64::max);
        assert!(spec.frequencies.len() >= 3, "{}", card.name);
        assert!(
            fmax / f0 >= 100.0,
            "{}: frequencies must span two decades",
            card.name
        );
        let loops = simulate_iv(model, spec).unwrap();
        let areas: Vec<f64> = loops.iter().map(|l| l.loop_area()).collect();
        eprintln!("{}: areas {areas:?}", card.name);
        for l in &loops {
            assert!(
                l.pinch_ratio() < 1e-9,
                "{} at {} Hz: not pinched ({})",
                card.name,
                l.freq_hz,
                l.pinch_ratio()
            );
        }
        for w in areas.windows(2) {
            assert!(w[1] < w[0], "{}: area not decreasing: {areas:?}", card.name);
        }
        assert!(areas[0] > 0.0);
        let high = IvDefaults {
            frequencies: vec![1000.0 * f0],
            ..spec.clone()
        };
        let a_high = simulate_iv(model, &high).unwrap()[0].loop_area();
        eprintln!(
            "{}: area at 1000x {a_high:e} ({:.3e} of base)",
            card.name,
            a_high / areas[0]
        );
        assert!(
            a_high < 0.01 * areas[0],
            "{}: area at 1000× base = {a_high}, base {}",
            card.name,
            areas[0]
        );
        // The loop is visibly open at the base frequency: the resistance swings by > 10 %.
        let (lo, hi) = loops[0].r_range();
        assert!(hi > 1.1 * lo, "{}: R range {lo}..{hi}", card.name);
    }
}

fn windows() -> Vec<Window> {
    vec![
        Window::None,
        Window::Joglekar { p: 1.0 },
        Window::Joglekar { p: 2.5 },
        Window::Biolek { p: 1.0 },
        Window::Prodromakis { p: 7.0, j: 1.0 },
    ]
}

#[test]
fn state_never_leaves_its_range_under_ten_times_the_default_drive() {
    let mut cases: Vec<(String, Model, IvDefaults)> = Vec::new();
    for card in builtin_cards() {
        let m = card.require_model().unwrap().clone();
        cases.push((card.name.clone(), m.clone(), card.iv.clone()));
        // every window on the HP and VTEAM cards
        for w in windows() {
            let mm = match m.clone() {
                Model::LinearIonDrift(p) => {
                    Model::LinearIonDrift(linear_ion_drift::Params { window: w, ..p })
                }
                Model::Vteam(p) => Model::Vteam(memsnn::device::vteam::Params { window: w, ..p }),
                other => other,
            };
            cases.push((format!("{} {w:?}", card.name), mm, card.iv.clone()));
        }
        // VTEAM's own window and its exponential I–V
        if let Model::Vteam(p) = m {
            let mm = Model::Vteam(memsnn::device::vteam::Params {
                window: Window::Kvatinsky {
                    a_on: 0.3e-9,
                    a_off: 2.7e-9,
                    w_c: 0.1e-9,
                },
                iv: memsnn::device::vteam::IvRelation::Exponential,
                ..p
            });
            cases.push(("vteam Kvatinsky exponential".into(), mm, card.iv.clone()));
        }
    }
    for (name, model, iv) in cases {
        for waveform in [Waveform::Sine, Waveform::Triangle] {
            let spec = IvDefaults {
                amplitude: 10.0 * iv.amplitude,
                waveform,
                samples_per_cycle: 200,
                ..iv.clone()
            };
            for l in simulate_iv(&model, &spec).unwrap() {
                for (&x, &i) in l.x.iter().zip(&l.i_a) {
                    assert!((0.0..=1.0).contains(&x), "{name}: x = {x}");
                    assert!(i.is_finite(), "{name}: i = {i}");
                }
            }
            // and through the batch with held ±10× pulses
            let mut b = DeviceBatch::new(model.clone(), 2).unwrap();
            for _ in 0..50 {
                let a = 10.0 * iv.amplitude;
                b.advance(&[a, -a], 0.5 / iv.frequencies[0]);
                assert!(b.states().iter().all(|x| (0.0..=1.0).contains(x)), "{name}");
                b.advance(&[-a, a], 0.5 / iv.frequencies[0]);
                assert!(b.states().iter().all(|x| (0.0..=1.0).contains(x)), "{name}");
            }
        }
    }
}

/// Threshold kinks (VTEAM, Yakopcic) are resolved by the substeps: halving the sample interval
/// four times changes the state after three periods by less than 1e-6.
#[test]
fn threshold_models_converge_under_refinement() {
    for name in ["vteam", "yakopcic"] {
        let card = DeviceCard::builtin(name).unwrap();
        let model = card.require_model().unwrap();
        let end = |spc: u32| {
            let spec = IvDefaults {
                frequencies: vec![card.iv.frequencies[0]],
                samples_per_cycle: spc,
                ..card.iv.clone()
            };
            let l = &simulate_iv(model, &spec).unwrap()[0];
            let swing =
                l.x.iter()
                    .map(|x| (x - model.x0()).abs())
                    .fold(0.0, f64::max);
            (*l.x.last().unwrap(), swing)
        };
        let ((coarse, swing), (fine, _)) = (end(1000), end(16000));
        assert!((coarse - fine).abs() < 1e-6, "{name}: {coarse} vs {fine}");
        // the drive does cross the thresholds and move the state
        assert!(swing > 0.1, "{name}: swing {swing}");
    }
}
