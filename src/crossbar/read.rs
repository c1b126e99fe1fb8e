//! Read-path peripherals: input DAC, output ADC and column current limit.

use crate::config::FieldError;
use serde::{Deserialize, Serialize};

/// Input digital-to-analog converter: inputs in [−x_max, x_max] become voltages in
/// [−v_read, v_read] on 2^(bits−1) − 1 levels per sign (plus 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dac {
    /// Resolution in bits (2..=24).
    pub bits: u32,
}

/// Full scale of the output ADC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum AdcRange {
    /// The largest possible column current: rows · v_read · g_max.
    #[default]
    Max,
    /// The largest column current of the reference read (all inputs at +v_read) taken right
    /// after programming, times `margin` (≥ 1).
    Calibrated {
        /// Head-room factor over the calibration read.
        margin: f64,
    },
    /// A fixed full-scale current [A].
    Fixed(f64),
}

/// Output analog-to-digital converter: column currents in [−I_fs, I_fs] on 2^(bits−1) − 1
/// levels per sign (plus 0); currents beyond full scale saturate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adc {
    /// Resolution in bits (2..=24).
    pub bits: u32,
    /// Full scale.
    #[serde(default)]
    pub range: AdcRange,
}

/// How inputs are applied and outputs converted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadConfig {
    /// Read voltage for an input of magnitude `x_max` [V]. Default 0.2 V.
    pub v_read: f64,
    /// Input magnitude mapped to `v_read`; larger inputs are clipped. Default 1.
    pub x_max: f64,
    /// Input DAC; `None` = ideal (inputs are still clipped to ±x_max). Default none.
    pub dac: Option<Dac>,
    /// Output ADC; `None` = ideal. Default none.
    pub adc: Option<Adc>,
    /// Largest column current magnitude the sense circuit passes [A]; `None` = unlimited.
    pub current_limit: Option<f64>,
}

impl Default for ReadConfig {
    fn default() -> Self {
        Self {
            v_read: 0.2,
            x_max: 1.0,
            dac: None,
            adc: None,
            current_limit: None,
        }
    }
}

fn bits_ok(bits: u32, field: &str) -> Result<(), FieldError> {
    if (2..=24).contains(&bits) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be in 2..=24, got {bits}"),
        ))
    }
}

impl ReadConfig {
    /// Check the configuration; the error names the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(self.v_read.is_finite() && self.v_read > 0.0) {
            return Err(FieldError::new(
                "v_read",
                format!("must be finite and > 0, got {}", self.v_read),
            ));
        }
        if !(self.x_max.is_finite() && self.x_max > 0.0) {
            return Err(FieldError::new(
                "x_max",
                format!("must be finite and > 0, got {}", self.x_max),
            ));
        }
        if let Some(d) = self.dac {
            bits_ok(d.bits, "dac.bits")?;
        }
        if let Some(a) = self.adc {
            bits_ok(a.bits, "adc.bits")?;
            match a.range {
                AdcRange::Max => {}
                AdcRange::Calibrated { margin } => {
                    if !(margin.is_finite() && margin >= 1.0) {
                        return Err(FieldError::new(
                            "adc.range.Calibrated.margin",
                            format!("must be finite and ≥ 1, got {margin}"),
                        ));
                    }
                }
                AdcRange::Fixed(i) => {
                    if !(i.is_finite() && i > 0.0) {
                        return Err(FieldError::new(
                            "adc.range.Fixed",
                            format!("must be finite and > 0, got {i}"),
                        ));
                    }
                }
            }
        }
        if let Some(l) = self.current_limit
            && !(l.is_finite() && l > 0.0)
        {
            return Err(FieldError::new(
                "current_limit",
                format!("must be finite and > 0, got {l}"),
            ));
        }
        Ok(())
    }
}

/// Symmetric uniform quantiser on `levels` steps per sign over [−full, full] (saturating).
#[inline]
pub(crate) fn quantise_symmetric(x: f32, full: f32, levels: f32) -> f32 {
    let q = (x / full * levels).round().clamp(-levels, levels);
    q * full / levels
}

/// Steps per sign of a signed converter with `bits` bits: 2^(bits−1) − 1.
pub(crate) fn steps(bits: u32) -> f32 {
    ((1u32 << (bits - 1)) - 1) as f32
}
