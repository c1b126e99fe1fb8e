//! Encoders follow their closed forms: Bernoulli and Poisson spike probabilities per step, latency spike time round((1 − x)(T − 1)), reproducible per-sample streams.

use memsnn::encode::Encoding;
use memsnn::rng;

/// Fraction of spikes over `steps` steps of a 1000-element input all equal to `x`.
fn rate(enc: Encoding, x: f32, dt: f64, steps: usize) -> f64 {
    let input = vec![x; 1000];
    let mut out = vec![0.0; 1000];
    let mut r = rng::stream(9, &[3]);
    let mut total = 0.0;
    for t in 0..steps {
        enc.encode_step(&input, t, steps, dt, &mut r, &mut out);
        assert!(out.iter().all(|&v| v == 0.0 || v == 1.0));
        total += out.iter().map(|&v| v as f64).sum::<f64>();
    }
    total / (1000.0 * steps as f64)
}

fn assert_close(got: f64, p: f64, n: f64) {
    let sigma = (p * (1.0 - p) / n).sqrt();
    assert!(
        (got - p).abs() < 5.0 * sigma + 1e-12,
        "rate {got} vs {p} (σ {sigma})"
    );
}

#[test]
fn bernoulli_rate_is_gain_times_x() {
    for (x, gain) in [(0.3f32, 1.0), (0.8, 0.5), (0.9, 2.0), (0.0, 1.0)] {
        let p = (gain * x as f64).min(1.0);
        assert_close(rate(Encoding::Bernoulli { gain }, x, 1e-3, 100), p, 1e5);
    }
}

#[test]
fn poisson_rate_is_one_minus_exp_of_rate_times_dt() {
    for (x, max_rate, dt) in [
        (0.5f32, 1000.0, 1e-3),
        (1.0, 200.0, 1e-3),
        (0.25, 4000.0, 1e-4),
    ] {
        let p = 1.0 - (-(x as f64) * max_rate * dt).exp();
        assert_close(rate(Encoding::Poisson { max_rate }, x, dt, 200), p, 2e5);
    }
}

#[test]
fn latency_spikes_once_at_the_closed_form_step() {
    let t_steps = 25;
    let xs = [1.0f32, 0.75, 0.5, 0.26, 0.01, 0.0];
    let mut first = vec![None; xs.len()];
    let mut count = vec![0; xs.len()];
    let mut out = vec![0.0; xs.len()];
    let mut r = rng::stream(0, &[0]);
    for t in 0..t_steps {
        Encoding::Latency.encode_step(&xs, t, t_steps, 1e-3, &mut r, &mut out);
        for (i, &v) in out.iter().enumerate() {
            if v == 1.0 {
                count[i] += 1;
                first[i].get_or_insert(t);
            }
        }
    }
    // round((1 − x)·24): 0, 6, 12, 17.76 → 18, 23.76 → 24; x = 0 never spikes.
    assert_eq!(
        first,
        vec![Some(0), Some(6), Some(12), Some(18), Some(24), None]
    );
    assert_eq!(count, vec![1, 1, 1, 1, 1, 0]);
}

#[test]
fn streams_are_per_sample_and_reproducible() {
    let x = vec![0.5f32; 64];
    let draw = |sample: u64| {
        let mut r = rng::stream(7, &[sample]);
        let mut out = vec![0.0; 64];
        Encoding::Bernoulli { gain: 1.0 }.encode_step(&x, 0, 1, 1e-3, &mut r, &mut out);
        out
    };
    assert_eq!(draw(3), draw(3));
    assert_ne!(draw(3), draw(4));
}
