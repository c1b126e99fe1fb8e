//! Chip-mode event counters and energy match a hand count on a tiny network (3 → 2 → 1 integrate-and-fire neurons, a hand-made mapping over 3 cores of a 2×2 mesh): crossbar reads, synaptic ops, ADC conversions, neuron updates, spikes, partial-sum and spike packets, hops.

use memsnn::chip::{ChipSpec, Core, EnergyTable, LayerMapping, Mapping, Tile};
use memsnn::crossbar::{Adc, AdcRange, Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::Encoding;
use memsnn::network::{Graph, Node, NodeKind};
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::RunOptions;
use memsnn::sim::{ChipAtTime, ChipSetup, Effects, program_chip};
use ndarray::{Array1, Array2, array};
use std::path::Path;

fn node(name: &str, kind: NodeKind, shape: &[usize]) -> Node {
    Node {
        name: name.into(),
        kind,
        input_shape: vec![],
        output_shape: shape.to_vec(),
    }
}

fn if_pop(n: usize) -> NodeKind {
    NodeKind::If {
        r: Array1::from_elem(n, 1.0),
        v_threshold: Array1::from_elem(n, 1.0),
        v_reset: Array1::zeros(n),
    }
}

fn core(x: u32, y: u32, layer: usize) -> Core {
    Core {
        position: (x, y),
        layer,
        rows_used: 2,
        cols_used: 4,
        neurons: 2,
        splitters: 0,
        subarrays: 1,
    }
}

#[test]
fn counters_and_energy_match_a_hand_count() {
    // Large weights: every neuron fires at every step (reset to zero, then integrate again).
    let w0: Array2<f32> = array![[5e4, 5e4, 5e4], [4e4, 4e4, 4e4]];
    let w1: Array2<f32> = array![[3e4, 3e4]];
    let nodes = vec![
        node("input", NodeKind::Input, &[3]),
        node(
            "fc0",
            NodeKind::Affine {
                weight: w0.clone(),
                bias: Array1::zeros(2),
            },
            &[2],
        ),
        node("if0", if_pop(2), &[2]),
        node(
            "fc1",
            NodeKind::Affine {
                weight: w1.clone(),
                bias: Array1::zeros(1),
            },
            &[1],
        ),
        node("if1", if_pop(1), &[1]),
        node("output", NodeKind::Output, &[1]),
    ];
    let graph = Graph {
        nodes,
        edges: (0..5).map(|i| (i, i + 1)).collect(),
    }
    .validate(Path::new("<test>"))
    .unwrap();
    // Layer 0: inputs {0, 1} on core 0 at (0,0), input {2} on core 1 at (1,0); homes on core 0.
    // Layer 1: one tile on core 2 at (1,1), fed by if0 (home core 0): 2 hops per spike.
    let mapping = Mapping {
        chip: "hand".into(),
        mesh: (2, 2),
        layers: vec![
            LayerMapping {
                node: 1,
                name: "fc0".into(),
                in_len: 3,
                out_len: 2,
                bias: vec![0.0; 2],
                tiles: vec![
                    Tile {
                        core: 0,
                        inputs: vec![0, 1],
                        outputs: vec![0, 1],
                        weights: w0.slice(ndarray::s![.., 0..2]).to_owned(),
                    },
                    Tile {
                        core: 1,
                        inputs: vec![2],
                        outputs: vec![0, 1],
                        weights: w0.slice(ndarray::s![.., 2..3]).to_owned(),
                    },
                ],
                home_core: vec![0, 0],
                shared: None,
            },
            LayerMapping {
                node: 3,
                name: "fc1".into(),
                in_len: 2,
                out_len: 1,
                bias: vec![0.0],
                tiles: vec![Tile {
                    core: 2,
                    inputs: vec![0, 1],
                    outputs: vec![0],
                    weights: w1.clone(),
                }],
                home_core: vec![2],
                shared: None,
            },
        ],
        cores: vec![core(0, 0, 0), core(1, 0, 0), core(1, 1, 1)],
    };
    let setup = ChipSetup {
        statistics: DeviceCard::resolve("ideal").unwrap().statistics,
        map: MapConfig::default(),
        read: ReadConfig {
            adc: Some(Adc {
                bits: 8,
                range: AdcRange::Calibrated { margin: 1.0 },
            }),
            ..ReadConfig::default()
        },
        r_wire: 0.0,
        compensation: Compensation::None,
        delay: 0,
        effects: Effects::ALL,
    };
    const T: u64 = 4;
    let opts = RunOptions {
        timesteps: T as usize,
        encoding: Encoding::Direct,
        seed: 0,
    };
    let disc = Discretisation {
        dt: 1e-4,
        reset: Reset::Zero,
        semantics: Default::default(),
    };
    let data = array![[1.0f32, 0.0, 1.0], [1.0, 0.0, 1.0]];
    let chip = program_chip(&mapping, &setup, 0, 0).unwrap();
    let at = ChipAtTime::new(&graph, &mapping, &setup, &chip, 1.0, 0, 0).unwrap();
    let run = at.run(&graph, disc, data.view(), &opts, &|_| ()).unwrap();
    let c = run.counters;
    assert_eq!(
        run.result.outputs,
        array![[T as f32], [T as f32]],
        "every neuron fires every step"
    );
    let n = 2; // samples
    assert_eq!((c.samples, c.timesteps), (n, T));
    // Per sample and step: tiles A, B and the layer-1 tile each read once.
    assert_eq!(c.crossbar_reads, n * T * 3);
    // A: 1 active input × 2 outputs; B: 1 × 2; layer 1: 2 × 1.
    assert_eq!(c.synaptic_ops, n * T * 6);
    // 2 physical columns per output: A 4, B 4, layer 1 2.
    assert_eq!(c.adc_conversions, n * T * 10);
    assert_eq!(c.neuron_updates, n * T * 3);
    assert_eq!(c.spikes, n * T * 3);
    // B's 2 partial sums to core 0 (1 hop each) + if0's 2 spikes to core 2 (2 hops each).
    assert_eq!(c.packets, n * T * 4);
    assert_eq!(c.hops, n * T * (2 + 4));
    // Energy per inference from the chip model, against the hand sum.
    let spec = ChipSpec {
        energy: EnergyTable {
            synaptic_op: 1e-12,
            crossbar_read: 1e-11,
            adc_conversion: 1e-10,
            neuron_update: 1e-9,
            packet: 1e-8,
            hop: 1e-7,
            barrier: 0.0,
            reference_synaptic_op: None,
        },
        ..ChipSpec::default()
    };
    let t = T as f64;
    let hand = 6.0 * t * 1e-12
        + 3.0 * t * 1e-11
        + 10.0 * t * 1e-10
        + 3.0 * t * 1e-9
        + 4.0 * t * 1e-8
        + 6.0 * t * 1e-7;
    let e = spec.energy(&c).total;
    assert!((e - hand).abs() <= 1e-12 * hand, "{e} vs {hand}");

    // One step of delivery latency: fc1 sees if0's spikes one step later, so if1 fires T − 1
    // times and the layer-1 tile reads T − 1 times; layer 0 (fed by the input) is not delayed.
    let delayed = ChipSetup {
        delay: 1,
        ..setup.clone()
    };
    let at = ChipAtTime::new(&graph, &mapping, &delayed, &chip, 1.0, 0, 0).unwrap();
    let run = at.run(&graph, disc, data.view(), &opts, &|_| ()).unwrap();
    assert_eq!(
        run.result.outputs,
        array![[(T - 1) as f32], [(T - 1) as f32]]
    );
    assert_eq!(run.counters.crossbar_reads, n * (2 * T + (T - 1)));
    // Timing switched off: same-step again.
    let off = ChipSetup {
        effects: Effects {
            timing: false,
            ..Effects::ALL
        },
        ..delayed
    };
    let at = ChipAtTime::new(&graph, &mapping, &off, &chip, 1.0, 0, 0).unwrap();
    let run = at.run(&graph, disc, data.view(), &opts, &|_| ()).unwrap();
    assert_eq!(run.result.outputs, array![[T as f32], [T as f32]]);
}
