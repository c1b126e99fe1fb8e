//! A sweep point and `memsnn emulate` with the same configuration and seed give identical
//! accuracy — in ideal mode, and in chip mode with float and with fixed-point neurons (chosen
//! by `neurons` or by the chip's `fixed_point_neurons`, which a sweep honours). Every sweep
//! option changes the sweep's outputs or is refused; two sweeps on one folder never lose a
//! unit.

mod common;
use common::memsnn;

use serde_json::Value;
use std::path::Path;

/// Run a sweep and return its records (`results.jsonl`).
fn sweep(out: &Path, args: &[&str]) -> Vec<Value> {
    let o = memsnn()
        .arg("sweep")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "sweep {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    records(out)
}

fn records(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The accuracies `memsnn emulate ARGS` reports: the ideal accuracy, or the per-trial
/// accuracies at the first time.
fn emulate(dir: &Path, args: &[String]) -> Vec<f64> {
    let r = dir.join("r.json");
    let o = memsnn()
        .arg("emulate")
        .args(args)
        .arg("--report")
        .arg(&r)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "emulate {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    match v["mode"].as_str().unwrap() {
        "ideal" => vec![v["accuracy"].as_f64().unwrap()],
        _ => v["results"][0]["accuracy"]["trials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap())
            .collect(),
    }
}

/// The point's accuracies, trial by trial.
fn point(recs: &[Value], k: u64) -> Vec<f64> {
    let mut v: Vec<(u64, f64)> = recs
        .iter()
        .filter(|r| r["point"] == k)
        .map(|r| {
            (
                r["trial"].as_u64().unwrap(),
                r["accuracy"].as_f64().unwrap(),
            )
        })
        .collect();
    v.sort_by_key(|p| p.0);
    v.into_iter().map(|p| p.1).collect()
}

fn seed(recs: &[Value], k: u64) -> String {
    recs.iter().find(|r| r["point"] == k).unwrap()["seed"].to_string()
}

const COMMON: [&str; 8] = [
    "--set",
    "time=1d",
    "--samples",
    "60",
    "--trials",
    "2",
    "--threads",
    "2",
];

#[test]
fn chip_sweep_points_equal_emulate_with_float_and_fixed_point_neurons() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("neurons");
    let mut args = vec![
        "netlists/mnist-mlp/netlist.ron",
        "--param",
        "neurons=float,loihi-fixed",
    ];
    args.extend(COMMON);
    let recs = sweep(&out, &args);
    assert_eq!(recs.len(), 4);
    for (k, neurons) in [(0, "float"), (1, "loihi-fixed")] {
        let want = point(&recs, k);
        let got = emulate(
            tmp.path(),
            &[
                "--samples",
                "60",
                "--trials",
                "2",
                "--time",
                "1d",
                "--seed",
                &seed(&recs, k),
                "--neurons",
                neurons,
            ]
            .map(String::from),
        );
        assert_eq!(got, want, "point {k} ({neurons})");
    }
    assert_ne!(
        point(&recs, 0),
        point(&recs, 1),
        "the neuron model changes the result"
    );

    // The chip's own flag is honoured by a sweep (it used to be recorded and ignored).
    let out = tmp.path().join("flag");
    let mut args = vec![
        "netlists/mnist-mlp/netlist.ron",
        "--param",
        "chip.fixed_point_neurons=false,true",
    ];
    args.extend(COMMON);
    let flag = sweep(&out, &args);
    let got = emulate(
        tmp.path(),
        &[
            "--samples",
            "60",
            "--trials",
            "2",
            "--time",
            "1d",
            "--seed",
            &seed(&flag, 1),
            "--neurons",
            "loihi-fixed",
        ]
        .map(String::from),
    );
    assert_eq!(got, point(&flag, 1));
    assert_ne!(point(&flag, 0), point(&flag, 1));
}

#[test]
fn ideal_sweep_points_equal_emulate() {
    let tmp = tempfile::tempdir().unwrap();
    // `--encoding poisson` on the command line is 1000 Hz: the sweep sets the same rate.
    let recs = sweep(
        &tmp.path().join("ideal2"),
        &[
            "netlists/mnist-mlp/netlist.ron",
            "--set",
            "mode=ideal",
            "--set",
            "encoding={\"Poisson\":{\"max_rate\":1000.0}}",
            "--param",
            "timesteps=10,25",
            "--samples",
            "80",
            "--trials",
            "1",
        ],
    );
    for (k, t) in [(0, "10"), (1, "25")] {
        let got = emulate(
            tmp.path(),
            &[
                "--ideal",
                "--samples",
                "80",
                "--timesteps",
                t,
                "--encoding",
                "poisson",
                "--seed",
                &seed(&recs, k),
            ]
            .map(String::from),
        );
        assert_eq!(got, point(&recs, k), "point {k}");
    }
}

