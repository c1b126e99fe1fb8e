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
