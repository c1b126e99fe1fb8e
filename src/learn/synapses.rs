//! Plastic input synapses: ideal float weights, or conductances changed by device pulses.

use crate::device::{DeviceError, Model, PulseSpec, PulsedDevices};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// How a synapse stores its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum SynapseStore {
    /// A float weight updated exactly (clipped to `[0, w_max]`).
    #[default]
    Ideal,
    /// One device per synapse: `w = w_max·state`; a change `Δw` becomes
    /// `round_stochastic(Δw/(w_max·Δw_d))` pulses (`Δw_d` the nominal step in direction `d`).
    Device(PulseSpec),
    /// A differential pair `w = w_max·(state⁺ − state⁻)` (clipped at 0): potentiation pulses
    /// G⁺ up, depression pulses G⁻ up (one-sided updates, as PCM needs). When either device
    /// exceeds `refresh_at`, both are reset to their lower bound and the weight is written back
    /// onto one of them with up pulses (the refresh policy of Burr et al. 2015, IEEE TED 62(11)).
    Pair {
        /// The device's update law.
        spec: PulseSpec,
        /// Refresh threshold on a device's normalised state (e.g. 0.9).
        refresh_at: f64,
    },
}

/// Counters of device activity during training.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCounters {
    /// Potentiation pulses applied.
    pub up_pulses: u64,
    /// Depression pulses applied.
    pub down_pulses: u64,
    /// Pair refreshes.
    pub refreshes: u64,
}

/// The `n_input × n_exc` plastic weights (input-major: `w[i·n_exc + j]`).
#[derive(Debug, Clone)]
pub struct Weights {
    /// Rule-level weights in `[0, w_max]` (the device-derived value in device modes).
    pub w: Vec<f32>,
    /// Upper bound.
    pub w_max: f32,
    n_exc: usize,
    devices: Option<Devices>,
    /// Pulse and refresh counters.
    pub counters: DeviceCounters,
}

#[derive(Debug, Clone)]
struct Devices {
    dev: PulsedDevices,
    pair: Option<f64>,
    step_up: f64,
    step_down: f64,
}

impl Weights {
    /// Weights from initial values `w0` (input-major), stored as `store` says; device-to-device
    /// variation is drawn from `rng`, and the initial values are written ideally (write-verify).
    pub fn new(
        w0: Vec<f32>,
        n_exc: usize,
        w_max: f32,
        store: &SynapseStore,
        model: Option<&Model>,
        rng: &mut Rng,
    ) -> Result<Self, DeviceError> {
        let (spec, pair) = match store {
            SynapseStore::Ideal => {
                return Ok(Self {
                    w: w0,
                    w_max,
                    n_exc,
                    devices: None,
                    counters: DeviceCounters::default(),
                });
            }
            SynapseStore::Device(s) => (s, None),
            SynapseStore::Pair { spec, refresh_at } => (spec, Some(*refresh_at)),
        };
        let n = w0.len() * if pair.is_some() { 2 } else { 1 };
        let dev = PulsedDevices::new(spec, model, n, rng)?;
        let mut me = Self {
            w: w0.clone(),
            w_max,
            n_exc,
            devices: Some(Devices {
                dev,
                pair,
                step_up: spec.dw_min * (1.0 + spec.up_down),
                step_down: spec.dw_min * (1.0 - spec.up_down),
            }),
            counters: DeviceCounters::default(),
        };
        for (k, &w) in w0.iter().enumerate() {
            let s = (w / w_max) as f64;
            let d = me.devices.as_mut().expect("set above");
            if d.pair.is_some() {
                d.dev.set_state(2 * k, s);
                d.dev.set_state(2 * k + 1, 0.0);
            } else {
                d.dev.set_state(k, s);
            }
            me.read(k);
        }
        Ok(me)
    }

    /// Number of excitatory neurons (columns).
    pub fn n_exc(&self) -> usize {
        self.n_exc
    }

    /// True when the weights are device conductances.
    pub fn is_device(&self) -> bool {
        self.devices.is_some()
    }

    /// Device states (normalised), for checkpoints; empty for ideal weights.
    pub fn device_states(&self) -> Vec<f64> {
        self.devices
            .as_ref()
            .map(|d| d.dev.states().to_vec())
            .unwrap_or_default()
    }

    /// Restore device states saved by [`Weights::device_states`] (and re-read the weights).
    pub fn set_device_states(&mut self, s: &[f64]) {
        if let Some(d) = self.devices.as_mut() {
            for (k, &x) in s.iter().enumerate() {
                d.dev.set_state(k, x);
            }
            for k in 0..self.w.len() {
                self.read(k);
            }
        }
    }

