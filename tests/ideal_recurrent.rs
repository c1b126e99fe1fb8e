//! Recurrent edges read the previous step: a LIF population with recurrent weights matches a hand-written reference loop spike for spike (weights on a 1/8 grid, so every sum is exact).

use memsnn::network::{Graph, Node, NodeKind};
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::Engine;
use ndarray::{Array1, Array2, Array3};
use rand::RngExt;

fn node(name: &str, kind: NodeKind, i: usize, o: usize) -> Node {
    Node {
        name: name.into(),
        kind,
        input_shape: vec![i],
        output_shape: vec![o],
    }
}

#[test]
fn recurrent_lif_matches_reference_loop() {
    let mut rng = memsnn::rng::stream(11, &[]);
    let (n_in, n) = (4, 6);
    let grid = |r: &mut memsnn::rng::Rng| (r.random_range(-8i32..=12) as f32) / 8.0;
    let a = Array2::from_shape_fn((n, n_in), |_| grid(&mut rng));
    let b = Array1::from_shape_fn(n, |_| grid(&mut rng) / 4.0);
    let w_rec = Array2::from_shape_fn((n, n), |_| grid(&mut rng) / 2.0);
    let dt = 1e-4;
    let tau = 2e-4; // β = 0.5 exactly
    for reset in [Reset::Zero, Reset::Subtract] {
        let lif = NodeKind::Lif {
            tau: Array1::from_elem(n, tau as f32),
            r: Array1::from_elem(n, 2.0), // R·dt/τ = 1
            v_leak: Array1::zeros(n),
            v_threshold: Array1::from_elem(n, 1.0),
            v_reset: Array1::zeros(n),
        };
        let graph = Graph {
            nodes: vec![
                node("input", NodeKind::Input, n_in, n_in),
                node(
                    "fc",
                    NodeKind::Affine {
                        weight: a.clone(),
                        bias: b.clone(),
                    },
                    n_in,
                    n,
                ),
                node("lif", lif, n, n),
                node(
                    "rec",
                    NodeKind::Linear {
                        weight: w_rec.clone(),
                    },
                    n,
                    n,
                ),
                node("output", NodeKind::Output, n, n),
            ],
            edges: vec![(0, 1), (1, 2), (2, 3), (3, 2), (2, 4)],
        };
        let engine = Engine::new(
            &graph,
            Discretisation {
                dt,
                reset,
                semantics: Default::default(),
            },
        )
        .unwrap();
        let (samples, steps) = (5, 60);
        let x = Array3::from_shape_fn((samples, steps, n_in), |_| {
            (rng.random::<f32>() < 0.4) as u8 as f32
        });
        let got = engine.run_sequence(x.view(), &|_| ()).unwrap().outputs;
        let mut total = 0.0;
        for s in 0..samples {
            let (mut v, mut sp, mut count) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
            for t in 0..steps {
                let mut cur = vec![0f32; n];
                for j in 0..n {
                    let ff: f32 = b[j] + (0..n_in).map(|i| a[[j, i]] * x[[s, t, i]]).sum::<f32>();
                    let rec: f32 = (0..n).map(|k| w_rec[[j, k]] * sp[k]).sum();
                    cur[j] = ff + rec;
                }
                for j in 0..n {
                    v[j] = match reset {
                        Reset::Zero => 0.5 * v[j] * (1.0 - sp[j]) + cur[j],
                        Reset::Subtract => 0.5 * v[j] + cur[j] - sp[j],
                    };
                }
                for j in 0..n {
                    sp[j] = (v[j] > 1.0) as u8 as f32;
                    count[j] += sp[j];
                }
            }
            for j in 0..n {
                assert_eq!(got[[s, j]], count[j], "{reset} sample {s} neuron {j}");
                total += count[j];
            }
        }
        assert!(total > 20.0, "network too quiet to test anything: {total}");
    }
}
