//! Every NIR file written by another framework (and the generated edge-case files) imports and
//! validates: node shapes equal PyTorch's own conv/pool/flatten outputs, parameters equal what
//! h5py reads, conv synapse counts equal PyTorch's count, and recurrent edges are detected.
//!
//! Reference values: `tests/data/nir/expected.json`, made by `tests/data/nir/make_fixtures.py`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use memsnn::network::{Graph, NodeKind, read_nir};
use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nir")
        .join(rel)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(data("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn shape_of(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn node<'a>(g: &'a Graph, name: &str) -> &'a memsnn::network::Node {
    &g.nodes[g.index_of(name).unwrap_or_else(|| panic!("no node {name}"))]
}

#[test]
fn every_file_matches_pytorch_shapes_h5py_parameters_and_synapse_counts() {
    let exp = expected();
    let files = exp["files"].as_object().unwrap();
    assert_eq!(
        files.len(),
        8,
        "six framework fixtures + two generated files"
    );
    let mut compared = 0;
    for (rel, e) in files {
        let nir = read_nir(&data(rel)).unwrap_or_else(|err| panic!("{rel}: {err}"));
        let g = &nir.graph;
        let summary = g.summary();

        // Shapes: every node's output shape equals PyTorch's.
        let shapes = e["output_shapes"].as_object().unwrap();
        assert_eq!(shapes.len(), g.nodes.len(), "{rel}: node count");
        for (name, s) in shapes {
            assert_eq!(
                node(g, name).output_shape,
                shape_of(s),
                "{rel}: node {name}"
            );
        }

        // Synapse counts of weighted layers equal PyTorch's conv2d(ones, ones) count.
        let syn = e["synapses"].as_object().unwrap();
        for ns in &summary.nodes {
            let want = syn.get(&ns.name).map_or(0, |v| v.as_u64().unwrap());
            assert_eq!(ns.synapses, want, "{rel}: synapses of {}", ns.name);
        }

        // Parameters: sum and order-sensitive checksum of every array equal h5py's.
        for (name, en) in e["nodes"].as_object().unwrap() {
            let n = node(g, name);
            let ty = en["type"].as_str().unwrap();
            let ty = if ty == "I" { "Integrator" } else { ty };
            assert_eq!(n.kind.type_name(), ty, "{rel}: type of {name}");
            let arrays: HashMap<&str, Vec<f32>> = n
                .kind
                .arrays()
                .into_iter()
                .map(|(k, a)| (k, a.iter().copied().collect()))
                .collect();
            for (param, pe) in en["params"].as_object().unwrap() {
                let Some(ours) = arrays.get(param.as_str()) else {
                    continue; // integer settings and shapes are checked through the shapes above
                };
                let stored: usize = shape_of(&pe["shape"]).iter().product();
                let sum = pe["sum"].as_f64().unwrap();
                if stored == 1 && ours.len() > 1 {
                    // A scalar broadcast to the population.
                    for v in ours {
                        assert!(
                            (f64::from(*v) - sum).abs() <= 1e-6 * sum.abs().max(1.0),
                            "{rel}: {name}.{param} broadcast {v} vs {sum}"
                        );
                    }
                    continue;
                }
                assert_eq!(ours.len(), stored, "{rel}: {name}.{param} length");
                compared += 1;
                let abs: f64 = ours.iter().map(|v| f64::from(v.abs())).sum();
                let tol = 1e-6 * abs.max(1.0) * 7.0;
                let our_sum: f64 = ours.iter().map(|&v| f64::from(v)).sum();
                let our_check: f64 = ours
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| f64::from(v) * ((i % 7) + 1) as f64)
                    .sum();
                assert!((our_sum - sum).abs() <= tol, "{rel}: {name}.{param} sum");
                let check = pe["checksum"].as_f64().unwrap();
                assert!(
                    (our_check - check).abs() <= tol,
                    "{rel}: {name}.{param} checksum {our_check} vs {check}"
                );
            }
        }

        // Nodes are in topological order: every non-recurrent edge goes forward.
        for (e, &(u, v)) in g.edges.iter().enumerate() {
            assert_eq!(g.is_recurrent_edge(e), u >= v);
        }
        assert!(matches!(g.nodes[0].kind, NodeKind::Input));
        assert!(matches!(g.nodes.last().unwrap().kind, NodeKind::Output));
    }
    assert!(compared >= 80, "only {compared} arrays compared");
}

