//! Mapping time: partition + splitters + placement of the bundled networks onto both presets
//! (`map_network`), and the traffic estimate, parameterised by network and chip.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use memsnn::chip::{ChipSpec, map_network, traffic};
use memsnn::network::load_nir;
use std::path::Path;

fn mapping(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut group = c.benchmark_group("map_network");
    group.sample_size(10);
    for net in ["mnist-mlp", "fashion-cnn"] {
        let g = load_nir(&root.join("netlists").join(net).join("model.nir")).unwrap();
        for chip in ["truenorth", "loihi"] {
            let spec = ChipSpec::builtin(chip).unwrap();
            group.bench_with_input(BenchmarkId::new(net, chip), &spec, |b, spec| {
                b.iter(|| map_network(&g, spec, 2).unwrap())
            });
            let m = map_network(&g, &spec, 2).unwrap();
            group.bench_with_input(
                BenchmarkId::new(format!("{net}/traffic"), chip),
                &spec,
                |b, spec| b.iter(|| traffic(&g, &m, spec).unwrap()),
            );
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: they need system fonts, which a fresh machine may lack.
    config = Criterion::default().without_plots();
    targets = mapping
}
criterion_main!(benches);
