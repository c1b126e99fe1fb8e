//! The bundled MLP on the `loihi` preset keeps its accuracy with Loihi fixed-point neurons: within 1.5 points of float neurons on 300 images (chip with ideal devices but the 8-bit ADC and 1-step delivery on, and the plain engine), with ≥ 97 % of predictions unchanged; the fixed-point run is deterministic across thread counts; ideal synapses feeding fixed-point neurons hold 8-bit weight mantissas (hand-counted spike train).

use memsnn::chip::{ChipSpec, map_network};
use memsnn::crossbar::{Adc, AdcRange, Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::Dataset;
use memsnn::experiment::Netlist;
use memsnn::neuron::{Discretisation, NeuronModel};
use memsnn::sim::{ChipSetup, Effects, program_chip, run_on_chip_with_neurons};
use memsnn::sim::{Engine, RunOptions};
use std::path::Path;

const SAMPLES: usize = 300;

const MARGIN: f64 = 0.015;

fn setup() -> (memsnn::network::Graph, Dataset, Discretisation, RunOptions) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/mnist-mlp/netlist.ron");
    let n = Netlist::read(&p).unwrap();
    let d = n.dataset.clone().unwrap();
    let g = n.network.clone().unwrap().load(&p).unwrap();
    let data = Dataset::read_idx(&d.images, &d.labels, Some(SAMPLES)).unwrap();
    let disc = Discretisation {
        dt: n.dt,
        reset: n.reset,
        semantics: n.semantics,
    };
    let opts = RunOptions {
        timesteps: n.timesteps,
        encoding: n.encoding,
        seed: 0,
    };
    (g, data, disc, opts)
}

fn agreement(a: &[usize], b: &[usize]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

#[test]
fn engine_fixed_point_accuracy_close_to_float() {
    let (g, data, disc, opts) = setup();
    let run = |m| {
        Engine::with_neurons(&g, disc, m, |_, _| None)
            .unwrap()
            .run(data.images.view(), &opts, &|_| ())
            .unwrap()
    };
    let (f, x) = (run(NeuronModel::Float), run(NeuronModel::LoihiFixed));
    let (af, ax) = (f.accuracy(&data.labels), x.accuracy(&data.labels));
    eprintln!("engine: float {af}, fixed {ax}");
    assert!(af > 0.9, "{af}");
    assert!((af - ax).abs() <= MARGIN, "float {af} fixed {ax}");
    assert!(agreement(&f.predictions, &x.predictions) >= 0.97);
    // The fixed-point run is not the float run in disguise: some spike counts differ.
    assert_ne!(f.outputs, x.outputs);
}

#[test]
fn loihi_chip_fixed_point_accuracy_close_to_float_and_deterministic() {
    let (g, data, disc, opts) = setup();
    let chip = ChipSpec::resolve("loihi").unwrap();
    let mapping = map_network(&g, &chip, 2).unwrap();
    let s = ChipSetup {
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
        delay: chip.delivery.steps() as usize,
        effects: Effects::ALL,
    };
    let programmed = program_chip(&mapping, &s, 0, 0).unwrap();
    let run = |m, threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                run_on_chip_with_neurons(
                    &g,
                    disc,
                    m,
                    &mapping,
                    &s,
                    &programmed,
                    1.0,
                    0,
                    data.images.view(),
                    &opts,
                    &|_| (),
                )
                .unwrap()
                .result
            })
    };
    let f = run(NeuronModel::Float, 2);
    let x = run(NeuronModel::LoihiFixed, 2);
    let (af, ax) = (f.accuracy(&data.labels), x.accuracy(&data.labels));
    eprintln!("loihi chip: float {af}, fixed {ax}");
    assert!(af > 0.85, "{af}");
    assert!((af - ax).abs() <= MARGIN, "float {af} fixed {ax}");
    assert!(agreement(&f.predictions, &x.predictions) >= 0.97);
    assert_eq!(run(NeuronModel::LoihiFixed, 1).outputs, x.outputs);
}

fn node(name: &str, kind: memsnn::network::NodeKind, i: usize, o: usize) -> memsnn::network::Node {
    memsnn::network::Node {
        name: name.into(),
        kind,
        input_shape: vec![i],
        output_shape: vec![o],
    }
}

/// Regression: ideal synapses feeding fixed-point neurons hold 8-bit weight mantissas.
#[test]
fn ideal_synapses_feeding_fixed_neurons_use_8_bit_weight_mantissas() {
    use memsnn::network::{Graph, NodeKind};
    use ndarray::{Array1, Array2, Array3};
    // Input(2) → Affine [1.0, 0.01] → IF (R·dt = 1, θ = 1) → Output; spikes on input 1 only.
    let graph = Graph {
        nodes: vec![
            node("input", NodeKind::Input, 2, 2),
            node(
                "fc",
                NodeKind::Affine {
                    weight: Array2::from_shape_vec((1, 2), vec![1.0, 0.01]).unwrap(),
                    bias: Array1::zeros(1),
                },
                2,
                1,
            ),
            node(
                "if",
                NodeKind::If {
                    r: Array1::from_elem(1, 1e4),
                    v_threshold: Array1::from_elem(1, 1.0),
                    v_reset: Array1::zeros(1),
                },
                1,
                1,
            ),
            node("output", NodeKind::Output, 1, 1),
        ],
        edges: vec![(0, 1), (1, 2), (2, 3)],
    };
    let disc = Discretisation::default();
    let steps = 650;
    let x = Array3::from_shape_fn((1, steps, 2), |(_, _, i)| i as f32);
    let count = |m| {
        Engine::with_neurons(&graph, disc, m, |_, _| None)
            .unwrap()
            .run_sequence(x.view(), &|_| ())
            .unwrap()
            .outputs[[0, 0]]
    };
    // Float: +0.01 per step, v > 1 first after 101 steps (f32 sums): 6 spikes in 650 steps.
    assert_eq!(count(NeuronModel::Float), 6.0);
    // Fixed: S = 2^13, shared exponent 7 (8192/2^7 = 64 ≤ 127), 0.01·8192/128 = 0.64 → mantissa 1,
    // i.e. 128 per step against vth = 8192: v > θ after 65 steps, 10 spikes in 650 (unquantised
    // 82 per step would give 6).
    assert_eq!(count(NeuronModel::LoihiFixed), 10.0);
}
