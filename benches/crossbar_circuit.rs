//! Crossbar circuit benches: set-up (nodal reduction + transfer matrix) and one read through
//! the transfer matrix, for arrays with 1 Ω wires (10 Ω driver and sense terminals), 1T1R.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use memsnn::crossbar::{Access, CircuitParams, CrossbarCircuit};
use memsnn::rng;
use ndarray::Array2;
use rand::RngExt;
use std::hint::black_box;
use std::time::Duration;

fn array(n: usize) -> Array2<f64> {
    let mut rng = rng::stream(42, &[n as u64]);
    Array2::from_shape_fn((n, n), |_| rng.random_range(1e-6..100e-6))
}

fn params() -> CircuitParams {
    CircuitParams::wires(1.0, 10.0, 10.0, Access::OneT1R { r_on: 0.0 })
}

fn setup(c: &mut Criterion) {
    let mut group = c.benchmark_group("crossbar_circuit_setup");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for n in [128, 512] {
        let g = array(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &g, |b, g| {
            b.iter(|| CrossbarCircuit::new(black_box(g.view()), &params()).unwrap())
        });
    }
    group.finish();
}

fn read(c: &mut Criterion) {
    let mut group = c.benchmark_group("crossbar_circuit_read");
    for n in [128, 512] {
        let g = array(n);
        let circuit = CrossbarCircuit::new(g.view(), &params()).unwrap();
        let v: Vec<f64> = (0..n).map(|i| 0.2 * ((i % 7) as f64 / 6.0)).collect();
        let mut out = vec![0.0; n];
        group.bench_with_input(BenchmarkId::from_parameter(n), &v, |b, v| {
            b.iter(|| circuit.read(black_box(v), &mut out).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Reports only (no plots): the numbers are what the note quotes.
    config = Criterion::default().without_plots();
    targets = setup, read
}
criterion_main!(benches);
