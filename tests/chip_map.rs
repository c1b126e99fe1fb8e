//! Partitioning is exact and within limits: Σ tiles scatter(W_tile·gather(x)) + bias equals the layer (Affine, Conv2d with stride/padding/dilation/groups) against a naive reference, every tile fits its core, TrueNorth splitters match a hand count, and layers or networks that cannot fit give errors naming the layer and the limit.

use memsnn::chip::{ChipError, ChipSpec, CoreSpec, Fanout, Mapping, MeshSpec, map_network};
use memsnn::network::{Graph, Node, NodeKind, numel};
use ndarray::{Array1, Array2, Array4};
use rand::RngExt;
use std::path::Path;

fn node(name: &str, kind: NodeKind, shape: &[usize]) -> Node {
    Node {
        name: name.into(),
        kind,
        input_shape: vec![],
        output_shape: shape.to_vec(),
    }
}

/// A chain Input(shape) → nodes… → Output, validated.
fn chain(input: &[usize], nodes: Vec<(&str, NodeKind)>) -> Graph {
    let mut all = vec![node("input", NodeKind::Input, input)];
    for (n, k) in nodes {
        all.push(node(n, k, &[]));
    }
    all.push(node("output", NodeKind::Output, &[]));
    let edges = (0..all.len() - 1).map(|i| (i, i + 1)).collect();
    Graph { nodes: all, edges }
        .validate(Path::new("<test>"))
        .expect("valid test graph")
}

fn lif(n: usize) -> NodeKind {
    NodeKind::Lif {
        tau: Array1::from_elem(n, 1e-3),
        r: Array1::from_elem(n, 1.0),
        v_leak: Array1::zeros(n),
        v_threshold: Array1::from_elem(n, 1.0),
        v_reset: Array1::zeros(n),
    }
}

fn chip(rows: usize, cols: usize, neurons: usize, fanout: Fanout, mesh: (u32, u32)) -> ChipSpec {
    ChipSpec {
        name: "test".into(),
        core: CoreSpec {
            rows,
            cols,
            neurons,
            ..CoreSpec::default()
        },
        fanout,
        mesh: MeshSpec {
            width: mesh.0,
            height: mesh.1,
        },
        ..ChipSpec::default()
    }
}

/// Σ_tiles scatter(W_tile · gather(x)) + bias, in f64.
fn mapped_forward(m: &Mapping, layer: usize, x: &[f32]) -> Vec<f64> {
    let lm = &m.layers[layer];
    let mut y: Vec<f64> = lm.bias.iter().map(|&b| b as f64).collect();
    for t in &lm.tiles {
        for (o, &j) in t.outputs.iter().enumerate() {
            let s: f64 = t
                .inputs
                .iter()
                .enumerate()
                .map(|(r, &i)| t.weights[[o, r]] as f64 * x[i as usize] as f64)
                .sum();
            y[j as usize] += s;
        }
    }
    y
}

/// Every tile fits its core; every output has exactly one home (a row-block-0 tile covering it).
fn check_limits(m: &Mapping, spec: &ChipSpec, cpo: usize) {
    for (l, lm) in m.layers.iter().enumerate() {
        let mut covered = vec![false; lm.out_len];
        for t in &lm.tiles {
            assert!(
                t.inputs.len() <= spec.core.rows,
                "layer {l}: {} rows",
                t.inputs.len()
            );
            assert!(t.outputs.len() * cpo <= spec.core.cols);
            assert_eq!(t.weights.dim(), (t.outputs.len(), t.inputs.len()));
            let c = &m.cores[t.core];
            assert_eq!(c.layer, l);
            assert_eq!(c.rows_used, t.inputs.len());
            for &j in &t.outputs {
                covered[j as usize] = true;
            }
        }
        assert!(
            covered.iter().all(|&c| c),
            "layer {l}: an output has no tile"
        );
        assert!(lm.home_core.iter().all(|&h| m.cores[h as usize].layer == l));
    }
    for c in &m.cores {
        assert!(c.neurons + c.splitters <= spec.core.neurons);
        assert!(c.position.0 < spec.mesh.width && c.position.1 < spec.mesh.height);
    }
    let mut pos: Vec<_> = m.cores.iter().map(|c| c.position).collect();
    pos.sort_unstable();
    pos.dedup();
    assert_eq!(pos.len(), m.cores.len(), "two cores share a mesh position");
    let homes: usize = m.cores.iter().map(|c| c.neurons).sum();
    assert_eq!(homes, m.layers.iter().map(|l| l.out_len).sum::<usize>());
}

