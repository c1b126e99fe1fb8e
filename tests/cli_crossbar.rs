//! Contract: `memsnn crossbar` writes the column currents of the exact circuit solve ([cols] or
//! [batch, cols]) and a SPICE deck, prints a summary, and rejects bad input (shapes that do not
//! fit, negative or non-finite conductances, negative resistances, missing or malformed files)
//! with a message naming the file and the cause, a non-zero exit, no panic and no output file.

use assert_cmd::Command;
use memsnn::crossbar::{Access, CircuitParams, CrossbarCircuit, ideal_currents};
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::{read_npy, write_npy};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn memsnn() -> Command {
    Command::cargo_bin("memsnn").unwrap()
}

fn conductances(rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        1e-6 + 99e-6 * (((i * 31 + j * 17) % 23) as f64 / 22.0)
    })
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn save<T: ndarray_npy::WriteNpyExt>(&self, name: &str, a: &T) -> PathBuf {
        let p = self.path(name);
        write_npy(&p, a).unwrap();
        p
    }
}

fn no_output(p: &Path) {
    assert!(!p.exists(), "{} must not be written", p.display());
    let mut partial = p.as_os_str().to_owned();
    partial.push(".partial");
    assert!(!Path::new(&partial).exists());
}

#[test]
fn single_input_gives_the_library_currents_and_a_summary() {
    let f = Files::new();
    let g = conductances(16, 12);
    let v = Array1::from_shape_fn(16, |i| 0.01 * i as f64 - 0.05);
    let (gp, vp, out, deck) = (
        f.save("G.npy", &g),
        f.save("V.npy", &v),
        f.path("I.npy"),
        f.path("deck.cir"),
    );
    memsnn()
        .args([
            "crossbar",
            "--r-wire",
            "1",
            "--r-driver",
            "5",
            "--r-sense",
            "20",
        ])
        .arg("--conductances")
        .arg(&gp)
        .arg("--voltages")
        .arg(&vp)
        .arg("--out")
        .arg(&out)
        .arg("--spice")
        .arg(&deck)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("array 16×12 (1T1R)")
                .and(predicate::str::contains("max IR-drop loss vs ideal"))
                .and(predicate::str::contains("set-up")),
        );
    let got: Array1<f64> = read_npy(&out).unwrap();
    let c = CrossbarCircuit::new(
        g.view(),
        &CircuitParams::wires(1.0, 5.0, 20.0, Access::OneT1R { r_on: 0.0 }),
    )
    .unwrap();
    let mut want = vec![0.0; 12];
    c.read(v.as_slice().unwrap(), &mut want).unwrap();
    assert_eq!(got.to_vec(), want);
    let text = std::fs::read_to_string(&deck).unwrap();
    assert!(text.contains(".op") && text.contains("vsense11 c15_11 sn11 DC 0"));
}

#[test]
fn batch_of_float32_inputs_on_a_passive_ideal_array_is_the_ideal_mvm() {
    let f = Files::new();
    let g = conductances(8, 5);
    let v = Array2::<f32>::from_shape_fn((3, 8), |(b, i)| 0.1 * b as f32 - 0.02 * i as f32);
    let (gp, vp, out) = (f.save("G.npy", &g), f.save("V.npy", &v), f.path("I.npy"));
    memsnn()
        .args(["crossbar", "--passive"])
        .arg("--conductances")
        .arg(&gp)
        .arg("--voltages")
        .arg(&vp)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("passive 0T1R").and(predicate::str::contains("3 input(s)")),
        );
    let got: Array2<f64> = read_npy(&out).unwrap();
    assert_eq!(got.dim(), (3, 5));
    for b in 0..3 {
        let vb: Vec<f64> = v.row(b).iter().map(|&x| f64::from(x)).collect();
        let mut ideal = vec![0.0; 5];
        ideal_currents(g.view(), &vb, &mut ideal);
        assert_eq!(got.row(b).to_vec(), ideal);
    }
}

#[test]
fn without_out_the_currents_are_printed() {
    let f = Files::new();
    let g = conductances(2, 3);
    let v = Array1::from(vec![0.5, 0.25]);
    let (gp, vp) = (f.save("G.npy", &g), f.save("V.npy", &v));
    let mut ideal = vec![0.0; 3];
    ideal_currents(g.view(), v.as_slice().unwrap(), &mut ideal);
    let line: Vec<String> = ideal.iter().map(|x| format!("{x:e}")).collect();
    memsnn()
        .arg("crossbar")
        .arg("--conductances")
        .arg(&gp)
        .arg("--voltages")
        .arg(&vp)
        .assert()
        .success()
        .stdout(format!("{}\n", line.join(" ")));
}

