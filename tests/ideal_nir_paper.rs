//! NIR-paper networks run in ideal mode: lif_norse spikes at the exact solution's steps; cnn_sinabs and both Braille networks run forward on random input with finite outputs of the right shape.

mod common;
use common::shared;

use memsnn::encode::Encoding;
use memsnn::network::load_nir;
use memsnn::neuron::{Discretisation, Reset};
use memsnn::sim::{Engine, Readout, RunOptions};
use ndarray::{Array2, Array3};
use rand::RngExt;

#[test]
fn lif_norse_spikes_at_exact_solution_steps() {
    let graph = load_nir(&shared("fixtures/nir-paper/01_lif/lif_norse.nir")).unwrap();
    let csv = std::fs::read_to_string(shared("fixtures/nir-paper/01_lif/lif_exact.csv")).unwrap();
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 1000);
    let input: Vec<f32> = rows.iter().map(|r| r[0] as f32).collect();
    let exact: Vec<usize> = (0..rows.len()).filter(|&t| rows[t][2] != 0.0).collect();
    assert_eq!(exact, vec![460, 510, 710, 760]);
    let disc = Discretisation {
        dt: 1e-4,
        reset: Reset::Subtract,
        semantics: Default::default(),
    };
    let engine = Engine::new(&graph, disc).unwrap();
    // Run the sequence truncated after each step: the count increments exactly at spike steps.
    let seq = Array3::from_shape_vec((1, 1000, 1), input.clone()).unwrap();
    let total = engine.run_sequence(seq.view(), &|_| ()).unwrap();
    assert_eq!(total.readout, Readout::SpikeCounts);
    assert_eq!(total.outputs[[0, 0]], 4.0);
    // Sample k sees the input up to step k and silence afterwards (a membrane below threshold
    // only decays without input), so its count is the number of spikes in steps 0..=k.
    let seqs = Array3::from_shape_fn(
        (1000, 1000, 1),
        |(k, t, _)| if t <= k { input[t] } else { 0.0 },
    );
    let counts = engine.run_sequence(seqs.view(), &|_| ()).unwrap().outputs;
    let steps: Vec<usize> = (0..1000)
        .filter(|&k| counts[[k, 0]] > if k == 0 { 0.0 } else { counts[[k - 1, 0]] })
        .collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    for (got, want) in steps.iter().zip(&exact) {
        assert!(got.abs_diff(*want) <= 1, "{steps:?} vs {exact:?}");
    }
}

fn forward_random(file: &str, disc: Discretisation) -> (usize, usize) {
    let graph = load_nir(&shared(file)).unwrap();
    let engine = Engine::new(&graph, disc).unwrap();
    let n_in = engine.input_len();
    let mut rng = memsnn::rng::stream(5, &[]);
    // Random binary events (20 %), 3 samples, 20 steps.
    let seq = Array3::from_shape_fn((3, 20, n_in), |_| (rng.random::<f32>() < 0.2) as u8 as f32);
    let res = engine.run_sequence(seq.view(), &|_| ()).unwrap();
    assert_eq!(res.outputs.nrows(), 3);
    assert_eq!(res.outputs.ncols(), engine.output_len());
    assert!(
        res.outputs.iter().all(|v| v.is_finite()),
        "{file}: {:?}",
        res.outputs
    );
    // Static random analog input through the Bernoulli encoder as well.
    let x = Array2::from_shape_fn((2, n_in), |_| rng.random::<f32>());
    let opts = RunOptions {
        timesteps: 10,
        encoding: Encoding::Bernoulli { gain: 0.5 },
        seed: 1,
    };
    let res2 = engine.run(x.view(), &opts, &|_| ()).unwrap();
    assert!(res2.outputs.iter().all(|v| v.is_finite()));
    let activity: u64 = res
        .layers
        .iter()
        .map(|l| l.spikes + l.synaptic_events)
        .sum();
    assert!(activity > 0, "{file}: no activity at all");
    (n_in, engine.output_len())
}

#[test]
fn cnn_sinabs_runs_forward() {
    // Sinabs' IF adds its input unscaled: dt = 1 makes R·dt = 1.
    let disc = Discretisation {
        dt: 1.0,
        reset: Reset::Subtract,
        semantics: Default::default(),
    };
    let (n_in, n_out) = forward_random("fixtures/nir-paper/02_cnn/cnn_sinabs.nir", disc);
    assert_eq!((n_in, n_out), (2 * 34 * 34, 10));
}

#[test]
fn braille_networks_run_forward() {
    for (file, reset) in [
        (
            "fixtures/nir-paper/03_rnn/braille_noDelay_bias_zero.nir",
            Reset::Zero,
        ),
        (
            "fixtures/nir-paper/03_rnn/braille_noDelay_noBias_subtract.nir",
            Reset::Subtract,
        ),
    ] {
        let (n_in, n_out) = forward_random(
            file,
            Discretisation {
                dt: 1e-4,
                reset,
                semantics: Default::default(),
            },
        );
        assert_eq!((n_in, n_out), (12, 7), "{file}");
    }
}