fn random(rng: &mut memsnn::rng::Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

#[test]
fn affine_partition_equals_the_layer() {
    let mut rng = memsnn::rng::stream(1, &[]);
    let (out, inp) = (37, 300);
    let w = Array2::from_shape_vec((out, inp), random(&mut rng, out * inp)).unwrap();
    let b = Array1::from(random(&mut rng, out));
    let g = chain(
        &[inp],
        vec![
            (
                "fc",
                NodeKind::Affine {
                    weight: w.clone(),
                    bias: b.clone(),
                },
            ),
            ("lif", lif(out)),
        ],
    );
    let spec = chip(64, 20, 16, Fanout::Unlimited, (8, 8));
    let m = map_network(&g, &spec, 2).unwrap();
    check_limits(&m, &spec, 2);
    // 300 inputs / 64 rows → 5 row blocks; 37 outputs / 10 per tile → 4 column blocks.
    assert_eq!(m.layers[0].tiles.len(), 20);
    for _ in 0..5 {
        let x = random(&mut rng, inp);
        let y = mapped_forward(&m, 0, &x);
        for j in 0..out {
            let r: f64 = b[j] as f64
                + (0..inp)
                    .map(|i| w[[j, i]] as f64 * x[i] as f64)
                    .sum::<f64>();
            assert!(
                (y[j] - r).abs() < 1e-9 * (1.0 + r.abs()),
                "{j}: {} vs {r}",
                y[j]
            );
        }
    }
}

/// Naive PyTorch-semantics convolution (cross-correlation), f64.
#[allow(clippy::too_many_arguments)]
fn conv_ref(
    x: &[f32],
    w: &Array4<f32>,
    b: &[f32],
    (cin, h, wd): (usize, usize, usize),
    stride: [usize; 2],
    pad: [usize; 2],
    dil: [usize; 2],
    groups: usize,
) -> (Vec<f64>, [usize; 3]) {
    let s = w.shape();
    let (cout, cin_g, kh, kw) = (s[0], s[1], s[2], s[3]);
    let oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) / stride[0] + 1;
    let ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) / stride[1] + 1;
    let cout_g = cout / groups;
    assert_eq!(cin_g * groups, cin);
    let mut y = vec![0.0f64; cout * oh * ow];
    for oc in 0..cout {
        let g = oc / cout_g;
        for oy in 0..oh {
            for ox in 0..ow {
                let mut acc = b[oc] as f64;
                for ic in 0..cin_g {
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let iy = (oy * stride[0] + ky * dil[0]) as isize - pad[0] as isize;
                            let ix = (ox * stride[1] + kx * dil[1]) as isize - pad[1] as isize;
                            if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd {
                                let c = g * cin_g + ic;
                                acc += w[[oc, ic, ky, kx]] as f64
                                    * x[(c * h + iy as usize) * wd + ix as usize] as f64;
                            }
                        }
                    }
                }
                y[(oc * oh + oy) * ow + ox] = acc;
            }
        }
    }
    (y, [cout, oh, ow])
}

#[test]
fn conv_partition_equals_the_layer() {
    let mut rng = memsnn::rng::stream(2, &[]);
    // (cin, h, w, cout, k, stride, pad, dil, groups, rows, cols, cpo)
    let cases = [
        (3, 9, 9, 5, [3, 3], [2, 2], [1, 1], [1, 1], 1, 20, 8, 1), // channel row blocks
        (4, 11, 10, 6, [3, 2], [1, 2], [2, 0], [2, 1], 2, 64, 12, 2), // groups, dilation
        (2, 7, 7, 3, [5, 5], [1, 1], [2, 2], [1, 1], 1, 256, 256, 2), // one tile
        (1, 28, 28, 8, [5, 5], [1, 1], [0, 0], [1, 1], 1, 256, 256, 2), // fashion-cnn conv1
    ];
    for (n, &(cin, h, w, cout, k, stride, pad, dil, groups, rows, cols, cpo)) in
        cases.iter().enumerate()
    {
        let wt = Array4::from_shape_vec(
            (cout, cin / groups, k[0], k[1]),
            random(&mut rng, cout * cin / groups * k[0] * k[1]),
        )
        .unwrap();
        let b = random(&mut rng, cout);
        let g = chain(
            &[cin, h, w],
            vec![(
                "conv",
                NodeKind::Conv2d {
                    weight: wt.clone(),
                    bias: Array1::from(b.clone()),
                    stride,
                    padding: pad,
                    dilation: dil,
                    groups,
                },
            )],
        );
        let spec = chip(rows, cols, 1024, Fanout::Unlimited, (64, 64));
        let m = map_network(&g, &spec, cpo).unwrap();
        check_limits(&m, &spec, cpo);
        let x = random(&mut rng, cin * h * w);
        let (r, oshape) = conv_ref(&x, &wt, &b, (cin, h, w), stride, pad, dil, groups);
        assert_eq!(g.nodes[1].output_shape, oshape.to_vec(), "case {n}");
        let y = mapped_forward(&m, 0, &x);
        assert_eq!(y.len(), numel(&oshape));
        for (j, (a, e)) in y.iter().zip(&r).enumerate() {
            assert!(
                (a - e).abs() < 1e-9 * (1.0 + e.abs()),
                "case {n} output {j}: {a} vs {e}"
            );
        }
        if n == 0 {
            // 3 channels × 3×3 = 27 axons > 20 rows: split into channel row blocks.
            assert!(
                m.layers[0].tiles.len()
                    > m.layers[0]
                        .home_core
                        .iter()
                        .collect::<std::collections::BTreeSet<_>>()
                        .len()
            );
        }
    }
}