fn fails(args: &[&std::ffi::OsStr], needles: &[&str], out: &Path) {
    let mut cmd = memsnn();
    cmd.arg("crossbar").args(args).arg("--out").arg(out);
    let mut assert = cmd.assert().failure();
    for n in needles {
        assert = assert.stderr(predicate::str::contains(*n));
    }
    assert.stderr(predicate::str::contains("panicked").not());
    no_output(out);
}

#[test]
fn voltages_that_do_not_fit_the_rows_are_rejected() {
    let f = Files::new();
    let gp = f.save("G.npy", &conductances(16, 4));
    let vp = f.save("Vshort.npy", &Array1::<f64>::zeros(15));
    let out = f.path("I.npy");
    fails(
        &[
            "--conductances".as_ref(),
            gp.as_os_str(),
            "--voltages".as_ref(),
            vp.as_os_str(),
        ],
        &["Vshort.npy", "15 voltages", "16 rows"],
        &out,
    );
    let v3 = f.save("V3.npy", &Array3::<f64>::zeros((2, 2, 16)));
    fails(
        &[
            "--conductances".as_ref(),
            gp.as_os_str(),
            "--voltages".as_ref(),
            v3.as_os_str(),
        ],
        &["V3.npy", "3-D"],
        &out,
    );
    let g1 = f.save("G1.npy", &Array1::<f64>::zeros(16));
    fails(
        &[
            "--conductances".as_ref(),
            g1.as_os_str(),
            "--voltages".as_ref(),
            vp.as_os_str(),
        ],
        &["G1.npy", "2-D"],
        &out,
    );
    let vnan = f.save(
        "Vnan.npy",
        &Array1::from(vec![0.1, f64::INFINITY, 0.0, 0.0]),
    );
    let g4 = f.save("G4.npy", &conductances(4, 4));
    fails(
        &[
            "--conductances".as_ref(),
            g4.as_os_str(),
            "--voltages".as_ref(),
            vnan.as_os_str(),
        ],
        &["Vnan.npy", "not finite"],
        &out,
    );
}

#[test]
fn negative_or_non_finite_conductances_are_rejected() {
    let f = Files::new();
    let vp = f.save("V.npy", &Array1::<f64>::zeros(4));
    let out = f.path("I.npy");
    for (name, bad, cell) in [
        ("Gneg.npy", -1e-6, "G[1][2]"),
        ("Gnan.npy", f64::NAN, "G[1][2]"),
        ("Ginf.npy", f64::INFINITY, "G[1][2]"),
    ] {
        let mut g = conductances(4, 4);
        g[[1, 2]] = bad;
        let gp = f.save(name, &g);
        fails(
            &[
                "--conductances".as_ref(),
                gp.as_os_str(),
                "--voltages".as_ref(),
                vp.as_os_str(),
            ],
            &[name, cell, "finite and ≥ 0"],
            &out,
        );
    }
}

#[test]
fn negative_resistances_are_rejected() {
    let f = Files::new();
    let gp = f.save("G.npy", &conductances(4, 4));
    let vp = f.save("V.npy", &Array1::<f64>::zeros(4));
    let out = f.path("I.npy");
    for flag in ["--r-wire", "--r-driver", "--r-sense"] {
        fails(
            &[
                "--conductances".as_ref(),
                gp.as_os_str(),
                "--voltages".as_ref(),
                vp.as_os_str(),
                flag.as_ref(),
                "-1".as_ref(),
            ],
            &[flag, "≥ 0"],
            &out,
        );
    }
    fails(
        &[
            "--conductances".as_ref(),
            gp.as_os_str(),
            "--voltages".as_ref(),
            vp.as_os_str(),
            "--r-wire".as_ref(),
            "nan".as_ref(),
        ],
        &["--r-wire", "finite"],
        &out,
    );
}

#[test]
fn missing_or_malformed_files_are_rejected() {
    let f = Files::new();
    let vp = f.save("V.npy", &Array1::<f64>::zeros(4));
    let out = f.path("I.npy");
    let missing = f.path("missing.npy");
    fails(
        &[
            "--conductances".as_ref(),
            missing.as_os_str(),
            "--voltages".as_ref(),
            vp.as_os_str(),
        ],
        &["cannot read", "missing.npy"],
        &out,
    );
    let ints = f.save("Gint.npy", &Array2::<i64>::ones((4, 4)));
    fails(
        &[
            "--conductances".as_ref(),
            ints.as_os_str(),
            "--voltages".as_ref(),
            vp.as_os_str(),
        ],
        &["Gint.npy", "float64/float32"],
        &out,
    );
    let junk = f.path("junk.npy");
    std::fs::write(&junk, b"not an npy file").unwrap();
    fails(
        &[
            "--conductances".as_ref(),
            junk.as_os_str(),
            "--voltages".as_ref(),
            vp.as_os_str(),
        ],
        &["junk.npy"],
        &out,
    );
}
