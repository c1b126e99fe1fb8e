//! Read path of one array: an n×n physical array (n inputs, n/2 differential outputs) read with
//! per-read noise sampled per column (proportional, 2 %), through DAC-free ideal devices.
//! Target: 256×256 read < 50 µs on 2 cores.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use memsnn::crossbar::{Crossbar, MapConfig, ReadConfig};
use memsnn::device::Statistics;
use memsnn::device::statistics::PerReadNoise;
use memsnn::rng;
use ndarray::Array2;
use std::hint::black_box;

fn array(n: usize, per_read: PerReadNoise) -> Crossbar {
    let w = Array2::from_shape_fn((n / 2, n), |(j, i)| ((j * 31 + i * 17) % 23) as f32 - 11.0);
    let stats = Statistics {
        per_read,
        ..Statistics::default()
    };
    let mut r = rng::stream(1, &[]);
    Crossbar::program(
        w.view(),
        &stats,
        &MapConfig::default(),
        &ReadConfig::default(),
        &mut r,
    )
    .unwrap()
}

fn read(c: &mut Criterion) {
    let mut g = c.benchmark_group("crossbar_read");
    for n in [64usize, 256, 512] {
        for (name, noise) in [
            (
                "proportional_noise",
                PerReadNoise::Proportional { frac: 0.02 },
            ),
            ("constant_noise", PerReadNoise::Constant { sigma: 0.1e-6 }),
            ("noise_free", PerReadNoise::None),
        ] {
            let mut xb = array(n, noise);
            let x: Vec<f32> = (0..n).map(|i| (i % 7) as f32 / 7.0 - 0.4).collect();
            let mut y = vec![0.0f32; n / 2];
            let mut r = rng::stream(2, &[]);
            g.bench_with_input(BenchmarkId::new(name, format!("{n}x{n}")), &n, |b, _| {
                b.iter(|| {
                    xb.mvm(black_box(&x), &mut y, &mut r).unwrap();
                    black_box(&y);
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: the machine may have no fonts, and the numbers are what the report needs.
    config = Criterion::default().without_plots();
    targets = read
}
criterion_main!(benches);
