//! `memsnn emulate`: runs the default and given networks, writes report and spike counts, and rejects bad input (data size, netlist field, IDX magic and counts, τ < dt, bad options) with a clear message, non-zero exit, no panic, no half-written output.

mod common;
use common::{memsnn, shared};

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn mlp_args(c: &mut Command) -> &mut Command {
    mlp_with(
        c,
        &shared("data/mnist/test-images-idx3-ubyte.gz"),
        &shared("data/mnist/test-labels-idx1-ubyte.gz"),
    )
}

fn mlp_with<'a>(c: &'a mut Command, images: &Path, labels: &Path) -> &'a mut Command {
    c.arg("emulate")
        .arg("--ideal")
        .arg("--network")
        .arg(shared("fixtures/snntorch-mnist-mlp/mlp.nir"))
        .arg("--data")
        .arg(images)
        .arg("--labels")
        .arg(labels)
}

/// A failing run: non-zero exit, `error:` message containing every `needles`, no panic.
fn fails(c: &mut Command, needles: &[&str]) {
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("error"), "{err}");
    for n in needles {
        assert!(err.contains(n), "missing `{n}` in: {err}");
    }
}

#[test]
fn no_arguments_runs_the_bundled_mnist_mlp() {
    // The bundled netlist names a chip; --ideal runs it in ideal mode (chip mode without
    // arguments is checked in tests/cli_emulate_chip.rs).
    memsnn()
        .arg("emulate")
        .arg("--ideal")
        .assert()
        .success()
        .stdout(predicate::str::contains("netlists/mnist-mlp/netlist.ron"))
        .stdout(predicate::str::contains("accuracy  0.9345"))
        .stdout(predicate::str::contains("spikes/neuron/step"))
        .stdout(predicate::str::contains("reset = zero"));
}

#[test]
fn network_run_writes_report_and_int32_spike_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (report, counts) = (dir.path().join("r.json"), dir.path().join("c.npy"));
    mlp_args(&mut memsnn())
        .args([
            "--samples",
            "500",
            "--timesteps",
            "25",
            "--threads",
            "2",
            "--report",
        ])
        .arg(&report)
        .arg("--spike-counts")
        .arg(&counts)
        .assert()
        .success()
        .stdout(predicate::str::contains("images/s"));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["mode"], "ideal");
    assert_eq!(r["samples"], 500);
    assert_eq!(r["config"]["timesteps"], 25);
    assert_eq!(r["config"]["dt"], 1e-4);
    assert_eq!(r["config"]["reset"], "zero");
    assert_eq!(r["readout"], "spike_counts");
    assert!(
        r["semantics"]["integration"]
            .as_str()
            .unwrap()
            .contains("forward Euler")
    );
    assert_eq!(r["layers"].as_array().unwrap().len(), 4);
    let c: ndarray::Array2<i32> = ndarray_npy::read_npy(&counts).unwrap();
    let want: ndarray::Array2<i32> = ndarray_npy::read_npy(shared(
        "fixtures/snntorch-mnist-mlp/snntorch_spike_counts.npy",
    ))
    .unwrap();
    assert_eq!(c.shape(), &[500, 10]);
    let same = (0..500).filter(|&i| c.row(i) == want.row(i)).count();
    assert!(same >= 498, "{same}");
}

#[test]
fn data_not_matching_the_network_input_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let counts = dir.path().join("c.npy");
    fails(
        memsnn()
            .args(["emulate", "--ideal", "--network"])
            .arg(shared("fixtures/nir-paper/02_cnn/cnn_sinabs.nir"))
            .arg("--data")
            .arg(shared("data/mnist/test-images-idx3-ubyte.gz"))
            .arg("--labels")
            .arg(shared("data/mnist/test-labels-idx1-ubyte.gz"))
            .arg("--spike-counts")
            .arg(&counts),
        &[
            "784 values per sample",
            "expects 2312",
            "test-images-idx3-ubyte.gz",
        ],
    );
    assert!(!counts.exists(), "no output on failure");
}

