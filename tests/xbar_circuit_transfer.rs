//! Contract: the transfer-matrix read of a crossbar with wire resistance equals a direct
//! per-read solve of the full nodal system to 1e-9 (relative), in every access mode and for
//! ideal (zero) terminals; zero parasitics give exactly `I = Gᵀ·V`; and the transfer matrix is
//! bit-identical for 1 and 2 threads.

use memsnn::crossbar::{Access, CircuitParams, CrossbarCircuit, Unselected, ideal_currents};
use memsnn::rng;
use ndarray::Array2;
use rand::RngExt;

fn random_array(seed: u64, rows: usize, cols: usize) -> Array2<f64> {
    let mut rng = rng::stream(seed, &[rows as u64, cols as u64]);
    Array2::from_shape_fn((rows, cols), |_| rng.random_range(1e-6..100e-6))
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| {
        m.max((x - y).abs() / y.abs().max(1e-6 * scale))
    })
}

fn accesses() -> [Access; 4] {
    [
        Access::OneT1R { r_on: 0.0 },
        Access::OneT1R { r_on: 1e3 },
        Access::Passive {
            unselected: Unselected::Grounded,
        },
        Access::Passive {
            unselected: Unselected::Floating,
        },
    ]
}

#[test]
fn transfer_matrix_equals_direct_solve() {
    let mut case = 0u64;
    for (rows, cols) in [(1, 1), (1, 9), (9, 1), (20, 13), (40, 70)] {
        for access in accesses() {
            for (r_row, r_col, r_driver, r_sense) in [
                (1.0, 1.0, 10.0, 10.0),
                (0.1, 5.0, 0.0, 50.0),
                (3.0, 0.0, 20.0, 0.0),
                (0.0, 2.0, 0.0, 5.0),
                (2.5, 2.5, 0.0, 0.0),
            ] {
                case += 1;
                let g = random_array(case, rows, cols);
                let mut rng = rng::stream(case, &[99]);
                let selected: Vec<bool> = (0..rows)
                    .map(|i| i == 0 || rng.random_range(0.0..1.0) < 0.7)
                    .collect();
                let v: Vec<f64> = (0..rows).map(|_| rng.random_range(-0.5..0.5)).collect();
                let params = CircuitParams {
                    r_row,
                    r_col,
                    r_driver,
                    r_sense,
                    access,
                };
                let c = CrossbarCircuit::with_selection(g.view(), &params, &selected).unwrap();
                let (mut fast, mut direct) = (vec![0.0; cols], vec![0.0; cols]);
                c.read(&v, &mut fast).unwrap();
                c.solve_direct(&v, &mut direct).unwrap();
                let e = max_rel(&fast, &direct);
                assert!(e < 1e-9, "{rows}×{cols} {params:?}: {e:e}");
                assert!(fast.iter().all(|x| x.is_finite()));
            }
        }
    }
}

#[test]
fn zero_parasitics_give_exactly_the_ideal_read() {
    let g = random_array(5, 37, 23);
    let v: Vec<f64> = (0..37).map(|i| (i as f64 - 18.0) * 0.01).collect();
    let mut ideal = vec![0.0; 23];
    ideal_currents(g.view(), &v, &mut ideal);
    for access in accesses() {
        let p = CircuitParams {
            access,
            ..CircuitParams::default()
        };
        let c = CrossbarCircuit::new(g.view(), &p).unwrap();
        if let Access::OneT1R { r_on } = access
            && r_on > 0.0
        {
            continue; // the transistor is a real series resistance
        }
        let mut got = vec![0.0; 23];
        c.read(&v, &mut got).unwrap();
        assert_eq!(got, ideal, "{access:?}");
    }
}

#[test]
fn wire_resistance_converges_to_ideal() {
    // IR drop shrinks linearly with wire resistance: halving r halves the error (first order).
    let g = random_array(8, 24, 24);
    let v = vec![0.2; 24];
    let mut ideal = vec![0.0; 24];
    ideal_currents(g.view(), &v, &mut ideal);
    let err = |r: f64| {
        let c = CrossbarCircuit::new(g.view(), &CircuitParams::wires(r, r, r, Access::default()))
            .unwrap();
        let mut i = vec![0.0; 24];
        c.read(&v, &mut i).unwrap();
        max_rel(&i, &ideal)
    };
    let (e1, e2) = (err(1e-3), err(5e-4));
    assert!((e1 / e2 - 2.0).abs() < 1e-3, "{e1:e} {e2:e}");
}

#[test]
fn transfer_matrix_is_identical_for_any_thread_count() {
    // Large enough that the last eliminations split their dense updates into parallel chunks.
    let g = random_array(3, 128, 112);
    let params = CircuitParams::wires(
        1.0,
        10.0,
        10.0,
        Access::Passive {
            unselected: Unselected::Grounded,
        },
    );
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| CrossbarCircuit::new(g.view(), &params).unwrap())
            .transfer()
            .to_owned()
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    // Also on the sparse path (ideal column wires), solved in chunks of sources.
    let g = random_array(4, 40, 24);
    let params0 = CircuitParams {
        r_col: 0.0,
        ..params
    };
    let run0 = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| CrossbarCircuit::new(g.view(), &params0).unwrap())
            .transfer()
            .to_owned()
    };
    assert_eq!(run0(1), run0(2));
}
