//! Contract: the `pcm` statistics (n = 200,000 devices per target, fixed seed) match the closed
//! forms of Nandakumar 2019 / Joshi 2020 — σ_prog at ĝ = 0.1, 0.5, 1.0, mean and std of ν
//! (folded normal), and mean (and std) of the read conductance at t = 1 h, 1 day, 1 year —
//! within 2 %.

use memsnn::device::{DeviceCard, Statistics};
use memsnn::rng;

const N: usize = 200_000;
const G_MAX: f64 = 25e-6;
const T0: f64 = 20.0;
const T_READ: f64 = 250e-9;

/// Complementary error function (Numerical Recipes `erfcc`, fractional error < 1.2e-7),
/// written here independently of the library.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.26551223
        + t * (1.00002368
            + t * (0.37409196
                + t * (0.09678418
                    + t * (-0.18628806
                        + t * (0.27886807
                            + t * (-1.13520398
                                + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Standard normal CDF Φ.
fn cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal density φ.
fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The closed forms, typed in from the issue text.
fn sigma_prog(gh: f64) -> f64 {
    (0.26348 + 1.9650 * gh - 1.1731 * gh * gh) * 1e-6
}
fn nu_mu(gh: f64) -> f64 {
    (-0.0155 * gh.ln() + 0.0244).clamp(0.049, 0.1)
}
fn nu_sd(gh: f64) -> f64 {
    (-0.0125 * gh.ln() - 0.0059).clamp(0.008, 0.045)
}
fn q_s(gh_prog: f64) -> f64 {
    (0.0088 / gh_prog.powf(0.65)).min(0.2)
}

/// Mean and std of the folded normal |N(μ, σ)|:
/// E|Y| = σ·sqrt(2/π)·exp(−μ²/2σ²) + μ·(1 − 2Φ(−μ/σ)), E[Y²] = μ² + σ².
fn folded_mean_std(mu: f64, sd: f64) -> (f64, f64) {
    let m = sd * (2.0 / std::f64::consts::PI).sqrt() * (-mu * mu / (2.0 * sd * sd)).exp()
        + mu * (1.0 - 2.0 * cdf(-mu / sd));
    (m, (mu * mu + sd * sd - m * m).sqrt())
}

/// E[exp(−a·|Y|)] for Y ~ N(μ, σ):
/// ∫₀^∞ e^{−ay}[φ((y−μ)/σ) + φ((y+μ)/σ)]/σ dy; completing the square in each term gives
/// e^{−aμ + a²σ²/2}·Φ(μ/σ − aσ) + e^{aμ + a²σ²/2}·Φ(−μ/σ − aσ).
fn folded_laplace(a: f64, mu: f64, sd: f64) -> f64 {
    (-a * mu + 0.5 * a * a * sd * sd).exp() * cdf(mu / sd - a * sd)
        + (a * mu + 0.5 * a * a * sd * sd).exp() * cdf(-mu / sd - a * sd)
}

/// Simpson's rule of f over [a, b] with `m` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, m: usize) -> f64 {
    let h = (b - a) / m as f64;
    let mut s = f(a) + f(b);
    for k in 1..m {
        s += f(a + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// Expected mean and std of G_read(t) for target G_T.
///
/// Derivation. X = G_T + σ_p·N₁, G_prog = max(0, X); ν = |N(μ_ν, σ_ν)| independent of X;
/// G(t) = G_prog·k^(−ν), k = (t + t₀)/t₀; G_read = max(0, G(t)·(1 + s·N₂)) with
/// s = Q_s(G_prog/G_max)·c, c = sqrt(ln((t + t₀ + t_read)/(2·t_read))), N₂ independent.
/// Because G(t) ≥ 0, max(0, G(t)(1 + sN₂)) = G(t)·max(0, 1 + sN₂), and for Z = (a + bN)⁺:
/// E[Z] = aΦ(a/b) + bφ(a/b), E[Z²] = (a² + b²)Φ(a/b) + abφ(a/b). With a = 1, b = s:
///   h₁(s) = Φ(1/s) + sφ(1/s),  h₂(s) = (1 + s²)Φ(1/s) + sφ(1/s).
/// By independence of X, ν and N₂:
///   E[G_read]  = E[k^(−ν)]  · ∫₀^∞ g·h₁(s(g))·φ((g − G_T)/σ_p)/σ_p dg,
///   E[G_read²] = E[k^(−2ν)] · ∫₀^∞ g²·h₂(s(g))·φ((g − G_T)/σ_p)/σ_p dg,
/// where the clip of G_prog at 0 is the lower limit 0 of the integrals (the point mass at
/// G_prog = 0 contributes 0), E[k^(−jν)] = E[exp(−j·ln k·|Y|)] is the folded-normal Laplace
/// transform above, and the integrals are done by Simpson's rule over ±12 σ_p.
fn expected_read(g_t: f64, t: f64) -> (f64, f64) {
    let gh = g_t / G_MAX;
    let sp = sigma_prog(gh);
    let c = ((t + T0 + T_READ) / (2.0 * T_READ)).ln().sqrt();
    let s = |g: f64| q_s(g / G_MAX) * c;
    let h1 = |s: f64| cdf(1.0 / s) + s * pdf(1.0 / s);
    let h2 = |s: f64| (1.0 + s * s) * cdf(1.0 / s) + s * pdf(1.0 / s);
    let dens = |g: f64| pdf((g - g_t) / sp) / sp;
    let (a, b) = ((g_t - 12.0 * sp).max(0.0), g_t + 12.0 * sp);
    let m1 = simpson(|g| g * h1(s(g)) * dens(g), a, b, 20_000);
    let m2 = simpson(|g| g * g * h2(s(g)) * dens(g), a, b, 20_000);
    let lk = ((t + T0) / T0).ln();
    let (mu, sd) = (nu_mu(gh), nu_sd(gh));
    let mean = folded_laplace(lk, mu, sd) * m1;
    let second = folded_laplace(2.0 * lk, mu, sd) * m2;
    (mean, (second - mean * mean).sqrt())
}

/// The statistics block of the shipped `devices/pcm.ron` card.
fn pcm() -> Statistics {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("devices/pcm.ron");
    DeviceCard::load(&path).unwrap().statistics
}

fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn reference_functions_match_known_values() {
    // Guards the test's own reference: Φ(1) = 0.841344746…, Φ(−2) = 0.022750132…
    assert!((cdf(1.0) - 0.841_344_746).abs() < 2e-7);
    assert!((cdf(-2.0) - 0.022_750_132).abs() < 2e-7);
    // Folded normal with μ = 0: mean σ·sqrt(2/π).
    let (m, s) = folded_mean_std(0.0, 1.0);
    assert!((m - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-7);
    assert!((s - (1.0 - 2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-7);
    // E[e^{−a|Y|}] at a = 0 is 1.
    assert!((folded_laplace(0.0, 0.05, 0.01) - 1.0).abs() < 1e-7);
}

#[test]
fn pcm_programming_noise_and_drift_exponent_match_closed_forms() {
    let stats = pcm();
    for (k, gh) in [0.1, 0.5, 1.0].into_iter().enumerate() {
        let g_t = gh * G_MAX;
        let mut r = rng::stream(2020, &[k as u64]);
        let devs: Vec<_> = (0..N).map(|_| stats.program(g_t, &mut r)).collect();
        let g: Vec<f64> = devs.iter().map(|d| d.g_prog).collect();
        let nu: Vec<f64> = devs.iter().map(|d| d.nu).collect();
        // At these targets G_T ≥ 5.5 σ_prog, so the clip at 0 changes σ by < 1e-6 relative.
        let (_, sd) = mean_std(&g);
        assert!(
            rel(sd, sigma_prog(gh)) < 0.02,
            "ĝ={gh}: σ_prog {sd} vs {}",
            sigma_prog(gh)
        );
        let (m_nu, s_nu) = mean_std(&nu);
        let (em, es) = folded_mean_std(nu_mu(gh), nu_sd(gh));
        assert!(rel(m_nu, em) < 0.02, "ĝ={gh}: mean ν {m_nu} vs {em}");
        assert!(rel(s_nu, es) < 0.02, "ĝ={gh}: std ν {s_nu} vs {es}");
    }
}

#[test]
fn pcm_mean_conductance_after_drift_and_read_noise_matches_derivation() {
    let stats = pcm();
    // ĝ = 0.01 puts 19 % of devices at the clip G_prog = 0 and exercises the truncated mean.
    for (k, gh) in [0.01, 0.1, 0.5, 1.0].into_iter().enumerate() {
        let g_t = gh * G_MAX;
        let mut r = rng::stream(1_000_000, &[k as u64]);
        let devs: Vec<_> = (0..N).map(|_| stats.program(g_t, &mut r)).collect();
        for t in [3600.0, 86_400.0, 365.0 * 86_400.0] {
            let g: Vec<f64> = devs.iter().map(|d| stats.read_at(d, t, &mut r)).collect();
            let (m, s) = mean_std(&g);
            let (em, es) = expected_read(g_t, t);
            eprintln!(
                "ĝ={gh} t={t}: mean {m:.4e} vs {em:.4e} ({:.2e}), std {s:.4e} vs {es:.4e} ({:.2e})",
                rel(m, em),
                rel(s, es)
            );
            assert!(rel(m, em) < 0.02, "ĝ={gh}, t={t}: mean {m} vs {em}");
            assert!(rel(s, es) < 0.02, "ĝ={gh}, t={t}: std {s} vs {es}");
            assert!(g.iter().all(|x| x.is_finite() && *x >= 0.0));
        }
    }
}
