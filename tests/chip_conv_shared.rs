//! The weight-stationary ("shared") conv mapping on a tiny convolution (1 → 2 channels, 2×2
//! kernel over a 4×4 image: 3×3 output positions): one set of devices serves every position
//! (a programming error is the same at every position, unlike the unrolled mapping), the read
//! counters and partial-sum packets match a hand count, the latency model reads the kernel
//! once per position, and per-read noise has its closed-form variance, redrawn every step.

use memsnn::chip::{ChipSpec, ConvMapping, CoreSpec, Mapping, map_network};
use memsnn::crossbar::{Adc, AdcRange, Compensation, MapConfig, ReadConfig};
use memsnn::device::Statistics;
use memsnn::device::statistics::{PerReadNoise, ProgrammingNoise};
use memsnn::network::{Graph, Node, NodeKind};
use memsnn::sim::{Batch, ChipAtTime, ChipSetup, Effects, SynapticOp, program_chip};
use ndarray::{Array1, Array4};
use std::path::Path;

fn node(name: &str, kind: NodeKind, shape: &[usize]) -> Node {
    Node {
        name: name.into(),
        kind,
        input_shape: vec![],
        output_shape: shape.to_vec(),
    }
}

/// Kernel `w[oc, 0, ky, kx] = (1 + oc) · (1 + 2·ky + kx) / 8`, bias 0.
fn graph() -> Graph {
    let w = Array4::from_shape_fn((2, 1, 2, 2), |(o, _, y, x)| {
        (1 + o) as f32 * (1 + 2 * y + x) as f32 / 8.0
    });
    let n = 2 * 3 * 3;
    let nodes = vec![
        node("input", NodeKind::Input, &[1, 4, 4]),
        node(
            "conv",
            NodeKind::Conv2d {
                weight: w,
                bias: Array1::zeros(2),
                stride: [1, 1],
                padding: [0, 0],
                dilation: [1, 1],
                groups: 1,
            },
            &[2, 3, 3],
        ),
        node(
            "if",
            NodeKind::If {
                r: Array1::from_elem(n, 1.0).into_shape_with_order(n).unwrap(),
                v_threshold: Array1::from_elem(n, 1.0),
                v_reset: Array1::zeros(n),
            },
            &[2, 3, 3],
        ),
        node("output", NodeKind::Output, &[2, 3, 3]),
    ];
    Graph {
        nodes,
        edges: (0..3).map(|i| (i, i + 1)).collect(),
    }
    .validate(Path::new("<test>"))
    .unwrap()
}

fn chip(conv: ConvMapping, neurons: usize) -> ChipSpec {
    let mut c = ChipSpec {
        core: CoreSpec {
            rows: 16,
            cols: 16,
            neurons,
            ..CoreSpec::default()
        },
        conv,
        ..ChipSpec::default()
    };
    c.timing.read = 100e-9;
    c.timing.adc = 1e-9;
    c.timing.hop = 5e-9;
    c.validate().unwrap();
    c
}

fn setup(stats: Statistics, adc: bool, effects: Effects) -> ChipSetup {
    ChipSetup {
        statistics: stats,
        map: MapConfig::default(),
        read: ReadConfig {
            adc: adc.then_some(Adc {
                bits: 8,
                range: AdcRange::Max,
            }),
            ..ReadConfig::default()
        },
        r_wire: 0.0,
        compensation: Compensation::None,
        delay: 0,
        effects,
    }
}

fn operator(g: &Graph, m: &Mapping, s: &ChipSetup, seed: u64) -> ChipAtTime {
    let programmed = program_chip(m, s, seed, 0).unwrap();
    ChipAtTime::new(g, m, s, &programmed, 1.0, 0, seed).unwrap()
}

fn batch(step: usize) -> Batch {
    Batch {
        rows: 1,
        first_sample: 0,
        step,
    }
}

/// Input image with ones at the given (y, x).
fn image(px: &[(usize, usize)]) -> Vec<f32> {
    let mut x = vec![0.0; 16];
    for &(y, xx) in px {
        x[y * 4 + xx] = 1.0;
    }
    x
}

#[test]
fn a_shared_kernel_carries_one_programming_error_for_every_position() {
    let g = graph();
    let stats = Statistics {
        programming: ProgrammingNoise::Proportional { frac: 0.2 },
        ..Statistics::default()
    };
    let mut e = Effects::NONE;
    e.programming = true;
    for conv in [ConvMapping::Shared, ConvMapping::Unrolled] {
        let m = map_network(&g, &chip(conv, 64), 2).unwrap();
        let at = operator(&g, &m, &setup(stats.clone(), false, e), 5);
        let op = &at.operators()[0];
        // One spike at input (y, x) reaches output (0, y − 1, x − 1) through kernel tap (1, 1),
        // i.e. the same weight for every position; compare the four interior positions.
        let taps: Vec<f32> = [(1, 1), (1, 2), (2, 1), (2, 2)]
            .iter()
            .map(|&(y, x)| {
                let mut out = vec![0.0; 18];
                op.forward(&image(&[(y, x)]), batch(0), &mut out);
                out[(y - 1) * 3 + (x - 1)]
            })
            .collect();
        let same = taps.iter().all(|&t| t == taps[0]);
        // Ideal weight 4/8; the noise moves it away from 0.5.
        assert!(
            (taps[0] - 0.5).abs() > 1e-6,
            "{conv:?}: no programming noise"
        );
        match conv {
            ConvMapping::Shared => {
                assert!(same, "shared kernel differs across positions: {taps:?}")
            }
            ConvMapping::Unrolled => assert!(!same, "unrolled copies are independent: {taps:?}"),
        }
    }
}