    fn read(&mut self, k: usize) {
        let Some(d) = self.devices.as_ref() else {
            return;
        };
        let s = match d.pair {
            Some(_) => (d.dev.state(2 * k) - d.dev.state(2 * k + 1)).max(0.0),
            None => d.dev.state(k),
        };
        self.w[k] = (s as f32) * self.w_max;
    }

    /// Apply a rule's change `dw` to synapse `k`; returns the weight after it.
    #[inline]
    pub fn apply(&mut self, k: usize, dw: f32, rng: &mut Rng) -> f32 {
        let Some(d) = self.devices.as_mut() else {
            let w = (self.w[k] + dw).clamp(0.0, self.w_max);
            self.w[k] = w;
            return w;
        };
        let rel = (dw / self.w_max) as f64;
        let step = if rel >= 0.0 { d.step_up } else { d.step_down };
        let n = PulsedDevices::pulses_for(rel, step, rng);
        if n == 0 {
            return self.w[k];
        }
        match d.pair {
            None => {
                d.dev.pulses(k, n, rng);
                if n > 0 {
                    self.counters.up_pulses += n as u64;
                } else {
                    self.counters.down_pulses += n.unsigned_abs();
                }
            }
            Some(refresh_at) => {
                // Both directions are up pulses, on G⁺ or G⁻.
                let (dev_k, count) = if n > 0 { (2 * k, n) } else { (2 * k + 1, -n) };
                let pair_step = d.step_up;
                d.dev.pulses(dev_k, count, rng);
                self.counters.up_pulses += count as u64;
                if d.dev.state(2 * k).max(d.dev.state(2 * k + 1)) > refresh_at {
                    let net = d.dev.state(2 * k) - d.dev.state(2 * k + 1);
                    d.dev.set_state(2 * k, 0.0);
                    d.dev.set_state(2 * k + 1, 0.0);
                    let target = if net >= 0.0 { 2 * k } else { 2 * k + 1 };
                    let m = PulsedDevices::pulses_for(net.abs(), pair_step, rng);
                    d.dev.pulses(target, m, rng);
                    self.counters.up_pulses += m as u64;
                    self.counters.refreshes += 1;
                }
            }
        }
        self.read(k);
        self.w[k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::StepLaw;

    #[test]
    fn ideal_weights_clip_to_their_bounds() {
        let mut rng = crate::rng::stream(0, &[0]);
        let mut w =
            Weights::new(vec![0.5, 0.9], 1, 1.0, &SynapseStore::Ideal, None, &mut rng).unwrap();
        assert_eq!(w.apply(0, 0.25, &mut rng), 0.75);
        assert_eq!(w.apply(1, 0.25, &mut rng), 1.0);
        assert_eq!(w.apply(0, -2.0, &mut rng), 0.0);
    }

    #[test]
    fn device_updates_are_whole_pulses_with_the_right_mean() {
        let spec = PulseSpec {
            law: StepLaw::ConstantStep,
            dw_min: 0.01,
            ..PulseSpec::default()
        };
        let n = 10_000;
        let mut rng = crate::rng::stream(0, &[1]);
        let mut w = Weights::new(
            vec![0.5; n],
            1,
            1.0,
            &SynapseStore::Device(spec),
            None,
            &mut rng,
        )
        .unwrap();
        let mut total = 0.0;
        for k in 0..n {
            let after = w.apply(k, 0.0137, &mut rng);
            let pulses = ((after - 0.5) / 0.01).round();
            assert!(pulses == 1.0 || pulses == 2.0, "{after}");
            total += (after - 0.5) as f64;
        }
        assert!((total / n as f64 - 0.0137).abs() < 2e-4);
        assert_eq!(w.counters.up_pulses as f64, (total / 0.01).round());
    }

    #[test]
    fn a_saturating_pair_is_refreshed_and_keeps_its_weight() {
        let spec = PulseSpec {
            law: StepLaw::ConstantStep,
            dw_min: 0.0625,
            ..PulseSpec::default()
        };
        let mut rng = crate::rng::stream(0, &[2]);
        let store = SynapseStore::Pair {
            spec,
            refresh_at: 0.9,
        };
        let mut w = Weights::new(vec![0.25], 1, 1.0, &store, None, &mut rng).unwrap();
        // Alternate +2 and −1 pulses: net +1/16 per round; G⁺ reaches 1 in round 6 and is
        // refreshed (net 0.6875 = 11 pulses written back onto G⁺).
        for _ in 0..6 {
            w.apply(0, 0.125, &mut rng);
            w.apply(0, -0.0625, &mut rng);
        }
        assert_eq!(w.counters.refreshes, 1);
        assert_eq!(w.w[0], 0.625);
        let s = w.device_states();
        assert!(s[0] <= 0.9 + 1e-9 && s[1] <= 0.9 + 1e-9, "{s:?}");
    }
}
