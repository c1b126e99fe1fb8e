//! Hostile input through the CLI: every defect of the hostile-input report that lives in a
//! reader or a physical check gives one `error:` line naming the file or field and the reason,
//! exit status 1, no panic and no output file. One test per defect, named after it.

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use ndarray_npy::WriteNpyExt;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn memsnn() -> Command {
    Command::cargo_bin("memsnn").unwrap()
}

/// One `error:` line naming the needles (see `common::fails`), never a NaN or `inf J`.
fn fails(cmd: &mut Command, needles: &[&str]) -> String {
    let line = common::fails(cmd, needles);
    assert!(!line.contains("NaN") && !line.contains("inf J"), "{line}");
    line
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

fn mlp() -> PathBuf {
    repo("netlists/mnist-mlp/model.nir")
}

fn emulate_ideal(data: &Path, labels: &Path) -> Command {
    let mut c = memsnn();
    c.arg("emulate")
        .arg("--network")
        .arg(mlp())
        .arg("--data")
        .arg(data)
        .arg("--labels")
        .arg(labels)
        .arg("--ideal");
    c
}

fn mnist_labels() -> PathBuf {
    repo("netlists/mnist-mlp/data/test-labels-idx1-ubyte.gz")
}

#[test]
fn idx_size_product_overflow_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("overflow.idx");
    let mut v = idx(0x803, &[u32::MAX, u32::MAX, u32::MAX], &[]);
    v.resize(116, 0);
    std::fs::write(&p, v).unwrap();
    fails(
        &mut emulate_ideal(&p, &mnist_labels()),
        &["overflow.idx", "overflows"],
    );
}

#[test]
fn npy_declaring_1e5_by_1e5_is_refused_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.npy");
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    let mut text =
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }".to_vec();
    while !(10 + text.len() + 1).is_multiple_of(64) {
        text.push(b' ');
    }
    text.push(b'\n');
    h.extend((text.len() as u16).to_le_bytes());
    h.extend(text);
    h.resize(200, 0);
    std::fs::write(&p, h).unwrap();
    fails(
        &mut emulate_ideal(&p, &mnist_labels()),
        &["big.npy", "[100000, 100000]", "limit"],
    );
}

#[test]
fn gzip_bomb_as_images_is_refused_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.gz");
    // 10 MB of zeros after a header declaring 1000 × 1000 × 1000 bytes (within the element
    // limit, but more than the ~20 KB compressed file can expand to).
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut enc, &idx(0x803, &[1000, 1000, 1000], &[])).unwrap();
    std::io::Write::write_all(&mut enc, &vec![0u8; 10 << 20]).unwrap();
    std::fs::write(&p, enc.finish().unwrap()).unwrap();
    fails(
        &mut emulate_ideal(&p, &mnist_labels()),
        &["bomb.gz", "more than a gzip file"],
    );
}

#[test]
fn dev_zero_as_any_input_is_refused_at_once() {
    let z = Path::new("/dev/zero");
    fails(
        &mut emulate_ideal(z, &mnist_labels()),
        &["/dev/zero", "IDX"],
    );
    fails(
        memsnn().arg("import").arg(z),
        &["/dev/zero", "not an HDF5 file"],
    );
    fails(
        memsnn().arg("emulate").arg(z),
        &["/dev/zero", "larger than the limit"],
    );
    fails(
        memsnn()
            .args(["map", "--chip", "/dev/zero"])
            .arg(repo("netlists/mnist-mlp/netlist.ron")),
        &["/dev/zero"],
    );
}

