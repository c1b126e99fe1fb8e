//! Batched structure-of-arrays device state: advance, pulse and read many devices at once.

use super::kernel::{Kernel, clamp01, step_const};
use super::model::with_kernel;
use super::{DeviceError, Model};
use rayon::prelude::*;

/// Devices per parallel work item. Work is split in fixed chunks and every device is updated
/// independently, so results are bit-identical for any thread count.
pub const CHUNK: usize = 4096;

/// The states of many devices sharing one (validated) model.
///
/// The model enum (and its window) is matched once per call; the per-device loop runs a
/// monomorphised kernel. Batches larger than [`CHUNK`] run in parallel with rayon.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceBatch {
    model: Model,
    x: Vec<f64>,
}

impl DeviceBatch {
    /// `n` devices of `model`, all at the model's initial state `x₀`.
    pub fn new(model: Model, n: usize) -> Result<Self, DeviceError> {
        let x0 = model.x0();
        Self::from_states(model, vec![x0; n])
    }

    /// Devices of `model` at the given states (clamped to [0, 1]; NaN becomes 0).
    pub fn from_states(model: Model, mut x: Vec<f64>) -> Result<Self, DeviceError> {
        model
            .validate()
            .map_err(|e| DeviceError::Field(e.within("model")))?;
        x.iter_mut().for_each(|s| *s = clamp01(*s));
        Ok(Self { model, x })
    }

    /// The shared model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when the batch holds no device.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The states `x ∈ [0, 1]` (1 = ON).
    pub fn states(&self) -> &[f64] {
        &self.x
    }

    /// Set every state (values are clamped to [0, 1]).
    ///
    /// # Panics
    /// If `x.len() != self.len()`.
    pub fn set_states(&mut self, x: &[f64]) {
        assert_eq!(x.len(), self.x.len(), "one state per device");
        for (d, &s) in self.x.iter_mut().zip(x) {
            *d = clamp01(s);
        }
    }

    /// Advance every device `k` under its own constant voltage `v[k]` (volt) for `dt` seconds.
    /// A device with `v = 0` (or below its model's thresholds) does not move. Non-finite
    /// voltages leave a device unchanged; `dt ≤ 0` or NaN changes nothing.
    ///
    /// # Panics
    /// If `v.len() != self.len()`.
    pub fn advance(&mut self, v: &[f64], dt: f64) {
        assert_eq!(v.len(), self.x.len(), "one voltage per device");
        let x = &mut self.x;
        with_kernel!(&self.model, |k| advance_kernel(&k, x, v, dt))
    }

    /// Apply a rectangular pulse of `amplitude` (volt) and `width` (second) to the devices
    /// listed in `idx` (others are untouched; a repeated index receives the pulse once).
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn pulse(&mut self, idx: &[usize], amplitude: f64, width: f64) {
        let x = &self.x;
        let new: Vec<f64> = with_kernel!(&self.model, |k| {
            if idx.len() > CHUNK {
                idx.par_iter()
                    .map(|&i| step_const(&k, amplitude, x[i], width))
                    .collect()
            } else {
                idx.iter()
                    .map(|&i| step_const(&k, amplitude, x[i], width))
                    .collect()
            }
        });
        for (&i, s) in idx.iter().zip(new) {
            self.x[i] = s;
        }
    }

    /// Write each device's chord conductance `i/v_read` (siemens) at read voltage `v_read`
    /// (volt; `0` gives the small-signal conductance) into `out`. Reading does not disturb the
    /// state.
    ///
    /// # Panics
    /// If `out.len() != self.len()`.
    pub fn conductance(&self, v_read: f64, out: &mut [f64]) {
        assert_eq!(out.len(), self.x.len(), "one output per device");
        let x = &self.x;
        with_kernel!(&self.model, |k| {
            for (o, &s) in out.iter_mut().zip(x) {
                *o = k.conductance(v_read, s);
            }
        })
    }

    /// Write each device's current (ampere) under its voltage `v[k]` into `out`.
    ///
    /// # Panics
    /// If the lengths differ from `self.len()`.
    pub fn current(&self, v: &[f64], out: &mut [f64]) {
        assert_eq!(v.len(), self.x.len(), "one voltage per device");
        assert_eq!(out.len(), self.x.len(), "one output per device");
        let x = &self.x;
        with_kernel!(&self.model, |k| {
            for ((o, &s), &vk) in out.iter_mut().zip(x).zip(v) {
                *o = k.current(vk, s);
            }
        })
    }
}

