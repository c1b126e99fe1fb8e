//! Chip-mode throughput: the bundled MLP (784-128-10) on 2,000 MNIST test images, T = 25, direct
//! input, on the `loihi` chip with the `pcm` card (programming noise, drift to 1 day, 1/f read
//! noise), 4-bit (16) conductance levels, the chip's 8-bit ADC and 1 Ω wires (IR drop), on the
//! default rayon pool. `run` times inference on a programmed chip (images/s as throughput);
//! `run_per_read_noise` adds 2 % per-read noise (one Gaussian per column per read); `prepare`
//! times programming, drift and the IR-drop transfer matrices of one chip.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use memsnn::chip::{ChipSpec, map_network};
use memsnn::crossbar::{Adc, AdcRange, Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::device::statistics::{Levels, PerReadNoise};
use memsnn::encode::Dataset;
use memsnn::experiment::Netlist;
use memsnn::neuron::Discretisation;
use memsnn::sim::RunOptions;
use memsnn::sim::{ChipAtTime, ChipSetup, Effects, program_chip};
use std::path::Path;

fn chip_mlp(c: &mut Criterion) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/mnist-mlp/netlist.ron");
    let n = Netlist::read(&p).unwrap();
    let d = n.dataset.clone().unwrap();
    let graph = n.network.clone().unwrap().load(&p).unwrap();
    let data = Dataset::read_idx(&d.images, &d.labels, Some(2000)).unwrap();
    let chip = ChipSpec::resolve("loihi").unwrap();
    let mapping = map_network(&graph, &chip, 2).unwrap();
    let mut statistics = DeviceCard::resolve("pcm").unwrap().statistics;
    statistics.levels = Levels::Uniform(16);
    let mut setup = ChipSetup {
        statistics,
        map: MapConfig::default(),
        read: ReadConfig {
            adc: Some(Adc {
                bits: 8,
                range: AdcRange::Calibrated { margin: 1.0 },
            }),
            ..ReadConfig::default()
        },
        r_wire: 1.0,
        compensation: Compensation::None,
        delay: chip.delivery.steps() as usize,
        effects: Effects::ALL,
    };
    let disc = Discretisation {
        dt: n.dt,
        reset: n.reset,
        semantics: n.semantics,
    };
    let opts = RunOptions {
        timesteps: 25,
        encoding: n.encoding,
        seed: 0,
    };
    let programmed = program_chip(&mapping, &setup, 0, 0).unwrap();
    let mut group = c.benchmark_group("chip_mlp_loihi_pcm_T25");
    group.sample_size(10);
    let x = data.images.view();
    group.throughput(Throughput::Elements(2000));
    let at = ChipAtTime::new(&graph, &mapping, &setup, &programmed, 86_400.0, 0, 0).unwrap();
    group.bench_function(BenchmarkId::new("run", 2000), |b| {
        b.iter(|| at.run(&graph, disc, x, &opts, &|_| ()).unwrap())
    });
    setup.statistics.per_read = PerReadNoise::Proportional { frac: 0.02 };
    let noisy = ChipAtTime::new(&graph, &mapping, &setup, &programmed, 86_400.0, 0, 0).unwrap();
    group.bench_function(BenchmarkId::new("run_per_read_noise", 2000), |b| {
        b.iter(|| noisy.run(&graph, disc, x, &opts, &|_| ()).unwrap())
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("prepare", |b| {
        b.iter(|| {
            let chip = program_chip(&mapping, &setup, 0, 1).unwrap();
            ChipAtTime::new(&graph, &mapping, &setup, &chip, 86_400.0, 1, 0).unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: they need system fonts, which a fresh machine may lack.
    config = Criterion::default().without_plots();
    targets = chip_mlp
}
criterion_main!(benches);