#[test]
fn nir_chunked_weight_declared_16_by_4e7_is_refused_from_metadata() {
    let out = memsnn()
        .arg("import")
        .arg(repo("tests/data/hostile/huge_chunked_weight.nir"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("huge_chunked_weight.nir")
            && e.contains("[16, 40000000]")
            && e.contains("refused before reading"),
        "{e}"
    );
    fails(
        memsnn()
            .arg("import")
            .arg(repo("tests/data/hostile/huge_edges.nir")),
        &["huge_edges.nir", "node/edges", "2000000000"],
    );
}

#[test]
fn zero_images_are_an_error_not_accuracy_0_of_0() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    ndarray::Array2::<u8>::zeros((0, 784))
        .write_npy(std::fs::File::create(&x).unwrap())
        .unwrap();
    ndarray::Array1::<u8>::zeros(0)
        .write_npy(std::fs::File::create(&y).unwrap())
        .unwrap();
    let line = fails(&mut emulate_ideal(&x, &y), &["x.npy", "no samples"]);
    assert!(!line.contains("accuracy"), "{line}");
    let l = mnist_labels();
    let imgs = repo("netlists/mnist-mlp/data/test-images-idx3-ubyte.gz");
    fails(
        emulate_ideal(&imgs, &l).args(["--samples", "0"]),
        &["--samples"],
    );
}

#[test]
fn labels_beyond_the_network_outputs_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    ndarray::Array2::<f32>::zeros((3, 784))
        .write_npy(std::fs::File::create(&x).unwrap())
        .unwrap();
    ndarray::arr1(&[1i64, 12, 3])
        .write_npy(std::fs::File::create(&y).unwrap())
        .unwrap();
    fails(
        &mut emulate_ideal(&x, &y),
        &["y.npy", "label 12 (sample 1)", "10 outputs", "13 classes"],
    );
}

#[test]
fn npy_data_runs_like_the_idx_data() {
    // The first 20 MNIST test images as uint8 .npy [20, 28, 28] and int64 labels give the
    // same report as the IDX files.
    let dir = tempfile::tempdir().unwrap();
    let imgs = repo("netlists/mnist-mlp/data/test-images-idx3-ubyte.gz");
    let d = memsnn::encode::Dataset::read(&imgs, &mnist_labels(), Some(20)).unwrap();
    let u8s = d.images.mapv(|v| (v * 255.0).round() as u8);
    let u8s = u8s.into_shape_with_order((20, 28, 28)).unwrap();
    let (x, y) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    u8s.write_npy(std::fs::File::create(&x).unwrap()).unwrap();
    ndarray::Array1::from_iter(d.labels.iter().map(|&l| l as i64))
        .write_npy(std::fs::File::create(&y).unwrap())
        .unwrap();
    let run = |data: &Path, labels: &Path| {
        let out = emulate_ideal(data, labels)
            .args(["--samples", "20"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("accuracy"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let a = run(&x, &y);
    assert!(a.contains("/ 20"), "{a}");
    assert_eq!(a, run(&imgs, &mnist_labels()));
}

#[test]
fn device_g_max_1e300_or_1e_320_is_an_error_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    for g in ["1e300", "1e-320"] {
        let p = dir.path().join("card.ron");
        std::fs::write(&p, format!("(version: 1, statistics: (g_max: {g}))")).unwrap();
        fails(
            memsnn()
                .args(["device", "stats"])
                .arg(&p)
                .args(["--targets", "1e-6", "--times", "1"]),
            &["card.ron", "statistics.g_max", "plausible range"],
        );
    }
    let p = dir.path().join("drift.ron");
    std::fs::write(
        &p,
        "(version: 1, statistics: (drift: PowerLaw(nu_mean: 5.0, nu_std: 0.0, t0: 1.0)))",
    )
    .unwrap();
    fails(
        memsnn()
            .args(["device", "stats"])
            .arg(&p)
            .args(["--targets", "1e-6", "--times", "1"]),
        &[
            "drift.ron",
            "statistics.drift.PowerLaw.nu_mean",
            "drift exponent",
        ],
    );
}

#[test]
fn iv_amplitude_1e300_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("iv.svg");
    let csv = dir.path().join("iv.csv");
    fails(
        memsnn()
            .args(["iv", "hp-tio2", "--amplitude", "1e300", "--out"])
            .arg(&out)
            .arg("--csv")
            .arg(&csv),
        &["--amplitude", "plausible maximum"],
    );
    fails(
        memsnn()
            .args(["iv", "hp-tio2", "--freq", "1e30", "--out"])
            .arg(&out),
        &["--freq", "plausible range"],
    );
    assert!(!out.exists() && !csv.exists());
}

#[test]
fn absurd_chip_specs_are_errors_naming_the_field_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let net = repo("netlists/mnist-mlp/netlist.ron");
    for (spec, needles) in [
        (
            "(mesh: (width: 100000, height: 100000))",
            vec!["field `mesh`", "65536 cores"],
        ),
        (
            "(delivery: Steps(4000000000))",
            vec!["field `delivery`", "64"],
        ),
        (
            "(core: (adc_bits: Some(1)))",
            vec!["field `core.adc_bits`", "2..=24"],
        ),
        (
            "(energy: (synaptic_op: 1e300))",
            vec!["field `energy.synaptic_op`", "limit"],
        ),
    ] {
        let p = dir.path().join("chip.ron");
        std::fs::write(&p, spec).unwrap();
        let mut needles = needles;
        needles.push("chip.ron");
        let line = fails(
            memsnn().arg("map").arg(&net).arg("--chip").arg(&p),
            &needles,
        );
        assert!(!line.contains("--adc-bits"), "{line}");
    }
}

#[test]
fn device_stats_n_1e12_is_refused_with_its_estimate() {
    fails(
        memsnn().args([
            "device",
            "stats",
            "pcm",
            "--targets",
            "1e-6",
            "--times",
            "1",
            "--n",
            "1000000000000",
        ]),
        &["--n 1000000000000", "device operations", "--force"],
    );
}

#[test]
fn crossbar_2000_by_2000_is_refused_with_its_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let (g, v, out) = (
        dir.path().join("g.npy"),
        dir.path().join("v.npy"),
        dir.path().join("i.npy"),
    );
    ndarray::Array2::<f64>::from_elem((2000, 2000), 1e-6)
        .write_npy(std::fs::File::create(&g).unwrap())
        .unwrap();
    ndarray::Array1::<f64>::from_elem(2000, 0.1)
        .write_npy(std::fs::File::create(&v).unwrap())
        .unwrap();
    fails(
        memsnn()
            .args(["crossbar", "--r-wire", "1", "--conductances"])
            .arg(&g)
            .arg("--voltages")
            .arg(&v)
            .arg("--out")
            .arg(&out),
        &["g.npy", "2000×2000", "estimated", "--force"],
    );
    assert!(!out.exists());
}

