//! Streamed chip set-up (`ChipAtTime::stream`: program, move and solve tile by tile, keeping
//! only the read models) is bit-identical to programming the whole chip once and moving copies
//! of it (`program_chip` + `ChipAtTime::new`): same outputs and counters on the bundled CNN and
//! MLP, PCM with every non-ideality (1 Ω wires, 8-bit ADC, drift with column compensation),
//! subarrays and both conv mappings, at two times.

use memsnn::chip::{ChipSpec, ConvMapping, SubarraySpec, map_network};
use memsnn::crossbar::{Adc, AdcRange, Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::Dataset;
use memsnn::experiment::Netlist;
use memsnn::network::Graph;
use memsnn::neuron::Discretisation;
use memsnn::sim::{ChipAtTime, ChipSetup, Effects, RunOptions, program_chip};
use std::path::Path;

fn bundled(name: &str, n: usize) -> (Graph, Dataset, Discretisation, RunOptions) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("netlists/{name}/netlist.ron"));
    let nl = Netlist::read(&p).unwrap();
    let d = nl.dataset.clone().unwrap();
    let g = nl.network.clone().unwrap().load(&p).unwrap();
    let data = Dataset::read_idx(&d.images, &d.labels, Some(n)).unwrap();
    let disc = Discretisation {
        dt: nl.dt,
        reset: nl.reset,
        semantics: nl.semantics,
    };
    let opts = RunOptions {
        timesteps: nl.timesteps,
        encoding: nl.encoding,
        seed: 11,
    };
    (g, data, disc, opts)
}

fn setup() -> ChipSetup {
    ChipSetup {
        statistics: DeviceCard::resolve("pcm").unwrap().statistics,
        map: MapConfig::default(),
        read: ReadConfig {
            adc: Some(Adc {
                bits: 8,
                range: AdcRange::Calibrated { margin: 1.0 },
            }),
            ..ReadConfig::default()
        },
        r_wire: 1.0,
        compensation: Compensation::PerColumn,
        delay: 1,
        effects: Effects::ALL,
    }
}

fn check(name: &str, conv: ConvMapping, sub: Option<usize>) {
    let (g, data, disc, opts) = bundled(name, 40);
    let mut spec = ChipSpec::resolve("loihi").unwrap();
    spec.conv = conv;
    spec.core.subarray = sub.map(|n| SubarraySpec { rows: n, cols: n });
    let m = map_network(&g, &spec, 2).unwrap();
    let s = setup();
    let trial = 1;
    let programmed = program_chip(&m, &s, opts.seed, trial).unwrap();
    for t in [1.0, 86_400.0] {
        let a = ChipAtTime::new(&g, &m, &s, &programmed, t, trial, opts.seed)
            .unwrap()
            .run(&g, disc, data.images.view(), &opts, &|_| ())
            .unwrap();
        let b = ChipAtTime::stream(&g, &m, &s, t, trial, opts.seed)
            .unwrap()
            .run(&g, disc, data.images.view(), &opts, &|_| ())
            .unwrap();
        assert_eq!(a.counters, b.counters, "{name} {conv:?} {sub:?} t = {t}");
        assert_eq!(
            a.result.outputs, b.result.outputs,
            "{name} {conv:?} {sub:?} t = {t}"
        );
        assert!(a.counters.adc_conversions > 0 && a.counters.spikes > 0);
    }
}

#[test]
fn streamed_setup_equals_programming_once_on_the_cnn() {
    check("fashion-cnn", ConvMapping::Shared, Some(64));
    check("fashion-cnn", ConvMapping::Unrolled, Some(64));
}

#[test]
fn streamed_setup_equals_programming_once_on_the_mlp() {
    check("mnist-mlp", ConvMapping::Unrolled, Some(128));
}