#[test]
fn netlist_with_unknown_field_is_rejected_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.ron");
    std::fs::write(&p, "(network: Nir(\"m.nir\"), time_steps: 25)").unwrap();
    fails(memsnn().arg("emulate").arg(&p), &["bad.ron", "time_steps"]);
}

#[test]
fn idx_with_wrong_magic_is_rejected() {
    // A labels file given as images: IDX files of any rank are read, so the rank is named.
    fails(
        mlp_with(
            &mut memsnn(),
            &shared("data/mnist/test-labels-idx1-ubyte.gz"),
            &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        ),
        &[
            "test-labels-idx1-ubyte.gz",
            "at least 2 dimensions",
            "[2000]",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.idx");
    std::fs::write(&p, [0x12, 0x34, 0x08, 0x03, 0, 0, 0, 1]).unwrap();
    fails(
        mlp_with(
            &mut memsnn(),
            &p,
            &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        ),
        &["bad.idx", "neither an IDX file"],
    );
}

#[test]
fn images_and_labels_count_mismatch_is_rejected() {
    // 2,000 MNIST test images against 10,000 Fashion-MNIST test labels.
    fails(
        mlp_with(
            &mut memsnn(),
            &shared("data/mnist/test-images-idx3-ubyte.gz"),
            &shared("data/fashion-mnist/t10k-labels-idx1-ubyte.gz"),
        ),
        &["2000 images", "10000 labels"],
    );
}

#[test]
fn truncated_idx_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut-images.idx");
    let mut bytes = 0x0803u32.to_be_bytes().to_vec();
    for d in [10u32, 28, 28] {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(vec![0u8; 1000]);
    std::fs::write(&p, bytes).unwrap();
    fails(
        mlp_with(
            &mut memsnn(),
            &p,
            &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        ),
        &["cut-images.idx", "truncated"],
    );
}

#[test]
fn time_step_longer_than_tau_is_rejected_naming_the_node() {
    fails(
        mlp_args(&mut memsnn()).args(["--dt", "0.01", "--samples", "10"]),
        &["shorter than the time step"],
    );
}

#[test]
fn bad_options_are_rejected() {
    fails(
        mlp_args(&mut memsnn()).args(["--reset", "sideways"]),
        &["sideways"],
    );
    fails(
        mlp_args(&mut memsnn()).args(["--encoding", "morse"]),
        &["morse"],
    );
    fails(
        mlp_args(&mut memsnn()).args(["--timesteps", "0"]),
        &["timesteps"],
    );
    fails(
        mlp_args(&mut memsnn()).args(["--samples", "0"]),
        &["samples"],
    );
    fails(
        mlp_args(&mut memsnn()).args(["--threads", "0"]),
        &["threads"],
    );
    fails(mlp_args(&mut memsnn()).args(["--dt=-1"]), &["dt"]);
}

#[test]
fn random_encodings_run_from_the_cli() {
    for enc in ["poisson", "bernoulli", "latency"] {
        mlp_args(&mut memsnn())
            .args(["--samples", "64", "--encoding", enc, "--seed", "3"])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("encoding = {enc}")));
    }
}

#[test]
fn bad_nir_files_are_rejected_naming_file_and_cause() {
    for (file, cause) in [
        ("truncated.nir", "truncated or corrupt HDF5"),
        ("not_hdf5.nir", "not an HDF5 file"),
        ("unsupported.nir", "unsupported type `Delay`"),
        ("shape_mismatch.nir", "shape mismatch on edge"),
    ] {
        let nir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/nir")
            .join(file);
        fails(
            memsnn()
                .args(["emulate", "--ideal", "--network"])
                .arg(&nir)
                .arg("--data")
                .arg(shared("data/mnist/test-images-idx3-ubyte.gz"))
                .arg("--labels")
                .arg(shared("data/mnist/test-labels-idx1-ubyte.gz")),
            &[file, cause],
        );
    }
}

