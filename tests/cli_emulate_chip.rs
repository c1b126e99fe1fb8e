//! `memsnn emulate` on a chip: runs the bundled netlist's chip with no arguments, prints ideal and chip accuracy, attribution, resources, energy and latency, writes a JSON report holding them and the resolved configuration; rejects unknown chips, bad device cards, bad times and bad options with a clear message, non-zero exit, no panic and no report file.

mod common;
use common::memsnn;

use assert_cmd::Command;
use predicates::prelude::*;

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
fn no_arguments_runs_the_bundled_mlp_on_its_chip() {
    memsnn()
        .args([
            "emulate",
            "--samples",
            "200",
            "--trials",
            "2",
            "--r-wire",
            "0",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("chip mode"))
        .stdout(predicate::str::contains("chip      loihi"))
        .stdout(predicate::str::contains("device    pcm"))
        .stdout(predicate::str::contains("ideal (software) accuracy"))
        .stdout(predicate::str::contains("1y"))
        .stdout(predicate::str::contains("cores     2 of 128"))
        .stdout(predicate::str::contains("J per inference"));
}

#[test]
fn report_holds_results_attribution_resources_and_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.json");
    memsnn()
        .args([
            "emulate",
            "netlists/mnist-mlp/netlist.ron",
            "--chip",
            "truenorth",
            "--device",
            "pcm",
            "--time",
            "1s,1d",
            "--trials",
            "2",
            "--samples",
            "100",
            "--levels",
            "16",
            "--adc-bits",
            "6",
            "--compensation",
            "global",
            "--attribution",
            "--seed",
            "4",
            "--report",
        ])
        .arg(&r)
        .assert()
        .success()
        .stdout(predicate::str::contains("attribution at t = 86400 s"))
        .stdout(predicate::str::contains("programming noise & faults"))
        .stdout(predicate::str::contains("chip timing"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&r).unwrap()).unwrap();
    assert_eq!(v["mode"], "chip");
    assert_eq!(v["samples"], 100);
    assert_eq!(v["config"]["chip"]["name"], "truenorth");
    assert_eq!(v["config"]["card"], "pcm");
    assert_eq!(v["config"]["seed"], 4);
    assert_eq!(v["config"]["compensation"], "Global");
    assert_eq!(v["config"]["crossbar"]["adc_bits"], 6);
    assert_eq!(v["config"]["device"]["levels"]["Uniform"], 16);
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert_eq!(v["results"][1]["time"]["seconds"], 86400.0);
    assert_eq!(
        v["results"][0]["accuracy"]["trials"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let stages = v["attribution"].as_array().unwrap();
    assert_eq!(stages.len(), 8);
    assert_eq!(stages[0]["stage"], "ideal");
    // The ideal stage equals the software network.
    assert_eq!(stages[0]["accuracy"]["mean"], v["ideal_accuracy"]);
    // The last stage is the full chip at the attribution time (the last listed time).
    assert_eq!(
        stages[7]["accuracy"]["mean"],
        v["results"][1]["accuracy"]["mean"]
    );
    // truenorth: 784 inputs over 4 row blocks + the output layer.
    assert_eq!(v["resources"]["cores"], 5);
    assert!(v["per_inference"]["energy"].as_f64().unwrap() > 0.0);
    assert!(v["per_inference"]["latency"].as_f64().unwrap() > 0.0);
    assert!(v["per_inference"]["packets"].as_f64().unwrap() > 0.0);
    assert!(v["energy_breakdown"]["total"].as_f64().unwrap() > 0.0);
    assert_eq!(v["counters"]["samples"], 100);
}

#[test]
fn same_seed_gives_the_same_report_and_ideal_flag_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for (p, threads) in [(&a, "1"), (&b, "2")] {
        memsnn()
            .args([
                "emulate",
                "--samples",
                "100",
                "--trials",
                "2",
                "--time",
                "1h",
                "--threads",
                threads,
                "--report",
            ])
            .arg(p)
            .assert()
            .success();
    }
    // Every field but `measured` (wall-clock set-up time and peak memory) is reproducible.
    let report = |p: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        assert!(v["measured"]["setup_seconds"].as_f64().unwrap() > 0.0);
        v.as_object_mut().unwrap().remove("measured");
        v
    };
    assert_eq!(report(&a), report(&b));
    memsnn()
        .args(["emulate", "--ideal", "--samples", "100"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ideal mode"));
}

#[test]
fn bad_chip_device_time_and_options_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.json");
    let base = || {
        let mut c = memsnn();
        c.args(["emulate", "--samples", "20", "--trials", "1", "--report"])
            .arg(&r);
        c
    };
    fails(
        base().args(["--chip", "spinnaker"]),
        &["unknown chip `spinnaker`", "truenorth"],
    );
    fails(base().args(["--device", "unobtainium"]), &["unobtainium"]);
    let card = dir.path().join("bad.ron");
    std::fs::write(
        &card,
        "(version: 1, name: \"bad\", statistics: (g_min: 2e-5, g_max: 1e-5))",
    )
    .unwrap();
    fails(base().arg("--device").arg(&card), &["bad.ron", "g_max"]);
    fails(
        base().args(["--time", "1fortnight"]),
        &["--time", "bad time `1fortnight`"],
    );
    fails(base().args(["--time=-1s"]), &["bad time `-1s`"]);
    fails(base().args(["--r-wire=-2"]), &["--r-wire"]);
    fails(
        memsnn().args(["emulate", "--samples", "20", "--trials", "0"]),
        &["--trials must be at least 1"],
    );
    fails(
        base().args(["--levels", "1"]),
        &["--levels must be at least 2"],
    );
    fails(base().args(["--adc-bits", "40"]), &["--adc-bits", "2..=24"]);
    fails(
        base().args(["--compensation", "magic"]),
        &["unknown compensation `magic`"],
    );
    fails(
        base().args(["--ideal", "--chip", "loihi"]),
        &["cannot be used with"],
    );
    assert!(!r.exists(), "a failed run must not leave a report");
}

#[test]
fn chip_and_card_files_named_by_a_netlist_resolve_against_its_folder() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/mnist-mlp");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("hw")).unwrap();
    std::fs::write(
        dir.path().join("hw/tiny.ron"),
        "(version: 1, name: \"tiny\", core: (rows: 256, cols: 256, neurons: 256), mesh: (width: 4, height: 4))",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("hw/card.ron"),
        "(version: 1, name: \"card\", statistics: (g_max: 25e-6, programming: Proportional(frac: 0.05)))",
    )
    .unwrap();
    let netlist = dir.path().join("net.ron");
    std::fs::write(
        &netlist,
        format!(
            "(network: Nir({:?}), chip: Some(\"hw/tiny.ron\"), device: Some(\"hw/card.ron\"), times: Some([\"1h\"]), trials: Some(2),\n\
             dataset: Some((images: {:?}, labels: {:?}, samples: Some(100))))",
            root.join("model.nir"),
            root.join("data/test-images-idx3-ubyte.gz"),
            root.join("data/test-labels-idx1-ubyte.gz"),
        ),
    )
    .unwrap();
    memsnn()
        .arg("emulate")
        .arg(&netlist)
        .assert()
        .success()
        .stdout(predicate::str::contains("chip      tiny"))
        .stdout(predicate::str::contains("device    card"))
        .stdout(predicate::str::contains("cores     5 of 16"));
}
