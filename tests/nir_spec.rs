//! The inline-layer network spec of RON netlists builds the same validated graph as the NIR
//! file it was exported from; paths resolve against the netlist's folder; bad weights files,
//! shapes and fields give errors naming the netlist, the layer and the cause.

use std::path::{Path, PathBuf};

use memsnn::config::parse_ron;
use memsnn::network::{NetworkError, NetworkSpec, NodeKind, load_nir};
use ndarray::{Array1, Array2};
use ndarray_npy::write_npy;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nir")
        .join(rel)
}

fn spec(text: &str, base: &Path) -> NetworkSpec {
    parse_ron(text, base).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn inline_layers_rebuild_the_snntorch_mlp_exactly() {
    let nir = load_nir(&data("fixtures/mlp.nir")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("weights")).unwrap();
    for (i, node) in nir.nodes.iter().enumerate() {
        match &node.kind {
            NodeKind::Affine { weight, bias } => {
                write_npy(dir.path().join(format!("weights/w{i}.npy")), weight).unwrap();
                // float64 bias files are accepted too.
                write_npy(
                    dir.path().join(format!("weights/b{i}.npy")),
                    &bias.mapv(f64::from),
                )
                .unwrap();
            }
            NodeKind::Lif { tau, r, .. } => {
                write_npy(dir.path().join(format!("weights/tau{i}.npy")), tau).unwrap();
                write_npy(dir.path().join(format!("weights/r{i}.npy")), r).unwrap();
            }
            _ => {}
        }
    }
    let netlist = dir.path().join("mlp.ron");
    let s = spec(
        r#"Layers(
            input: [784],
            layers: [
                Affine(weight: "weights/w1.npy", bias: Some("weights/b1.npy")),
                Lif(tau: "weights/tau2.npy", r: "weights/r2.npy", v_threshold: 1.0),
                Affine(weight: "weights/w3.npy", bias: Some("weights/b3.npy")),
                Lif(tau: "weights/tau4.npy", r: "weights/r4.npy", v_leak: 0.0, v_reset: 0.0),
            ],
        )"#,
        &netlist,
    );
    let g = s.load(&netlist).unwrap();
    assert_eq!(g, nir, "same names, kinds, parameters, shapes and edges");

    // The resolved spec (absolute paths) loads the same graph from anywhere, and survives a
    // round trip through RON.
    let resolved = s.resolved(&netlist);
    let text = ron::ser::to_string(&resolved).unwrap();
    assert!(
        text.contains(&*dir.path().join("weights/w1.npy").to_string_lossy()),
        "{text}"
    );
    let again: NetworkSpec = parse_ron(&text, Path::new("elsewhere/x.ron")).unwrap();
    assert_eq!(again, resolved);
    assert_eq!(again.load(Path::new("elsewhere/x.ron")).unwrap(), nir);
}

