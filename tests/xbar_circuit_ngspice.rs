//! Contract: the exact IR-drop solver agrees with ngspice (a real SPICE simulator, run in batch
//! mode on the exported netlist) to a max relative error of column currents < 1e-6, on random
//! 16×16 and 64×64 arrays, 1T1R and passive, wire resistance 0.1–10 Ω, G in [1 µS, 100 µS].
//! ngspice must be installed (`.ci/run` installs it): a missing ngspice fails these tests.

use memsnn::crossbar::{Access, CircuitParams, CrossbarCircuit, Unselected, spice};
use memsnn::rng;
use ndarray::Array2;
use rand::RngExt;

struct Case {
    name: &'static str,
    n: usize,
    access: Access,
    /// Fraction of rows selected.
    selected: f64,
    r_driver: Option<f64>,
    r_sense: Option<f64>,
    /// Ideal (zero-resistance) column wires: the solver's sparse path.
    ideal_columns: bool,
}

fn check(case: &Case, seed: u64) {
    let mut rng = rng::stream(seed, &[case.n as u64]);
    let n = case.n;
    let g = Array2::from_shape_fn((n, n), |_| rng.random_range(1e-6..100e-6));
    // Log-uniform wire resistance in [0.1, 10] Ω.
    let r_wire = 10f64.powf(rng.random_range(-1.0..1.0));
    let params = CircuitParams {
        r_row: r_wire,
        r_col: if case.ideal_columns {
            0.0
        } else {
            r_wire * rng.random_range(0.5..2.0)
        },
        r_driver: case
            .r_driver
            .unwrap_or_else(|| rng.random_range(1.0..100.0)),
        r_sense: case.r_sense.unwrap_or_else(|| rng.random_range(1.0..100.0)),
        access: case.access,
    };
    let selected: Vec<bool> = (0..n)
        .map(|i| i == 0 || rng.random_range(0.0..1.0) < case.selected)
        .collect();
    // Read voltages are positive, so every column current is positive (the transfer matrix
    // is non-negative) and the plain relative error is well defined.
    let v: Vec<f64> = (0..n).map(|_| rng.random_range(0.05..0.3)).collect();

    let circuit = CrossbarCircuit::with_selection(g.view(), &params, &selected).unwrap();
    let mut ours = vec![0.0; n];
    circuit.read(&v, &mut ours).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let deck = dir.path().join(format!("{}.cir", case.name));
    spice::write_netlist(&deck, g.view(), &params, &selected, &v).unwrap();
    let theirs = spice::run_ngspice(&deck, n).unwrap_or_else(|e| {
        panic!(
            "{}: ngspice is required for this test (apt-get install ngspice): {e}",
            case.name
        )
    });

    let mut worst = 0.0f64;
    for (a, b) in ours.iter().zip(&theirs) {
        assert!(
            *b > 0.0,
            "{}: column current {b:e} is not positive",
            case.name
        );
        worst = worst.max((a - b).abs() / b.abs());
    }
    eprintln!("{}: max relative error vs ngspice {worst:e}", case.name);
    assert!(
        worst < 1e-6,
        "{}: max relative error {worst:e} vs ngspice (r_wire {r_wire} Ω)",
        case.name
    );
    // The IR drop must be visible, so the comparison is not the trivial ideal read.
    let mut ideal = vec![0.0; n];
    let gs = Array2::from_shape_fn((n, n), |(i, j)| if selected[i] { g[[i, j]] } else { 0.0 });
    memsnn::crossbar::ideal_currents(gs.view(), &v, &mut ideal);
    let dev = ideal
        .iter()
        .zip(&theirs)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs() / b));
    assert!(
        dev > 1e-4,
        "{}: IR drop too small to test ({dev:e})",
        case.name
    );
}

#[test]
fn one_t1r_16x16_matches_ngspice() {
    for seed in 0..3 {
        check(
            &Case {
                name: "1t1r_16",
                n: 16,
                access: Access::OneT1R { r_on: 0.0 },
                selected: 1.0,
                r_driver: None,
                r_sense: None,
                ideal_columns: false,
            },
            seed,
        );
    }
}

#[test]
fn one_t1r_with_transistors_and_unselected_rows_16x16_matches_ngspice() {
    check(
        &Case {
            name: "1t1r_ron_16",
            n: 16,
            access: Access::OneT1R { r_on: 2e3 },
            selected: 0.6,
            r_driver: Some(0.0),
            r_sense: None,
            ideal_columns: false,
        },
        7,
    );
}

#[test]
fn passive_16x16_matches_ngspice() {
    for (seed, unselected, selected) in [
        (1, Unselected::Grounded, 1.0),
        (2, Unselected::Grounded, 0.5),
        (3, Unselected::Floating, 0.5),
    ] {
        check(
            &Case {
                name: "passive_16",
                n: 16,
                access: Access::Passive { unselected },
                selected,
                r_driver: None,
                r_sense: None,
                ideal_columns: false,
            },
            seed,
        );
    }
}

#[test]
fn ideal_sense_terminal_16x16_matches_ngspice() {
    // r_sense = 0: the bottom column node is grounded; currents are read from the elements
    // flowing into it.
    check(
        &Case {
            name: "sense0_16",
            n: 16,
            access: Access::Passive {
                unselected: Unselected::Floating,
            },
            selected: 0.7,
            r_driver: None,
            r_sense: Some(0.0),
            ideal_columns: false,
        },
        11,
    );
}

#[test]
fn one_t1r_64x64_matches_ngspice() {
    check(
        &Case {
            name: "1t1r_64",
            n: 64,
            access: Access::OneT1R { r_on: 500.0 },
            selected: 0.9,
            r_driver: None,
            r_sense: None,
            ideal_columns: false,
        },
        21,
    );
}

fn passive_64(seed: u64, unselected: Unselected, selected: f64) {
    check(
        &Case {
            name: "passive_64",
            n: 64,
            access: Access::Passive { unselected },
            selected,
            r_driver: None,
            r_sense: None,
            ideal_columns: false,
        },
        seed,
    );
}

#[test]
fn passive_64x64_matches_ngspice() {
    passive_64(31, Unselected::Grounded, 1.0);
}

#[test]
fn passive_64x64_with_floating_rows_matches_ngspice() {
    passive_64(32, Unselected::Floating, 0.75);
}

#[test]
fn ideal_column_wires_16x16_match_ngspice() {
    // Zero-resistance column wires merge each column into one node (sparse solver path).
    for (seed, access) in [
        (41, Access::OneT1R { r_on: 100.0 }),
        (
            42,
            Access::Passive {
                unselected: Unselected::Floating,
            },
        ),
    ] {
        check(
            &Case {
                name: "ideal_columns_16",
                n: 16,
                access,
                selected: 0.7,
                r_driver: None,
                r_sense: None,
                ideal_columns: true,
            },
            seed,
        );
    }
}
