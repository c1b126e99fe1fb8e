//! Hostile input through the CLI, second part: the message, option, output and interruption
//! defects of the hostile-input report (one test per defect, named after it). Each failure is
//! one `error:` line that names the file, field or option and the reason, exit status 1, no
//! panic, nothing written; Ctrl-C stops a run with status 130 and writes nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

mod common;
use common::{fails, memsnn};

fn repo(rel: &str) -> PathBuf {
    common::root().join(rel)
}

/// Files left in `dir` (sorted names).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn clap_usage_errors_are_one_line_with_exit_1() {
    fails(
        memsnn().args(["emulate", "--bogus"]),
        &["--bogus", "memsnn --help"],
    );
    fails(
        memsnn().args(["emulate", "--threads", "many"]),
        &["--threads", "many"],
    );
    fails(memsnn().args(["nosuch"]), &["nosuch"]);
    // The missing arguments are on the same line (clap puts them on the lines below).
    fails(
        memsnn().args(["emulate", "--network", "x.nir", "--ideal"]),
        &["required arguments", "--labels", "--data"],
    );
}

#[test]
fn io_causes_are_printed_once() {
    for args in [
        vec!["iv", "/nonexistent/card.ron"],
        vec!["emulate", "--device", "/nonexistent/card.ron"],
        vec!["emulate", "--chip", "/nonexistent/chip.ron"],
    ] {
        let line = fails(memsnn().args(&args), &["/nonexistent/", "No such file"]);
        assert_eq!(
            line.matches("No such file").count(),
            1,
            "cause repeated: {line}"
        );
    }
    let line = fails(
        memsnn().args([
            "emulate",
            "--ideal",
            "--network",
            "netlists/mnist-mlp/model.nir",
            "--data",
            "/nonexistent/images.idx",
            "--labels",
            "/nonexistent/labels.idx",
        ]),
        &["/nonexistent/images.idx"],
    );
    assert_eq!(line.matches("No such file").count(), 1, "{line}");
}

/// A copy of the bundled MLP netlist folder with `edit` applied to the netlist text.
fn netlist_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let src = repo("netlists/mnist-mlp");
    let dst = dir.join("mnist-mlp");
    std::fs::create_dir_all(dst.join("data")).unwrap();
    for f in ["model.nir", "netlist.ron"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    for e in std::fs::read_dir(src.join("data")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join("data").join(e.file_name())).unwrap();
    }
    let p = dst.join("netlist.ron");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, edit(text)).unwrap();
    p
}

#[test]
fn netlist_chip_field_is_reported_as_the_field_not_as_chip() {
    let d = tempfile::tempdir().unwrap();
    let n = netlist_copy(d.path(), |t| {
        t.replace("chip: Some(\"loihi\")", "chip: Some(\"nochip\")")
    });
    let line = fails(
        memsnn().arg("emulate").arg(&n),
        &["netlist.ron", "field `chip`", "nochip", "built-in"],
    );
    assert!(!line.contains("--chip"), "{line}");
    let n = netlist_copy(d.path(), |t| {
        t.replace("device: Some(\"pcm\")", "device: Some(\"nocard\")")
    });
    let line = fails(
        memsnn().arg("emulate").arg(&n),
        &["netlist.ron", "field `device`", "nocard"],
    );
    assert!(!line.contains("--device"), "{line}");
}

#[test]
fn times_in_scientific_notation_are_accepted() {
    let out = memsnn()
        .args([
            "emulate",
            "--time",
            "1e3s",
            "--samples",
            "10",
            "--trials",
            "1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1e3s") || stdout.contains("1000"),
        "{stdout}"
    );
}

/// The Loihi chip spec with `edit` applied, written into `dir`.
fn chip_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(repo("netlists/chips/loihi.ron")).unwrap();
    let p = dir.join("chip.ron");
    std::fs::write(&p, edit(text)).unwrap();
    p
}

#[test]
fn chip_spec_adc_bits_1_is_refused_naming_the_spec_field() {
    let d = tempfile::tempdir().unwrap();
    let chip = chip_copy(d.path(), |t| {
        t.replace("adc_bits: Some(8)", "adc_bits: Some(1)")
    });
    let line = fails(
        memsnn()
            .args(["emulate", "--samples", "10", "--chip"])
            .arg(&chip),
        &["chip.ron", "core.adc_bits", "1 bits"],
    );
    assert!(!line.contains("--adc-bits"), "{line}");
}