/// Affine(6→4) → LIF → Affine(4→6) → LIF on 4×4 cores: the first layer needs 2 row blocks
/// (one home core for its 4 neurons), the second 2 column blocks of 3 outputs, so each of the
/// 4 hidden neurons feeds 2 axons on 2 cores: 2 splitters each, 8 on the home core.
#[test]
fn truenorth_fanout_needs_splitters_hand_count() {
    let mut rng = memsnn::rng::stream(3, &[]);
    let w1 = Array2::from_shape_vec((4, 6), random(&mut rng, 24)).unwrap();
    let w2 = Array2::from_shape_vec((6, 4), random(&mut rng, 24)).unwrap();
    let g = chain(
        &[6],
        vec![
            (
                "fc1",
                NodeKind::Affine {
                    weight: w1,
                    bias: Array1::zeros(4),
                },
            ),
            ("lif1", lif(4)),
            ("fc2", NodeKind::Linear { weight: w2 }),
            ("lif2", lif(6)),
        ],
    );
    let tn = chip(4, 4, 16, Fanout::OneTarget, (4, 4));
    let m = map_network(&g, &tn, 1).unwrap();
    check_limits(&m, &tn, 1);
    assert_eq!(m.cores.len(), 4);
    let split: Vec<usize> = m.cores.iter().map(|c| c.splitters).collect();
    assert_eq!(split.iter().sum::<usize>(), 8);
    let home = m.layers[0].home_core[0] as usize;
    assert_eq!((m.cores[home].neurons, m.cores[home].splitters), (4, 8));

    // With 10 neurons per core, 4 + 8 overflows: fc1 is re-split into 2 + 2 outputs,
    // each home core hosting 2 neurons + 4 splitters; still 8 splitters in total.
    let tn10 = chip(4, 4, 10, Fanout::OneTarget, (4, 4));
    let m = map_network(&g, &tn10, 1).unwrap();
    check_limits(&m, &tn10, 1);
    assert_eq!(m.layers[0].tiles.len(), 4);
    assert_eq!(m.cores.len(), 6);
    assert_eq!(m.cores.iter().map(|c| c.splitters).sum::<usize>(), 8);
    for &h in &m.layers[0].home_core {
        assert_eq!(
            (m.cores[h as usize].neurons, m.cores[h as usize].splitters),
            (2, 4)
        );
    }

    // Multicast chips need none.
    let lo = chip(4, 4, 16, Fanout::Unlimited, (4, 4));
    let m = map_network(&g, &lo, 1).unwrap();
    assert_eq!(m.cores.iter().map(|c| c.splitters).sum::<usize>(), 0);

    // 5 neurons per core cannot host 1 neuron + its 2 splitters… it can (3 ≤ 5); 2 cannot.
    let tn2 = chip(4, 4, 2, Fanout::OneTarget, (8, 8));
    let e = map_network(&g, &tn2, 1).unwrap_err();
    assert!(
        matches!(e, ChipError::LayerTooLarge { ref layer, .. } if layer == "fc1"),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("fc1") && msg.contains("splitter") && msg.contains("2 neurons"),
        "{msg}"
    );
}