#[test]
fn netlist_with_inline_layers_runs_and_matches_the_nir_network() {
    // The fixture MLP's weights written as .npy and declared inline must give the same report
    // numbers as the NIR file itself.
    let graph = memsnn::network::load_nir(&shared("fixtures/snntorch-mnist-mlp/mlp.nir")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut k = 0;
    for node in &graph.nodes {
        if let memsnn::network::NodeKind::Affine { weight, bias } = &node.kind {
            ndarray_npy::write_npy(dir.path().join(format!("w{k}.npy")), weight).unwrap();
            ndarray_npy::write_npy(dir.path().join(format!("b{k}.npy")), bias).unwrap();
            k += 1;
        }
    }
    assert_eq!(k, 2);
    let tau = 1e-4 / (1.0 - 0.9);
    let r = tau / 1e-4;
    let netlist = dir.path().join("net.ron");
    std::fs::write(
        &netlist,
        format!(
            "(network: Layers(input: [784], layers: [\n\
             Affine(weight: \"w0.npy\", bias: Some(\"b0.npy\")), Lif(tau: {tau}, r: {r}, v_threshold: 1.0),\n\
             Affine(weight: \"w1.npy\", bias: Some(\"b1.npy\")), Lif(tau: {tau}, r: {r}, v_threshold: 1.0)]),\n\
             timesteps: 25, dataset: Some((images: {:?}, labels: {:?}, samples: Some(300))))",
            shared("data/mnist/test-images-idx3-ubyte.gz"),
            shared("data/mnist/test-labels-idx1-ubyte.gz"),
        ),
    )
    .unwrap();
    let (r1, r2) = (dir.path().join("a.json"), dir.path().join("b.json"));
    memsnn()
        .arg("emulate")
        .arg(&netlist)
        .arg("--report")
        .arg(&r1)
        .assert()
        .success()
        .stdout(predicate::str::contains("4 inline layers"));
    mlp_args(&mut memsnn())
        .args(["--samples", "300", "--report"])
        .arg(&r2)
        .assert()
        .success();
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (a, b) = (read(&r1), read(&r2));
    assert_eq!(a["accuracy"], b["accuracy"]);
    assert_eq!(a["predictions"], b["predictions"]);
    let spikes = |v: &serde_json::Value| -> Vec<u64> {
        v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["spikes"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(spikes(&a), spikes(&b));
}

#[test]
fn four_dimensional_npy_images_give_the_idx_run_of_a_conv_network() {
    // The bundled CNN's first 100 test images as float32 [100, 1, 28, 28] (values as the IDX
    // reader scales them) and int64 labels: the same spike counts as the netlist's IDX files.
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/fashion-cnn");
    let d = memsnn::encode::Dataset::read_idx(
        &root.join("data/test-images-idx3-ubyte.gz"),
        &root.join("data/test-labels-idx1-ubyte.gz"),
        Some(100),
    )
    .unwrap();
    let x = d
        .images
        .to_owned()
        .into_shape_with_order((100, 1, 28, 28))
        .unwrap();
    let y = ndarray::Array1::from_iter(d.labels.iter().map(|&l| i64::from(l)));
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    ndarray_npy::write_npy(&xp, &x).unwrap();
    ndarray_npy::write_npy(&yp, &y).unwrap();
    let run = |extra: &[&std::ffi::OsStr], out: &std::path::Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_memsnn"))
            .arg("emulate")
            .arg(root.join("netlist.ron"))
            .args(["--ideal", "--samples", "100", "--spike-counts"])
            .arg(out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        ndarray_npy::read_npy::<_, ndarray::Array2<i32>>(out).unwrap()
    };
    let a = run(&[], &dir.path().join("a.npy"));
    let b = run(
        &[
            "--data".as_ref(),
            xp.as_os_str(),
            "--labels".as_ref(),
            yp.as_os_str(),
        ],
        &dir.path().join("b.npy"),
    );
    assert_eq!(a, b);
    assert!(a.sum() > 0);
}
