//! Every chip spec shipped in netlists/chips parses and validates, the presets resolve by name, and both bundled networks (and the snnTorch fixture MLP) map onto both presets within every core limit.

use memsnn::chip::{ChipSpec, Fanout, map_network, routes, traffic};
use memsnn::network::{Graph, load_nir};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_shipped_chip_file_parses_and_validates() {
    let mut n = 0;
    for e in std::fs::read_dir(root().join("netlists/chips")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "ron") {
            let spec = ChipSpec::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let stem = p.file_stem().unwrap().to_str().unwrap();
            // The file and the embedded preset of the same name are the same spec.
            if let Ok(b) = ChipSpec::builtin(stem) {
                assert_eq!(
                    ChipSpec {
                        source: PathBuf::new(),
                        ..b
                    },
                    ChipSpec {
                        source: PathBuf::new(),
                        ..spec
                    }
                );
            }
            n += 1;
        }
    }
    assert!(n >= 2);
    let names: Vec<_> = ChipSpec::builtin_names().collect();
    assert_eq!(
        names,
        ["truenorth", "loihi", "ns16e", "nahuku", "pohoiki-springs"]
    );
    let tn = ChipSpec::resolve(
        root()
            .join("netlists/chips/truenorth.ron")
            .to_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(tn.name, "truenorth");
}

fn check(g: &Graph, spec: &ChipSpec, cpo: usize) -> memsnn::chip::Mapping {
    let m = map_network(g, spec, cpo).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    assert!(m.cores.len() <= spec.mesh_cores());
    for (l, lm) in m.layers.iter().enumerate() {
        for t in &lm.tiles {
            assert!(t.inputs.len() <= spec.core.rows);
            assert!(t.outputs.len() * cpo <= spec.core.cols);
            assert_eq!(m.cores[t.core].layer, l);
        }
    }
    for c in &m.cores {
        assert!(c.neurons + c.splitters <= spec.core.neurons, "{c:?}");
    }
    if spec.fanout == Fanout::Unlimited {
        assert!(m.cores.iter().all(|c| c.splitters == 0));
    }
    let t = traffic(g, &m, spec).unwrap();
    let (packets, hops) = t.totals(&m);
    assert!(
        hops >= packets,
        "every inter-core packet makes at least one hop"
    );
    // The per-event routes add up to the traffic estimate (every neuron fires once, every tile read).
    let r = routes(g, &m, spec).unwrap();
    let sum = |v: &Vec<Vec<u32>>| v.iter().flatten().map(|&x| x as u64).sum::<u64>();
    let ps: (u64, u64) = r
        .partial_sums
        .iter()
        .flatten()
        .fold((0, 0), |a, &(n, h)| (a.0 + n as u64, a.1 + h as u64));
    assert_eq!(sum(&r.spike_packets) + ps.0, packets);
    assert_eq!(sum(&r.spike_hops) + ps.1, hops);
    m
}

#[test]
fn bundled_mlp_maps_onto_both_presets() {
    let g = load_nir(&root().join("netlists/mnist-mlp/model.nir")).unwrap();
    let tn = check(&g, &ChipSpec::builtin("truenorth").unwrap(), 2);
    // 784 inputs: 4 row blocks of 196 axons; 128 outputs × 2 columns = 256 columns.
    assert_eq!(tn.layers[0].tiles.len(), 4);
    assert_eq!(tn.layers[1].tiles.len(), 1);
    assert_eq!(tn.cores.iter().map(|c| c.splitters).sum::<usize>(), 0);
    let lo = check(&g, &ChipSpec::builtin("loihi").unwrap(), 2);
    assert_eq!(lo.cores.len(), 2);
}

#[test]
fn bundled_cnn_maps_onto_both_presets() {
    let g = load_nir(&root().join("netlists/fashion-cnn/model.nir")).unwrap();
    let tn = check(&g, &ChipSpec::builtin("truenorth").unwrap(), 2);
    // conv1 has 8×24×24 = 4,608 outputs, at most 128 per core (256 columns / 2).
    assert!(tn.layers[0].tiles.len() >= 36);
    // Overlapping receptive fields of conv2 read pooled conv1 outputs on several cores.
    assert!(tn.cores.iter().map(|c| c.splitters).sum::<usize>() > 0);
    let lo = check(&g, &ChipSpec::builtin("loihi").unwrap(), 2);
    assert!(lo.cores.len() < tn.cores.len());
}

#[test]
fn other_framework_fixtures_map_onto_both_presets() {
    // snnTorch MLP, Sinabs CNN (SumPool2d, IF), recurrent CubaLIF Braille networks.
    for f in [
        "mlp.nir",
        "cnn_sinabs.nir",
        "braille_noDelay_bias_zero.nir",
        "braille_noDelay_noBias_subtract.nir",
    ] {
        let g = load_nir(&root().join("tests/data/nir/fixtures").join(f)).unwrap();
        for chip in ["truenorth", "loihi"] {
            let spec = ChipSpec::builtin(chip).unwrap();
            let m = check(&g, &spec, 2);
            let synaptic = g.nodes.iter().filter(|n| n.kind.is_synaptic()).count();
            assert_eq!(m.layers.len(), synaptic, "{f} on {chip}");
        }
    }
}

/// The traffic-aware placement beats laying the same cores out in serpentine order (layer after
/// layer, the naive baseline) on the bundled CNN, on both presets.
#[test]
fn placement_beats_serpentine_order() {
    let g = load_nir(&root().join("netlists/fashion-cnn/model.nir")).unwrap();
    for chip in ["truenorth", "loihi"] {
        let spec = ChipSpec::builtin(chip).unwrap();
        let m = map_network(&g, &spec, 2).unwrap();
        let mut naive = m.clone();
        let w = spec.mesh.width as usize;
        for (i, c) in naive.cores.iter_mut().enumerate() {
            let (y, x) = (i / w, i % w);
            let x = if y % 2 == 0 { x } else { w - 1 - x };
            c.position = (x as u32, y as u32);
        }
        let (p, placed) = traffic(&g, &m, &spec).unwrap().totals(&m);
        let (p0, base) = traffic(&g, &naive, &spec).unwrap().totals(&naive);
        assert_eq!(p, p0, "placement does not change which packets are sent");
        eprintln!("{chip}: {placed} packet-hops/step placed, {base} in serpentine order");
        assert!(
            (placed as f64) < 0.8 * base as f64,
            "{chip}: placed {placed} packet-hops/step vs serpentine {base}"
        );
    }
}
