//! Ideal mode reproduces snnTorch on the fixture MLP: ≥ 99.5 % identical spike-count vectors, ≥ 99.9 % identical predictions, accuracy 0.931 ± 0.002.

mod common;
use common::shared;

use memsnn::encode::{Dataset, Encoding};
use memsnn::network::load_nir;
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::{Engine, Readout, RunOptions};
use ndarray::Array2;

#[test]
fn fixture_mlp_matches_snntorch_spike_counts() {
    let graph = load_nir(&shared("fixtures/snntorch-mnist-mlp/mlp.nir")).unwrap();
    let data = Dataset::read_idx(
        &shared("data/mnist/test-images-idx3-ubyte.gz"),
        &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        None,
    )
    .unwrap();
    assert_eq!(data.len(), 2000);
    let disc = Discretisation {
        dt: 1e-4,
        reset: Reset::Zero,
        semantics: Default::default(),
    };
    let engine = Engine::new(&graph, disc).unwrap();
    let opts = RunOptions {
        timesteps: 25,
        encoding: Encoding::Direct,
        seed: 0,
    };
    let res = engine.run(data.images.view(), &opts, &|_| ()).unwrap();
    assert_eq!(res.readout, Readout::SpikeCounts);
    let counts = res.spike_counts().unwrap();
    let want: Array2<i32> = ndarray_npy::read_npy(shared(
        "fixtures/snntorch-mnist-mlp/snntorch_spike_counts.npy",
    ))
    .unwrap();
    assert_eq!(counts.shape(), want.shape());
    let same_counts = counts
        .rows()
        .into_iter()
        .zip(want.rows())
        .filter(|(a, b)| a == b)
        .count();
    let argmax = |r: ndarray::ArrayView1<i32>| {
        let mut b = 0;
        for (j, &v) in r.iter().enumerate() {
            if v > r[b] {
                b = j;
            }
        }
        b
    };
    let same_pred = want
        .rows()
        .into_iter()
        .zip(&res.predictions)
        .filter(|(w, p)| argmax(*w) == **p)
        .count();
    let acc = res.accuracy(&data.labels);
    eprintln!(
        "identical count vectors {same_counts}/2000, predictions {same_pred}/2000, accuracy {acc}"
    );
    assert!(same_counts as f64 >= 0.995 * 2000.0, "{same_counts}");
    assert!(same_pred as f64 >= 0.999 * 2000.0, "{same_pred}");
    assert!((acc - 0.931).abs() <= 0.002, "{acc}");
}
