//! NeuroBench workload metrics: on the snnTorch fixture MLP (2,000 images, T = 25, direct input) Effective_MACs, Effective_ACs, Dense and ActivationSparsity equal NeuroBench 2.x's harness values recorded by `scripts/record_neurobench.py` to 1e-6 relative, for any thread count; on a tiny network they equal the hand count.

mod common;
use common::{root, shared};

use memsnn::encode::{Dataset, Encoding};
use memsnn::network::{Graph, Node, NodeKind, load_nir};
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::{Engine, RunOptions, Workload, WorkloadCounts};
use ndarray::{Array1, Array2, array};

fn disc() -> Discretisation {
    Discretisation {
        dt: 1e-4,
        reset: Reset::Zero,
        semantics: Default::default(),
    }
}

fn opts(timesteps: usize) -> RunOptions {
    RunOptions {
        timesteps,
        encoding: Encoding::Direct,
        seed: 0,
    }
}

fn close(got: f64, want: f64, what: &str) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    eprintln!("{what}: memsnn {got}, NeuroBench {want}, relative difference {rel:e}");
    assert!(rel <= 1e-6, "{what}: {got} vs {want} (relative {rel:e})");
}

#[test]
fn fixture_mlp_matches_neurobench_harness() {
    let want: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/data/nir/fixtures/mlp_neurobench.json")).unwrap(),
    )
    .unwrap();
    let graph = load_nir(&root().join("tests/data/nir/fixtures/mlp.nir")).unwrap();
    let data = Dataset::read_idx(
        &shared("data/mnist/test-images-idx3-ubyte.gz"),
        &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        None,
    )
    .unwrap();
    assert_eq!(data.len() as u64, want["samples"].as_u64().unwrap());
    let engine = Engine::new(&graph, disc()).unwrap();
    let t = want["timesteps"].as_u64().unwrap() as usize;
    let run = |threads: usize| -> WorkloadCounts {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| engine.run(data.images.view(), &opts(t), &|_| ()).unwrap())
            .workload
    };
    let counts = run(1);
    assert_eq!(run(3), counts, "workload counts depend on the thread count");
    let m: Workload = counts.metrics();
    let json = serde_json::to_value(m).unwrap();
    for name in [
        "Effective_MACs",
        "Effective_ACs",
        "Dense",
        "ActivationSparsity",
    ] {
        close(
            json[name].as_f64().unwrap(),
            want[name].as_f64().unwrap(),
            name,
        );
    }
}

fn node(name: &str, kind: NodeKind, i: usize, o: usize) -> Node {
    Node {
        name: name.into(),
        kind,
        input_shape: vec![i],
        output_shape: vec![o],
    }
}

fn lif(n: usize) -> NodeKind {
    NodeKind::Lif {
        tau: Array1::from_elem(n, 2e-4),
        r: Array1::from_elem(n, 2.0), // R·dt/τ = 1
        v_leak: Array1::zeros(n),
        v_threshold: Array1::from_elem(n, 1.0),
        v_reset: Array1::zeros(n),
    }
}

/// Input(3) → Linear [[4,0,4],[0,0,0]] → LIF(2) → Affine [[2,0],[0,3]] (bias not counted) →
/// LIF(2) → Output, direct input `[0.5, 0, 1]` and `[0, 0, 0]`, T steps. Sample 0: hidden
/// neuron 0 gets 6 and output neuron 0 gets 2 + 0.25 at every step, so both spike at every
/// step, the other neurons never (the output neuron 1 gets its bias −0.5 only). Per step: 2
/// MACs (inputs 0 and 2, one non-zero weight each) and 1 AC (one spike, one non-zero weight).
/// Sample 1: no operations, no spikes.
#[test]
fn tiny_network_matches_hand_count() {
    let graph = Graph {
        nodes: vec![
            node("input", NodeKind::Input, 3, 3),
            node(
                "fc1",
                NodeKind::Linear {
                    weight: array![[4.0, 0.0, 4.0], [0.0, 0.0, 0.0]],
                },
                3,
                2,
            ),
            node("lif1", lif(2), 2, 2),
            node(
                "fc2",
                NodeKind::Affine {
                    weight: array![[2.0, 0.0], [0.0, 3.0]],
                    bias: array![0.25, -0.5],
                },
                2,
                2,
            ),
            node("lif2", lif(2), 2, 2),
            node("output", NodeKind::Output, 2, 2),
        ],
        edges: vec![(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)],
    };
    let engine = Engine::new(&graph, disc()).unwrap();
    let x: Array2<f32> = array![[0.5, 0.0, 1.0], [0.0, 0.0, 0.0]];
    for t in [1usize, 7] {
        let r = engine.run(x.view(), &opts(t), &|_| ()).unwrap();
        let tt = t as u64;
        assert_eq!(
            r.workload,
            WorkloadCounts {
                samples: 2,
                macs: 2 * tt,
                acs: tt,
                dense: 2 * (6 + 4) * tt,
                activations: 2 * 4 * tt,
                active: 2 * tt,
            }
        );
        let m = r.workload.metrics();
        assert_eq!(m.effective_macs, t as f64);
        assert_eq!(m.effective_acs, t as f64 / 2.0);
        assert_eq!(m.dense, 10.0 * t as f64);
        assert_eq!(m.activation_sparsity, 0.75);
    }
}
