//! Chip mode with ideal devices, no wire resistance, no ADC and same-step timing gives exactly the ideal engine's spike counts (bundled MLP and CNN, snnTorch fixture MLP; first 300 images each), whatever the tiling.

mod common;
use common::shared;

use memsnn::chip::{ChipSpec, ConvMapping, Mapping, SubarraySpec, map_network};
use memsnn::crossbar::{Compensation, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::encode::{Dataset, Encoding};
use memsnn::experiment::Netlist;
use memsnn::network::{Graph, load_nir};
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::{ChipAtTime, ChipSetup, Effects, dense_mapping, program_chip, run_on_chip};
use memsnn::sim::{Engine, RunOptions};
use std::path::Path;

const SAMPLES: usize = 300;

fn bundled(name: &str) -> (Graph, Dataset, usize) {
    bundled_n(name, SAMPLES)
}

fn bundled_n(name: &str, samples: usize) -> (Graph, Dataset, usize) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("netlists/{name}/netlist.ron"));
    let n = Netlist::read(&p).unwrap();
    let d = n.dataset.clone().unwrap();
    let g = n.network.clone().unwrap().load(&p).unwrap();
    (
        g,
        Dataset::read_idx(&d.images, &d.labels, Some(samples)).unwrap(),
        n.timesteps,
    )
}

fn ideal_setup(card: &str) -> ChipSetup {
    ChipSetup {
        statistics: DeviceCard::resolve(card).unwrap().statistics,
        map: MapConfig::default(),
        read: ReadConfig::default(),
        r_wire: 1.0,
        compensation: Compensation::None,
        delay: 1,
        effects: Effects::NONE,
    }
}

/// The chip presets' mappings and dense `rows × cols` blocks.
fn mappings(graph: &Graph, dense: Option<(usize, usize)>) -> Vec<Mapping> {
    let mut m: Vec<Mapping> = ["truenorth", "loihi"]
        .iter()
        .map(|c| map_network(graph, &ChipSpec::resolve(c).unwrap(), 2).unwrap())
        .collect();
    if let Some((r, c)) = dense {
        m.push(dense_mapping(graph, r, c).unwrap());
    }
    m
}

fn check(graph: &Graph, data: &Dataset, timesteps: usize, mapping: &Mapping) {
    check_cards(graph, data, timesteps, mapping, &["ideal", "pcm"])
}

/// As [`check`], with the chip set up tile by tile (`ChipAtTime::stream`, as `memsnn emulate`
/// does: bit-identical, see tests/chip_stream.rs), for networks too large to hold every
/// programmed crossbar at once.
fn check_cards(graph: &Graph, data: &Dataset, timesteps: usize, mapping: &Mapping, cards: &[&str]) {
    let disc = Discretisation {
        dt: 1e-4,
        reset: Reset::Zero,
        semantics: Default::default(),
    };
    let opts = RunOptions {
        timesteps,
        encoding: Encoding::Direct,
        seed: 0,
    };
    let ideal = Engine::new(graph, disc)
        .unwrap()
        .run(data.images.view(), &opts, &|_| ())
        .unwrap();
    // The ideal card, and pcm with every non-ideality switched off.
    for &card in cards {
        let setup = ideal_setup(card);
        let run = if cards.len() == 2 {
            let chip = program_chip(mapping, &setup, 7, 0).unwrap();
            run_on_chip(
                graph,
                disc,
                mapping,
                &setup,
                &chip,
                86_400.0,
                0,
                data.images.view(),
                &opts,
                &|_| (),
            )
            .unwrap()
        } else {
            ChipAtTime::stream(graph, mapping, &setup, 86_400.0, 0, 7)
                .unwrap()
                .run(graph, disc, data.images.view(), &opts, &|_| ())
                .unwrap()
        };
        let (a, b) = (
            ideal.spike_counts().unwrap(),
            run.result.spike_counts().unwrap(),
        );
        let differ = a
            .rows()
            .into_iter()
            .zip(b.rows())
            .filter(|(x, y)| x != y)
            .count();
        assert_eq!(
            differ, 0,
            "{card} on {}: {differ} samples differ",
            mapping.chip
        );
        assert_eq!(run.result.predictions, ideal.predictions);
        assert!(run.counters.crossbar_reads > 0);
        assert_eq!(run.counters.adc_conversions, 0);
    }
}

#[test]
fn ideal_chip_equals_ideal_engine_on_bundled_mlp() {
    let (g, d, t) = bundled("mnist-mlp");
    // One tile per layer (dense 4096×1024), row splits (truenorth), row and column splits.
    for m in mappings(&g, Some((4096, 100))) {
        check(&g, &d, t, &m);
    }
}