#[test]
fn energies_that_would_overflow_are_refused_not_printed_as_inf() {
    let d = tempfile::tempdir().unwrap();
    for (from, to, field) in [
        (
            "neuron_update: 52e-12",
            "neuron_update: 1e300",
            "energy.neuron_update",
        ),
        ("hop: 3.5e-12", "hop: 1e308", "energy.hop"),
        ("hop: 5.3e-9", "hop: 1e300", "timing.hop"),
    ] {
        let chip = chip_copy(d.path(), |t| t.replacen(from, to, 1));
        let line = fails(
            memsnn()
                .args(["emulate", "--samples", "10", "--trials", "1", "--chip"])
                .arg(&chip),
            &["chip.ron", field, "above the limit"],
        );
        assert!(!line.contains("inf"), "{line}");
        // Numbers are written compactly (1e300, not 301 digits).
        assert!(line.len() < 300, "{line}");
    }
}

/// A sweep spec over the bundled netlist with these grid axes.
fn spec(dir: &Path, axes: &[(&str, usize)]) -> PathBuf {
    let grid: Vec<String> = axes
        .iter()
        .map(|(path, n)| {
            let values: Vec<String> = (0..*n).map(|k| (k + 2).to_string()).collect();
            format!("(path: \"{path}\", values: [{}])", values.join(","))
        })
        .collect();
    let text = format!(
        "(netlist: \"{}\", set: [(path: \"time\", value: \"1s\")], grid: [{}], trials: 1, seed: 0)",
        repo("netlists/mnist-mlp/netlist.ron").display(),
        grid.join(", ")
    );
    let p = dir.join("spec.ron");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn sweep_grid_of_2_pow_64_points_is_refused_not_wrapped_to_no_points() {
    let d = tempfile::tempdir().unwrap();
    // 65,536⁴ = 2⁶⁴ points: the product overflows a 64-bit count.
    let s = spec(
        d.path(),
        &[
            ("device.levels", 65536),
            ("crossbar.r_wire", 65536),
            ("chip.core.rows", 65536),
            ("chip.core.cols", 65536),
        ],
    );
    let out = d.path().join("out");
    let line = fails(
        memsnn().arg("sweep").arg(&s).arg("--out").arg(&out),
        &["points", "limit"],
    );
    assert!(!line.contains("no points"), "{line}");
    assert!(!out.join("results.csv").exists());
}

#[test]
fn sweep_grid_of_1e9_points_is_refused_before_allocating() {
    let d = tempfile::tempdir().unwrap();
    let s = spec(
        d.path(),
        &[
            ("device.levels", 1000),
            ("crossbar.r_wire", 1000),
            ("chip.core.rows", 1000),
        ],
    );
    let out = d.path().join("out");
    fails(
        memsnn().arg("sweep").arg(&s).arg("--out").arg(&out),
        &["1000 × 1000 × 1000", "limit"],
    );
    assert!(!out.join("results.csv").exists());
}

#[test]
fn device_model_parameters_outside_plausible_ranges_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for (card, from, to, field) in [
        ("hp-tio2", "r_on: 100.0", "r_on: 1e300", "model.r_on"),
        ("hp-tio2", "mu_v: 1e-14", "mu_v: 1e-300", "model.mu_v"),
        ("vteam", "k_off: 5e-4", "k_off: 1e30", "model.k_off"),
        ("yakopcic", "a1: 0.17", "a1: 1e30", "model.a1"),
    ] {
        let text = std::fs::read_to_string(repo(&format!("devices/{card}.ron"))).unwrap();
        assert!(text.contains(from), "{card}: {from}");
        let p = d.path().join(format!("{card}.ron"));
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
        let svg = d.path().join("iv.svg");
        fails(
            memsnn().arg("iv").arg(&p).arg("--out").arg(&svg),
            &[&format!("{card}.ron"), field, "plausible range"],
        );
        assert!(!svg.exists());
    }
}

