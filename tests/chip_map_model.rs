//! Energy and latency per inference equal a hand count on a tiny network (Affine 6→4 → LIF → Linear 4→6 → LIF on 4×4 cores, positions pinned), for same-step and pipelined delivery and a fixed tick.

use approx::assert_relative_eq;
use memsnn::chip::{
    ChipSpec, CoreSpec, Counters, Delivery, EnergyTable, Fanout, MeshSpec, TimingTable,
    map_network, routes,
};
use memsnn::network::{Graph, Node, NodeKind};
use ndarray::{Array1, Array2};
use std::path::Path;

fn node(name: &str, kind: NodeKind, shape: &[usize]) -> Node {
    Node {
        name: name.into(),
        kind,
        input_shape: vec![],
        output_shape: shape.to_vec(),
    }
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

fn tiny() -> Graph {
    let nodes = vec![
        node("input", NodeKind::Input, &[6]),
        node(
            "fc1",
            NodeKind::Affine {
                weight: Array2::from_elem((4, 6), 0.5),
                bias: Array1::zeros(4),
            },
            &[],
        ),
        node("lif1", lif(4), &[]),
        node(
            "fc2",
            NodeKind::Linear {
                weight: Array2::from_elem((6, 4), 0.25),
            },
            &[],
        ),
        node("lif2", lif(6), &[]),
        node("output", NodeKind::Output, &[]),
    ];
    Graph {
        edges: (0..5).map(|i| (i, i + 1)).collect(),
        nodes,
    }
    .validate(Path::new("<tiny>"))
    .unwrap()
}

fn spec() -> ChipSpec {
    ChipSpec {
        name: "tiny".into(),
        core: CoreSpec {
            rows: 4,
            cols: 4,
            neurons: 16,
            adcs: 2,
            ..CoreSpec::default()
        },
        fanout: Fanout::Unlimited,
        mesh: MeshSpec {
            width: 4,
            height: 2,
        },
        delivery: Delivery::SameStep,
        timing: TimingTable {
            tick: 0.0,
            read: 100e-9,
            adc: 1e-9,
            hop: 5e-9,
            barrier: 100e-9,
        },
        energy: EnergyTable {
            synaptic_op: 1e-12,
            crossbar_read: 10e-12,
            adc_conversion: 2e-12,
            neuron_update: 3e-12,
            packet: 4e-12,
            hop: 5e-12,
            barrier: 7e-12,
            reference_synaptic_op: Some(26e-12),
        },
        ..ChipSpec::default()
    }
}

#[test]
fn energy_matches_hand_count() {
    let c = Counters {
        samples: 2,
        timesteps: 10,
        crossbar_reads: 60,
        synaptic_ops: 500,
        adc_conversions: 220,
        neuron_updates: 200,
        spikes: 30,
        packets: 40,
        hops: 90,
        ..Counters::default()
    };
    let e = spec().energy(&c);
    // Per inference (÷ 2 samples): 250 + 300 + 220 + 300 + (160 + 450)/2 pJ, barrier 10 × 7 pJ.
    assert_relative_eq!(e.synaptic, 250e-12, max_relative = 1e-12);
    assert_relative_eq!(e.crossbar_read, 300e-12, max_relative = 1e-12);
    assert_relative_eq!(e.adc, 220e-12, max_relative = 1e-12);
    assert_relative_eq!(e.neuron, 300e-12, max_relative = 1e-12);
    assert_relative_eq!(e.communication, 305e-12, max_relative = 1e-12);
    assert_relative_eq!(e.barrier, 70e-12, max_relative = 1e-12);
    assert_relative_eq!(e.total, 1445e-12, max_relative = 1e-12);
    assert_relative_eq!(e.digital_reference.unwrap(), 6500e-12, max_relative = 1e-12);
    // No samples: zeros, never NaN.
    assert_eq!(spec().energy(&Counters::default()).total, 0.0);
}

#[test]
fn latency_matches_hand_count() {
    let g = tiny();
    let mut m = map_network(&g, &spec(), 1).unwrap();
    // fc1: 6 inputs → 2 row blocks (cores 0, 1), 4 outputs homed on core 0;
    // fc2: 4 inputs, 6 outputs → 2 column blocks of 3 (cores 2, 3).
    assert_eq!(m.cores.len(), 4);
    let cols: Vec<usize> = m.cores.iter().map(|c| c.cols_used).collect();
    assert_eq!(cols, [4, 4, 3, 3]);
    assert!(m.layers[0].home_core.iter().all(|&h| h == 0));
    // Pin the placement so that the count does not depend on the heuristic.
    for (c, p) in m.cores.iter_mut().zip([(0, 0), (1, 0), (0, 1), (3, 1)]) {
        c.position = p;
    }
    // Per-event routes: each hidden spike goes to cores 2 and 3 (1 + 4 hops); core 1 sends its
    // 4 partial sums to core 0 (1 hop each); the output layer's spikes leave the chip.
    let r = routes(&g, &m, &spec()).unwrap();
    assert_eq!(r.spike_packets, vec![vec![2; 4], vec![0; 6]]);
    assert_eq!(r.spike_hops, vec![vec![5; 4], vec![0; 6]]);
    assert_eq!(
        r.partial_sums,
        vec![vec![(0, 0), (4, 4)], vec![(0, 0), (0, 0)]]
    );
    let c = Counters {
        samples: 1,
        timesteps: 10,
        ..Counters::default()
    };
    // Stage fc1: read 100 ns + ⌈4/2⌉ × 1 ns ADC + 1 hop (core 1's partial sums to core 0) × 5 ns = 107 ns.
    // Stage fc2: 100 ns + ⌈3/2⌉ × 1 ns + 4 hops (core 0 → (3,1)) × 5 ns = 122 ns.
    let s = spec().stage_times(&m);
    assert_relative_eq!(s[0], 107e-9, max_relative = 1e-12);
    assert_relative_eq!(s[1], 122e-9, max_relative = 1e-12);
    // Same step: (107 + 122 + 100 barrier) ns × 10 steps.
    assert_relative_eq!(spec().latency(&c, &m), 3.29e-6, max_relative = 1e-12);
    // One step per layer: pipelined, max(107, 122) + 100 ns per step, 10 + 1 steps.
    let piped = ChipSpec {
        delivery: Delivery::Steps(1),
        ..spec()
    };
    assert_relative_eq!(piped.latency(&c, &m), 11.0 * 222e-9, max_relative = 1e-12);
    // A 1 ms tick dominates: 11 ticks.
    let mut ticked = piped.clone();
    ticked.timing.tick = 1e-3;
    assert_relative_eq!(ticked.latency(&c, &m), 11e-3, max_relative = 1e-12);
}