#[test]
fn conv_dilation_0_is_reported_as_dilation() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("k.npy");
    ndarray::Array4::<f32>::ones((2, 1, 3, 3))
        .write_npy(std::fs::File::create(&w).unwrap())
        .unwrap();
    let net = dir.path().join("net.ron");
    std::fs::write(
        &net,
        "(version: 1, network: Layers(input: [1, 8, 8], layers: [Conv2d(weight: \"k.npy\", dilation: 0)]))",
    )
    .unwrap();
    let line = fails(
        memsnn().arg("map").arg(&net).args(["--chip", "loihi"]),
        &["net.ron", "dilation"],
    );
    assert!(!line.contains("`stride`"), "{line}");
}

#[test]
fn ron_file_larger_than_16_mib_or_endless_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.ron");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(17 << 20).unwrap();
    fails(
        memsnn()
            .args(["device", "stats"])
            .arg(&p)
            .args(["--targets", "1e-6", "--times", "1"]),
        &["huge.ron", "16 MiB"],
    );
}

#[test]
fn npy_weight_of_an_inline_layer_declaring_more_than_its_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w.npy");
    let mut bytes = Vec::new();
    ndarray::Array2::<f32>::zeros((10, 784))
        .write_npy(&mut bytes)
        .unwrap();
    // Rewrite the declared shape to (99999,9), of the same length: 3.6 MB declared, 31 KB held.
    let mut hostile = bytes.clone();
    let at = bytes.windows(9).position(|w| w == b"(10, 784)").unwrap();
    hostile[at..at + 9].copy_from_slice(b"(99999,9)");
    std::fs::write(&w, &hostile).unwrap();
    let net = dir.path().join("net.ron");
    std::fs::write(
        &net,
        "(version: 1, network: Layers(input: [784], layers: [Linear(weight: \"w.npy\")]))",
    )
    .unwrap();
    fails(
        memsnn().arg("map").arg(&net).args(["--chip", "loihi"]),
        &["w.npy", "[99999, 9]", "3599964 bytes", "holds 31360 bytes"],
    );
}