#[test]
fn snntorch_mlp_is_784_128_10_with_the_exported_lif_parameters() {
    let nir = read_nir(&data("fixtures/mlp.nir")).unwrap();
    assert_eq!(nir.version.as_deref(), Some("1.0.8"));
    let g = &nir.graph;
    let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["input", "0", "1", "2", "3", "output"]);
    let shapes: Vec<(Vec<usize>, Vec<usize>)> = g
        .nodes
        .iter()
        .map(|n| (n.input_shape.clone(), n.output_shape.clone()))
        .collect();
    assert_eq!(
        shapes,
        [
            (vec![784], vec![784]),
            (vec![784], vec![128]),
            (vec![128], vec![128]),
            (vec![128], vec![10]),
            (vec![10], vec![10]),
            (vec![10], vec![10]),
        ]
    );
    // snnTorch export with beta = 0.9, dt = 1e-4: tau = dt / (1 - beta) = 1e-3, r = tau / dt = 10.
    for i in [2, 4] {
        let NodeKind::Lif {
            tau,
            r,
            v_leak,
            v_threshold,
            v_reset,
        } = &g.nodes[i].kind
        else {
            panic!("LIF expected")
        };
        assert!(tau.iter().all(|&t| (t - 1e-3).abs() < 1e-8));
        assert!(r.iter().all(|&x| (x - 10.0).abs() < 1e-4));
        assert!(v_leak.iter().all(|&x| x == 0.0));
        assert!(v_threshold.iter().all(|&x| x == 1.0));
        assert!(v_reset.iter().all(|&x| x == 0.0));
    }
    let s = g.summary();
    assert_eq!(s.neurons, 138);
    assert_eq!(s.synapses, 784 * 128 + 128 * 10);
    assert_eq!(s.recurrent_edges, 0);
}

#[test]
fn braille_networks_have_one_recurrent_edge_around_the_first_cubalif() {
    for (file, hidden, affine) in [
        ("fixtures/braille_noDelay_bias_zero.nir", 38, true),
        ("fixtures/braille_noDelay_noBias_subtract.nir", 40, false),
    ] {
        let g = read_nir(&data(file)).unwrap().graph;
        let rec: Vec<(String, String)> = g
            .recurrent_edges()
            .into_iter()
            .map(|e| {
                let (u, v) = g.edges[e];
                (g.nodes[u].name.clone(), g.nodes[v].name.clone())
            })
            .collect();
        assert_eq!(
            rec,
            [("lif1.w_rec".to_string(), "lif1.lif".to_string())],
            "{file}"
        );
        let lif1 = node(&g, "lif1.lif");
        assert_eq!(lif1.input_shape, [hidden]);
        assert!(matches!(lif1.kind, NodeKind::CubaLif { .. }));
        // Two inputs: fc1 (forward) and the recurrent weights.
        let i = g.index_of("lif1.lif").unwrap();
        let preds: BTreeSet<&str> = g
            .predecessors(i)
            .map(|p| g.nodes[p].name.as_str())
            .collect();
        assert_eq!(preds, BTreeSet::from(["fc1", "lif1.w_rec"]));
        assert_eq!(
            node(&g, "fc1").kind.type_name(),
            if affine { "Affine" } else { "Linear" }
        );
        assert_eq!(node(&g, "output").output_shape, [7]);
        // CubaLIF without v_reset in the file: reset potential 0; w_in read from the file.
        if let NodeKind::CubaLif { v_reset, w_in, .. } = &lif1.kind {
            assert!(v_reset.iter().all(|&v| v == 0.0));
            assert!(w_in.iter().all(|&w| w > 1.0), "w_in comes from the file");
        }
    }
}

