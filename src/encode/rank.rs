//! Rank-order and population encoders (beside the rate encoders of [`super::Encoding`]).

use serde::{Deserialize, Serialize};

/// Rank-order code (Thorpe & Gautrais 1998): only the *order* of the inputs carries
/// information. The non-zero inputs are sorted by decreasing value (ties by index); the input
/// of rank `k` among `n` spikes at offset `⌊k·spread·P/n⌋` steps into every period of `P`
/// steps, so the brightest pixel leads each wave. Inputs `≤ 0` never spike. Deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankOrder {
    /// Period of the repeated wave (second, > 0).
    pub period: f64,
    /// Fraction of the period the wave spans, in (0, 1].
    pub spread: f64,
}

impl Default for RankOrder {
    fn default() -> Self {
        Self {
            period: 25e-3,
            spread: 0.8,
        }
    }
}

impl RankOrder {
    /// The order of the inputs that spike: indices of `x > 0` by decreasing value.
    pub fn ranks(x: &[f32]) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..x.len()).filter(|&i| x[i] > 0.0).collect();
        idx.sort_by(|&a, &b| x[b].total_cmp(&x[a]).then(a.cmp(&b)));
        idx
    }

    /// Spike steps of one wave for `x` with a period of `period_steps`: `(offset, input)` pairs,
    /// earliest first.
    pub fn wave(&self, x: &[f32], period_steps: usize) -> Vec<(usize, usize)> {
        let order = Self::ranks(x);
        let n = order.len().max(1) as f64;
        order
            .into_iter()
            .enumerate()
            .map(|(k, i)| {
                let off = (k as f64 * self.spread * period_steps as f64 / n).floor() as usize;
                (off.min(period_steps.saturating_sub(1)), i)
            })
            .collect()
    }

    /// Check the fields.
    pub fn validate(&self) -> Result<(), crate::config::FieldError> {
        use crate::config::FieldError;
        if !(self.period.is_finite() && self.period > 0.0) {
            return Err(FieldError::new(
                "period",
                format!("{} s must be finite and > 0", self.period),
            ));
        }
        if !(self.spread > 0.0 && self.spread <= 1.0) {
            return Err(FieldError::new(
                "spread",
                format!("{} must be in (0, 1]", self.spread),
            ));
        }
        Ok(())
    }
}

/// Population code: each scalar input drives `n` neurons with Gaussian tuning curves whose
/// centres are evenly spaced over `[0, 1]`; neuron `k` of input `x` fires at rate
/// `max_rate·exp(−(x − c_k)²/(2σ²))`, `c_k = k/(n − 1)`, `σ = width/(n − 1)` (Bohte et al. 2002).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationCode {
    /// Neurons per input (≥ 2).
    pub n: usize,
    /// Tuning width in units of the centre spacing (> 0; 1.5 in Bohte et al.).
    pub width: f64,
    /// Peak rate (Hz).
    pub max_rate: f64,
}

impl PopulationCode {
    /// Rates (Hz) of the `x.len()·n` population neurons, input-major.
    pub fn rates(&self, x: &[f32], out: &mut Vec<f64>) {
        out.clear();
        let sigma = self.width / (self.n - 1) as f64;
        for &v in x {
            for k in 0..self.n {
                let c = k as f64 / (self.n - 1) as f64;
                let d = v as f64 - c;
                out.push(self.max_rate * (-(d * d) / (2.0 * sigma * sigma)).exp());
            }
        }
    }

    /// Check the fields.
    pub fn validate(&self) -> Result<(), crate::config::FieldError> {
        use crate::config::FieldError;
        if self.n < 2 {
            return Err(FieldError::new("n", format!("{} must be ≥ 2", self.n)));
        }
        if !(self.width.is_finite() && self.width > 0.0) {
            return Err(FieldError::new(
                "width",
                format!("{} must be > 0", self.width),
            ));
        }
        if !(self.max_rate.is_finite() && self.max_rate >= 0.0) {
            return Err(FieldError::new(
                "max_rate",
                format!("{} Hz must be finite and ≥ 0", self.max_rate),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_order_puts_brighter_inputs_first_and_skips_zeros() {
        let x = [0.2, 0.0, 0.9, 0.5, 0.9];
        assert_eq!(RankOrder::ranks(&x), vec![2, 4, 3, 0]);
        let r = RankOrder {
            period: 10e-3,
            spread: 1.0,
        };
        // 4 spikes over 20 steps: offsets 0, 5, 10, 15.
        assert_eq!(r.wave(&x, 20), vec![(0, 2), (5, 4), (10, 3), (15, 0)]);
        assert!(r.wave(&[0.0; 3], 20).is_empty());
    }

    #[test]
    fn population_code_peaks_at_the_centre_nearest_the_value() {
        let p = PopulationCode {
            n: 5,
            width: 1.0,
            max_rate: 100.0,
        };
        let mut r = Vec::new();
        p.rates(&[0.5], &mut r);
        assert_eq!(r.len(), 5);
        assert!((r[2] - 100.0).abs() < 1e-12);
        // One spacing away: exp(−1/2).
        assert!((r[1] - 100.0 * (-0.5f64).exp()).abs() < 1e-9);
        assert!((r[1] - r[3]).abs() < 1e-12);
        assert!(PopulationCode { n: 1, ..p }.validate().unwrap_err().field == "n");
    }
}
