//! Write-verify programming: pulse every device until its read conductance is within a
//! tolerance of its target, or a pulse budget is spent.
//!
//! Each round reads all devices; a device outside tolerance gets one pulse, `v_set` (> 0, raises
//! G) when it is below target and `v_reset` (< 0, lowers G) when above. When a device
//! overshoots (the sign of its error flips) its pulse width is halved, down to
//! `width / 2^max_halvings`, so the loop converges even where one full pulse moves G by more
//! than the tolerance. Devices needing the same amplitude and width are pulsed together in one
//! batched call.

use super::ArrayError;
use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// A batch of devices that can be pulsed and read (implemented by the device layer's batched
/// state, and by test doubles).
pub trait PulseDevices {
    /// Number of devices.
    fn len(&self) -> usize;
    /// Whether the batch is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Conductance of every device at a small read voltage [S], into `out` (length `len()`).
    fn read_conductances(&self, out: &mut [f64]);
    /// Apply one rectangular pulse of `amplitude` [V] and `width` [s] to the devices `idx`.
    fn pulse(&mut self, idx: &[usize], amplitude: f64, width: f64);
}

impl PulseDevices for crate::device::DeviceBatch {
    fn len(&self) -> usize {
        crate::device::DeviceBatch::len(self)
    }
    /// Small-signal conductance (read voltage → 0).
    fn read_conductances(&self, out: &mut [f64]) {
        self.conductance(0.0, out);
    }
    fn pulse(&mut self, idx: &[usize], amplitude: f64, width: f64) {
        crate::device::DeviceBatch::pulse(self, idx, amplitude, width);
    }
}

/// Write-verify parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WriteVerify {
    /// Amplitude of a SET pulse (raises G) [V], > 0. Default 1 V.
    pub v_set: f64,
    /// Amplitude of a RESET pulse (lowers G) [V], < 0. Default −1 V.
    pub v_reset: f64,
    /// Initial pulse width [s]. Default 1 µs.
    pub width: f64,
    /// Accepted |G − G_T| [S]. Default 0.1 µS.
    pub tolerance: f64,
    /// Pulse budget per device. Default 100.
    pub max_pulses: u32,
    /// Largest number of width halvings after overshoots. Default 10.
    pub max_halvings: u32,
}

impl Default for WriteVerify {
    fn default() -> Self {
        Self {
            v_set: 1.0,
            v_reset: -1.0,
            width: 1e-6,
            tolerance: 1e-7,
            max_pulses: 100,
            max_halvings: 10,
        }
    }
}

impl WriteVerify {
    /// Check the parameters; the error names the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        let pos = |v: f64, f: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(FieldError::new(
                    f,
                    format!("must be finite and > 0, got {v}"),
                ))
            }
        };
        pos(self.v_set, "v_set")?;
        pos(-self.v_reset, "v_reset").map_err(|_| {
            FieldError::new(
                "v_reset",
                format!("must be finite and < 0, got {}", self.v_reset),
            )
        })?;
        pos(self.width, "width")?;
        pos(self.tolerance, "tolerance")?;
        if self.max_pulses == 0 {
            return Err(FieldError::new("max_pulses", "must be ≥ 1"));
        }
        if self.max_halvings > 60 {
            return Err(FieldError::new("max_halvings", "must be ≤ 60"));
        }
        Ok(())
    }
}

/// What write-verify did.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteVerifyReport {
    /// Pulses applied to each device.
    pub pulses: Vec<u32>,
    /// Devices left outside tolerance after the budget (indices).
    pub failed: Vec<usize>,
    /// Conductance of each device at the end [S].
    pub conductance: Vec<f64>,
}

impl WriteVerifyReport {
    /// Total pulses applied.
    pub fn total_pulses(&self) -> u64 {
        self.pulses.iter().map(|&p| u64::from(p)).sum()
    }
}

