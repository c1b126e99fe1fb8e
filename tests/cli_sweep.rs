//! `memsnn sweep` and `memsnn merge` on the command line: a small inline sweep writes CSV,
//! JSON lines and a plot and resumes without recomputing; an unknown path lists the closest
//! valid paths; a wrongly typed value names the path and the expected type; a spec with an
//! unknown field names the file and field; bad shards are refused — all exiting non-zero.

use assert_cmd::Command;
use predicates::prelude::*;

fn memsnn() -> Command {
    Command::cargo_bin("memsnn").unwrap()
}

const SMALL: &[&str] = &[
    "sweep",
    "netlists/mnist-mlp/netlist.ron",
    "--set",
    "time=1s",
    "--set",
    "crossbar.r_wire=0",
    "--set",
    "timesteps=3",
    "--param",
    "device.levels=2,8",
    "--trials",
    "2",
    "--samples",
    "4",
    "--threads",
    "2",
];

#[test]
fn inline_sweep_writes_results_plot_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    memsnn()
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("0 already done, 4 computed"))
        .stdout(predicate::str::contains("plot:"));
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "point,trial,seed,device.levels,accuracy,samples");
    assert_eq!(lines.len(), 5);
    assert!(
        lines[1].starts_with("0,0,") && lines[4].starts_with("1,1,"),
        "{csv}"
    );
    let svg = std::fs::read_to_string(out.join("plot.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("device.levels"));
    memsnn()
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("4 already done, 0 computed"));
    assert_eq!(
        std::fs::read_to_string(out.join("results.csv")).unwrap(),
        csv
    );
}

#[test]
fn unknown_path_lists_closest_valid_paths() {
    memsnn()
        .args(["sweep", "--param", "crossbar.r_wires=0,1", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "unknown parameter path `crossbar.r_wires`; closest valid paths: crossbar.r_wire",
        ));
}

#[test]
fn wrong_type_names_path_and_expected_type() {
    memsnn()
        .args(["sweep", "--param", "chip.core.rows=64,lots", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "parameter `chip.core.rows` = \"lots\": expected an integer",
        ));
    memsnn()
        .args(["sweep", "--param", "effects.drift=1", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("`effects.drift`").and(predicate::str::contains("a boolean")),
        );
}

#[test]
fn spec_with_unknown_field_names_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("spec.ron");
    std::fs::write(&p, "(netlist: \"x.ron\", gird: [])").unwrap();
    memsnn()
        .arg("sweep")
        .arg(&p)
        .assert()
        .failure()
        .stderr(predicate::str::contains("spec.ron").and(predicate::str::contains("gird")));
}

#[test]
fn bad_shard_is_refused() {
    memsnn()
        .args(["sweep", "--param", "device.levels=2", "--shard", "3/3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad shard `3/3`"));
}

#[test]
fn merge_of_a_folder_without_manifest_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    memsnn()
        .arg("merge")
        .arg(tmp.path())
        .arg("--out")
        .arg(tmp.path().join("m"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("sweep.json"));
}

/// A sweep big enough to be killed half-way (40 units).
fn killable(out: &std::path::Path) -> Vec<std::ffi::OsString> {
    let mut a: Vec<std::ffi::OsString> = [
        "sweep",
        "netlists/mnist-mlp/netlist.ron",
        "--set",
        "time=1s",
        "--set",
        "crossbar.r_wire=0",
        "--param",
        "device.levels=2,3,4,5,6,8,12,16,24,32",
        "--param",
        "compensation=None,Global",
        "--trials",
        "2",
        "--samples",
        "200",
        "--threads",
        "2",
        "--out",
    ]
    .map(Into::into)
    .to_vec();
    a.push(out.as_os_str().to_owned());
    a
}

#[test]
fn killed_sweep_resumes_computing_only_missing_units() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    memsnn().args(killable(&full)).assert().success();
    let reference = std::fs::read_to_string(full.join("results.jsonl")).unwrap();
    assert_eq!(reference.lines().count(), 40);

    let part = tmp.path().join("part");
    let bin = assert_cmd::cargo::cargo_bin("memsnn");
    let mut child = std::process::Command::new(bin)
        .args(killable(&part))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rows = |p: &std::path::Path| {
        std::fs::read_to_string(p.join("results.jsonl"))
            .map(|t| t.matches('\n').count())
            .unwrap_or(0)
    };
    while rows(&part) < 6 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep finished before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = rows(&part);
    assert!((6..40).contains(&done), "{done} rows when killed");
    memsnn()
        .args(killable(&part))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{done} already done, {} computed",
            40 - done
        )));
    assert_eq!(
        std::fs::read_to_string(part.join("results.jsonl")).unwrap(),
        reference
    );
    assert_eq!(
        std::fs::read(part.join("results.csv")).unwrap(),
        std::fs::read(full.join("results.csv")).unwrap()
    );
}

#[test]
fn shards_merged_on_the_command_line_equal_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    memsnn()
        .args(SMALL)
        .arg("--out")
        .arg(&full)
        .assert()
        .success();
    let mut merge = memsnn();
    merge.arg("merge");
    for i in 0..3 {
        let d = tmp.path().join(format!("s{i}"));
        memsnn()
            .args(SMALL)
            .args(["--shard", &format!("{i}/3"), "--out"])
            .arg(&d)
            .assert()
            .success();
        merge.arg(&d);
    }
    let m = tmp.path().join("merged");
    merge
        .arg("--out")
        .arg(&m)
        .assert()
        .success()
        .stdout(predicate::str::contains("4 point × trial results"));
    for f in ["results.jsonl", "results.csv", "sweep.json"] {
        assert_eq!(
            std::fs::read(m.join(f)).unwrap(),
            std::fs::read(full.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn example_specs_parse_list_paths_and_run() {
    memsnn()
        .args(["sweep", "netlists/sweeps/noise-levels.ron", "--list-paths"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "device.programming.Proportional.frac = 0.0",
        ))
        .stdout(predicate::str::contains("chip.core.rows = 4096"));
    for spec in ["noise-levels", "time-compensation", "rows-wire"] {
        let tmp = tempfile::tempdir().unwrap();
        memsnn()
            .args(["sweep", &format!("netlists/sweeps/{spec}.ron")])
            .args([
                "--samples",
                "3",
                "--set",
                "timesteps=2",
                "--limit",
                "2",
                "--out",
            ])
            .arg(tmp.path())
            .assert()
            .success()
            .stdout(predicate::str::contains("0 already done, 2 computed"))
            .stdout(predicate::str::contains("incomplete"));
    }
}

#[test]
fn resumed_sweep_refuses_a_tampered_accuracy() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    memsnn()
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let p = out.join("results.jsonl");
    let text = std::fs::read_to_string(&p).unwrap();
    let first = text.lines().next().unwrap();
    let mut v: serde_json::Value = serde_json::from_str(first).unwrap();
    v["accuracy"] = serde_json::json!(7.5);
    std::fs::write(&p, text.replacen(first, &v.to_string(), 1)).unwrap();
    memsnn()
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("accuracy 7.5 over 4 samples"));
}