#[test]
fn quirks_are_tolerated_batch_dims_scalars_missing_reset_and_w_in() {
    let nir = read_nir(&data("quirks.nir")).unwrap();
    assert_eq!(nir.version.as_deref(), Some("0.1.0"));
    let g = &nir.graph;
    assert_eq!(
        g.nodes[0].output_shape,
        [6],
        "Input [1, 6] loses its batch dim"
    );
    assert_eq!(g.nodes.last().unwrap().output_shape, [3]);
    // Topology comes from the edges, not from the (reverse-alphabetical) node names.
    let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "input", "z_aff", "y_lif", "x_scale", "w_cuba", "v_thr", "u_lin", "t_li", "s_int",
            "output"
        ]
    );
    let NodeKind::Lif {
        tau,
        r,
        v_threshold,
        v_reset,
        ..
    } = &node(g, "y_lif").kind
    else {
        panic!()
    };
    assert_eq!(tau.to_vec(), [2e-3; 4], "scalar broadcast");
    assert_eq!(r.to_vec(), [1.5; 4], "length-1 broadcast");
    assert_eq!(
        v_threshold.to_vec(),
        [1.0, 2.0, 3.0, 4.0],
        "[2, 2] float64 flattened"
    );
    assert_eq!(v_reset.to_vec(), [0.0; 4], "missing v_reset -> 0");
    let NodeKind::CubaLif {
        w_in,
        v_reset,
        tau_syn,
        ..
    } = &node(g, "w_cuba").kind
    else {
        panic!()
    };
    assert_eq!(w_in.to_vec(), [1.0; 4], "missing w_in -> 1");
    assert_eq!(v_reset.to_vec(), [0.0; 4]);
    assert_eq!(tau_syn.to_vec(), [5e-4; 4]);
    assert!(matches!(node(g, "s_int").kind, NodeKind::Integrator { .. }));
}

#[test]
fn rockpool_output_with_batch_dims_is_accepted() {
    let g = read_nir(&data("fixtures/lif_rockpool.nir")).unwrap().graph;
    assert_eq!(node(&g, "output").output_shape, [1]);
    let norse = read_nir(&data("fixtures/lif_norse.nir")).unwrap();
    assert_eq!(norse.version.as_deref(), Some("0.1.1"));
    let NodeKind::Lif { tau, v_reset, .. } = &node(&norse.graph, "1").kind else {
        panic!()
    };
    assert_eq!(tau.to_vec(), [2.5e-3]);
    assert_eq!(v_reset.to_vec(), [0.0], "NIR 0.1 file without v_reset");
}

#[test]
fn cnn_conv_output_sizes_follow_the_pytorch_formula() {
    // floor((H + 2p - d(k-1) - 1) / s) + 1, computed here by hand for the Sinabs network.
    let g = read_nir(&data("fixtures/cnn_sinabs.nir")).unwrap().graph;
    let out = |h: usize, k: usize, s: usize, p: usize| (h + 2 * p - (k - 1) - 1) / s + 1;
    assert_eq!(
        node(&g, "0").output_shape,
        [16, out(34, 5, 2, 1), out(34, 5, 2, 1)]
    );
    assert_eq!(
        node(&g, "2").output_shape,
        [16, out(16, 3, 1, 1), out(16, 3, 1, 1)]
    );
    assert_eq!(node(&g, "4").output_shape, [16, 8, 8]);
    assert_eq!(node(&g, "8").output_shape, [128]);
    assert_eq!(node(&g, "output").output_shape, [10]);
    let s = g.summary();
    assert_eq!(s.neurons, 4096 * 2 + 512 + 256 + 10);
}

#[test]
fn nested_subgraph_is_inlined_with_dotted_names_and_its_cycle_kept() {
    let g = read_nir(&data("nested.nir")).unwrap().graph;
    let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        ["input", "fc", "rnn.lif", "rnn.w_rec", "readout", "output"]
    );
    let edges: BTreeSet<(&str, &str)> = g
        .edges
        .iter()
        .map(|&(u, v)| (g.nodes[u].name.as_str(), g.nodes[v].name.as_str()))
        .collect();
    assert_eq!(
        edges,
        BTreeSet::from([
            ("input", "fc"),
            ("fc", "rnn.lif"),
            ("rnn.lif", "rnn.w_rec"),
            ("rnn.w_rec", "rnn.lif"),
            ("rnn.lif", "readout"),
            ("readout", "output"),
        ])
    );
    let rec = g.recurrent_edges();
    assert_eq!(rec.len(), 1);
    assert_eq!(g.nodes[g.edges[rec[0]].0].name, "rnn.w_rec");
    assert_eq!(node(&g, "readout").output_shape, [2]);
}

#[test]
fn flatten_dims_that_count_a_batch_dimension_are_shifted() {
    let g = read_nir(&data("flatten_batch.nir")).unwrap().graph;
    assert_eq!(node(&g, "input").output_shape, [2, 3, 4]);
    assert_eq!(node(&g, "flat").output_shape, [24]);
    assert!(matches!(
        node(&g, "flat").kind,
        NodeKind::Flatten {
            start_dim: 0,
            end_dim: 2
        }
    ));
}
