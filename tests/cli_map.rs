//! `memsnn map` prints the resource table for both presets and custom chips, draws a legible placement picture (SVG and PNG) written atomically, and rejects bad chips, networks that cannot fit and bad options with a clear error naming the file, field, layer or limit, exiting non-zero.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

fn memsnn() -> Command {
    let mut c = Command::cargo_bin("memsnn").unwrap();
    c.current_dir(root());
    c
}

#[test]
fn default_netlist_on_truenorth_prints_the_table() {
    memsnn()
        .args(["map", "--chip", "truenorth"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "chip truenorth: 64 × 64 mesh (4096 cores)",
        ))
        // 784 → 128: 4 cores, 196 of 256 rows used, all 256 columns (differential pairs).
        .stdout(predicate::str::is_match(r"Affine\s+784 → 128\s+4\s+76\.6%\s+100\.0%").unwrap())
        .stdout(predicate::str::contains("mesh occupancy: 5 of 4096 cores"))
        .stdout(predicate::str::contains("latency per inference (25 steps"));
}

#[test]
fn cnn_on_loihi_writes_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("cnn.svg");
    let png = dir.path().join("cnn.png");
    for out in [&svg, &png] {
        memsnn()
            .args([
                "map",
                "netlists/fashion-cnn/netlist.ron",
                "--chip",
                "loihi",
                "--svg",
            ])
            .arg(out)
            .assert()
            .success()
            .stdout(predicate::str::contains("Conv2d"))
            .stdout(predicate::str::contains("wrote"));
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("Layers") && text.contains("Conv2d"));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn custom_chip_file_and_nir_input() {
    // snnTorch MLP on 64-axon × 32-column cores: 784 inputs → 13 row blocks × 128 outputs / 16
    // per core (2 columns each) → 8 column blocks = 104 cores; 128 → 10: 2 row blocks = 2 cores.
    memsnn()
        .args(["map", "tests/data/nir/fixtures/mlp.nir", "--chip"])
        .arg(data("chips/tiny.ron"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "network does not fit on chip `tiny`",
        ))
        .stderr(predicate::str::contains(
            "needs 106 cores, the 2×2 mesh has 4 (cores run out at layer `0`)",
        ));
    memsnn()
        .args(["map", "tests/data/nir/fixtures/mlp.nir", "--chip"])
        .arg(data("chips/medium.ron"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "chip medium: 12 × 12 mesh (144 cores)",
        ))
        .stdout(predicate::str::is_match(r"Affine\s+784 → 128\s+104\s").unwrap())
        .stdout(predicate::str::is_match(r"Affine\s+128 → 10\s+2\s").unwrap())
        .stdout(predicate::str::contains("mesh occupancy: 106 of 144 cores"));
}

#[test]
fn layer_that_cannot_fit_names_layer_and_limit() {
    memsnn()
        .args(["map", "netlists/fashion-cnn/netlist.ron", "--chip"])
        .arg(data("chips/small-rows.ron"))
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(
            "error: layer `0` cannot fit on chip `small-rows`",
        ))
        .stderr(predicate::str::contains(
            "needs 25 axons (5×5 kernel), the core has 16 rows",
        ));
}

#[test]
fn bad_chips_are_named() {
    memsnn()
        .args(["map", "--chip", "truenrth"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown chip `truenrth`"))
        .stderr(predicate::str::contains("truenorth, loihi"));
    memsnn()
        .args(["map", "--chip"])
        .arg(data("chips/bad-field.ron"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "bad-field.ron: field `core.cols`: must be at least 1",
        ));
    memsnn()
        .args(["map", "--chip"])
        .arg(data("chips/unknown-field.ron"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown-field.ron:4:"))
        .stderr(predicate::str::contains("cores"));
    memsnn()
        .args(["map", "--chip", "tests/data/chips/missing.ron"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "cannot read tests/data/chips/missing.ron",
        ));
}

#[test]
fn bad_options_fail_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.pdf");
    memsnn()
        .args(["map", "--svg"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("unsupported plot format"));
    assert!(!out.exists());
    memsnn()
        .args(["map", "--columns-per-weight", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--columns-per-weight 0: a weight takes 2 columns",
        ));
    memsnn()
        .args(["map", "no/such/netlist.ron"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no/such/netlist.ron"));
    // Writing into a missing folder fails cleanly.
    memsnn()
        .args(["map", "--svg", "/nonexistent-dir/p.svg"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("/nonexistent-dir does not exist"));
}

#[test]
fn netlist_chip_file_resolves_against_the_netlist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("chips")).unwrap();
    std::fs::copy(data("chips/medium.ron"), dir.path().join("chips/c.ron")).unwrap();
    let net = dir.path().join("net.ron");
    let nir = root().join("netlists/mnist-mlp/model.nir");
    std::fs::write(
        &net,
        format!(
            "(network: Nir({:?}), chip: Some(\"chips/c.ron\"))",
            nir.display().to_string()
        ),
    )
    .unwrap();
    memsnn()
        .arg("map")
        .arg(&net)
        .assert()
        .success()
        .stdout(predicate::str::contains("chip medium: 12 × 12 mesh"));
}