#[test]
fn splitters_through_pooling() {
    // conv(1→2, 3×3) on 6×6 → 4×4 → LIF → AvgPool 2 → 2×2×2 → Flatten → Affine(8→3).
    // Each conv neuron reaches exactly one pooled axon of the single fc tile: no splitters.
    let mut rng = memsnn::rng::stream(4, &[]);
    let g = chain(
        &[1, 6, 6],
        vec![
            (
                "conv",
                NodeKind::Conv2d {
                    weight: Array4::from_shape_vec((2, 1, 3, 3), random(&mut rng, 18)).unwrap(),
                    bias: Array1::zeros(2),
                    stride: [1, 1],
                    padding: [0, 0],
                    dilation: [1, 1],
                    groups: 1,
                },
            ),
            ("lif", lif(32)),
            (
                "pool",
                NodeKind::AvgPool2d {
                    kernel: [2, 2],
                    stride: [2, 2],
                    padding: [0, 0],
                },
            ),
            (
                "flat",
                NodeKind::Flatten {
                    start_dim: 0,
                    end_dim: -1,
                },
            ),
            (
                "fc",
                NodeKind::Affine {
                    weight: Array2::from_shape_vec((3, 8), random(&mut rng, 24)).unwrap(),
                    bias: Array1::zeros(3),
                },
            ),
        ],
    );
    let tn = chip(64, 64, 64, Fanout::OneTarget, (4, 4));
    let m = map_network(&g, &tn, 1).unwrap();
    assert_eq!(m.cores.iter().map(|c| c.splitters).sum::<usize>(), 0);
    // Overlapping pooling (kernel 3, stride 1): pooled 2×2 per channel; interior conv neurons
    // reach up to 4 pooled axons. Count: per channel, neuron (y, x) of the 4×4 map is in
    // (#windows along y) × (#windows along x), windows along an axis: [1, 2, 2, 1] → per
    // channel Σ over k>1 of k = (2·2)·4 + (2·1)·8 = 32 (corners have k = 1), 64 for 2 channels.
    let g2 = chain(
        &[1, 6, 6],
        vec![
            (
                "conv",
                NodeKind::Conv2d {
                    weight: Array4::from_shape_vec((2, 1, 3, 3), random(&mut rng, 18)).unwrap(),
                    bias: Array1::zeros(2),
                    stride: [1, 1],
                    padding: [0, 0],
                    dilation: [1, 1],
                    groups: 1,
                },
            ),
            ("lif", lif(32)),
            (
                "pool",
                NodeKind::AvgPool2d {
                    kernel: [3, 3],
                    stride: [1, 1],
                    padding: [0, 0],
                },
            ),
            (
                "flat",
                NodeKind::Flatten {
                    start_dim: 0,
                    end_dim: -1,
                },
            ),
            (
                "fc",
                NodeKind::Affine {
                    weight: Array2::from_shape_vec((3, 8), random(&mut rng, 24)).unwrap(),
                    bias: Array1::zeros(3),
                },
            ),
        ],
    );
    let tn = chip(64, 64, 128, Fanout::OneTarget, (4, 4));
    let m = map_network(&g2, &tn, 1).unwrap();
    assert_eq!(m.cores.iter().map(|c| c.splitters).sum::<usize>(), 64);
}

#[test]
fn layer_that_cannot_fit_names_layer_and_limit() {
    let mut rng = memsnn::rng::stream(5, &[]);
    let g = chain(
        &[2, 8, 8],
        vec![(
            "conv_big",
            NodeKind::Conv2d {
                weight: Array4::from_shape_vec((4, 2, 5, 5), random(&mut rng, 200)).unwrap(),
                bias: Array1::zeros(4),
                stride: [1, 1],
                padding: [0, 0],
                dilation: [1, 1],
                groups: 1,
            },
        )],
    );
    let e = map_network(&g, &chip(16, 16, 16, Fanout::Unlimited, (8, 8)), 1).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ChipError::LayerTooLarge { .. }), "{msg}");
    assert!(
        msg.contains("conv_big") && msg.contains("25 axons") && msg.contains("16 rows"),
        "{msg}"
    );
    // Differential pairs on a one-column core: no output fits.
    let e = map_network(&g, &chip(64, 1, 16, Fanout::Unlimited, (8, 8)), 2).unwrap_err();
    assert!(e.to_string().contains("conv_big"), "{e}");
}

