//! Which framework exported a NIR file, recognised from its parameter conventions.
//!
//! NIR stores no time step and no discrete update, but every exporter writes `r`, `w_in` and
//! `tau` its own way (see the README's semantics table), and some name their nodes their own
//! way. [`Graph::recognise_exporter`] tests every spiking population against each convention
//! and returns the preset it would use, the time step it implies when the file fixes one, and
//! the evidence, or says why the choice cannot be made from the file.

use super::Semantics;
use crate::network::{Graph, NodeKind};
use serde::Serialize;

/// The outcome of [`Graph::recognise_exporter`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recognition {
    /// The preset the file's conventions point to, if exactly one fits.
    pub semantics: Option<Semantics>,
    /// Every preset whose exporter convention fits every population (several: ambiguous).
    pub candidates: Vec<Semantics>,
    /// The time step (s) the file implies under [`semantics`](Self::semantics), when its
    /// parameters fix it; `None` when the file does not store it.
    pub dt: Option<f64>,
    /// The framework's default time step (s) to use when the file does not fix one.
    pub default_dt: Option<f64>,
    /// Why: one sentence per finding.
    pub evidence: Vec<String>,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1e-30)
}

/// A single value shared by all of `v` (relative tolerance 1e-4), if any.
fn common(v: &[f64]) -> Option<f64> {
    let first = *v.first()?;
    v.iter().all(|&x| close(x, first)).then_some(first)
}

