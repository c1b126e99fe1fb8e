//! Training loop, label assignment, evaluation, checkpoints and the run report.

use super::LearnError;
use super::config::LearnConfig;
use super::engine::{Net, Sim, normalise};
use super::synapses::{DeviceCounters, SynapseStore, Weights};
use crate::device::Model;
use ndarray::ArrayView2;
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Stream tags: training presentations, response passes, initial weights, devices.
const TAG_TRAIN: u64 = 1;
const TAG_RESPOND: u64 = 2;
const TAG_INIT: u64 = 3;
const TAG_DEVICES: u64 = 4;

/// What a learning run does besides the network file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunPlan {
    /// Training images used (the first N of the training set).
    pub train: usize,
    /// Passes over them (Diehl & Cook: 1 over 60,000, 3 over 60,000 for 1,600 neurons).
    pub passes: usize,
    /// Test images (the first N of the test set).
    pub test: usize,
    /// Training images (the first N) whose frozen responses assign the neuron labels.
    pub assign: usize,
    /// Evaluate (assign + test) every this many training images (0 = only at the end).
    pub eval_every: usize,
    /// Synapse storage (ideal or a device).
    pub store: SynapseStore,
}

impl Default for RunPlan {
    fn default() -> Self {
        Self {
            train: 8000,
            passes: 1,
            test: 2000,
            assign: 8000,
            eval_every: 0,
            store: SynapseStore::Ideal,
        }
    }
}

/// One point of the accuracy-vs-images curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Training presentations so far.
    pub images: usize,
    /// Test accuracy (fraction).
    pub accuracy: f64,
}

/// Everything needed to continue a run bit-identically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The network file and the plan, as text, to refuse a mismatching resume.
    pub fingerprint: String,
    /// Training presentations done.
    pub done: usize,
    /// Rule-level weights (input-major).
    pub weights: Vec<f32>,
    /// Device states (empty for ideal weights).
    pub device_states: Vec<f64>,
    /// Adaptive thresholds (volt).
    pub theta: Vec<f32>,
    /// Input gains per neuron.
    pub gain: Vec<f32>,
    /// Curve so far.
    pub curve: Vec<CurvePoint>,
    /// Device counters so far.
    pub counters: DeviceCounters,
}

/// Progress and checkpoints of a run (`()` ignores both).
pub trait Observer {
    /// `done` of `total` training presentations finished.
    fn progress(&mut self, _done: usize, _total: usize) {}
    /// A curve point was measured.
    fn evaluated(&mut self, _point: &CurvePoint) {}
    /// A consistent state to save (after each curve point).
    fn checkpoint(&mut self, _snapshot: &Snapshot) -> Result<(), String> {
        Ok(())
    }
}

impl Observer for () {}

/// The result of a learning run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnReport {
    /// Network name.
    pub network: String,
    /// Excitatory neurons.
    pub n_exc: usize,
    /// Encoding, neuron and rule names.
    pub encoding: String,
    /// Neuron model.
    pub neuron: String,
    /// Learning rule.
    pub rule: String,
    /// Synapse storage: `ideal`, or the device card's name (with `-pair`).
    pub synapses: String,
    /// The plan.
    pub plan: RunPlan,
    /// Final test accuracy (fraction).
    pub accuracy: f64,
    /// Accuracy after every `eval_every` images (and at the end).
    pub curve: Vec<CurvePoint>,
    /// Training presentations per second of wall time (training only, excluding evaluation).
    pub train_images_per_second: f64,
    /// Seconds spent training (excluding evaluation).
    pub train_seconds: f64,
    /// Test images whose network gave no excitatory spike.
    pub silent_test_images: usize,
    /// Device activity.
    pub counters: DeviceCounters,
}

/// A network being trained: weights, thresholds, buffers.
#[derive(Debug, Clone)]
pub struct Trainer {
    net: Net,
    /// The plastic input weights.
    pub weights: Weights,
    /// Adaptive thresholds θ (volt).
    pub theta: Vec<f32>,
    /// Per-neuron input gains (1 for ideal weights).
    pub gain: Vec<f32>,
    sim: Sim,
}

impl Trainer {
    /// A fresh network: weights uniform in `[0, w_init_max]` from the seed's init stream, devices
    /// sampled from its device stream.
    pub fn new(
        cfg: &LearnConfig,
        store: &SynapseStore,
        model: Option<&Model>,
    ) -> Result<Self, LearnError> {
        cfg.validate()
            .map_err(|e| LearnError::Config(e.in_file(&cfg.source)))?;
        let n = cfg.n_input * cfg.n_exc;
        let mut rng = crate::rng::stream(cfg.seed, &[TAG_INIT]);
        let w0: Vec<f32> = (0..n)
            .map(|_| rng.random::<f32>() * cfg.w_init_max as f32)
            .collect();
        let mut drng = crate::rng::stream(cfg.seed, &[TAG_DEVICES]);
        let weights = Weights::new(w0, cfg.n_exc, cfg.w_max as f32, store, model, &mut drng)?;
        let net = Net::new(cfg);
        let sim = Sim::new(&net);
        Ok(Self {
            theta: vec![cfg.exc.theta_init as f32; cfg.n_exc],
            gain: vec![1.0; cfg.n_exc],
            weights,
            sim,
            net,
        })
    }

