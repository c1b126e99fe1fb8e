//! Multi-chip boards: a tiny network split over exactly 2 chips has hand-counted placement, packets, hops, chip crossings, energy and latency in chip mode (and in the traffic estimate); one chip reproduces the single-chip counters, energy and latency recorded before boards existed; board presets equal their chip; board limits and shapes are refused with the field named.

use approx::assert_relative_eq;
use memsnn::chip::{
    BoardSpec, ChipSpec, CoreSpec, Counters, Delivery, EnergyTable, Fanout, MeshSpec, TimingTable,
    map_network, routes, traffic,
};
use memsnn::crossbar::{Adc, AdcRange, Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::Encoding;
use memsnn::experiment::{Experiment, Par, Report, RunConfig};
use memsnn::network::{Graph, Node, NodeKind};
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::{ChipAtTime, ChipSetup, Effects, RunOptions, program_chip};
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

/// 4 inputs → Affine 4→4 → IF → Affine 4→2 → IF. Large weights: on the inputs [1,0,1,0] and
/// [1,1,1,1], hidden neurons 0 and 3 fire at every step, 1 and 2 never (negative input), and
/// both output neurons fire at every step (2 hidden spikes × 3e4 each).
fn tiny() -> Graph {
    let w1: Array2<f32> = array![
        [5e4, 0.0, 5e4, 0.0],
        [-5e4, 0.0, -5e4, 0.0],
        [-5e4, 0.0, -5e4, 0.0],
        [5e4, 5e4, 5e4, 5e4]
    ];
    let w2: Array2<f32> = array![[3e4, 3e4, 3e4, 3e4], [3e4, 0.0, 0.0, 3e4]];
    let nodes = vec![
        node("input", NodeKind::Input, &[4]),
        node(
            "fc1",
            NodeKind::Affine {
                weight: w1,
                bias: Array1::zeros(4),
            },
            &[4],
        ),
        node("if1", if_pop(4), &[4]),
        node(
            "fc2",
            NodeKind::Affine {
                weight: w2,
                bias: Array1::zeros(2),
            },
            &[2],
        ),
        node("if2", if_pop(2), &[2]),
        node("output", NodeKind::Output, &[2]),
    ];
    Graph {
        nodes,
        edges: (0..5).map(|i| (i, i + 1)).collect(),
    }
    .validate(Path::new("<tiny>"))
    .unwrap()
}

/// Cores of 4 axons × 4 columns (2 outputs per core as differential pairs), a 2×1 mesh per
/// chip, 2 chips: fc1 needs 2 cores (chip 0 full), fc2 one more (chip 1).
fn spec() -> ChipSpec {
    ChipSpec {
        name: "duo".into(),
        core: CoreSpec {
            rows: 4,
            cols: 4,
            neurons: 4,
            adc_bits: Some(8),
            adcs: 2,
            ..CoreSpec::default()
        },
        fanout: Fanout::Unlimited,
        mesh: MeshSpec {
            width: 2,
            height: 1,
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
            crossbar_read: 1e-11,
            adc_conversion: 1e-10,
            neuron_update: 1e-9,
            packet: 1e-8,
            hop: 1e-7,
            barrier: 1e-6,
            reference_synaptic_op: None,
        },
        board: BoardSpec {
            chips: 2,
            shape: None,
            link_latency: 1e-6,
            link_energy: 1e-5,
        },
        ..ChipSpec::default()
    }
}

#[test]
fn two_chip_hand_count() {
    let g = tiny();
    let chip = spec();
    chip.validate().unwrap();
    let m = map_network(&g, &chip, 2).unwrap();
    // Board: 2 chips → the squarest grid 2×1; global mesh (2·2) × (1·1).
    assert_eq!(m.mesh, (4, 1));
    assert_eq!(
        (m.board.chips, m.board.shape, m.board.chip_mesh),
        (2, (2, 1), (2, 1))
    );
    // fc1: 4 inputs (one row block of 4 axons) × 4 outputs in blocks of 2 → cores 0 and 1
    // (outputs 0,1 and 2,3, homes on their own cores); fc2: 4 → 2, one core (2).
    assert_eq!(m.layers[0].tiles.len(), 2);
    assert_eq!(m.layers[1].tiles.len(), 1);
    assert_eq!(m.layers[0].home_core, vec![0, 0, 1, 1]);
    // Chip 0 is filled by fc1 (core 0 at the centre (0,0) of its 2×1 mesh, core 1 beside it);
    // fc2 does not fit and goes to chip 1 (board slot (1,0), global x 2..4), pulled toward its
    // inputs on chip 0: its west edge, (2,0).
    let pos: Vec<_> = m.cores.iter().map(|c| c.position).collect();
    assert_eq!(pos, vec![(0, 0), (1, 0), (2, 0)]);
    assert_eq!((m.chip_of(0), m.chip_of(1), m.chip_of(2)), (0, 0, 1));
    // Routes from the hidden neurons' homes to fc2's core: core 0 → 2: 2 hops, 1 boundary;
    // core 1 → 2: 1 hop, 1 boundary.
    assert_eq!((m.hops(0, 2), m.crossings(0, 2)), (2, 1));
    assert_eq!((m.hops(1, 2), m.crossings(1, 2)), (1, 1));

    // The traffic estimate (every neuron fires once per step): hidden neurons 0, 1 (core 0)
    // and 2, 3 (core 1) each send 1 packet to core 2: 4 packets, 2·2 + 2·1 = 6 hops, all 4
    // cross the boundary once.
    let t = traffic(&g, &m, &chip).unwrap();
    assert_eq!(t.totals(&m), (4, 6));
    assert_eq!(t.crossings(&m), (4, 4));
    let r = routes(&g, &m, &chip).unwrap();
    assert_eq!(r.spike_packets[0], vec![1, 1, 1, 1]);
    assert_eq!(r.spike_hops[0], vec![2, 2, 1, 1]);
    assert_eq!(r.spike_crossings[0], vec![(1, 1); 4]);
    assert_eq!(r.partial_sums, vec![vec![(0, 0); 2], vec![(0, 0)]]);

    // Chip mode: ideal devices, 8-bit ADC, same-step delivery, T = 5, two samples.
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
    const T: u64 = 5;
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
    let data = array![[1.0f32, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]];
    let programmed = program_chip(&m, &setup, 0, 0).unwrap();
    let at = ChipAtTime::new(&g, &m, &setup, &programmed, 1.0, 0, 0).unwrap();
    let run = at.run(&g, disc, data.view(), &opts, &|_| ()).unwrap();
    assert_eq!(run.result.outputs, array![[5.0f32, 5.0], [5.0, 5.0]]);
    let c = run.counters;
    // Per sample and step:
    //   reads: the 3 tiles, once each (every tile has a non-zero input)      → 3
    //   synaptic ops: sample A [1,0,1,0]: fc1 tiles 2 active rows × 2 outputs each = 4 + 4,
    //     fc2 2 spikes × 2 outputs = 4 → 12; sample B [1,1,1,1]: 8 + 8 + 4 = 20
    //   ADC conversions: 4 physical columns per tile                       → 12
    //   neuron updates: 4 hidden + 2 output                                 → 6
    //   spikes: hidden 0 and 3, outputs 0 and 1                             → 4
    //   packets: hidden spike 0 (core 0 → 2) and 3 (core 1 → 2)             → 2
    //   hops: 2 + 1 → 3; inter-chip packets: 2; chip crossings: 1 + 1 → 2.
    // Totals over N = 2 samples × T = 5 steps:
    assert_eq!((c.samples, c.timesteps), (2, T));
    assert_eq!(c.crossbar_reads, 2 * T * 3);
    assert_eq!(c.synaptic_ops, T * (12 + 20));
    assert_eq!(c.adc_conversions, 2 * T * 12);
    assert_eq!(c.neuron_updates, 2 * T * 6);
    assert_eq!(c.spikes, 2 * T * 4);
    assert_eq!(c.packets, 2 * T * 2);
    assert_eq!(c.hops, 2 * T * 3);
    assert_eq!(c.interchip_packets, 2 * T * 2);
    assert_eq!(c.chip_crossings, 2 * T * 2);

    // Energy per inference (÷ 2 samples): 160 syn × 1 pJ, 30 reads × 10 pJ, 120 conversions ×
    // 100 pJ, 60 updates × 1 nJ, 20 packets × 10 nJ, 30 hops × 100 nJ, 20 crossings × 10 µJ,
    // plus T = 5 barriers × 1 µJ.
    let e = chip.energy(&c);
    assert_relative_eq!(e.synaptic, 80e-12, max_relative = 1e-12);
    assert_relative_eq!(e.crossbar_read, 150e-12, max_relative = 1e-12);
    assert_relative_eq!(e.adc, 6e-9, max_relative = 1e-12);
    assert_relative_eq!(e.neuron, 30e-9, max_relative = 1e-12);
    assert_relative_eq!(e.communication, 100e-9 + 1.5e-6, max_relative = 1e-12);
    assert_relative_eq!(e.interchip, 100e-6, max_relative = 1e-12);
    assert_relative_eq!(e.barrier, 5e-6, max_relative = 1e-12);
    let hand = 80e-12 + 150e-12 + 6e-9 + 30e-9 + 100e-9 + 1.5e-6 + 100e-6 + 5e-6;
    assert_relative_eq!(e.total, hand, max_relative = 1e-12);
    assert_relative_eq!(
        chip.try_energy(&c).unwrap().total,
        hand,
        max_relative = 1e-12
    );

    // Latency: fc1's stage = 100 ns read + ⌈4 columns / 2 ADCs⌉ × 1 ns = 102 ns (no route:
    // fed by the input, outputs on their own cores); fc2's = 100 + 2 + the longest route into
    // it, core 0 → 2: 2 hops × 5 ns + 1 boundary × 1 µs = 1010 ns → 1112 ns.
    let s = chip.stage_times(&m);
    assert_relative_eq!(s[0], 102e-9, max_relative = 1e-12);
    assert_relative_eq!(s[1], 1112e-9, max_relative = 1e-12);
    // Same-step delivery: T × (102 + 1112 + 100 barrier) ns = 5 × 1314 ns.
    assert_relative_eq!(chip.latency(&c, &m), 6570e-9, max_relative = 1e-12);
    // Pipelined (one step per layer): (T + 1) × (max(102, 1112) + 100) ns = 6 × 1212 ns.
    let piped = ChipSpec {
        delivery: Delivery::Steps(1),
        ..chip.clone()
    };
    assert_relative_eq!(piped.latency(&c, &m), 7272e-9, max_relative = 1e-12);

    // On one chip holding all three cores (a 4×1 mesh), nothing crosses a boundary and the
    // link terms vanish.
    let one = ChipSpec {
        mesh: MeshSpec {
            width: 4,
            height: 1,
        },
        board: BoardSpec {
            chips: 1,
            ..chip.board
        },
        ..chip.clone()
    };
    let m1 = map_network(&g, &one, 2).unwrap();
    let programmed = program_chip(&m1, &setup, 0, 0).unwrap();
    let at = ChipAtTime::new(&g, &m1, &setup, &programmed, 1.0, 0, 0).unwrap();
    let c1 = at
        .run(&g, disc, data.view(), &opts, &|_| ())
        .unwrap()
        .counters;
    assert_eq!((c1.interchip_packets, c1.chip_crossings), (0, 0));
    assert_eq!(one.energy(&c1).interchip, 0.0);
    assert_eq!(c1.packets, c.packets);
}

#[test]
fn a_network_too_large_for_the_chips_names_the_chip_count_and_the_option() {
    let g = tiny();
    let one = ChipSpec {
        board: BoardSpec {
            chips: 1,
            ..spec().board
        },
        ..spec()
    };
    let e = map_network(&g, &one, 2).unwrap_err().to_string();
    assert!(
        e.contains("it needs 3 cores, the 2×1 mesh has 2")
            && e.contains("at least 2 chips")
            && e.contains("--chips 2"),
        "{e}"
    );
    // Three cores fit on 2 chips of 2; on a 2-chip board of 1×1 chips they do not.
    let small = ChipSpec {
        mesh: MeshSpec {
            width: 1,
            height: 1,
        },
        ..spec()
    };
    let e = map_network(&g, &small, 2).unwrap_err().to_string();
    assert!(
        e.contains("it needs 3 cores, 2 chips of 1×1 cores have 2") && e.contains("--chips 3"),
        "{e}"
    );
}

/// The chip-mode counters, energy and latency of a run of `netlist` (first `samples` images,
/// one trial at `time`), with `board` replacing the chip's board when given.
fn chip_run(netlist: &str, samples: usize, time: &str, board: Option<BoardSpec>) -> Report {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut c = RunConfig::from_netlist(&root.join(netlist)).unwrap();
    c.samples = Some(samples);
    c.trials = 1;
    c.times = vec![memsnn::experiment::TimePoint::parse(time).unwrap()];
    if let Some(b) = board {
        c.chip.board = b;
    }
    Experiment::new(c).unwrap().run(Par::Seq, &()).unwrap()
}

#[test]
fn one_chip_reproduces_the_single_chip_counters() {
    // Recorded with the build before boards existed (`memsnn emulate --samples 100 --trials 1
    // --time 1d`, and `memsnn emulate netlists/fashion-cnn/netlist.ron --samples 10 --trials
    // 1`): the same counters, energy and latency, and the same accuracy, whether the chip's
    // board is its own (1 chip) or a 1-chip board with a shape and non-zero link figures.
    let links = BoardSpec {
        chips: 1,
        shape: Some((4, 4)),
        link_latency: 1e-6,
        link_energy: 1e-6,
    };
    for board in [None, Some(links)] {
        let Report::Chip(r) = chip_run("netlists/mnist-mlp/netlist.ron", 100, "1d", board) else {
            panic!("chip mode expected")
        };
        assert_eq!(
            r.counters,
            Counters {
                samples: 100,
                timesteps: 25,
                crossbar_reads: 4894,
                synaptic_ops: 49670660,
                adc_conversions: 687880,
                neuron_updates: 345000,
                spikes: 44067,
                packets: 40986,
                hops: 40986,
                interchip_packets: 0,
                chip_crossings: 0,
            }
        );
        assert_eq!(r.per_inference.energy, 2.7240401442e-07);
        assert_eq!(r.per_inference.latency, 6.18696e-06);
        assert_eq!(r.results[0].accuracy.mean, 0.89);
        assert_eq!((r.resources.cores, r.resources.mesh_cores), (2, 128));
        let Report::Chip(r) = chip_run("netlists/fashion-cnn/netlist.ron", 10, "1s", board) else {
            panic!("chip mode expected")
        };
        assert_eq!(
            r.counters,
            Counters {
                samples: 10,
                timesteps: 20,
                crossbar_reads: 37516,
                synaptic_ops: 60274396,
                adc_conversions: 2407360,
                neuron_updates: 1128400,
                spikes: 103024,
                packets: 333340,
                hops: 1316769,
                interchip_packets: 0,
                chip_crossings: 0,
            }
        );
        assert_eq!(r.per_inference.energy, 7.7300968652e-07);
        assert_eq!(r.per_inference.latency, 0.022);
    }
}

#[test]
fn the_cnn_on_a_board_of_small_chips_crosses_boundaries_and_keeps_its_spikes() {
    // TrueNorth cores on 8×8-core chips: the bundled CNN's 209 cores need 4 chips (2×2).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut c = RunConfig::from_netlist(&root.join("netlists/fashion-cnn/netlist.ron")).unwrap();
    c.samples = Some(10);
    c.trials = 1;
    c.times = vec![memsnn::experiment::TimePoint::parse("1s").unwrap()];
    let one = c.clone();
    c.chip.mesh = MeshSpec {
        width: 8,
        height: 8,
    };
    c.chip.board.chips = 4;
    let Report::Chip(board) = Experiment::new(c).unwrap().run(Par::Seq, &()).unwrap() else {
        panic!()
    };
    let Report::Chip(flat) = Experiment::new(one).unwrap().run(Par::Seq, &()).unwrap() else {
        panic!()
    };
    assert_eq!(board.resources.chips, 4);
    assert_eq!(board.resources.board, (2, 2));
    assert_eq!(board.resources.chip_cores.iter().sum::<usize>(), 209);
    assert_eq!(board.resources.mesh_cores, 4 * 64);
    let bc = &board.counters;
    assert!(bc.interchip_packets > 0 && bc.chip_crossings >= bc.interchip_packets);
    assert!(bc.interchip_packets <= bc.packets);
    // The same computation: spikes and synaptic events do not depend on the placement.
    assert_eq!(bc.spikes, flat.counters.spikes);
    assert_eq!(bc.synaptic_ops, flat.counters.synaptic_ops);
    assert_eq!(bc.crossbar_reads, flat.counters.crossbar_reads);
    assert_eq!(board.spike_counts, flat.spike_counts);
    // The link energy is in the total.
    let e: f64 = board.energy_breakdown["interchip"].as_f64().unwrap();
    let want = bc.chip_crossings as f64 * 45e-12 / 10.0;
    assert_relative_eq!(e, want, max_relative = 1e-12);
}

#[test]
fn board_presets_are_their_chip_with_a_board() {
    for (board, base, chips, shape) in [
        ("ns16e", "truenorth", 16, (4, 4)),
        ("nahuku", "loihi", 32, (8, 4)),
        ("pohoiki-springs", "loihi", 768, (32, 24)),
    ] {
        let b = ChipSpec::resolve(board).unwrap();
        let c = ChipSpec::resolve(base).unwrap();
        assert_eq!((b.board.chips, b.board.grid()), (chips, shape), "{board}");
        assert_eq!(b.board.grid(), BoardSpec::squarest(chips), "{board}");
        assert_eq!(
            ChipSpec {
                name: base.into(),
                board: c.board,
                source: c.source.clone(),
                ..b.clone()
            },
            c,
            "{board} differs from {base} beyond its name and board"
        );
        assert_eq!(
            (b.board.link_latency, b.board.link_energy),
            (c.board.link_latency, c.board.link_energy)
        );
        assert_eq!(b.board_cores(), chips as usize * c.mesh_cores());
    }
}

#[test]
fn squarest_boards() {
    let cases = [
        (1, (1, 1)),
        (2, (2, 1)),
        (3, (2, 2)),
        (4, (2, 2)),
        (7, (3, 3)),
        (8, (4, 2)),
        (16, (4, 4)),
        (32, (8, 4)),
        (768, (32, 24)),
        (16384, (128, 128)),
    ];
    for (n, want) in cases {
        let got = BoardSpec::squarest(n);
        assert_eq!(got, want, "{n} chips");
        assert!(got.0 * got.1 >= n);
    }
}

#[test]
fn board_fields_are_checked_with_the_field_named() {
    let p = Path::new("b.ron");
    let check = |text: &str, field: &str, needle: &str| {
        let spec: ChipSpec = memsnn::config::parse_ron(text, p).unwrap();
        let e = spec.validate().unwrap_err();
        assert_eq!(e.field, field, "{text}: {e}");
        assert!(e.reason.contains(needle), "{text}: {e}");
    };
    check("(board: (chips: 0))", "board.chips", "at least 1");
    check("(board: (chips: 20000))", "board.chips", "limit of 16384");
    check(
        "(board: (chips: 9, shape: Some((4, 2))))",
        "board.shape",
        "holds 8 chips, not 9",
    );
    check(
        "(board: (chips: 2, shape: Some((0, 2))))",
        "board.shape",
        "at least 1",
    );
    check(
        "(board: (shape: Some((200, 200))))",
        "board.shape",
        "limit of 16384",
    );
    check("(board: (link_energy: -1.0))", "board.link_energy", "≥ 0");
    check(
        "(board: (link_latency: 10.0))",
        "board.link_latency",
        "limit",
    );
    // A partly filled board is fine (Nahuku boards hold 8 to 32 chips).
    let spec: ChipSpec =
        memsnn::config::parse_ron("(board: (chips: 9, shape: Some((4, 4))))", p).unwrap();
    spec.validate().unwrap();
}
