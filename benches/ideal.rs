//! Ideal-mode throughput: the snnTorch fixture MLP (784-128-10) on MNIST test images, T = 25,
//! direct input, on the default rayon pool (all cores). Reports images/s as throughput.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use memsnn::encode::{Dataset, Encoding};
use memsnn::network::load_nir;
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::{Engine, RunOptions};
use std::path::{Path, PathBuf};

/// `../shared` of the main checkout (worktrees sit one level deeper).
fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared").join(rel))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("shared file {rel} not found"))
}

fn ideal_mlp(c: &mut Criterion) {
    let graph = load_nir(&shared("fixtures/snntorch-mnist-mlp/mlp.nir")).unwrap();
    let data = Dataset::read_idx(
        &shared("data/mnist/test-images-idx3-ubyte.gz"),
        &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        None,
    )
    .unwrap();
    let engine = Engine::new(
        &graph,
        Discretisation {
            dt: 1e-4,
            reset: Reset::Zero,
            semantics: Default::default(),
        },
    )
    .unwrap();
    let mut group = c.benchmark_group("ideal_mlp_T25_direct");
    group.sample_size(20);
    for samples in [500usize, 2000] {
        let x = data.images.slice(ndarray::s![..samples, ..]);
        group.throughput(Throughput::Elements(samples as u64));
        group.bench_with_input(BenchmarkId::from_parameter(samples), &samples, |b, _| {
            let opts = RunOptions {
                timesteps: 25,
                encoding: Encoding::Direct,
                seed: 0,
            };
            b.iter(|| engine.run(x, &opts, &|_| ()).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: they need system fonts, which a fresh machine may lack.
    config = Criterion::default().without_plots();
    targets = ideal_mlp
}
criterion_main!(benches);