    /// The network.
    pub fn config(&self) -> &LearnConfig {
        self.net.config()
    }

    /// Train on one image; `index` is its position in the whole schedule (pass × train + i),
    /// which names its random stream.
    pub fn train_one(&mut self, x: &[f32], index: u64) -> u32 {
        let mut rng = crate::rng::stream(self.net.cfg.seed, &[TAG_TRAIN, index]);
        self.sim.present(
            &self.net,
            x,
            &mut self.weights,
            &mut self.gain,
            &mut self.theta,
            true,
            &mut rng,
        )
    }

    /// Frozen responses (spike counts per neuron) to every row of `images`, in parallel over
    /// images; `set` names the random streams (identical for any thread count).
    pub fn responses(&self, images: ArrayView2<'_, f32>, set: u64) -> Vec<Vec<u32>> {
        let mut gain = self.gain.clone();
        if self.weights.is_device() {
            let mut w = self.weights.clone();
            normalise(&self.net, &mut w, &mut gain);
        }
        let frozen = Weights::new(
            self.weights.w.clone(),
            self.net.cfg.n_exc,
            self.weights.w_max,
            &SynapseStore::Ideal,
            None,
            &mut crate::rng::stream(0, &[0]),
        )
        .expect("ideal weights");
        (0..images.nrows())
            .into_par_iter()
            .map_init(
                || (Sim::new(&self.net), frozen.clone(), gain.clone()),
                |(sim, w, g), r| {
                    let x = images.row(r);
                    let x = x.as_slice().expect("contiguous rows");
                    let mut rng =
                        crate::rng::stream(self.net.cfg.seed, &[TAG_RESPOND, set, r as u64]);
                    let mut theta = self.theta.clone();
                    sim.present(&self.net, x, w, g, &mut theta, false, &mut rng);
                    sim.counts.clone()
                },
            )
            .collect()
    }

    /// A snapshot for checkpoints.
    pub fn snapshot(&self, fingerprint: &str, done: usize, curve: &[CurvePoint]) -> Snapshot {
        Snapshot {
            fingerprint: fingerprint.to_string(),
            done,
            weights: self.weights.w.clone(),
            device_states: self.weights.device_states(),
            theta: self.theta.clone(),
            gain: self.gain.clone(),
            curve: curve.to_vec(),
            counters: self.weights.counters,
        }
    }

    /// Restore a snapshot taken from a trainer of the same network and plan.
    pub fn restore(&mut self, s: &Snapshot) -> Result<(), LearnError> {
        if s.weights.len() != self.weights.w.len()
            || s.theta.len() != self.theta.len()
            || s.device_states.len() != self.weights.device_states().len()
        {
            return Err(LearnError::Checkpoint(
                "sizes do not match this network".into(),
            ));
        }
        if self.weights.is_device() {
            self.weights.set_device_states(&s.device_states);
        }
        self.weights.w.clone_from(&s.weights);
        self.theta.clone_from(&s.theta);
        self.gain.clone_from(&s.gain);
        self.weights.counters = s.counters;
        Ok(())
    }
}

/// Each neuron's label: the class to which it responded most on average (Diehl & Cook);
/// a neuron that never fired gets class 0 and its zero votes.
pub fn assign_labels(responses: &[Vec<u32>], labels: &[u8], classes: usize) -> Vec<u8> {
    let n = responses.first().map_or(0, Vec::len);
    let mut sum = vec![vec![0.0f64; classes]; n];
    let mut count = vec![0usize; classes];
    for (r, &l) in responses.iter().zip(labels) {
        count[l as usize] += 1;
        for (j, &c) in r.iter().enumerate() {
            sum[j][l as usize] += c as f64;
        }
    }
    sum.iter()
        .map(|s| {
            let mut best = 0;
            let mut best_v = -1.0;
            for (c, &v) in s.iter().enumerate() {
                let avg = if count[c] > 0 {
                    v / count[c] as f64
                } else {
                    0.0
                };
                if avg > best_v {
                    best_v = avg;
                    best = c;
                }
            }
            best as u8
        })
        .collect()
}

/// The predicted class: the class whose assigned neurons spiked most on average (ties → lowest).
pub fn predict(response: &[u32], assignment: &[u8], classes: usize) -> u8 {
    let mut sum = vec![0.0f64; classes];
    let mut n = vec![0usize; classes];
    for (&c, &a) in response.iter().zip(assignment) {
        sum[a as usize] += c as f64;
        n[a as usize] += 1;
    }
    let mut best = 0;
    let mut best_v = -1.0;
    for c in 0..classes {
        let v = if n[c] > 0 { sum[c] / n[c] as f64 } else { 0.0 };
        if v > best_v {
            best_v = v;
            best = c;
        }
    }
    best as u8
}

