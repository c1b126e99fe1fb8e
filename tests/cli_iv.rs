//! `memsnn iv` through the binary: good runs write a plot and a CSV with the documented columns
//! and print loop areas; bad cards and arguments fail with a message naming the file, the field
//! and the reason, a non-zero exit, no panic and no output file.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn memsnn() -> Command {
    Command::cargo_bin("memsnn").unwrap()
}

#[test]
fn builtin_card_writes_plot_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("hp.svg");
    let csv = dir.path().join("hp.csv");
    memsnn()
        .args(["iv", "hp-tio2", "--freq", "1,10", "--cycles", "1", "--out"])
        .arg(&svg)
        .arg("--csv")
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("loop area"))
        .stdout(predicate::str::contains("1 Hz"))
        .stdout(predicate::str::contains("10 Hz"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg") && text.contains("Voltage v (V)") && text.contains("10 Hz"));
    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("freq_hz,t_s,v_v,i_a,x"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 2 * 1001);
    // Ohm's law of the HP model at every sample: i = v / (R_on x + R_off (1 − x)).
    for r in &rows {
        let (v, i, x) = (r[2], r[3], r[4]);
        let expect = v / (100.0 * x + 16e3 * (1.0 - x));
        assert!(
            (i - expect).abs() <= 1e-12 * expect.abs().max(1e-12),
            "{r:?}"
        );
    }
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn png_output_and_triangle_drive() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("y.png");
    memsnn()
        .args([
            "iv",
            "yakopcic",
            "--waveform",
            "triangle",
            "--cycles",
            "1",
            "--out",
        ])
        .arg(&png)
        .assert()
        .success();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

/// Run `iv` on a card with `body` as its model block; expect failure mentioning every needle.
fn bad_card(body: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("bad.ron");
    std::fs::write(&card, format!("(\n    version: 1,\n    {body}\n)\n")).unwrap();
    let out = dir.path().join("out.svg");
    let assert = memsnn()
        .args(["iv"])
        .arg(&card)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.ron"))
        .stderr(predicate::str::contains("panicked").not());
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for n in needles {
        assert!(stderr.contains(n), "missing `{n}` in: {stderr}");
    }
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "stray files"
    );
}

#[test]
fn unknown_field_is_named() {
    bad_card(
        "model: LinearIonDrift((r_on: 100.0, resistance: 5.0)),",
        &["model", "resistance", "Unexpected field"],
    );
}

#[test]
fn r_on_not_below_r_off_is_rejected() {
    bad_card(
        "model: LinearIonDrift((r_on: 16e3, r_off: 100.0)),",
        &["field `model.r_on`", "must be smaller than R_off"],
    );
}

#[test]
fn negative_thickness_is_rejected() {
    bad_card(
        "model: LinearIonDrift((d: -10e-9)),",
        &[
            "field `model.d`",
            "must be a positive finite number (metre)",
        ],
    );
}

#[test]
fn unknown_window_is_named() {
    bad_card(
        "model: LinearIonDrift((window: Hann(p: 2.0))),",
        &["field `model.window`", "Hann", "Joglekar"],
    );
}

#[test]
fn vteam_threshold_sign_is_checked() {
    bad_card(
        "model: Vteam((v_on: 0.2)),",
        &["field `model.v_on`", "negative"],
    );
}

#[test]
fn card_without_model_is_rejected_by_iv() {
    bad_card("name: \"ideal\",", &["field `model`", "no dynamic model"]);
}

#[test]
fn unknown_device_and_missing_file() {
    memsnn()
        .args(["iv", "no-such-device"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown device `no-such-device`"))
        .stderr(predicate::str::contains("hp-tio2"));
    memsnn()
        .args(["iv", "missing/card.ron"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("missing/card.ron"));
}

#[test]
fn bad_arguments_are_rejected_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.svg");
    for (args, needle) in [
        (vec!["--amplitude", "-1"], "--amplitude"),
        (vec!["--freq", "10,0"], "--freq"),
        (vec!["--cycles", "0"], "--cycles"),
    ] {
        memsnn()
            .args(["iv", "hp-tio2"])
            .args(&args)
            .arg("--out")
            .arg(&out)
            .assert()
            .failure()
            .stderr(predicate::str::contains(needle))
            .stderr(predicate::str::contains("panicked").not());
        assert!(!out.exists());
    }
    memsnn()
        .args(["iv", "hp-tio2", "--out"])
        .arg(dir.path().join("plot.jpg"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("unsupported plot format"));
    assert!(!Path::new(&dir.path().join("plot.jpg")).exists());
    // unwritable destinations are named before anything is simulated; the plot is not
    // written when the CSV's place is wrong
    memsnn()
        .args(["iv", "hp-tio2", "--out"])
        .arg(dir.path().join("no/such/dir/plot.svg"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("does not exist"))
        .stderr(predicate::str::contains("no/such/dir/plot.svg"));
    memsnn()
        .args(["iv", "hp-tio2", "--out"])
        .arg(&out)
        .arg("--csv")
        .arg(dir.path().join("no/such/dir/a.csv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no/such/dir/a.csv"));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "stray files"
    );
}
