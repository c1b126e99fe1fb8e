//! The bundled netlists (mnist-mlp, fashion-cnn) reproduce their snnTorch reference spike counts in ideal mode: ≥ 99.5 % identical count vectors, ≥ 99.9 % identical predictions, accuracy as recorded.

use memsnn::encode::Dataset;
use memsnn::network::Netlist;
use memsnn::report::IdealConfig;
use ndarray::{Array2, s};
use std::path::Path;

fn argmax(r: ndarray::ArrayView1<i32>) -> usize {
    let mut b = 0;
    for (j, &v) in r.iter().enumerate() {
        if v > r[b] {
            b = j;
        }
    }
    b
}

/// Run the first `n` samples of a bundled netlist; returns (identical counts, identical predictions, accuracy).
fn check(name: &str, n: usize) -> (f64, f64, f64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("netlists")
        .join(name);
    let netlist = Netlist::read(&dir.join("netlist.ron")).unwrap();
    let d = netlist.dataset.clone().unwrap();
    let cfg = IdealConfig {
        netlist: Some(dir.join("netlist.ron")),
        network: netlist.network.clone().unwrap(),
        images: d.images.clone(),
        labels: d.labels.clone(),
        samples: Some(n),
        timesteps: netlist.timesteps,
        dt: netlist.dt,
        reset: netlist.reset,
        semantics: Default::default(),
        encoding: netlist.encoding,
        seed: netlist.seed,
    };
    let graph = cfg.load_network().unwrap();
    let data = Dataset::read_idx(&d.images, &d.labels, Some(n)).unwrap();
    let (report, res) = cfg.run_with(&graph, &data, &|_| ()).unwrap();
    let counts = res.spike_counts().unwrap();
    let want: Array2<i32> = ndarray_npy::read_npy(dir.join("snntorch_spike_counts.npy")).unwrap();
    let want = want.slice(s![..n, ..]);
    assert_eq!(counts.shape(), want.shape());
    let same = counts
        .rows()
        .into_iter()
        .zip(want.rows())
        .filter(|(a, b)| a == b)
        .count();
    let same_pred = want
        .rows()
        .into_iter()
        .zip(&res.predictions)
        .filter(|(w, p)| argmax(*w) == **p)
        .count();
    eprintln!(
        "{name}: {same}/{n} identical count vectors, {same_pred}/{n} predictions, accuracy {}",
        report.accuracy
    );
    (
        same as f64 / n as f64,
        same_pred as f64 / n as f64,
        report.accuracy,
    )
}

#[test]
fn mnist_mlp_matches_its_snntorch_reference() {
    let (counts, preds, acc) = check("mnist-mlp", 2000);
    assert!(counts >= 0.995 && preds >= 0.999, "{counts} {preds}");
    // reference.json: test_accuracy 0.9345
    assert!((acc - 0.9345).abs() <= 0.002, "{acc}");
}

#[test]
fn fashion_cnn_matches_its_snntorch_reference() {
    // Release builds (CI) check all 2,000 images; debug builds the first 400 to stay fast.
    let n = if cfg!(debug_assertions) { 400 } else { 2000 };
    let (counts, preds, acc) = check("fashion-cnn", n);
    assert!(counts >= 0.995 && preds >= 0.999, "{counts} {preds}");
    if n == 2000 {
        // reference.json: test_accuracy 0.888
        assert!((acc - 0.888).abs() <= 0.002, "{acc}");
    }
    assert!(acc > 0.75, "{acc}");
}
