//! `memsnn import FILE.nir` summarises every fixture (shapes, recurrent edges, counts, JSON), and
//! bad input (truncated, not HDF5, unsupported node, shape mismatch, missing file, implausible
//! --dt) exits non-zero with one `error:` line naming the file and the cause, without panicking.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nir")
        .join(rel)
}

fn memsnn() -> Command {
    Command::cargo_bin("memsnn").unwrap()
}

#[test]
fn mlp_summary_lists_nodes_shapes_and_totals() {
    memsnn()
        .args(["import"])
        .arg(data("fixtures/mlp.nir"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "(NIR 1.0.8): 6 nodes, 5 edges (0 recurrent)",
        ))
        .stdout(predicate::str::contains("[784] -> [128]"))
        .stdout(predicate::str::contains("[128] -> [10]"))
        .stdout(predicate::str::contains("tau=0.001"))
        .stdout(predicate::str::contains(
            "totals: 138 neurons, 101632 synapses, 101632 stored weights",
        ));
}

#[test]
fn braille_summary_marks_the_cycle() {
    memsnn()
        .arg("import")
        .arg(data("fixtures/braille_noDelay_noBias_subtract.nir"))
        .assert()
        .success()
        .stdout(predicate::str::contains("7 edges (1 recurrent)"))
        .stdout(predicate::str::contains(
            "[cycle: recurrent input from lif1.w_rec]",
        ))
        .stdout(predicate::str::contains(
            "lif1.w_rec -> lif1.lif  (recurrent",
        ));
}

#[test]
fn every_fixture_imports() {
    for f in [
        "fixtures/cnn_sinabs.nir",
        "fixtures/braille_noDelay_bias_zero.nir",
        "fixtures/lif_norse.nir",
        "fixtures/lif_rockpool.nir",
        "quirks.nir",
        "conv_zoo.nir",
    ] {
        memsnn().arg("import").arg(data(f)).assert().success();
    }
}

#[test]
fn json_summary_is_machine_readable() {
    let out = memsnn()
        .arg("import")
        .arg(data("fixtures/cnn_sinabs.nir"))
        .args(["--json", "--dt", "1e-3"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nir_version"], "0.2.0");
    assert_eq!(v["dt"], 1e-3_f32 as f64);
    let s = &v["summary"];
    assert_eq!(s["neurons"], 8970);
    assert_eq!(s["recurrent_edges"], 0);
    let conv0 = &s["nodes"][1];
    assert_eq!(conv0["name"], "0");
    assert_eq!(conv0["type"], "Conv2d");
    assert_eq!(conv0["output_shape"], serde_json::json!([16, 16, 16]));
    assert_eq!(conv0["synapses"], 199712);
}

fn fails_naming(file: &str, needles: &[&str]) {
    let path = data(file);
    let assert = memsnn().arg("import").arg(&path).assert().failure().code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&*path.to_string_lossy()), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "missing {n:?} in {stderr}");
    }
    assert!(assert.get_output().stdout.is_empty());
}

#[test]
fn truncated_file_is_reported() {
    fails_naming("truncated.nir", &["truncated or corrupt HDF5 file"]);
}

#[test]
fn non_hdf5_file_is_reported() {
    fails_naming("not_hdf5.nir", &["not an HDF5 file"]);
}

#[test]
fn unsupported_node_type_is_named() {
    fails_naming(
        "unsupported.nir",
        &["node `delay0`", "unsupported type `Delay`"],
    );
}

#[test]
fn shape_mismatch_names_both_nodes_and_shapes() {
    fails_naming(
        "shape_mismatch.nir",
        &[
            "shape mismatch on edge `input` -> `fc1`",
            "[784]",
            "expects [100]",
        ],
    );
}

#[test]
fn missing_parameter_and_missing_file_are_reported() {
    fails_naming(
        "missing_param.nir",
        &["missing parameter `node/nodes/lif/tau`"],
    );
    memsnn()
        .args(["import", "/nonexistent/net.nir"])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(
            "error: cannot read /nonexistent/net.nir",
        ));
}

#[test]
fn time_step_longer_than_tau_is_an_error_naming_node_and_fix() {
    memsnn()
        .arg("import")
        .arg(data("fixtures/lif_norse.nir"))
        .args(["--dt", "5e-3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("node `1`: tau = 2.5e-3 s"))
        .stderr(predicate::str::contains("--dt 2.5e-3"));
    memsnn()
        .arg("import")
        .arg(data("fixtures/lif_norse.nir"))
        .args(["--dt", "1e-4"])
        .assert()
        .success()
        .stdout(predicate::str::contains("warning").not());
}