#[test]
fn network_exceeding_the_mesh_names_layer_and_limit() {
    let g = memsnn::network::load_nir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/mnist-mlp/model.nir"),
    )
    .unwrap();
    // 784-128-10 on 256×256 cores: 4 + 1 cores; a 2×2 mesh has 4.
    let e = map_network(&g, &chip(256, 256, 256, Fanout::OneTarget, (2, 2)), 2).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            ChipError::MeshFull {
                needed: 5,
                available: 4,
                ..
            }
        ),
        "{msg}"
    );
    let last = &g.nodes[g.nodes.iter().rposition(|n| n.kind.is_synaptic()).unwrap()].name;
    assert!(
        msg.contains("needs 5 cores")
            && msg.contains("2×2 mesh has 4")
            && msg.contains(last.as_str()),
        "{msg}"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

        /// Any Conv2d geometry on any core size: either the partition equals the layer and
        /// respects every limit, or the single-channel receptive field exceeds the rows.
        #[test]
        fn conv_partition_is_exact_or_refused(
            cin_g in 1usize..4, groups in 1usize..3, cout_g in 1usize..5,
            h in 3usize..10, w in 3usize..10, kh in 1usize..4, kw in 1usize..4,
            sh in 1usize..3, sw in 1usize..3, ph in 0usize..2, pw in 0usize..2,
            dh in 1usize..3, dw in 1usize..3,
            rows in 1usize..40, cols in 1usize..24, cpo in 1usize..3, seed in 0u64..1000,
        ) {
            let (cin, cout) = (cin_g * groups, cout_g * groups);
            prop_assume!(h + 2 * ph > dh * (kh - 1) && w + 2 * pw > dw * (kw - 1));
            prop_assume!(cols >= cpo);
            let mut rng = memsnn::rng::stream(seed, &[]);
            let wt = Array4::from_shape_vec((cout, cin_g, kh, kw), random(&mut rng, cout * cin_g * kh * kw)).unwrap();
            let b = random(&mut rng, cout);
            let g = chain(&[cin, h, w], vec![("conv", NodeKind::Conv2d {
                weight: wt.clone(), bias: Array1::from(b.clone()), stride: [sh, sw],
                padding: [ph, pw], dilation: [dh, dw], groups,
            })]);
            let spec = chip(rows, cols, 64, Fanout::Unlimited, (64, 64));
            // Most in-image inputs one output reads in one channel.
            let [_, oh, ow] = g.nodes[1].output_shape[..] else { unreachable!() };
            let count = |o: usize, k: usize, s: usize, d: usize, p: usize, n: usize| {
                (0..k).filter(|&kk| {
                    let i = (o * s + kk * d) as isize - p as isize;
                    i >= 0 && (i as usize) < n
                }).count()
            };
            let rf = (0..oh).map(|oy| count(oy, kh, sh, dh, ph, h)).max().unwrap()
                * (0..ow).map(|ox| count(ox, kw, sw, dw, pw, w)).max().unwrap();
            match map_network(&g, &spec, cpo) {
                Ok(m) => {
                    prop_assert!(rf <= rows);
                    check_limits(&m, &spec, cpo);
                    let x = random(&mut rng, cin * h * w);
                    let (r, _) = conv_ref(&x, &wt, &b, (cin, h, w), [sh, sw], [ph, pw], [dh, dw], groups);
                    let y = mapped_forward(&m, 0, &x);
                    for (a, e) in y.iter().zip(&r) {
                        prop_assert!((a - e).abs() < 1e-9 * (1.0 + e.abs()));
                    }
                }
                Err(ChipError::LayerTooLarge { reason, .. }) => {
                    // Refused only when one output's receptive field in one channel exceeds the rows.
                    prop_assert!(rf > rows, "{reason}");
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }

        /// Fully connected layers always fit (any fan-in is split into row blocks) and are exact.
        #[test]
        fn dense_partition_is_exact(out in 1usize..40, inp in 1usize..90, rows in 1usize..30,
                                    cols in 2usize..16, neurons in 1usize..20, seed in 0u64..1000) {
            let mut rng = memsnn::rng::stream(seed, &[1]);
            let wt = Array2::from_shape_vec((out, inp), random(&mut rng, out * inp)).unwrap();
            let b = random(&mut rng, out);
            let g = chain(&[inp], vec![("fc", NodeKind::Affine { weight: wt.clone(), bias: Array1::from(b.clone()) })]);
            let spec = chip(rows, cols, neurons, Fanout::OneTarget, (64, 64));
            let m = map_network(&g, &spec, 2).unwrap();
            check_limits(&m, &spec, 2);
            prop_assert_eq!(m.layers[0].tiles.len(), inp.div_ceil(rows) * out.div_ceil((cols / 2).min(neurons)));
            let x = random(&mut rng, inp);
            let y = mapped_forward(&m, 0, &x);
            for j in 0..out {
                let r: f64 = b[j] as f64 + (0..inp).map(|i| wt[[j, i]] as f64 * x[i] as f64).sum::<f64>();
                prop_assert!((y[j] - r).abs() < 1e-9 * (1.0 + r.abs()));
            }
        }
    }
}
