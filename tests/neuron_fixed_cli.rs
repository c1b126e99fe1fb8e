//! `memsnn emulate --neurons float|loihi-fixed`: on a chip the option overrides the chip's `fixed_point_neurons` flag (a chip file with the flag set runs fixed-point by default), the table and the JSON report record the model that ran; in ideal mode it runs the fixed-point neurons on ideal synapses; unknown models are rejected with a clear message, non-zero exit and no report.

mod common;
use common::memsnn;

use predicates::prelude::*;

/// Run a small chip emulation and return whether the report's `neurons` (the model that ran)
/// is fixed-point.
fn fixed_flag(extra: &[&str], stdout_has: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.json");
    let mut args = vec![
        "emulate",
        "--device",
        "ideal",
        "--samples",
        "100",
        "--trials",
        "1",
        "--time",
        "1s",
        "--r-wire",
        "0",
        "--report",
        r.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    memsnn()
        .args(&args)
        .assert()
        .success()
        .stdout(predicate::str::contains(stdout_has));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    v["neurons"] == "loihi-fixed"
}

#[test]
fn option_and_chip_flag_select_the_neuron_model_and_the_report_records_it() {
    assert!(!fixed_flag(&[], "neurons   float"));
    assert!(fixed_flag(
        &["--neurons", "loihi-fixed"],
        "neurons   loihi-fixed"
    ));
    // A chip file with the flag set runs fixed-point neurons unless the option says float.
    let dir = tempfile::tempdir().unwrap();
    let chip = dir.path().join("loihi-fixed.ron");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/chips/loihi.ron"),
    )
    .unwrap()
    .replace("fixed_point_neurons: false", "fixed_point_neurons: true");
    std::fs::write(&chip, text).unwrap();
    let c = chip.to_str().unwrap();
    assert!(fixed_flag(&["--chip", c], "neurons   loihi-fixed"));
    assert!(!fixed_flag(
        &["--chip", c, "--neurons", "float"],
        "neurons   float"
    ));
}

#[test]
fn ideal_mode_runs_fixed_point_neurons_and_unknown_models_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.json");
    memsnn()
        .args([
            "emulate",
            "--ideal",
            "--samples",
            "50",
            "--neurons",
            "loihi-fixed",
            "--report",
        ])
        .arg(&r)
        .assert()
        .success()
        .stdout(predicate::str::contains("neurons      loihi-fixed"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    assert_eq!(v["mode"], "ideal");
    assert_eq!(v["neurons"], "loihi-fixed");
    std::fs::remove_file(&r).unwrap();
    for (args, needle) in [
        (vec!["--neurons", "int8"], "loihi-fixed"),
        (vec!["--ideal", "--neurons", "int8"], "loihi-fixed"),
    ] {
        let mut all = vec![
            "emulate",
            "--samples",
            "10",
            "--report",
            r.to_str().unwrap(),
        ];
        all.extend(args);
        let out = memsnn().args(&all).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(!err.contains("panicked") && err.contains("error"), "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(!r.exists());
    }
}
