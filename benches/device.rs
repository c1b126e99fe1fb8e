//! Throughput of the batched device integrator (device-steps per second).
//!
//! One device-step = one `DeviceBatch::advance` of one device by `dt` (RK4, substeps as
//! needed). Throughput is reported by criterion as elements/s.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use memsnn::device::{DeviceBatch, DeviceCard};
use std::hint::black_box;

/// Per-device voltages spread over ±amplitude (deterministic).
fn voltages(n: usize, amplitude: f64) -> Vec<f64> {
    (0..n)
        .map(|k| amplitude * ((k as f64) * 0.618_033_988_75).fract().mul_add(2.0, -1.0))
        .collect()
}

fn bench_advance(c: &mut Criterion) {
    let mut group = c.benchmark_group("device_advance");
    group.sample_size(20);
    // dt: one sample of the card's default I–V drive at its base frequency.
    for name in ["hp-tio2", "vteam", "yakopcic"] {
        let card = DeviceCard::builtin(name).unwrap();
        let model = card.model.clone().unwrap();
        let dt = 1.0 / (card.iv.frequencies[0] * f64::from(card.iv.samples_per_cycle));
        let sizes: &[usize] = if name == "hp-tio2" {
            &[10_000, 100_000]
        } else {
            &[100_000]
        };
        for &n in sizes {
            let v = voltages(n, card.iv.amplitude);
            let v_neg: Vec<f64> = v.iter().map(|x| -x).collect();
            let mut batch = DeviceBatch::new(model.clone(), n).unwrap();
            // Two steps per iteration, with opposite voltages, so states oscillate instead of
            // parking at a bound: every step does real work.
            group.throughput(Throughput::Elements(2 * n as u64));
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| {
                    batch.advance(black_box(&v), dt);
                    batch.advance(black_box(&v_neg), dt);
                })
            });
        }
    }
    group.finish();
}

/// Criterion without its HTML plots (they need a system font; memsnn bundles its own only for
/// its charts).
fn config() -> Criterion {
    Criterion::default().without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_advance
}
criterion_main!(benches);
