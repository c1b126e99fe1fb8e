//! Ideal runs are deterministic: identical reports and outputs with 1 and 2 rayon threads, for direct and random (Poisson) encodings.

mod common;
use common::shared;

use memsnn::encode::Encoding;
use memsnn::experiment::{DataConfig, Experiment, Inputs, Par, Report, RunConfig};
use memsnn::network::NetworkSpec;
use memsnn::neuron::Reset;
use std::sync::Arc;

#[test]
fn one_and_two_threads_give_identical_reports() {
    let network = shared("fixtures/snntorch-mnist-mlp/mlp.nir");
    let images = shared("data/mnist/test-images-idx3-ubyte.gz");
    let labels = shared("data/mnist/test-labels-idx1-ubyte.gz");
    let inputs = |cfg: &RunConfig| Arc::new(Inputs::load(cfg).unwrap());
    for encoding in [Encoding::Direct, Encoding::Poisson { max_rate: 2000.0 }] {
        let mut cfg = RunConfig::new(
            NetworkSpec::Nir(network.clone()),
            DataConfig {
                images: images.clone(),
                labels: labels.clone(),
            },
        )
        .unwrap();
        // 300 samples: several chunks of 64 plus a partial one.
        cfg.samples = Some(300);
        cfg.reset = Reset::Zero;
        cfg.encoding = encoding;
        cfg.seed = 42;
        let loaded = inputs(&cfg);
        let run = |cfg: &RunConfig, threads| {
            let exp = Experiment::with_inputs(cfg.clone(), loaded.clone()).unwrap();
            match exp.run(Par::threads(Some(threads)).unwrap(), &()).unwrap() {
                Report::Ideal(r) => r,
                Report::Chip(_) => panic!("ideal mode"),
            }
        };
        let r1 = run(&cfg, 1);
        let r2 = run(&cfg, 2);
        assert_eq!(r1, r2, "{encoding:?}");
        assert_eq!(r1.spike_counts, r2.spike_counts);
        assert_eq!(
            serde_json::to_string(&r1).unwrap(),
            serde_json::to_string(&r2).unwrap()
        );
        assert!(r1.accuracy > 0.5, "{encoding:?}: {}", r1.accuracy);
        // A different seed changes a random encoding's outcome (the seed is really used).
        if encoding != Encoding::Direct {
            let mut other = cfg.clone();
            other.seed = 43;
            let r3 = run(&other, 2);
            assert_ne!(r1.layers, r3.layers);
        }
    }
}