#[test]
fn iv_and_pulses_outputs_are_checked_first_and_written_all_or_none() {
    let d = tempfile::tempdir().unwrap();
    let svg = d.path().join("a.svg");
    let csv = d.path().join("a.csv");
    // Two outputs on one path.
    fails(
        memsnn()
            .args(["iv", "hp-tio2", "--out"])
            .arg(&svg)
            .arg("--csv")
            .arg(&svg),
        &["--csv", "--out writes the same file"],
    );
    // The plot's folder does not exist: the CSV is not left behind either.
    fails(
        memsnn()
            .args(["iv", "hp-tio2", "--out"])
            .arg(d.path().join("missing/a.svg"))
            .arg("--csv")
            .arg(&csv),
        &["--out", "does not exist"],
    );
    fails(
        memsnn()
            .args(["device", "pulses", "reram-pulse", "--out"])
            .arg(d.path().join("missing/p.png"))
            .arg("--csv")
            .arg(&csv),
        &["--out", "does not exist"],
    );
    assert!(listing(d.path()).is_empty(), "{:?}", listing(d.path()));
    // And the normal run writes both.
    memsnn()
        .args(["iv", "hp-tio2", "--out"])
        .arg(&svg)
        .arg("--csv")
        .arg(&csv)
        .assert()
        .success();
    assert_eq!(listing(d.path()), ["a.csv", "a.svg"]);
}

#[test]
fn crossbar_out_onto_its_input_is_refused_and_the_input_kept() {
    use ndarray_npy::WriteNpyExt;
    let d = tempfile::tempdir().unwrap();
    let g = d.path().join("g.npy");
    let v = d.path().join("v.npy");
    ndarray::Array2::<f64>::from_elem((4, 3), 1e-5)
        .write_npy(std::fs::File::create(&g).unwrap())
        .unwrap();
    ndarray::Array1::<f64>::from_elem(4, 0.2)
        .write_npy(std::fs::File::create(&v).unwrap())
        .unwrap();
    let before = std::fs::read(&g).unwrap();
    for (flag, target) in [("--out", &g), ("--spice", &v)] {
        fails(
            memsnn()
                .arg("crossbar")
                .arg("--conductances")
                .arg(&g)
                .arg("--voltages")
                .arg(&v)
                .arg(flag)
                .arg(target),
            &[flag, "input of this run"],
        );
    }
    assert_eq!(std::fs::read(&g).unwrap(), before);
    assert_eq!(listing(d.path()), ["g.npy", "v.npy"]);
}

/// Start `args`, wait until it has run `after`, send SIGINT; returns (status, stderr).
fn interrupt(args: &[&str], after: Duration) -> (Option<i32>, String) {
    let child = std::process::Command::cargo_bin("memsnn")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let t0 = Instant::now();
    let out = child.wait_with_output().unwrap();
    // It stops at its next check, not after the whole run (about a minute).
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "took {:?} to stop",
        t0.elapsed()
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ctrl_c_stops_a_long_run_with_status_130_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let report = d.path().join("r.json");
    let counts = d.path().join("c.npy");
    let (code, stderr) = interrupt(
        &[
            "emulate",
            "--ideal",
            "--timesteps",
            "40000",
            "--force",
            "--report",
            report.to_str().unwrap(),
            "--spike-counts",
            counts.to_str().unwrap(),
        ],
        Duration::from_secs(2),
    );
    assert_eq!(code, Some(130), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("interrupted"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(listing(d.path()).is_empty(), "{:?}", listing(d.path()));
}

#[test]
fn ctrl_c_stops_a_sweep_which_then_resumes_to_the_full_table() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("sweep");
    let out_s = out.to_str().unwrap();
    // 32 points × 4 trials: far longer than the moment of the interruption.
    let levels = format!(
        "device.levels={}",
        (2..34).map(|l| l.to_string()).collect::<Vec<_>>().join(",")
    );
    let args = [
        "sweep",
        "--param",
        &levels,
        "--set",
        "time=1s",
        "--set",
        "crossbar.r_wire=0",
        "--trials",
        "4",
        "--samples",
        "2000",
        "--threads",
        "1",
        "--out",
        out_s,
    ];
    let (code, stderr) = interrupt(&args, Duration::from_secs(2));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    // No lock, temporary or partial file left behind by the interrupted run; the run again
    // completes the table.
    memsnn().args(args).assert().success();
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 128, "{csv}");
}
