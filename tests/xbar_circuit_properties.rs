//! Contract (property tests): for random small arrays, parasitic resistances (zero included),
//! access modes and row selections, the transfer-matrix read equals the direct nodal solve to
//! 1e-9, every transfer coefficient is finite and non-negative (a positive input never draws
//! current out of a column), and with every row driven at the same voltage the total column
//! current never grows when any resistance grows (Rayleigh's monotonicity law).

use memsnn::crossbar::{Access, CircuitParams, CrossbarCircuit, Unselected};
use ndarray::Array2;
use proptest::prelude::*;

fn resistance() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 4 => 0.05f64..50.0]
}

fn access() -> impl Strategy<Value = Access> {
    prop_oneof![
        Just(Access::OneT1R { r_on: 0.0 }),
        (0.0f64..5e3).prop_map(|r_on| Access::OneT1R { r_on }),
        Just(Access::Passive {
            unselected: Unselected::Grounded
        }),
        Just(Access::Passive {
            unselected: Unselected::Floating
        }),
    ]
}

fn params() -> impl Strategy<Value = CircuitParams> {
    (
        resistance(),
        resistance(),
        resistance(),
        resistance(),
        access(),
    )
        .prop_map(|(r_row, r_col, r_driver, r_sense, access)| CircuitParams {
            r_row,
            r_col,
            r_driver,
            r_sense,
            access,
        })
}

/// An array with some exactly-zero devices.
fn array() -> impl Strategy<Value = Array2<f64>> {
    (1usize..10, 1usize..10).prop_flat_map(|(r, c)| {
        proptest::collection::vec(prop_oneof![1 => Just(0.0), 6 => 1e-6f64..1e-4], r * c)
            .prop_map(move |v| Array2::from_shape_vec((r, c), v).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn transfer_read_equals_direct_solve(
        g in array(),
        p in params(),
        seed in any::<u64>(),
    ) {
        let (rows, cols) = g.dim();
        let selected: Vec<bool> = (0..rows).map(|i| i == 0 || (seed >> (i % 64)) & 1 == 1).collect();
        let v: Vec<f64> = (0..rows).map(|i| ((seed.rotate_left(i as u32) % 1000) as f64 / 1000.0) - 0.5).collect();
        let c = CrossbarCircuit::with_selection(g.view(), &p, &selected).unwrap();
        let t = c.transfer();
        let tmax = t.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for &x in t.iter() {
            prop_assert!(x.is_finite());
            prop_assert!(x >= -1e-12 * tmax, "negative transfer coefficient {x:e}");
        }
        let (mut fast, mut direct) = (vec![0.0; cols], vec![0.0; cols]);
        c.read(&v, &mut fast).unwrap();
        c.solve_direct(&v, &mut direct).unwrap();
        let scale = direct.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (a, b) in fast.iter().zip(&direct) {
            prop_assert!((a - b).abs() <= 1e-9 * scale.max(1e-300) + 1e-24, "{a:e} vs {b:e}");
        }
    }

    #[test]
    fn more_resistance_never_gives_more_total_current(
        g in array(),
        p in params(),
        which in 0usize..5,
        factor in 1.0f64..4.0,
        extra in 0.01f64..10.0,
    ) {
        let rows = g.nrows();
        let mut q = p;
        let grow = |r: f64| r * factor + extra;
        match which {
            0 => q.r_row = grow(q.r_row),
            1 => q.r_col = grow(q.r_col),
            2 => q.r_driver = grow(q.r_driver),
            3 => q.r_sense = grow(q.r_sense),
            _ => if let Access::OneT1R { r_on } = q.access {
                q.access = Access::OneT1R { r_on: grow(r_on) };
            },
        }
        let v = vec![0.3; rows];
        let total = |p: &CircuitParams| {
            let c = CrossbarCircuit::new(g.view(), p).unwrap();
            let mut i = vec![0.0; g.ncols()];
            c.read(&v, &mut i).unwrap();
            i.iter().sum::<f64>()
        };
        let (before, after) = (total(&p), total(&q));
        prop_assert!(after <= before * (1.0 + 1e-12) + 1e-24, "{before:e} → {after:e}");
    }
}
