//! Invariants of the device integrator for random valid parameters and drives: the state stays
//! in [0, 1] and finite, the current vanishes at v = 0 (pinching), zero drive never moves a
//! device, and the Biolek window (unlike Joglekar's) lets a device leave a boundary.

use memsnn::device::{DeviceBatch, Model, Window, linear_ion_drift, vteam, yakopcic};
use proptest::prelude::*;

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        Just(Window::None),
        (1.0f64..8.0).prop_map(|p| Window::Joglekar { p }),
        (1.0f64..8.0).prop_map(|p| Window::Biolek { p }),
        ((1.0f64..10.0), (0.5f64..2.0)).prop_map(|(p, j)| Window::Prodromakis { p, j }),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    prop_oneof![
        (
            10.0f64..1e3,
            2.0f64..1e3,
            1e-9f64..1e-7,
            1e-15f64..1e-12,
            0.0f64..=1.0,
            window()
        )
            .prop_map(|(r_on, ratio, d, mu_v, x0, window)| {
                Model::LinearIonDrift(linear_ion_drift::Params {
                    r_on,
                    r_off: r_on * ratio,
                    d,
                    mu_v,
                    x0,
                    window,
                })
            }),
        (
            0.01f64..0.5,
            -1.0f64..-0.05,
            1.0f64..5.0,
            1.0f64..5.0,
            0.0f64..=1.0,
            window()
        )
            .prop_map(|(v_off, v_on, alpha_off, alpha_on, x0, window)| {
                Model::Vteam(vteam::Params {
                    v_off,
                    v_on,
                    alpha_off,
                    alpha_on,
                    x0,
                    window,
                    ..vteam::Params::default()
                })
            }),
        (0.0f64..=1.0, 0.0f64..0.9, 0.0f64..0.9).prop_map(|(x0, x_p, x_n)| {
            Model::Yakopcic(yakopcic::Params {
                x0,
                x_p,
                x_n,
                ..yakopcic::Params::default()
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x6d65_6d73),
        ..ProptestConfig::default()
    })]

    #[test]
    fn state_stays_in_range_and_finite(
        m in model(),
        v in prop::collection::vec(-20.0f64..20.0, 8),
        log_dt in -12.0f64..-2.0,
    ) {
        let dt = 10f64.powf(log_dt);
        let mut b = DeviceBatch::new(m.clone(), v.len()).unwrap();
        let mut i = vec![0.0; v.len()];
        for _ in 0..5 {
            b.advance(&v, dt);
            for &x in b.states() {
                prop_assert!((0.0..=1.0).contains(&x), "x = {x}");
            }
            b.current(&v, &mut i);
            prop_assert!(i.iter().all(|c| c.is_finite()));
        }
        // pinched: no current without voltage, whatever the state
        b.current(&vec![0.0; v.len()], &mut i);
        prop_assert!(i.iter().all(|&c| c == 0.0));
        // zero drive never moves a device
        let before = b.states().to_vec();
        b.advance(&vec![0.0; v.len()], 1.0);
        prop_assert_eq!(before, b.states().to_vec());
    }
}

#[test]
fn biolek_window_releases_a_device_at_the_boundary_joglekar_does_not() {
    let with = |window| {
        let p = linear_ion_drift::Params {
            window,
            ..Default::default()
        };
        let mut b = DeviceBatch::from_states(Model::LinearIonDrift(p), vec![1.0]).unwrap();
        b.advance(&[-1.0], 1e-3);
        b.states()[0]
    };
    // Joglekar: f(1) = 0 in both directions, the terminal-state problem.
    assert_eq!(with(Window::Joglekar { p: 1.0 }), 1.0);
    // Biolek: f = 1 − (x − 1)² = 1 at x = 1 under negative current, so the device moves.
    assert!(with(Window::Biolek { p: 1.0 }) < 1.0 - 1e-4);
}
