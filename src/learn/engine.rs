//! The event-driven simulation of one image presentation, with or without plasticity.

use super::config::{LearnConfig, LearnEncoding};
use super::neurons::{Inhibition, NeuronKind, Population, Stepper, SynapseKind};
use super::rule::{Rule, Traces};
use super::synapses::Weights;
use crate::rng::Rng;
use rand_distr::{Distribution, Geometric};

/// The checked, precomputed network a presentation runs on.
#[derive(Debug, Clone)]
pub struct Net {
    pub(crate) cfg: LearnConfig,
    exc: Stepper,
    inh: Stepper,
    /// Volt per unit weight for current synapses; 1 for conductances.
    syn_scale: f32,
    steps: usize,
    theta_decay: f32,
}

impl Net {
    /// Precompute the per-step constants of a validated configuration.
    pub fn new(cfg: &LearnConfig) -> Self {
        let dt = cfg.timing.dt;
        let leaky = cfg.neuron != NeuronKind::If;
        let syn_scale = match cfg.synapse {
            SynapseKind::Current { scale } => scale as f32,
            SynapseKind::Conductance { .. } => 1.0,
        };
        let t_total = cfg.timing.t_present + cfg.timing.t_rest;
        Self {
            cfg: cfg.clone(),
            exc: Stepper::new(&cfg.exc, leaky, cfg.synapse, dt),
            inh: Stepper::new(&cfg.inh, true, cfg.synapse, dt),
            syn_scale,
            steps: cfg.timing.present_steps(),
            theta_decay: (-t_total / cfg.exc.tau_theta).exp() as f32,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LearnConfig {
        &self.cfg
    }

    fn adaptive(&self) -> bool {
        self.cfg.neuron == NeuronKind::AdaptiveLif
    }
}

/// Per-thread simulation buffers (owned and reused across presentations).
#[derive(Debug, Clone)]
pub struct Sim {
    exc: Population,
    inh: Population,
    zero_theta: Vec<f32>,
    pre: Traces,
    post1: Traces,
    post2: Option<Traces>,
    buckets: Vec<Vec<u16>>,
    /// Spike counts of the excitatory neurons in the last presentation.
    pub counts: Vec<u32>,
}

impl Sim {
    /// Buffers for `net`.
    pub fn new(net: &Net) -> Self {
        let c = &net.cfg;
        let dt = c.timing.dt;
        let (tp, t1, t2) = c.rule.taus();
        let h = net.steps;
        Self {
            exc: Population::new(c.n_exc, c.exc.v_rest),
            inh: Population::new(c.n_exc, c.inh.v_rest),
            zero_theta: vec![0.0; c.n_exc],
            pre: Traces::new(c.n_input, tp, dt, h, c.traces),
            post1: Traces::new(c.n_exc, t1, dt, h, c.traces),
            post2: t2.map(|t| Traces::new(c.n_exc, t, dt, h, c.traces)),
            buckets: vec![Vec::new(); h],
            counts: vec![0; c.n_exc],
        }
    }

    fn schedule(&mut self, net: &Net, x: &[f32], factor: f64, rng: &mut Rng) {
        let steps = net.steps;
        self.buckets.iter_mut().for_each(Vec::clear);
        let dt = net.cfg.timing.dt;
        match net.cfg.encoding {
            LearnEncoding::Poisson { .. } | LearnEncoding::Bernoulli { .. } => {
                for (i, &v) in x.iter().enumerate() {
                    let v = v.max(0.0) as f64;
                    if v <= 0.0 {
                        continue;
                    }
                    let p = match net.cfg.encoding {
                        LearnEncoding::Poisson { max_rate } => {
                            1.0 - (-(v * max_rate * factor) * dt).exp()
                        }
                        LearnEncoding::Bernoulli { max_prob } => (v * max_prob * factor).min(1.0),
                        LearnEncoding::RankOrder(_) => unreachable!(),
                    };
                    if p >= 1.0 {
                        self.buckets.iter_mut().for_each(|b| b.push(i as u16));
                        continue;
                    }
                    // Bernoulli trials per step, sampled by geometric gaps (same distribution).
                    let g = Geometric::new(p).expect("0 < p < 1");
                    let mut t = g.sample(rng);
                    while (t as usize) < steps {
                        self.buckets[t as usize].push(i as u16);
                        t += 1 + g.sample(rng);
                    }
                }
            }
            LearnEncoding::RankOrder(r) => {
                let period = ((r.period / factor / dt).round() as usize).max(1);
                let wave = r.wave(x, period);
                let mut start = 0;
                while start < steps {
                    for &(off, i) in &wave {
                        if start + off < steps {
                            self.buckets[start + off].push(i as u16);
                        }
                    }
                    start += period;
                }
            }
        }
    }

    fn reset(&mut self, net: &Net) {
        self.exc.reset(net.cfg.exc.v_rest);
        self.inh.reset(net.cfg.inh.v_rest);
        self.pre.clear();
        self.post1.clear();
        if let Some(p) = self.post2.as_mut() {
            p.clear();
        }
        self.counts.iter_mut().for_each(|c| *c = 0);
    }

    /// Present image `x` (values in `[0, 1]`) with the rate-boost rule; with `learn`, the rule
    /// updates `w` and θ rises. `gain[j]` scales neuron `j`'s input weights (peripheral
    /// normalisation for device weights; 1 otherwise). Returns the total excitatory spikes of the
    /// accepted presentation; the counts are in [`Sim::counts`].
    #[allow(clippy::too_many_arguments)]
    pub fn present(
        &mut self,
        net: &Net,
        x: &[f32],
        w: &mut Weights,
        gain: &mut [f32],
        theta: &mut [f32],
        learn: bool,
        rng: &mut Rng,
    ) -> u32 {
        let t = &net.cfg.timing;
        let mut total = 0;
        for boost in 0..=t.max_boosts {
            if learn {
                normalise(net, w, gain);
            }
            let factor = 1.0 + t.boost_step * boost as f64;
            self.schedule(net, x, factor, rng);
            self.reset(net);
            total = self.run(net, w, gain, theta, learn, rng);
            if learn && net.adaptive() {
                theta.iter_mut().for_each(|th| *th *= net.theta_decay);
            }
            if total >= t.min_spikes {
                break;
            }
        }
        total
    }

    fn run(
        &mut self,
        net: &Net,
        w: &mut Weights,
        gain: &[f32],
        theta: &mut [f32],
        learn: bool,
        rng: &mut Rng,
    ) -> u32 {
        let n = net.cfg.n_exc;
        let w_max = w.w_max;
        let rule: &Rule = &net.cfg.rule;
        let theta_plus = if learn && net.adaptive() {
            net.cfg.exc.theta_plus as f32
        } else {
            0.0
        };
        let fixed_theta = if net.adaptive() {
            None
        } else {
            Some(vec![net.cfg.exc.theta_init as f32; n])
        };
        let (w_ei, w_ie, population) = match net.cfg.inhibition {
            Inhibition::Population { w_ei, w_ie } => (w_ei as f32, w_ie as f32, true),
            Inhibition::WinnerTakeAll { w_ie } => (0.0, w_ie as f32, false),
        };
        let s = net.syn_scale;
        let mut total = 0u32;
        let buckets = std::mem::take(&mut self.buckets);
        for (step, inputs) in buckets.iter().enumerate() {
            let ts = step as i64;
            // 1. Input spikes: deliver with the current weights, then depress (pre event).
            for &i in inputs {
                let i = i as usize;
                let row = i * n;
                for ((ge, &wv), &g) in self.exc.ge.iter_mut().zip(&w.w[row..row + n]).zip(gain) {
                    *ge += s * wv * g;
                }
                if learn {
                    for j in 0..n {
                        let xp = self.post1.value(j, ts);
                        if xp != 0.0 {
                            let dw = rule.on_pre(w.w[row + j], w_max, xp);
                            w.apply(row + j, dw, rng);
                        }
                    }
                }
                self.pre.spike(i, ts);
            }
            // 2. Excitatory neurons.
            let th: &[f32] = fixed_theta.as_deref().unwrap_or(theta);
            net.exc.step(&mut self.exc, th);
            let spikes = std::mem::take(&mut self.exc.spikes);
            for &j in &spikes {
                let j = j as usize;
                self.counts[j] += 1;
                total += 1;
                if learn {
                    let x2 = self.post2.as_ref().map_or(1.0, |p| p.value(j, ts));
                    for i in 0..net.cfg.n_input {
                        let xpre = self.pre.value(i, ts);
                        if xpre != 0.0 {
                            let k = i * n + j;
                            let dw = rule.on_post(w.w[k], w_max, xpre, x2);
                            w.apply(k, dw, rng);
                        }
                    }
                    self.post1.spike(j, ts);
                    if let Some(p) = self.post2.as_mut() {
                        p.spike(j, ts);
                    }
                    theta[j] += theta_plus;
                }
                if population {
                    self.inh.ge[j] += s * w_ei;
                } else {
                    inhibit_others(&mut self.exc.gi, j, s * w_ie);
                }
            }
            self.exc.spikes = spikes;
            // 3. Inhibitory neurons.
            if population {
                net.inh.step(&mut self.inh, &self.zero_theta);
                for &k in &self.inh.spikes {
                    inhibit_others(&mut self.exc.gi, k as usize, s * w_ie);
                }
            }
        }
        self.buckets = buckets;
        total
    }
}

#[inline]
fn inhibit_others(gi: &mut [f32], except: usize, amount: f32) {
    for (m, g) in gi.iter_mut().enumerate() {
        if m != except {
            *g += amount;
        }
    }
}

/// Diehl & Cook's normalisation before a training presentation: ideal weights are rescaled so
/// each neuron's input weights sum to `norm`; device weights keep their conductances and the
/// neuron's input gain becomes `norm/Σw` (a per-column gain in the periphery).
pub(crate) fn normalise(net: &Net, w: &mut Weights, gain: &mut [f32]) {
    let Some(norm) = net.cfg.norm else {
        gain.iter_mut().for_each(|g| *g = 1.0);
        return;
    };
    let n = w.n_exc();
    let mut sums = vec![0.0f64; n];
    for row in w.w.chunks_exact(n) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += v as f64;
        }
    }
    if w.is_device() {
        for (g, s) in gain.iter_mut().zip(&sums) {
            *g = if *s > 0.0 { (norm / s) as f32 } else { 1.0 };
        }
    } else {
        let f: Vec<f32> = sums
            .iter()
            .map(|&s| if s > 0.0 { (norm / s) as f32 } else { 1.0 })
            .collect();
        for row in w.w.chunks_exact_mut(n) {
            for (v, &f) in row.iter_mut().zip(&f) {
                *v *= f;
            }
        }
        gain.iter_mut().for_each(|g| *g = 1.0);
    }
}