#[test]
fn nir_variant_resolves_against_the_netlist_folder() {
    let netlist = data("netlist.ron"); // need not exist: only its folder matters
    let s = spec(r#"Nir("fixtures/lif_norse.nir")"#, &netlist);
    assert_eq!(
        s.load(&netlist).unwrap(),
        load_nir(&data("fixtures/lif_norse.nir")).unwrap()
    );
    let s = spec(r#"Nir("nope.nir")"#, &netlist);
    let e = s.load(&netlist).unwrap_err();
    assert!(matches!(e, NetworkError::Io { .. }));
    assert!(e.to_string().contains("tests/data/nir/nope.nir"), "{e}");
}

#[test]
fn recurrent_layer_and_conv_chain() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f);
    write_npy(p("w_in.npy"), &Array2::<f32>::from_elem((5, 12), 0.1)).unwrap();
    write_npy(p("w_rec.npy"), &Array2::<f32>::eye(5)).unwrap();
    write_npy(p("w_out.npy"), &Array2::<f32>::from_elem((3, 5), 0.2)).unwrap();
    let netlist = p("rnn.ron");
    let s = spec(
        r#"Layers(input: [12], layers: [
            Linear(name: Some("fc1"), weight: "w_in.npy"),
            CubaLif(name: Some("hidden"), tau_syn: 5e-4, tau_mem: 1e-3, recurrent: Some("w_rec.npy")),
            Linear(weight: "w_out.npy"),
            Li(tau: 2e-3),
        ])"#,
        &netlist,
    );
    let g = s.load(&netlist).unwrap();
    let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        ["input", "fc1", "hidden", "hidden.w_rec", "2", "3", "output"]
    );
    let rec = g.recurrent_edges();
    assert_eq!(rec.len(), 1);
    assert_eq!(g.edges[rec[0]], (3, 2));
    assert_eq!(g.nodes[5].output_shape, [3]);
    let NodeKind::CubaLif { w_in, r, .. } = &g.nodes[2].kind else {
        panic!()
    };
    assert_eq!(w_in, &Array1::from_elem(5, 1.0));
    assert_eq!(r, &Array1::from_elem(5, 1.0));

    write_npy(p("k.npy"), &ndarray::Array4::<f32>::zeros((4, 1, 3, 3))).unwrap();
    let s = spec(
        r#"Layers(input: [1, 8, 8], layers: [
            Conv2d(weight: "k.npy", padding: [1, 1]),
            If(),
            SumPool2d(kernel: [2, 2]),
            Flatten(),
        ])"#,
        &netlist,
    );
    let g = s.load(&netlist).unwrap();
    let shapes: Vec<Vec<usize>> = g.nodes.iter().map(|n| n.output_shape.clone()).collect();
    assert_eq!(
        shapes,
        [
            vec![1, 8, 8],
            vec![4, 8, 8],
            vec![4, 8, 8],
            vec![4, 4, 4],
            vec![64],
            vec![64]
        ]
    );
}

#[test]
fn bad_specs_name_the_netlist_layer_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let netlist = dir.path().join("bad.ron");
    write_npy(dir.path().join("v.npy"), &Array1::<f32>::zeros(7)).unwrap();
    write_npy(
        dir.path().join("w.npy"),
        &Array2::<f32>::from_elem((4, 6), 1.0),
    )
    .unwrap();

    let e = spec(
        r#"Layers(input: [6], layers: [Affine(name: Some("fc"), weight: "missing.npy")])"#,
        &netlist,
    )
    .load(&netlist)
    .unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, NetworkError::Npy { .. }));
    assert!(
        m.contains("bad.ron") && m.contains("layer `fc`") && m.contains("missing.npy"),
        "{m}"
    );

    let e = spec(
        r#"Layers(input: [7], layers: [Linear(weight: "v.npy")])"#,
        &netlist,
    )
    .load(&netlist)
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("layer `0`") && e.contains("expected a 2-D [out, in] matrix, found shape [7]"),
        "{e}"
    );

    let e = spec(
        r#"Layers(input: [5], layers: [Linear(weight: "w.npy")])"#,
        &netlist,
    )
    .load(&netlist)
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad.ron") && e.contains("`input` outputs [5] but `0` (Linear) expects [6]"),
        "{e}"
    );

    let e = spec(
        r#"Layers(input: [6], layers: [Linear(weight: "w.npy"), Lif(tau: 1e-3, v_threshold: "v.npy")])"#,
        &netlist,
    )
    .load(&netlist)
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("node `1`: parameter `v_threshold`: has 7 values"),
        "{e}"
    );

    // Unknown fields are rejected when the netlist is parsed, naming file, line and field.
    std::fs::write(
        &netlist,
        "Layers(input: [6], layers: [Lif(tau: 1e-3, threshold: 1.0)])",
    )
    .unwrap();
    let e = memsnn::config::read_ron::<NetworkSpec>(&netlist)
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.ron:1:") && e.contains("threshold"), "{e}");
}
