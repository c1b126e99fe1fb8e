//! A spiking ResNet-style network (an identity shortcut and a 1×1 projection shortcut: two edges into one LIF population, twice) gives in ideal mode the spike counts an independent numpy reference recorded (tests/data/resnet/make_resnet.py), and in chip mode with ideal devices, no ADC, no wires and same-step timing exactly the same counts, on loihi, truenorth and a 6-chip board of small cores; a residual sum is located at its main input's home cores (not through the skip edge), and a projection shortcut sends its partial sums there.

use memsnn::chip::{
    BoardSpec, ChipSpec, CoreSpec, Delivery, Fanout, MeshSpec, map_network, routes,
};
use memsnn::experiment::{Experiment, Par, Report, RunConfig, TimePoint};
use memsnn::sim::{Effects, source_homes};
use ndarray::Array2;
use std::path::Path;

fn netlist() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/resnet/netlist.ron")
}

fn expected() -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/resnet/expected.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn expected_counts() -> Array2<i32> {
    let e = expected();
    let rows: Vec<Vec<i32>> = serde_json::from_value(e["output_spike_counts"].clone()).unwrap();
    let n = rows.len();
    Array2::from_shape_vec((n, 3), rows.into_iter().flatten().collect()).unwrap()
}

#[test]
fn ideal_mode_matches_the_numpy_reference() {
    let c = RunConfig::from_netlist(&netlist()).unwrap();
    let Report::Ideal(r) = Experiment::new(c).unwrap().run(Par::Seq, &()).unwrap() else {
        panic!("ideal mode expected")
    };
    assert_eq!(r.spike_counts.unwrap(), expected_counts());
    let e = expected();
    assert!(e["min_margin_to_threshold"].as_f64().unwrap() >= 1e-4);
    for pop in ["lifA", "lifB", "lifC", "lifD"] {
        let got = r.layers.iter().find(|l| l.name == pop).unwrap().spikes;
        assert_eq!(got, e["population_spikes"][pop].as_u64().unwrap(), "{pop}");
    }
}

/// A board of 6 chips of 2×2 cores of 32 axons × 16 columns: every layer gets its own chip.
fn small_board() -> ChipSpec {
    ChipSpec {
        name: "small".into(),
        core: CoreSpec {
            rows: 32,
            cols: 16,
            neurons: 16,
            ..CoreSpec::default()
        },
        fanout: Fanout::Unlimited,
        mesh: MeshSpec {
            width: 2,
            height: 2,
        },
        delivery: Delivery::Steps(1),
        board: BoardSpec {
            chips: 6,
            link_latency: 1e-7,
            link_energy: 1e-11,
            ..BoardSpec::default()
        },
        ..ChipSpec::default()
    }
}

#[test]
fn chip_mode_with_ideal_devices_equals_ideal_mode() {
    let want = expected_counts();
    for chip in ["loihi", "truenorth", "small"] {
        let mut c = RunConfig::from_netlist(&netlist()).unwrap();
        if chip == "small" {
            c.set_chip("loihi").unwrap();
            c.chip = small_board();
        } else {
            c.set_chip(chip).unwrap();
        }
        c.set_card("ideal").unwrap();
        c.effects = Effects::NONE;
        c.crossbar.r_wire = 0.0;
        c.trials = 1;
        c.times = vec![TimePoint::parse("1s").unwrap()];
        let Report::Chip(r) = Experiment::new(c).unwrap().run(Par::Seq, &()).unwrap() else {
            panic!("chip mode expected")
        };
        let got = r.spike_counts.unwrap();
        let got = got.index_axis(ndarray::Axis(0), 0);
        let got = got.index_axis(ndarray::Axis(0), 0);
        assert_eq!(got, want, "{chip}");
        assert!(r.counters.packets > 0, "{chip}");
        if chip == "small" {
            assert_eq!(r.resources.chips, 6);
            assert!(r.counters.interchip_packets > 0);
        }
    }
}

#[test]
fn a_residual_sum_lives_at_its_main_input() {
    let c = RunConfig::from_netlist(&netlist()).unwrap();
    let g = c.network.load(&netlist()).unwrap();
    let chip = ChipSpec::resolve("loihi").unwrap();
    let m = map_network(&g, &chip, 2).unwrap();
    let layer = |name: &str| m.layers.iter().position(|l| l.name == name).unwrap();
    let (a, b, p, cc, fc) = (
        layer("convA"),
        layer("convB"),
        layer("proj"),
        layer("convC"),
        layer("fc"),
    );
    // One core per layer on loihi: their homes differ, so a wrong source shows.
    assert_ne!(m.layers[a].home_core, m.layers[b].home_core);
    // lifB = convB + skip(lifA): its first predecessor in the file is the identity skip, but
    // its neurons live where convB's outputs are summed; proj and convC read lifB from there.
    let homes = source_homes(&g, &m);
    assert_eq!(homes[a], None, "convA is fed by the input");
    assert_eq!(homes[b].as_deref(), Some(&m.layers[a].home_core[..]));
    assert_eq!(homes[p].as_deref(), Some(&m.layers[b].home_core[..]));
    assert_eq!(homes[cc].as_deref(), Some(&m.layers[b].home_core[..]));
    // lifC = proj + convC, two synaptic inputs: the first (proj) hosts the sum, convC's
    // outputs are summed there (its core hosts no neurons and sends 32 partial sums per read).
    assert_eq!(m.layers[cc].home_core, m.layers[p].home_core);
    let core_c = m.layers[cc].tiles[0].core;
    assert_eq!(m.cores[core_c].neurons, 0);
    let r = routes(&g, &m, &chip).unwrap();
    assert_eq!(r.partial_sums[cc][0].0, 32);
    assert_eq!(r.partial_sums[p][0].0, 0);
    assert_eq!(homes[fc].as_deref(), Some(&m.layers[p].home_core[..]));
    // fc's inputs come from lifC's home only (one packet per spike), not also from convC's.
    assert_eq!(r.spike_packets[p], vec![1; 32]);
    assert_eq!(r.spike_packets[cc], vec![0; 32]);
}