#[test]
fn shared_reads_and_packets_match_a_hand_count() {
    let g = graph();
    // 4 neurons per core: the 18 outputs (channel-major) live on 5 cores, outputs 4k..4k+3 on
    // the layer's core k; the kernel (4 rows × 2 channels) is one tile on core 0.
    let spec = chip(ConvMapping::Shared, 4);
    let m = map_network(&g, &spec, 2).unwrap();
    let lm = &m.layers[0];
    assert_eq!(lm.tiles.len(), 1);
    assert_eq!(lm.tiles[0].inputs, vec![0, 1, 2, 3]);
    assert_eq!(lm.tiles[0].outputs, vec![0, 1]);
    assert_eq!(m.cores.len(), 5);
    assert_eq!(
        m.cores.iter().map(|c| c.neurons).collect::<Vec<_>>(),
        [4, 4, 4, 4, 2]
    );
    let home: Vec<u32> = (0..18).map(|e| e / 4).collect();
    assert_eq!(lm.home_core, home);
    let at = operator(&g, &m, &setup(Statistics::default(), true, Effects::ALL), 1);
    let op = &at.operators()[0];
    // Pixels (0,0) and (1,1) active. (0,0) feeds position 0 only; (1,1) feeds positions
    // 0, 1, 3, 4 (the 2×2 windows that contain it). So 4 reads (positions 0, 1, 3, 4),
    // synaptic ops (2 + 1 + 1 + 1) inputs × 2 channels = 10, ADC 4 reads × 4 columns = 16.
    // Partial sums leave core 0 for outputs whose home is not core 0: channel 0 at position
    // q is output q (home q/4: core 1 for q = 4), channel 1 is output 9 + q (home 2 for
    // q = 0, 1 and 3 for q = 3, 4): 1 + 1 + 1 + 2 = 5 packets.
    let mut out = vec![0.0; 18];
    op.forward(&image(&[(0, 0), (1, 1)]), batch(0), &mut out);
    let [reads, syn, adc, packets, hops] = op.counters().totals();
    assert_eq!((reads, syn, adc, packets), (4, 10, 16, 5));
    let pos = |c: usize| m.cores[c].position;
    let d = |a: usize, b: usize| pos(a).0.abs_diff(pos(b).0) + pos(a).1.abs_diff(pos(b).1);
    let want_hops = d(0, 2) + d(0, 2) + d(0, 3) + d(0, 1) + d(0, 3);
    assert_eq!(hops, u64::from(want_hops));
    // Values: output (oc, 0) = w[oc,0,0,0] + w[oc,0,1,1] = (1 + oc)·(1 + 4)/8, ADC on
    // 8 bits of a 4-row full scale: within one step of 4/127.
    for oc in 0..2 {
        let want = (1 + oc) as f32 * 5.0 / 8.0;
        assert!((out[oc * 9] - want).abs() <= 4.0 / 127.0, "{out:?}");
    }
    // Latency: the kernel is read once per output position (9 reads per step), each read
    // converting 4 columns on one ADC.
    let stages = spec.stage_times(&m);
    let h = lm
        .home_core
        .iter()
        .map(|&c| d(0, c as usize))
        .max()
        .unwrap();
    let want = 9.0 * (100e-9 + 4.0 * 1e-9) + f64::from(h) * 5e-9;
    assert!((stages[0] - want).abs() < 1e-15, "{} vs {want}", stages[0]);
}

#[test]
fn shared_per_read_noise_has_the_closed_form_variance_and_is_redrawn_each_step() {
    let g = graph();
    let m = map_network(&g, &chip(ConvMapping::Shared, 64), 2).unwrap();
    let stats = Statistics {
        per_read: PerReadNoise::Proportional { frac: 0.1 },
        ..Statistics::default()
    };
    let at = operator(&g, &m, &setup(stats, false, Effects::ALL), 3);
    let op = &at.operators()[0];
    let x = image(&[(0, 0), (1, 1), (0, 1)]);
    // Output (0, position 0) reads taps (0,0), (0,1), (1,1): weights 1/8, 2/8, 4/8; with
    // g_min = 0 each weight is one device, noise variance Σ (0.1·w)².
    let w = [1.0f64 / 8.0, 2.0 / 8.0, 4.0 / 8.0];
    let mean: f64 = w.iter().sum();
    let var: f64 = w.iter().map(|v| (0.1 * v).powi(2)).sum();
    let n = 20_000;
    let mut state = vec![0.0; op.state_len()];
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut prev = f32::NAN;
    let mut changes = 0;
    for step in 0..n {
        let mut y = vec![0.0f32; 18];
        // Repeat from the second step: the cached currents get fresh noise.
        op.forward_step(&x, batch(step), &mut state, step > 0, false, &mut y);
        let d = f64::from(y[0]) - mean;
        s1 += d;
        s2 += d * d;
        changes += usize::from(y[0] != prev);
        prev = y[0];
    }
    let m1 = s1 / n as f64;
    let v = s2 / n as f64 - m1 * m1;
    assert!(m1.abs() < 5.0 * (var / n as f64).sqrt(), "mean offset {m1}");
    let se = var * (2.0 / n as f64).sqrt();
    assert!((v - var).abs() < 5.0 * se, "variance {v} vs {var}");
    assert!(changes > n - 10, "noise not redrawn: {changes} changes");
}
