//! Every option of `memsnn emulate`, `memsnn map` and `memsnn sweep` either changes the result
//! of a run or is refused with one `error:` line and exit 1 — none is accepted and ignored.
//! (`--threads` is the one option that must leave results unchanged: determinism.)

mod common;
use common::{memsnn, shared};

use serde_json::Value;
use std::path::Path;

/// What a chip or ideal run measured: the report without its configuration and version,
/// plus the spike counts' bytes.
#[derive(Debug, PartialEq)]
struct Outcome {
    report: Value,
    counts: Vec<u8>,
}

/// Run `memsnn emulate ARGS` into `dir` (report and spike counts) and read what it measured.
fn emulate(dir: &Path, args: &[&str]) -> Outcome {
    let (r, c) = (dir.join("r.json"), dir.join("c.npy"));
    let _ = std::fs::remove_file(&r);
    let _ = std::fs::remove_file(&c);
    let out = memsnn()
        .arg("emulate")
        .args(args)
        .arg("--report")
        .arg(&r)
        .arg("--spike-counts")
        .arg(&c)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "emulate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut report: Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    let o = report.as_object_mut().unwrap();
    o.remove("config");
    o.remove("memsnn_version");
    // Wall-clock set-up time and peak memory: not reproducible.
    o.remove("measured");
    Outcome {
        report,
        counts: std::fs::read(&c).unwrap(),
    }
}

/// `memsnn emulate ARGS` must fail with one `error:` line containing `needle`, and write
/// nothing.
fn refused(dir: &Path, args: &[&str], needle: &str) {
    let r = dir.join("refused.json");
    let out = memsnn()
        .arg("emulate")
        .args(args)
        .arg("--report")
        .arg(&r)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("warning:")).collect();
    assert_eq!(lines.len(), 1, "{args:?}: {err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "{args:?}: expected `{needle}` in {err}"
    );
    assert!(!r.exists(), "{args:?} left {}", r.display());
    assert!(!err.contains("panicked"), "{err}");
}

/// The small chip run every emulate option is compared with: the bundled MLP on loihi with
/// pcm and 1 Ω wires, 40 samples, 1 trial, 1 s.
const BASE: [&str; 6] = ["--samples", "40", "--trials", "1", "--time", "1s"];

/// `BASE` with `extra`; an option of `BASE` that `extra` gives again takes `extra`'s value.
fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = Vec::new();
    for pair in BASE.chunks(2) {
        if !extra.contains(&pair[0]) {
            v.extend(pair);
        }
    }
    v.extend(extra);
    v
}

