//! Contract: `memsnn device stats CARD --targets … --times … [--n N] [--seed S]` prints JSON with
//! per-target, per-time mean/std of the conductance and mean/std of ν that match the PCM closed
//! forms, is reproducible for a seed, and rejects bad input (zero levels, inconsistent
//! statistics block, non-finite or out-of-range targets, bad times, unknown card) with a clear
//! error and a non-zero exit, never a panic.

use assert_cmd::Command;
use std::io::Write;

fn memsnn() -> Command {
    Command::cargo_bin("memsnn").unwrap()
}

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = memsnn()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn pcm_stats_match_closed_forms_and_are_reproducible() {
    let args = [
        "device",
        "stats",
        "pcm",
        "--targets",
        "2.5e-6,25e-6",
        "--times",
        "0,3600",
        "--n",
        "40000",
        "--seed",
        "7",
    ];
    let v = run_json(&args);
    assert_eq!(v["card"], "pcm");
    assert_eq!(v["n"], 40000);
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 2);
    // σ_prog = 0.26348 + 1.9650·ĝ − 1.1731·ĝ² µS at ĝ = 0.1 and 1 (3 % at n = 40,000).
    for (k, gh) in [0.1f64, 1.0].into_iter().enumerate() {
        let sp = (0.26348 + 1.9650 * gh - 1.1731 * gh * gh) * 1e-6;
        let s = r[k]["g_prog_std"].as_f64().unwrap();
        assert!((s / sp - 1.0).abs() < 0.03, "{s} vs {sp}");
        assert_eq!(r[k]["target"].as_f64().unwrap(), gh * 25e-6);
        assert_eq!(r[k]["times"].as_array().unwrap().len(), 2);
    }
    // ĝ = 1: ν = |N(0.049, 0.008)|, practically N(0.049, 0.008).
    let nu = r[1]["nu_mean"].as_f64().unwrap();
    assert!((nu / 0.049 - 1.0).abs() < 0.01, "{nu}");
    // Drift lowers the mean conductance between t = 0 and 1 h.
    let t = r[1]["times"].as_array().unwrap();
    assert!(t[1]["mean"].as_f64().unwrap() < t[0]["mean"].as_f64().unwrap());
    // Same seed, same output; another seed, another output.
    assert_eq!(run_json(&args), v);
    let mut other = args;
    other[10] = "8";
    assert_ne!(run_json(&other)["results"], v["results"]);
}

fn card_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".ron").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn fails(args: &[&str], needles: &[&str]) {
    let a = memsnn().args(args).assert().failure();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "missing `{n}` in: {err}");
    }
    assert!(
        a.get_output().stdout.is_empty(),
        "no partial output on error"
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let ok = ["--times", "1", "--n", "100"];
    let zero = card_file("(version: 1, statistics: (levels: Uniform(0)))");
    let zp = zero.path().to_str().unwrap();
    fails(
        &[&["device", "stats", zp, "--targets", "1e-6"], &ok[..]].concat(),
        &[zp, "statistics.levels.Uniform", "at least 2 levels"],
    );
    let incons = card_file("(version: 1, statistics: (g_min: 5e-5, g_max: 1e-5))");
    let ip = incons.path().to_str().unwrap();
    fails(
        &[&["device", "stats", ip, "--targets", "1e-6"], &ok[..]].concat(),
        &[ip, "statistics.g_max", "must be < g_max"],
    );
    for bad in ["nan", "inf", "-1e-6", "1"] {
        fails(
            &[
                &[
                    "device",
                    "stats",
                    "pcm",
                    "--targets",
                    &format!("1e-6,{bad}"),
                ],
                &ok[..],
            ]
            .concat(),
            &["--targets[1]", "range"],
        );
    }
    fails(
        &[
            "device",
            "stats",
            "pcm",
            "--targets",
            "1e-6",
            "--times",
            "1,-5",
            "--n",
            "100",
        ],
        &["--times[1]", "-5"],
    );
    fails(
        &[
            "device",
            "stats",
            "pcm",
            "--targets",
            "1e-6",
            "--times",
            "1",
            "--n",
            "1",
        ],
        &["--n", "at least 2"],
    );
    fails(
        &["device", "stats", "pcm", "--targets", "abc", "--times", "1"],
        &["--targets", "abc"],
    );
    fails(
        &[
            "device",
            "stats",
            "no-such-card",
            "--targets",
            "1e-6",
            "--times",
            "1",
        ],
        &["unknown device", "pcm"],
    );
}
