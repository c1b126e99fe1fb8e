//! Ideal runs are deterministic: identical reports and outputs with 1 and 2 rayon threads, for direct and random (Poisson) encodings.

use memsnn::encode::{Dataset, Encoding};
use memsnn::network::{NetworkSpec, load_nir};
use memsnn::neuron::Reset;
use memsnn::report::IdealConfig;
use std::path::PathBuf;

/// `../shared` of the main checkout (worktrees sit one level deeper).
fn shared(rel: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared").join(rel))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("shared file {rel} not found"))
}

#[test]
fn one_and_two_threads_give_identical_reports() {
    let network = shared("fixtures/snntorch-mnist-mlp/mlp.nir");
    let images = shared("data/mnist/test-images-idx3-ubyte.gz");
    let labels = shared("data/mnist/test-labels-idx1-ubyte.gz");
    let graph = load_nir(&network).unwrap();
    // 300 samples: several chunks of 64 plus a partial one.
    let data = Dataset::read_idx(&images, &labels, Some(300)).unwrap();
    for encoding in [Encoding::Direct, Encoding::Poisson { max_rate: 2000.0 }] {
        let cfg = IdealConfig {
            netlist: None,
            network: NetworkSpec::Nir(network.clone()),
            images: images.clone(),
            labels: labels.clone(),
            samples: Some(300),
            timesteps: 25,
            dt: 1e-4,
            reset: Reset::Zero,
            semantics: Default::default(),
            encoding,
            seed: 42,
        };
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| cfg.run_with(&graph, &data, &|_| ()))
                .unwrap()
        };
        let (r1, o1) = run(1);
        let (r2, o2) = run(2);
        assert_eq!(r1, r2, "{encoding:?}");
        assert_eq!(o1.outputs, o2.outputs);
        assert_eq!(
            serde_json::to_string(&r1).unwrap(),
            serde_json::to_string(&r2).unwrap()
        );
        assert!(r1.accuracy > 0.5, "{encoding:?}: {}", r1.accuracy);
        // A different seed changes a random encoding's outcome (the seed is really used).
        if encoding != Encoding::Direct {
            let other = IdealConfig {
                seed: 43,
                ..cfg.clone()
            };
            let (r3, _) = other.run_with(&graph, &data, &|_| ()).unwrap();
            assert_ne!(r1.layers, r3.layers);
        }
    }
}
