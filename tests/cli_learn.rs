//! Contract: `memsnn learn` trains the bundled Diehl & Cook network on a subset and writes the
//! report, weights (.npy), receptive-field picture and checkpoint; `--resume` continues it;
//! `memsnn device pulses` writes the pulse-response CSV and plot; bad input gives one `error:`
//! line naming the file/option, field and reason, exit 1, and no output.

use assert_cmd::Command;
use ndarray::Array2;
use ndarray_npy::read_npy;
use predicates::prelude::*;

fn memsnn() -> Command {
    Command::cargo_bin("memsnn").unwrap()
}

#[test]
fn learn_writes_report_weights_fields_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let report = dir.path().join("r.json");
    memsnn()
        .args([
            "learn",
            "--train",
            "200",
            "--test",
            "100",
            "--neurons",
            "16",
        ])
        .args(["--eval-every", "100", "--out"])
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .assert()
        .success()
        .stdout(predicate::str::contains("accuracy"));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let acc = r["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc));
    assert_eq!(r["curve"].as_array().unwrap().len(), 2);
    let w: Array2<f32> = read_npy(out.join("weights.npy")).unwrap();
    assert_eq!(w.dim(), (784, 16));
    let png = std::fs::read(out.join("fields.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(out.join("checkpoint.json").exists());
    // Resuming a finished run changes nothing and reports the same accuracy.
    memsnn()
        .args([
            "learn",
            "--train",
            "200",
            "--test",
            "100",
            "--neurons",
            "16",
        ])
        .args(["--eval-every", "100", "--resume", "--out"])
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let r2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r2["accuracy"], r["accuracy"]);
    let w2: Array2<f32> = read_npy(out.join("weights.npy")).unwrap();
    assert_eq!(w, w2);
}

#[test]
fn learn_rejects_bad_input_with_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    memsnn()
        .args(["learn", "--rule", "oja", "--out"])
        .arg(dir.path().join("a"))
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::starts_with("error: --rule oja"));
    memsnn()
        .args([
            "learn", "--device", "hp-tio2", "--train", "10", "--test", "10", "--out",
        ])
        .arg(dir.path().join("b"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("field `pulse`"));
    let bad = dir.path().join("bad.ron");
    std::fs::write(
        &bad,
        "(version: 1, timing: (dt: 0.5e-3, t_present: 0.35), exc: (tau: 1e-4))",
    )
    .unwrap();
    memsnn()
        .arg("learn")
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("c"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.ron").and(predicate::str::contains("exc.tau")));
    assert!(!dir.path().join("c").join("report.json").exists());
}

#[test]
fn device_pulses_writes_the_response_and_rejects_cards_without_a_law() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("p.csv");
    let png = dir.path().join("p.png");
    memsnn()
        .args([
            "device",
            "pulses",
            "reram-pulse",
            "--up",
            "97",
            "--down",
            "100",
            "--csv",
        ])
        .arg(&csv)
        .arg("--out")
        .arg(&png)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "pulse,direction,w,conductance_s");
    assert_eq!(rows.len(), 1 + 1 + 197);
    assert!(rows[1].starts_with("0,up,0,"));
    memsnn()
        .args(["device", "pulses", "vteam", "--csv"])
        .arg(dir.path().join("q.csv"))
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("field `pulse`"));
    assert!(!dir.path().join("q.csv").exists());
}