#[test]
fn every_emulate_option_changes_a_chip_run_or_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let base = emulate(d, &BASE);
    assert_eq!(base.report["mode"], "chip");
    let changes = |extra: &[&str], against: &Outcome| {
        let o = emulate(d, &with(extra));
        assert_ne!(&o, against, "{extra:?} changed nothing");
        o
    };
    let mnist_train = shared("data/mnist/train-images-idx3-ubyte.gz");
    let mnist_train_labels = shared("data/mnist/train-labels-idx1-ubyte.gz");
    // Options of a chip run, one at a time.
    for extra in [
        vec!["--chip", "truenorth"],
        vec!["--chips", "2"],
        vec!["--device", "rram-wan"],
        vec!["--time", "1y"],
        vec!["--trials", "2"],
        vec!["--attribution"],
        vec!["--levels", "4"],
        vec!["--adc-bits", "4"],
        vec!["--r-wire", "5"],
        vec!["--no-programming-noise"],
        vec!["--no-read-noise"],
        vec!["--no-wire"],
        vec!["--no-adc"],
        vec!["--same-step"],
        vec!["--neurons", "loihi-fixed"],
        vec!["--timesteps", "10"],
        vec!["--dt", "2e-4"],
        vec!["--reset", "subtract"],
        vec!["--encoding", "poisson"],
        vec!["--samples", "30"],
        vec!["--seed", "1"],
    ] {
        changes(&extra, &base);
    }
    // Options that act on top of another: drift and compensation a year after programming,
    // levels switched off after setting some.
    let year = emulate(d, &with(&["--time", "1y"]));
    changes(&["--time", "1y", "--no-drift"], &year);
    changes(&["--time", "1y", "--compensation", "global"], &year);
    changes(&["--time", "1y", "--compensation", "column"], &year);
    let two = emulate(d, &with(&["--chips", "2"]));
    changes(&["--chips", "2", "--board-shape", "1x2"], &two);
    let four = emulate(d, &with(&["--levels", "4"]));
    changes(&["--levels", "4", "--no-levels"], &four);
    // Data and network options.
    let train = [
        "--data",
        mnist_train.to_str().unwrap(),
        "--labels",
        mnist_train_labels.to_str().unwrap(),
    ];
    changes(&train, &base);
    let cnn = emulate(
        d,
        &[
            "netlists/fashion-cnn/netlist.ron",
            "--samples",
            "20",
            "--trials",
            "1",
            "--time",
            "1s",
        ],
    );
    assert_ne!(cnn.report["resources"], base.report["resources"]);
    let nir = shared("fixtures/snntorch-mnist-mlp/mlp.nir");
    let test_images = shared("data/mnist/test-images-idx3-ubyte.gz");
    let test_labels = shared("data/mnist/test-labels-idx1-ubyte.gz");
    let ideal = emulate(
        d,
        &[
            "--network",
            nir.to_str().unwrap(),
            "--data",
            test_images.to_str().unwrap(),
            "--labels",
            test_labels.to_str().unwrap(),
            "--samples",
            "40",
        ],
    );
    assert_eq!(ideal.report["mode"], "ideal");
    let ideal_default = emulate(d, &["--ideal", "--samples", "40"]);
    assert_eq!(ideal_default.report["mode"], "ideal");
    // --threads must not change anything; bad values are refused.
    assert_eq!(emulate(d, &with(&["--threads", "1"])), base);
    refused(d, &with(&["--threads", "0"]), "threads");
    refused(d, &with(&["--threads", "100000"]), "threads");
    // Bad values are refused naming the option or field.
    refused(d, &with(&["--levels", "1"]), "--levels");
    refused(d, &with(&["--time", "soon"]), "--time");
    refused(d, &with(&["--chip", "nochip"]), "--chip");
    refused(d, &with(&["--device", "nodevice"]), "--device");
    refused(d, &with(&["--adc-bits", "1"]), "adc");
    refused(d, &with(&["--r-wire=-1"]), "--r-wire");
    refused(d, &with(&["--dt", "0"]), "dt");
    refused(d, &with(&["--timesteps", "0"]), "timesteps");
    refused(d, &with(&["--samples", "0"]), "samples");
    refused(d, &with(&["--chips", "0"]), "--chips");
    refused(d, &with(&["--board-shape", "2x2"]), "--board-shape");
    refused(d, &with(&["--samples", "999999"]), "samples");
    refused(d, &with(&["--encoding", "morse"]), "encoding");
    refused(d, &with(&["--bogus"]), "--bogus");
    // A run far beyond the work limit names --force.
    refused(d, &with(&["--timesteps", "1000000000"]), "--force");
}

#[test]
fn chip_options_are_refused_in_ideal_mode() {
    let tmp = tempfile::tempdir().unwrap();
    for extra in [
        vec!["--device", "pcm"],
        vec!["--time", "1d"],
        vec!["--trials", "2"],
        vec!["--compensation", "global"],
        vec!["--attribution"],
        vec!["--levels", "4"],
        vec!["--adc-bits", "6"],
        vec!["--r-wire", "1"],
        vec!["--no-levels"],
        vec!["--no-programming-noise"],
        vec!["--no-drift"],
        vec!["--no-read-noise"],
        vec!["--no-wire"],
        vec!["--no-adc"],
        vec!["--same-step"],
        vec!["--chips", "2"],
        vec!["--board-shape", "2x1"],
    ] {
        let mut args = vec!["--ideal", "--samples", "10"];
        args.extend(&extra);
        refused(tmp.path(), &args, extra[0]);
    }
    // --neurons works in ideal mode too.
    let float = emulate(tmp.path(), &["--ideal", "--samples", "40"]);
    let fixed = emulate(
        tmp.path(),
        &["--ideal", "--samples", "40", "--neurons", "loihi-fixed"],
    );
    assert_ne!(float, fixed);
}

