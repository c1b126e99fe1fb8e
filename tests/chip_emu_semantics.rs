//! Chip mode with ideal devices, no wire resistance, no ADC and same-step timing gives exactly the
//! ideal engine's spike counts under every semantics preset (framework fixtures, first 200 test
//! images), including multi-spike count inputs (Sinabs, Rockpool: a count `n` is `n` unit reads).

use memsnn::crossbar::{Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::{Dataset, Encoding};
use memsnn::network::load_nir;
use memsnn::neuron::{ALL_SEMANTICS, Discretisation, Reset, Semantics};
use memsnn::sim::{ChipSetup, Effects, dense_mapping, program_chip, run_on_chip};
use memsnn::sim::{Engine, RunOptions};
use std::path::{Path, PathBuf};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared").join(rel))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("shared file {rel} not found"))
}

/// The fixture and time step each preset is checked on.
fn case(s: Semantics) -> (&'static str, f64) {
    match s {
        Semantics::Norse => ("norse", 1e-3),
        Semantics::Sinabs => ("sinabs", 1.0),
        Semantics::Rockpool => ("rockpool", 1e-3),
        Semantics::Spyx => ("spyx", 1.0),
        // snnTorch's recurrent network (τ = 1 ms) under the ODE presets too.
        Semantics::Snntorch | Semantics::Nir | Semantics::NirExact => ("snntorch-rleaky", 1e-4),
    }
}

#[test]
fn ideal_chip_equals_ideal_engine_under_every_preset() {
    let data = Dataset::read_idx(
        &shared("data/mnist/test-images-idx3-ubyte.gz"),
        &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        Some(200),
    )
    .unwrap();
    let opts = RunOptions {
        timesteps: 25,
        encoding: Encoding::Direct,
        seed: 0,
    };
    for s in ALL_SEMANTICS {
        let (name, dt) = case(s);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let graph = load_nir(&dir.join("net.nir")).unwrap();
        let disc = Discretisation {
            dt,
            reset: Reset::Subtract,
            semantics: s,
        };
        let ideal = Engine::new(&graph, disc)
            .unwrap()
            .run(data.images.view(), &opts, &|_| ())
            .unwrap();
        let a = ideal.spike_counts().unwrap();
        assert!(a.sum() > 0, "{s} on {name}: silent network tests nothing");
        let setup = ChipSetup {
            statistics: DeviceCard::resolve("ideal").unwrap().statistics,
            map: MapConfig::default(),
            read: ReadConfig::default(),
            r_wire: 1.0,
            compensation: Compensation::None,
            delay: 1,
            effects: Effects::NONE,
        };
        // One tile per layer, and row and column splits.
        for (rows, cols) in [(4096, 1024), (256, 100)] {
            let mapping = dense_mapping(&graph, rows, cols).unwrap();
            let chip = program_chip(&mapping, &setup, 7, 0).unwrap();
            let run = run_on_chip(
                &graph,
                disc,
                &mapping,
                &setup,
                &chip,
                86_400.0,
                0,
                data.images.view(),
                &opts,
                &|_| (),
            )
            .unwrap();
            let b = run.result.spike_counts().unwrap();
            let differ = a
                .rows()
                .into_iter()
                .zip(b.rows())
                .filter(|(x, y)| x != y)
                .count();
            assert_eq!(
                differ, 0,
                "{s} on {name} ({rows}×{cols} tiles): {differ} samples differ"
            );
            assert!(run.counters.crossbar_reads > 0);
        }
    }
}