/// The data a run uses (images in `[0, 1]`, row per image).
#[derive(Debug, Clone, Copy)]
pub struct RunData<'a> {
    /// Training images.
    pub train_images: ArrayView2<'a, f32>,
    /// Training labels.
    pub train_labels: &'a [u8],
    /// Test images.
    pub test_images: ArrayView2<'a, f32>,
    /// Test labels.
    pub test_labels: &'a [u8],
}

/// Test accuracy of the trainer now: labels from the first `assign` training images, accuracy on
/// the first `test` test images; also returns the number of silent test images.
pub fn evaluate(t: &Trainer, data: &RunData<'_>, assign: usize, test: usize) -> (f64, usize) {
    let a = assign.min(data.train_images.nrows());
    let r = t.responses(data.train_images.slice(ndarray::s![..a, ..]), 0);
    let labels = assign_labels(&r, &data.train_labels[..a], 10);
    let n = test.min(data.test_images.nrows());
    let rt = t.responses(data.test_images.slice(ndarray::s![..n, ..]), 1);
    let mut correct = 0;
    let mut silent = 0;
    for (resp, &l) in rt.iter().zip(data.test_labels) {
        if resp.iter().all(|&c| c == 0) {
            silent += 1;
        }
        if predict(resp, &labels, 10) == l {
            correct += 1;
        }
    }
    (correct as f64 / n.max(1) as f64, silent)
}

/// Train `trainer` by `plan` (resuming from `resume` when given), measuring the curve, and report.
pub fn run(
    trainer: &mut Trainer,
    data: &RunData<'_>,
    plan: &RunPlan,
    synapses: &str,
    fingerprint: &str,
    resume: Option<&Snapshot>,
    observer: &mut dyn Observer,
) -> Result<LearnReport, LearnError> {
    let train = plan.train.min(data.train_images.nrows());
    let total = train * plan.passes.max(1);
    let mut curve = Vec::new();
    let mut done = 0;
    if let Some(s) = resume {
        if s.fingerprint != fingerprint {
            return Err(LearnError::Checkpoint(
                "the checkpoint belongs to another network or plan".into(),
            ));
        }
        trainer.restore(s)?;
        curve = s.curve.clone();
        done = s.done;
    }
    let mut last_silent = None;
    let mut train_seconds = 0.0;
    let mut trained_here = 0usize;
    observer.progress(done, total);
    while done < total {
        let stop = match done.checked_div(plan.eval_every) {
            Some(q) => ((q + 1) * plan.eval_every).min(total),
            None => total,
        };
        let t0 = std::time::Instant::now();
        for k in done..stop {
            let row = data.train_images.row(k % train);
            trainer.train_one(row.as_slice().expect("contiguous rows"), k as u64);
            if k % 64 == 63 {
                observer.progress(k + 1, total);
                crate::cancel::check()?;
            }
        }
        train_seconds += t0.elapsed().as_secs_f64();
        trained_here += stop - done;
        done = stop;
        observer.progress(done, total);
        if plan.eval_every > 0 || done == total {
            let (acc, silent) = evaluate(trainer, data, plan.assign, plan.test);
            last_silent = Some(silent);
            let p = CurvePoint {
                images: done,
                accuracy: acc,
            };
            observer.evaluated(&p);
            curve.push(p);
            observer
                .checkpoint(&trainer.snapshot(fingerprint, done, &curve))
                .map_err(LearnError::Checkpoint)?;
        }
    }
    let (accuracy, silent) = match (curve.last(), last_silent) {
        (Some(p), Some(s)) if p.images == total => (p.accuracy, s),
        _ => evaluate(trainer, data, plan.assign, plan.test),
    };
    let c = trainer.config();
    Ok(LearnReport {
        network: c.name.clone(),
        n_exc: c.n_exc,
        encoding: c.encoding.name().into(),
        neuron: c.neuron.name().into(),
        rule: c.rule.name().into(),
        synapses: synapses.into(),
        plan: plan.clone(),
        accuracy,
        curve,
        train_images_per_second: if train_seconds > 0.0 {
            trained_here as f64 / train_seconds
        } else {
            0.0
        },
        train_seconds,
        silent_test_images: silent,
        counters: trainer.weights.counters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_mean_response_and_votes_average_per_class() {
        let resp = vec![vec![5, 0, 1], vec![4, 0, 0], vec![0, 3, 1], vec![1, 6, 0]];
        let labels = [0u8, 0, 1, 1];
        let a = assign_labels(&resp, &labels, 3);
        // Neuron 2: class-0 mean 0.5, class-1 mean 0.5 → the first maximum, class 0.
        assert_eq!(a, vec![0, 1, 0]);
        // Class 0 has neurons 0 and 2: mean (2 + 4)/2 = 3; class 1 has neuron 1: 2 → class 0.
        assert_eq!(predict(&[2, 2, 4], &a, 3), 0);
        assert_eq!(predict(&[0, 5, 1], &a, 3), 1);
    }
}