#[test]
fn outputs_never_overwrite_inputs_or_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let net = tmp.path().join("netlist.ron");
    std::fs::copy(common::root().join("netlists/mnist-mlp/netlist.ron"), &net).unwrap();
    // The copy refers to files relative to the bundled folder: point it there.
    let text = std::fs::read_to_string(&net).unwrap().replace(
        "\"model.nir\"",
        &format!(
            "\"{}\"",
            common::root()
                .join("netlists/mnist-mlp/model.nir")
                .display()
        ),
    );
    let text = text.replace(
        "\"data/",
        &format!(
            "\"{}/",
            common::root().join("netlists/mnist-mlp/data").display()
        ),
    );
    std::fs::write(&net, &text).unwrap();
    let before = std::fs::read(&net).unwrap();
    let labels = common::root().join("netlists/mnist-mlp/data/test-labels-idx1-ubyte.gz");
    let labels_before = std::fs::read(&labels).unwrap();
    for (args, needle) in [
        (
            vec!["--report".to_string(), net.display().to_string()],
            "input",
        ),
        (
            vec!["--spike-counts".to_string(), labels.display().to_string()],
            "input",
        ),
        (
            vec![
                "--report".to_string(),
                tmp.path().join("x").display().to_string(),
                "--spike-counts".to_string(),
                tmp.path().join("x").display().to_string(),
            ],
            "same file",
        ),
        (
            vec![
                "--report".to_string(),
                tmp.path().join("no/such/dir/r.json").display().to_string(),
            ],
            "does not exist",
        ),
    ] {
        let out = memsnn()
            .arg("emulate")
            .arg(&net)
            .args(["--ideal", "--samples", "10"])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(&net).unwrap(), before);
    assert_eq!(std::fs::read(&labels).unwrap(), labels_before);
    assert!(!tmp.path().join("x").exists());
}

/// `memsnn map ARGS` stdout.
fn map(args: &[&str]) -> String {
    let out = memsnn().arg("map").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "map {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_map_option_changes_the_mapping_or_is_refused() {
    let base = map(&[]);
    assert!(base.contains("chip loihi"), "{base}");
    let cnn = map(&["netlists/fashion-cnn/netlist.ron"]);
    assert_ne!(cnn, base);
    let nir = shared("fixtures/snntorch-mnist-mlp/mlp.nir");
    assert!(map(&[nir.to_str().unwrap()]).contains("chip loihi"));
    assert!(map(&["--chip", "truenorth"]).contains("chip truenorth"));
    let offset = map(&["--columns-per-weight", "1"]);
    assert_ne!(offset, base);
    assert!(offset.contains("1 column(s) per weight"), "{offset}");
    let board = map(&["--chips", "2"]);
    assert_ne!(board, base);
    assert!(board.contains("board: 2 chips"), "{board}");
    assert_ne!(map(&["--chips", "2", "--board-shape", "1x2"]), board);
    let slow = map(&["--timesteps", "50"]);
    assert_ne!(slow, base);
    assert!(slow.contains("(50 steps"), "{slow}");
    let tmp = tempfile::tempdir().unwrap();
    let svg = tmp.path().join("map.svg");
    map(&["--svg", svg.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    for (args, needle) in [
        (vec!["--columns-per-weight", "3"], "--columns-per-weight"),
        (vec!["--timesteps", "0"], "--timesteps"),
        (vec!["--chips", "0"], "--chips"),
        (vec!["--board-shape", "2x2"], "--board-shape"),
        (vec!["--chip", "nochip"], "--chip"),
        (vec!["--svg", "map.txt"], "format"),
    ] {
        let out = memsnn().arg("map").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
