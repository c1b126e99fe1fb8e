//! PCM on chip: without compensation the mean accuracy over 8 trials does not rise from 1 s to 1 year (margin: combined standard error), and global compensation recovers part of the 1-year loss; results are identical with 1 and 2 threads.

use memsnn::crossbar::{Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::Dataset;
use memsnn::experiment::Netlist;
use memsnn::network::Graph;
use memsnn::neuron::Discretisation;
use memsnn::sim::RunOptions;
use memsnn::sim::{ChipSetup, Effects, dense_mapping, program_chip, run_on_chip};
use std::path::Path;

const SAMPLES: usize = 200;
const TRIALS: u64 = 8;
const YEAR: f64 = 365.25 * 86_400.0;

fn mlp() -> (Graph, Dataset, Discretisation, RunOptions) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/mnist-mlp/netlist.ron");
    let n = Netlist::read(&p).unwrap();
    let d = n.dataset.clone().unwrap();
    let g = n.network.clone().unwrap().load(&p).unwrap();
    let data = Dataset::read_idx(&d.images, &d.labels, Some(SAMPLES)).unwrap();
    let disc = Discretisation {
        dt: n.dt,
        reset: n.reset,
        semantics: n.semantics,
    };
    let opts = RunOptions {
        timesteps: n.timesteps,
        encoding: n.encoding,
        seed: 3,
    };
    (g, data, disc, opts)
}

fn setup(c: Compensation) -> ChipSetup {
    ChipSetup {
        statistics: DeviceCard::resolve("pcm").unwrap().statistics,
        map: MapConfig::default(),
        read: ReadConfig::default(),
        r_wire: 0.0,
        compensation: c,
        delay: 0,
        effects: Effects::ALL,
    }
}

/// Accuracy per trial at each time.
fn accuracies(c: Compensation, times: &[f64]) -> Vec<Vec<f64>> {
    let (g, data, disc, opts) = mlp();
    let mapping = dense_mapping(&g, 4096, 512).unwrap();
    let s = setup(c);
    let mut out = vec![Vec::new(); times.len()];
    for trial in 0..TRIALS {
        let chip = program_chip(&mapping, &s, opts.seed, trial).unwrap();
        for (k, &t) in times.iter().enumerate() {
            let r = run_on_chip(
                &g,
                disc,
                &mapping,
                &s,
                &chip,
                t,
                trial,
                data.images.view(),
                &opts,
                &|_| (),
            )
            .unwrap();
            out[k].push(r.result.accuracy(&data.labels));
        }
    }
    out
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[test]
fn pcm_drift_lowers_accuracy_and_global_compensation_recovers_part() {
    let none = accuracies(Compensation::None, &[1.0, YEAR]);
    let global = accuracies(Compensation::Global, &[YEAR]);
    let (m1, s1) = mean_se(&none[0]);
    let (my, sy) = mean_se(&none[1]);
    let (mg, sg) = mean_se(&global[0]);
    eprintln!(
        "none 1 s {m1:.4} ± {s1:.4}, none 1 y {my:.4} ± {sy:.4}, global 1 y {mg:.4} ± {sg:.4}"
    );
    // Does not rise: the 1-year mean is at most the 1-second mean plus two combined standard errors.
    assert!(my <= m1 + 2.0 * (s1 * s1 + sy * sy).sqrt());
    // Drift costs accuracy without compensation (the loss is far beyond the noise).
    assert!(
        m1 - my > 2.0 * (s1 * s1 + sy * sy).sqrt(),
        "no loss from drift"
    );
    // Global compensation recovers part of it.
    assert!(
        mg - my > 2.0 * (sg * sg + sy * sy).sqrt(),
        "compensation recovers nothing"
    );
}

#[test]
fn chip_results_identical_with_one_and_two_threads() {
    let (g, data, disc, opts) = mlp();
    let mapping = dense_mapping(&g, 256, 128).unwrap();
    let mut s = setup(Compensation::PerColumn);
    // Per-read noise, ADC, DAC, wires and delays on: every random path is exercised.
    s.statistics.per_read = memsnn::device::statistics::PerReadNoise::Proportional { frac: 0.05 };
    s.read.adc = Some(memsnn::crossbar::Adc {
        bits: 6,
        range: Default::default(),
    });
    s.read.dac = Some(memsnn::crossbar::Dac { bits: 6 });
    s.r_wire = 0.5;
    s.delay = 1;
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let chip = program_chip(&mapping, &s, 11, 2).unwrap();
            let d = data.images.slice(ndarray::s![..100, ..]);
            run_on_chip(&g, disc, &mapping, &s, &chip, 3600.0, 2, d, &opts, &|_| ()).unwrap()
        })
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.result.outputs, b.result.outputs);
    assert_eq!(a.counters, b.counters);
    assert!(a.counters.adc_conversions > 0 && a.counters.packets > 0 && a.counters.hops > 0);
}
