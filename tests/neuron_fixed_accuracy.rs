//! The bundled MLP on the `loihi` preset keeps its accuracy with Loihi fixed-point neurons: within 1.5 points of float neurons on 300 images (chip with ideal devices but the 8-bit ADC and 1-step delivery on, and the plain engine), with ≥ 97 % of predictions unchanged; the fixed-point run is deterministic across thread counts.

use memsnn::chip::{
    ChipSetup, ChipSpec, Effects, map_network, program_chip, run_on_chip_with_neurons,
};
use memsnn::crossbar::{Adc, AdcRange, Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::Dataset;
use memsnn::network::Netlist;
use memsnn::neuron::{Discretisation, NeuronModel};
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