/// Program `devices` to `targets` [S] by write-verify.
pub fn write_verify<D: PulseDevices + ?Sized>(
    devices: &mut D,
    targets: &[f64],
    cfg: &WriteVerify,
) -> Result<WriteVerifyReport, ArrayError> {
    cfg.validate().map_err(|e| e.within("write_verify"))?;
    let n = devices.len();
    if targets.len() != n {
        return Err(ArrayError::Shape(format!(
            "{} targets for {n} devices",
            targets.len()
        )));
    }
    if let Some((i, t)) = targets
        .iter()
        .enumerate()
        .find(|(_, t)| !(t.is_finite() && **t >= 0.0))
    {
        return Err(ArrayError::NonFinite(format!(
            "target [{i}] is {t} S (must be finite and ≥ 0)"
        )));
    }
    let mut g = vec![0.0; n];
    let mut pulses = vec![0u32; n];
    let mut level = vec![0u32; n];
    let mut last_sign = vec![0i8; n];
    let mut done = vec![false; n];
    let groups = 2 * (cfg.max_halvings as usize + 1);
    let mut group: Vec<Vec<usize>> = vec![Vec::new(); groups];
    loop {
        devices.read_conductances(&mut g);
        for grp in group.iter_mut() {
            grp.clear();
        }
        let mut any = false;
        for k in 0..n {
            if done[k] {
                continue;
            }
            let err = targets[k] - g[k];
            if err.abs() <= cfg.tolerance {
                done[k] = true;
                continue;
            }
            if pulses[k] >= cfg.max_pulses {
                continue;
            }
            let sign: i8 = if err > 0.0 { 1 } else { -1 };
            if last_sign[k] != 0 && sign != last_sign[k] {
                level[k] = (level[k] + 1).min(cfg.max_halvings);
            }
            last_sign[k] = sign;
            let slot = 2 * level[k] as usize + usize::from(sign < 0);
            group[slot].push(k);
            pulses[k] += 1;
            any = true;
        }
        if !any {
            break;
        }
        for (slot, idx) in group.iter().enumerate() {
            if idx.is_empty() {
                continue;
            }
            let amp = if slot % 2 == 0 {
                cfg.v_set
            } else {
                cfg.v_reset
            };
            let width = cfg.width * 0.5f64.powi((slot / 2) as i32);
            devices.pulse(idx, amp, width);
        }
    }
    let failed = (0..n)
        .filter(|&k| (targets[k] - g[k]).abs() > cfg.tolerance)
        .collect();
    Ok(WriteVerifyReport {
        pulses,
        failed,
        conductance: g,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device whose conductance moves by rate·V·width per pulse, saturating at [lo, hi]:
    /// after k SET pulses of full width from g₀, G = min(hi, g₀ + k·rate·V·w) exactly.
    struct Linear {
        g: Vec<f64>,
        rate: f64,
        lo: f64,
        hi: f64,
    }

    impl PulseDevices for Linear {
        fn len(&self) -> usize {
            self.g.len()
        }
        fn read_conductances(&self, out: &mut [f64]) {
            out.copy_from_slice(&self.g);
        }
        fn pulse(&mut self, idx: &[usize], amplitude: f64, width: f64) {
            for &i in idx {
                self.g[i] = (self.g[i] + self.rate * amplitude * width).clamp(self.lo, self.hi);
            }
        }
    }

    #[test]
    fn converges_counts_pulses_and_reports_unreachable_targets() {
        // One full pulse moves G by 1 µS; tolerance 0.1 µS forces width halving.
        let mut d = Linear {
            g: vec![0.0; 4],
            rate: 1.0,
            lo: 0.0,
            hi: 20e-6,
        };
        let cfg = WriteVerify {
            tolerance: 0.1e-6,
            ..WriteVerify::default()
        };
        let targets = [5e-6, 7.45e-6, 0.05e-6, 30e-6];
        let r = write_verify(&mut d, &targets, &cfg).unwrap();
        // 5 µS: exactly 5 SET pulses, no overshoot.
        assert_eq!(r.pulses[0], 5);
        assert!((r.conductance[0] - 5e-6).abs() <= 0.1e-6);
        assert!((r.conductance[1] - 7.45e-6).abs() <= 0.1e-6);
        // Already within tolerance at 0: no pulse.
        assert_eq!(r.pulses[2], 0);
        // 30 µS is above the device's range: it spends the budget and fails.
        assert_eq!(r.pulses[3], cfg.max_pulses);
        assert_eq!(r.failed, vec![3]);
        assert_eq!(r.conductance[3], 20e-6);
    }

    #[test]
    fn bad_parameters_are_named() {
        let mut d = Linear {
            g: vec![0.0],
            rate: 1.0,
            lo: 0.0,
            hi: 1.0,
        };
        let cfg = WriteVerify {
            v_reset: 0.5,
            ..WriteVerify::default()
        };
        let e = write_verify(&mut d, &[1e-6], &cfg).unwrap_err().to_string();
        assert!(e.contains("write_verify.v_reset"), "{e}");
        let e = write_verify(&mut d, &[f64::NAN], &WriteVerify::default()).unwrap_err();
        assert!(matches!(e, ArrayError::NonFinite(_)));
    }
}