#[test]
fn ideal_chip_equals_ideal_engine_on_fixture_mlp() {
    let g = load_nir(&shared("fixtures/snntorch-mnist-mlp/mlp.nir")).unwrap();
    let d = Dataset::read_idx(
        &shared("data/mnist/test-images-idx3-ubyte.gz"),
        &shared("data/mnist/test-labels-idx1-ubyte.gz"),
        Some(SAMPLES),
    )
    .unwrap();
    for m in mappings(&g, Some((256, 100))) {
        check(&g, &d, 25, &m);
    }
}

#[test]
fn ideal_chip_equals_ideal_engine_on_bundled_cnn() {
    let (g, d, t) = bundled("fashion-cnn");
    // Convolutions unrolled into patches with replicated weights (truenorth, loihi).
    for m in mappings(&g, None) {
        check(&g, &d, t, &m);
    }
}

/// The presets with physical subarrays and either conv mapping.
fn layouts(graph: &Graph) -> Vec<Mapping> {
    let mut v = Vec::new();
    for (chip, sub) in [("loihi", 256), ("truenorth", 64), ("loihi", 48)] {
        for conv in [ConvMapping::Unrolled, ConvMapping::Shared] {
            let mut spec = ChipSpec::resolve(chip).unwrap();
            spec.core.subarray = Some(SubarraySpec {
                rows: sub,
                cols: sub,
            });
            spec.conv = conv;
            spec.validate().unwrap();
            let m = map_network(graph, &spec, 2).unwrap();
            // Subarrays really cut the cores (more crossbars than cores) for every layout.
            let tiles: usize = m.layers.iter().map(|l| l.tiles.len()).sum();
            assert!(tiles > m.cores.iter().filter(|c| c.subarrays > 0).count() || sub == 256);
            assert_eq!(
                m.layers.iter().any(|l| l.shared.is_some()),
                conv == ConvMapping::Shared
            );
            v.push(m);
        }
    }
    v
}

#[test]
fn both_conv_mappings_on_subarrays_equal_the_ideal_engine_on_bundled_cnn() {
    let (g, d, t) = bundled("fashion-cnn");
    for m in layouts(&g) {
        check(&g, &d, t, &m);
    }
}

/// `graph` with every weight and bias rounded to a multiple of 2⁻¹⁰ and `data` to multiples of
/// 2⁻⁸: every product and partial sum of the network is then exact in f32, so the result of
/// a layer does not depend on the order its terms are added in (GEMM blocking, subarrays,
/// tiles). Through 7 layers a float reassociation alone can flip a spike (with the trained
/// weights as they are, 1 of 40 count vectors of the shared layout differed from the GEMM's by
/// rounding); on this grid any difference left is a mapping error.
fn dyadic(mut graph: Graph, mut data: Dataset) -> (Graph, Dataset) {
    use memsnn::network::NodeKind;
    let q = |v: &mut f32| *v = (*v * 1024.0).round() / 1024.0;
    for n in &mut graph.nodes {
        match &mut n.kind {
            NodeKind::Affine { weight, bias } => {
                weight.iter_mut().for_each(q);
                bias.iter_mut().for_each(q);
            }
            NodeKind::Linear { weight } => weight.iter_mut().for_each(q),
            NodeKind::Conv2d { weight, bias, .. } => {
                weight.iter_mut().for_each(q);
                bias.iter_mut().for_each(q);
            }
            _ => {}
        }
    }
    data.images.mapv_inplace(|x| (x * 256.0).round() / 256.0);
    (graph, data)
}

/// The deep network's two layouts: unrolled over Loihi-style cores (168 of them: a 32×32
/// mesh) and shared on 256×256 subarrays.
fn deep_layouts(g: &Graph) -> Vec<Mapping> {
    let mut spec = ChipSpec::resolve("loihi").unwrap();
    spec.mesh.width = 32;
    spec.mesh.height = 32;
    let unrolled = map_network(g, &spec, 2).unwrap();
    spec.conv = ConvMapping::Shared;
    spec.core.subarray = Some(SubarraySpec {
        rows: 256,
        cols: 256,
    });
    let shared = map_network(g, &spec, 2).unwrap();
    assert!(unrolled.cores.len() > 128, "{} cores", unrolled.cores.len());
    vec![shared, unrolled]
}

#[test]
fn both_conv_mappings_equal_the_ideal_engine_on_the_deep_network() {
    // The bundled VGG-style network (5 conv + 2 fc layers, 1.03 M weights) on the exact grid.
    let (g, d, t) = bundled_n("fashion-vgg", 40);
    let (g, d) = dyadic(g, d);
    for m in deep_layouts(&g) {
        check_cards(&g, &d, t, &m, &["pcm"]);
    }
}