fn advance_kernel<K: Kernel>(k: &K, x: &mut [f64], v: &[f64], dt: f64) {
    let run = |xs: &mut [f64], vs: &[f64]| {
        for (s, &vk) in xs.iter_mut().zip(vs) {
            *s = step_const(k, vk, *s, dt);
        }
    };
    if x.len() > CHUNK {
        x.par_chunks_mut(CHUNK)
            .zip(v.par_chunks(CHUNK))
            .for_each(|(xs, vs)| run(xs, vs));
    } else {
        run(x, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{linear_ion_drift, vteam, yakopcic};

    fn models() -> Vec<Model> {
        vec![
            Model::default(),
            Model::Vteam(vteam::Params::default()),
            Model::Yakopcic(yakopcic::Params::default()),
        ]
    }

    #[test]
    fn batch_equals_one_device_at_a_time() {
        for m in models() {
            let n = 3 * CHUNK + 17; // parallel path with a ragged tail
            let mut b = DeviceBatch::new(m.clone(), n).unwrap();
            let v: Vec<f64> = (0..n).map(|k| -1.5 + 3.0 * k as f64 / n as f64).collect();
            // a step that moves the state by a few percent at the extreme voltages
            let dt = match m {
                Model::LinearIonDrift(_) => 1e-2,
                Model::Vteam(_) => 1e-9,
                Model::Yakopcic(_) => 1e-5,
            };
            b.advance(&v, dt);
            for k in (0..n).step_by(331) {
                assert_eq!(b.states()[k], m.step(v[k], m.x0(), dt), "{}", m.name());
            }
            assert!((b.states()[n - 1] - m.x0()).abs() > 1e-3, "{}", m.name());
        }
    }

    #[test]
    fn identical_for_one_and_two_threads() {
        let m = Model::default();
        let n = 5 * CHUNK;
        let v: Vec<f64> = (0..n)
            .map(|k| ((k * 7919) % 1000) as f64 / 500.0 - 1.0)
            .collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut b = DeviceBatch::new(m.clone(), n).unwrap();
                for _ in 0..10 {
                    b.advance(&v, 1e-4);
                }
                b.states().to_vec()
            })
        };
        let a = run(1);
        let b = run(2);
        assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    }

    #[test]
    fn pulse_moves_only_selected_devices_and_matches_advance() {
        let m = Model::default();
        let mut b = DeviceBatch::new(m.clone(), 10).unwrap();
        b.pulse(&[2, 5, 5], 1.0, 1e-3);
        let mut v = vec![0.0; 10];
        v[2] = 1.0;
        v[5] = 1.0;
        let mut c = DeviceBatch::new(m, 10).unwrap();
        c.advance(&v, 1e-3);
        assert_eq!(b.states(), c.states());
        assert!(b.states()[2] > 0.1);
        assert_eq!(b.states()[0], 0.1);
    }

    #[test]
    fn conductance_reads_the_state() {
        let p = linear_ion_drift::Params::default();
        let mut b = DeviceBatch::from_states(Model::LinearIonDrift(p.clone()), vec![0.0, 0.5, 1.0])
            .unwrap();
        let mut g = vec![0.0; 3];
        b.conductance(0.1, &mut g);
        for (gk, x) in g.iter().zip([0.0, 0.5, 1.0]) {
            assert!((gk - 1.0 / p.resistance(x)).abs() < 1e-15);
        }
        // zero voltage and NaN voltage do not move any device
        b.advance(&[0.0, f64::NAN, 0.0], 1.0);
        assert_eq!(b.states(), &[0.0, 0.5, 1.0]);
    }

    #[test]
    fn invalid_model_is_rejected_with_field_path() {
        let p = linear_ion_drift::Params {
            d: -1.0,
            ..Default::default()
        };
        let e = DeviceBatch::new(Model::LinearIonDrift(p), 1).unwrap_err();
        assert!(e.to_string().contains("model.d"), "{e}");
    }
}