#[test]
fn every_sweep_option_changes_the_outputs_or_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let small = [
        "netlists/mnist-mlp/netlist.ron",
        "--set",
        "time=1s",
        "--set",
        "crossbar.r_wire=0",
        "--param",
        "device.levels=2,8",
    ];
    let defaults = [["--samples", "20"], ["--trials", "1"]];
    // `small`, the defaults `extra` does not replace, and `extra`.
    let with = |extra: &[&str]| -> Vec<String> {
        let kept = defaults.iter().filter(|d| !extra.contains(&d[0])).flatten();
        small
            .iter()
            .chain(kept)
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |name: &str, extra: &[&str]| {
        let a = with(extra);
        sweep(&d(name), &a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let base = run("base", &[]);
    assert_eq!(base.len(), 2);
    assert_eq!(run("trials", &["--trials", "2"]).len(), 4);
    assert_ne!(seed(&run("seed", &["--seed", "5"]), 0), seed(&base, 0));
    assert_eq!(run("samples", &["--samples", "10"])[0]["samples"], 10);
    let set = run("set", &["--set", "chip.core.rows=64"]);
    assert_eq!(set[0]["config"]["chip"]["core"]["rows"], 64);
    assert_eq!(
        run("param", &["--param", "compensation=None,Global"]).len(),
        4
    );
    let shard = run("shard", &["--shard", "1/2"]);
    assert_eq!(shard.len(), 1);
    assert_eq!(shard[0]["point"], 1);
    let limited = run("limit", &["--limit", "1"]);
    assert_eq!(limited.len(), 1);
    // --threads leaves the results as they are.
    let t1 = run("threads", &["--threads", "1"]);
    assert_eq!(t1, base);
    let plot = d("p.svg");
    run("plot", &["--plot", plot.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    // A spec plus --param adds an axis to the spec's grid.
    let spec = sweep(
        &d("spec"),
        &[
            "netlists/sweeps/noise-levels.ron",
            "--param",
            "compensation=None,Global",
            "--samples",
            "5",
            "--trials",
            "1",
        ],
    );
    assert_eq!(spec.len(), 32);
    // --list-paths prints paths and runs nothing.
    let o = memsnn().args(["sweep", "--list-paths"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && text.contains("chip.core.rows = "),
        "{text}"
    );
    // Refused: the same path on two axes, several times in a point, ideal mode with a chip
    // path, zero or too many threads, a grid too large.
    for (extra, needle) in [
        (vec!["--param", "device.levels=4,16"], "two grid axes"),
        (vec!["--set", "times=[\"1s\",\"1d\"]"], "runs one"),
        (vec!["--set", "mode=ideal"], "ideal mode"),
        (vec!["--threads", "0"], "threads"),
        (vec!["--param", "trials=1,2"], "--trials"),
        (vec!["--set", "seed=3"], "--seed"),
        (vec!["--threads", "100000"], "threads"),
        (
            vec![
                "--param",
                "timesteps=1,2,3,4,5,6,7,8,9,10",
                "--param",
                "dt=1,2,3,4,5,6,7,8,9,10",
                "--param",
                "crossbar.r_wire=1,2,3,4,5,6,7,8,9,10",
                "--param",
                "chip.core.cols=1,2,3,4,5,6,7,8,9,10",
                "--param",
                "crossbar.v_read=1,2,3,4,5,6,7,8,9,10",
                "--param",
                "chip.core.rows=1,2,3,4,5,6,7,8,9,10,11",
            ],
            "limit",
        ),
    ] {
        let a = with(&extra);
        let o = memsnn()
            .arg("sweep")
            .args(&a)
            .arg("--out")
            .arg(d("refused"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}

#[test]
fn two_sweeps_on_one_folder_never_lose_a_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shared-out");
    let args = [
        "sweep",
        "netlists/mnist-mlp/netlist.ron",
        "--set",
        "time=1s",
        "--set",
        "crossbar.r_wire=0",
        "--param",
        "device.levels=2,3,4,5,6,8",
        "--samples",
        "100",
        "--trials",
        "2",
        "--threads",
        "1",
    ];
    let spawn = |wait: bool| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("memsnn"));
        c.current_dir(common::root())
            .args(args)
            .arg("--out")
            .arg(&out);
        if wait {
            c.arg("--wait");
        }
        c.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Without --wait the second is refused while the first holds the folder, or finds the
    // work done; with --wait it waits and finds nothing left to do. Either way nothing is lost.
    let a = spawn(false);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let b = spawn(false).wait_with_output().unwrap();
    let c = spawn(true).wait_with_output().unwrap();
    let a = a.wait_with_output().unwrap();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    if !b.status.success() {
        let err = String::from_utf8_lossy(&b.stderr);
        assert!(err.contains("another memsnn sweep"), "{err}");
    }
    let recs = records(&out);
    let mut units: Vec<(u64, u64)> = recs
        .iter()
        .map(|r| (r["point"].as_u64().unwrap(), r["trial"].as_u64().unwrap()))
        .collect();
    units.sort();
    units.dedup();
    assert_eq!(units.len(), 12, "{units:?}");
    assert_eq!(recs.len(), 12);
}