/// Rockpool's `r = τ·exp(−dt/τ)/dt` solved for dt (bisection on `r·dt/τ = exp(−dt/τ)`).
fn rockpool_dt(tau: f64, r: f64) -> Option<f64> {
    if !(tau > 0.0 && r > 0.0) {
        return None;
    }
    // f(dt) = r·dt/τ − exp(−dt/τ) is increasing in dt; f(0) = −1.
    let f = |dt: f64| r * dt / tau - (-dt / tau).exp();
    let (mut lo, mut hi) = (0.0, tau);
    while f(hi) < 0.0 {
        hi *= 2.0;
        if hi > 1e6 * tau {
            return None;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

impl Graph {
    /// Recognise the exporter of this graph from its neurons' parameter conventions (and node
    /// names where they are characteristic); never guesses: an ambiguous or unknown file gives
    /// `semantics: None` with the reason in `evidence`.
    pub fn recognise_exporter(&self) -> Recognition {
        use Semantics as S;
        let mut evidence = Vec::new();
        // Per population: (τ, r, w_in or 1, τ_syn) per neuron.
        struct Pop<'a> {
            name: &'a str,
            kind: &'static str,
            tau: Vec<f64>,
            r: Vec<f64>,
            w_in: Vec<f64>,
            tau_syn: Vec<f64>,
            v_leak_zero: bool,
        }
        let f = |a: &ndarray::Array1<f32>| a.iter().map(|&x| x as f64).collect::<Vec<f64>>();
        let mut pops = Vec::new();
        let mut ifs = 0usize;
        let mut if_r_one = true;
        for n in &self.nodes {
            match &n.kind {
                NodeKind::Lif { tau, r, v_leak, .. } => pops.push(Pop {
                    name: &n.name,
                    kind: "LIF",
                    tau: f(tau),
                    r: f(r),
                    w_in: vec![],
                    tau_syn: vec![],
                    v_leak_zero: v_leak.iter().all(|&v| v == 0.0),
                }),
                NodeKind::CubaLif {
                    tau_mem,
                    tau_syn,
                    r,
                    v_leak,
                    w_in,
                    ..
                } => pops.push(Pop {
                    name: &n.name,
                    kind: "CubaLIF",
                    tau: f(tau_mem),
                    r: f(r),
                    w_in: f(w_in),
                    tau_syn: f(tau_syn),
                    v_leak_zero: v_leak.iter().all(|&v| v == 0.0),
                }),
                NodeKind::If { r, .. } => {
                    ifs += 1;
                    if_r_one &= r.iter().all(|&r| r == 1.0);
                }
                _ => {}
            }
        }
        let spyx_names = self.nodes.iter().any(|n| n.name.starts_with("layer_"));
        if pops.is_empty() {
            let why = if ifs == 0 {
                "the file has no LIF or CubaLIF population, so no exporter convention applies"
                    .to_string()
            } else if if_r_one {
                format!(
                    "its {ifs} IF population(s) have r = 1, which Sinabs (several spikes per step, \
                     `sinabs`), Norse and Spyx all write; the file cannot tell them apart"
                )
            } else {
                format!("its {ifs} IF population(s) follow no known exporter convention (r ≠ 1)")
            };
            evidence.push(why);
            return Recognition {
                semantics: None,
                candidates: if ifs > 0 && if_r_one {
                    vec![S::Sinabs, S::Norse, S::Spyx]
                } else {
                    vec![]
                },
                dt: None,
                default_dt: None,
                evidence,
            };
        }
        // Each convention: does it fit every population, and which dt does it imply?
        let mut fits: Vec<(Semantics, Option<f64>, String)> = Vec::new();
        // snnTorch: r = τ/dt (dt = 1e-4 in its exporter), w_in = τ_syn/dt.
        {
            let mut dts = Vec::new();
            let ok = pops.iter().all(|p| {
                p.tau.iter().zip(&p.r).for_each(|(t, r)| dts.push(t / r));
                p.w_in
                    .iter()
                    .zip(&p.tau_syn)
                    .all(|(w, ts)| close(*w, ts / (p.tau[0] / p.r[0])))
            });
            if ok && let Some(dt) = common(&dts) {
                fits.push((
                    S::Snntorch,
                    Some(dt),
                    format!(
                        "every population has r = τ/dt{} with one dt = {dt:e} s (snnTorch's exporter: τ = dt/(1−β), r = τ/dt)",
                        if pops.iter().any(|p| !p.w_in.is_empty()) {
                            " and w_in = τ_syn/dt"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        // Spyx: r = β = 1 − dt/τ, dt = τ·(1 − r), one dt (Spyx's default 1).
        {
            let dts: Vec<f64> = pops
                .iter()
                .flat_map(|p| p.tau.iter().zip(&p.r).map(|(t, r)| t * (1.0 - r)))
                .collect();
            let r_varies = pops
                .iter()
                .any(|p| p.r.iter().any(|&r| r != 1.0 && r > 0.0 && r < 1.0));
            if r_varies && let Some(dt) = common(&dts) {
                fits.push((
                    S::Spyx,
                    Some(dt),
                    format!(
                        "every population has r = 1 − dt/τ with one dt = {dt:e} (Spyx's exporter writes its decay β as r){}",
                        if spyx_names { "; node names `layer_<i>` are Spyx's" } else { "" }
                    ),
                ));
            }
        }
        // Rockpool: r = τ·exp(−dt/τ)/dt, CubaLIF w_in = 1, v_leak = 0.
        {
            let mut dts = Vec::new();
            let ok = pops.iter().all(|p| {
                p.v_leak_zero
                    && p.w_in.iter().all(|&w| w == 1.0)
                    && p.tau
                        .iter()
                        .zip(&p.r)
                        .all(|(&t, &r)| match rockpool_dt(t, r) {
                            Some(dt) => {
                                dts.push(dt);
                                true
                            }
                            None => false,
                        })
            });
            let not_unit = pops.iter().any(|p| p.r.iter().any(|&r| r != 1.0));
            if ok
                && not_unit
                && let Some(dt) = common(&dts)
            {
                fits.push((
                    S::Rockpool,
                    Some(dt),
                    format!(
                        "every population has r = τ·exp(−dt/τ)/dt with one dt = {dt:e} s, w_in = 1 and v_leak = 0 (Rockpool's exporter)"
                    ),
                ));
            }
        }
        // Norse: r = 1, w_in = 1; its exporter writes τ = dt/τ_inv (tiny values).
        {
            let unit = pops
                .iter()
                .all(|p| p.r.iter().all(|&r| r == 1.0) && p.w_in.iter().all(|&w| w == 1.0));
            let tiny = pops
                .iter()
                .all(|p| p.tau.iter().chain(&p.tau_syn).all(|&t| t < 1e-4));
            if unit && tiny {
                fits.push((
                    S::Norse,
                    None,
                    "every population has r = 1, w_in = 1 and τ < 1e-4 s: Norse's exporter writes τ = dt/τ_inv \
                     (a time constant times dt), and the file does not store dt"
                        .into(),
                ));
            } else if unit {
                evidence.push(
                    "every population has r = 1 (and w_in = 1): Norse's older exporter (τ in seconds) and Sinabs' LIF \
                     write that; the NIR ODE reads it as written"
                        .into(),
                );
            }
        }
        let candidates: Vec<Semantics> = fits.iter().map(|f| f.0).collect();
        let names: Vec<String> = pops
            .iter()
            .map(|p| format!("`{}` ({})", p.name, p.kind))
            .collect();
        match fits.len() {
            1 => {
                let (s, dt, why) = fits.pop().expect("one");
                evidence.insert(
                    0,
                    format!("{} population(s) {}: {why}", pops.len(), names.join(", ")),
                );
                Recognition {
                    semantics: Some(s),
                    candidates,
                    dt,
                    default_dt: Some(s.default_dt()),
                    evidence,
                }
            }
            0 => {
                evidence.insert(
                    0,
                    format!(
                        "the populations {} follow no known exporter's convention (snnTorch r = τ/dt, Spyx r = 1 − dt/τ, \
                         Rockpool r = τ·e^(−dt/τ)/dt, Norse τ = dt/τ_inv)",
                        names.join(", ")
                    ),
                );
                Recognition {
                    semantics: None,
                    candidates,
                    dt: None,
                    default_dt: None,
                    evidence,
                }
            }
            _ => {
                for (s, _, why) in &fits {
                    evidence.push(format!("fits `{s}`: {why}"));
                }
                Recognition {
                    semantics: None,
                    candidates,
                    dt: None,
                    default_dt: None,
                    evidence,
                }
            }
        }
    }
}

impl Graph {
    /// [`check_time_step`](Graph::check_time_step) under a semantics preset: only the `nir`
    /// preset approximates the ODE (so only it warns of a coarse step); `snntorch` steps with
    /// the decay `1 − dt/τ` it was trained with (an error only when negative); `nir-exact` is
    /// stable for any step; the other presets check their own parameters when the network is
    /// compiled ([`Population::from_node`](crate::neuron::Population::from_node)).
    pub fn check_time_step_for(
        &self,
        dt: f32,
        semantics: Semantics,
    ) -> Result<Vec<String>, crate::network::NetworkError> {
        use Semantics as S;
        match semantics {
            S::Nir => self.check_time_step(dt),
            S::Snntorch => self.check_time_step(dt).map(|_| Vec::new()),
            _ if !(dt.is_finite() && dt > 0.0) => {
                Err(crate::network::NetworkError::BadTimeStep { dt })
            }
            _ => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::load_nir;
    use std::path::Path;

    fn fixture(name: &str) -> Graph {
        load_nir(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name)
                .join("net.nir"),
        )
        .unwrap()
    }

    #[test]
    fn framework_fixtures_are_recognised_with_their_time_step() {
        let r = fixture("norse").recognise_exporter();
        assert_eq!(r.semantics, Some(Semantics::Norse), "{r:?}");
        assert_eq!((r.dt, r.default_dt), (None, Some(1e-3)));
        let r = fixture("spyx").recognise_exporter();
        assert_eq!(r.semantics, Some(Semantics::Spyx), "{r:?}");
        assert!((r.dt.unwrap() - 1.0).abs() < 1e-4, "{r:?}");
    }

    #[test]
    fn if_only_networks_are_ambiguous_and_say_why() {
        let r = fixture("sinabs").recognise_exporter();
        assert_eq!(r.semantics, None);
        assert!(r.candidates.contains(&Semantics::Sinabs));
        assert!(r.evidence[0].contains("cannot tell"), "{:?}", r.evidence);
    }

    #[test]
    fn rockpool_time_step_is_solved_from_r() {
        let (tau, dt) = (0.02f64, 1e-3);
        let r = tau * (-dt / tau).exp() / dt;
        assert!((rockpool_dt(tau, r).unwrap() - dt).abs() < 1e-12);
    }
}
