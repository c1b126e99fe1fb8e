//! Bad NIR input gives a typed `NetworkError` that names the file, the node/object and the
//! cause, and never panics: truncated at any length, corrupted bytes, not HDF5, missing
//! datasets, unsupported node types, shape mismatches, NaN weights, wrong parameter lengths.

use std::path::{Path, PathBuf};

use memsnn::network::{NetworkError, load_nir, parse_nir_bytes};
use rand::{RngExt, SeedableRng};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nir")
        .join(rel)
}

fn err(rel: &str) -> NetworkError {
    match load_nir(&data(rel)) {
        Ok(_) => panic!("{rel} should not load"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(rel), "message must name the file: {msg}");
            e
        }
    }
}

#[test]
fn each_bad_file_gives_its_typed_error() {
    assert!(
        matches!(err("not_hdf5.nir"), NetworkError::NotHdf5 { reason, .. } if reason.contains("not an HDF5 file"))
    );
    assert!(
        matches!(err("truncated.nir"), NetworkError::NotHdf5 { reason, .. } if reason.contains("truncated"))
    );
    assert!(matches!(
        err("unsupported.nir"),
        NetworkError::UnsupportedNode { node, type_name, .. } if node == "delay0" && type_name == "Delay"
    ));
    match err("shape_mismatch.nir") {
        NetworkError::ShapeMismatch {
            from,
            to,
            from_shape,
            expected,
            ..
        } => {
            assert_eq!((from.as_str(), to.as_str()), ("input", "fc1"));
            assert_eq!(from_shape, [784]);
            assert!(expected.contains("[100]"), "{expected}");
        }
        e => panic!("{e}"),
    }
    assert!(matches!(
        err("missing_edges.nir"),
        NetworkError::Missing { what: "dataset", object, .. } if object == "node/edges"
    ));
    assert!(matches!(
        err("missing_param.nir"),
        NetworkError::Missing { what: "parameter", object, .. } if object == "node/nodes/lif/tau"
    ));
    assert!(matches!(
        err("dangling_edge.nir"),
        NetworkError::BadGraph { reason, .. } if reason.contains("`nowhere`")
    ));
    assert!(matches!(
        err("nan_weight.nir"),
        NetworkError::BadParameter { node, param, reason, .. }
            if node == "fc" && param == "weight" && reason.contains("value 6 ") && reason.contains("NaN")
    ));
    assert!(matches!(
        err("param_length.nir"),
        NetworkError::BadParameter { node, param, reason, .. }
            if node == "lif" && param == "v_threshold" && reason.contains("3 values") && reason.contains("2 inputs")
    ));
    assert!(matches!(
        err("two_inputs.nir"),
        NetworkError::BadGraph { reason, .. } if reason.contains("exactly one Input") && reason.contains("`input2`")
    ));
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let e = load_nir(Path::new("/nonexistent/dir/net.nir")).unwrap_err();
    assert!(matches!(e, NetworkError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/dir/net.nir"));
}

#[test]
fn truncation_at_any_length_is_an_error_never_a_panic() {
    let bytes = std::fs::read(data("fixtures/lif_norse.nir")).unwrap();
    let path = Path::new("cut.nir");
    // Every length up to the whole file (the last one must load).
    for len in (0..bytes.len()).step_by(37) {
        let r = parse_nir_bytes(bytes[..len].to_vec(), path);
        let e = r.expect_err(&format!("{len} bytes should not load"));
        assert!(
            matches!(
                e,
                NetworkError::NotHdf5 { .. } | NetworkError::Missing { .. }
            ),
            "{len}: {e}"
        );
    }
    assert!(parse_nir_bytes(bytes, path).is_ok());
}

#[test]
fn corrupted_bytes_never_panic() {
    let original = std::fs::read(data("fixtures/lif_rockpool.nir")).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut errors = 0;
    for _ in 0..300 {
        let mut bytes = original.clone();
        for _ in 0..4 {
            let i = rng.random_range(0..bytes.len());
            bytes[i] = rng.random();
        }
        // Either it still loads (the flip hit unused bytes or a value) or it is an error.
        match parse_nir_bytes(bytes, Path::new("flipped.nir")) {
            Ok(nir) => {
                for n in &nir.graph.nodes {
                    for (_, a) in n.kind.arrays() {
                        assert!(a.iter().all(|v| v.is_finite()));
                    }
                }
            }
            Err(e) => {
                assert!(e.to_string().starts_with("flipped.nir"), "{e}");
                errors += 1;
            }
        }
    }
    assert!(errors > 0);
}
