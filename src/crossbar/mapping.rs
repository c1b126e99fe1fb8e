//! Weight → conductance mapping onto one physical array, and the inverse map.
//!
//! A weight matrix `W` has shape (outputs × inputs), the convention of PyTorch / NIR `Linear`
//! layers (y = W·x). On the array, inputs drive the rows and each output is read from columns,
//! so the conductance matrix has shape (inputs × physical columns):
//!
//! - [`MappingKind::Differential`]: output j uses columns 2j (G⁺) and 2j+1 (G⁻),
//!   G⁺ = g_min + s·max(w, 0), G⁻ = g_min + s·max(−w, 0), s = (g_max − g_min)/w_ref;
//!   w = (G⁺ − G⁻)/s.
//! - [`MappingKind::Offset`]: output j uses column j, G = g_ref + s·w with g_ref = (g_min + g_max)/2
//!   and s = (g_max − g_min)/(2·w_ref); one extra reference column (the last) holds g_ref on
//!   every row; w = (G − G_ref)/s.
//!
//! w_ref is max|W| ([`ScaleRule::MaxAbs`]) or a percentile of |W| ([`ScaleRule::Percentile`]);
//! weights beyond ±w_ref are clipped.

use super::ArrayError;
use crate::config::FieldError;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// How signed weights are represented with non-negative conductances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingKind {
    /// Two devices per weight (G⁺, G⁻) in adjacent columns.
    #[default]
    Differential,
    /// One device per weight around a mid-range offset, with one shared reference column.
    Offset,
}

/// How the weight scale of an array is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum ScaleRule {
    /// w_ref = max|W|: no weight is clipped.
    #[default]
    MaxAbs,
    /// w_ref = this percentile (0 < p ≤ 100) of |W| (nearest rank); larger weights are clipped.
    Percentile(f64),
}

/// Mapping configuration of an array.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapConfig {
    /// Differential pair or offset column. Default differential.
    pub kind: MappingKind,
    /// Scale rule. Default max|W|.
    pub scale: ScaleRule,
}

impl MapConfig {
    /// Check the configuration.
    pub fn validate(&self) -> Result<(), FieldError> {
        if let ScaleRule::Percentile(p) = self.scale
            && !(p.is_finite() && p > 0.0 && p <= 100.0)
        {
            return Err(FieldError::new(
                "scale.Percentile",
                format!("must be in (0, 100], got {p}"),
            ));
        }
        Ok(())
    }
}

/// The affine map between one weight matrix and its array's conductances.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightMap {
    /// Mapping kind.
    pub kind: MappingKind,
    /// Number of inputs (array rows).
    pub inputs: usize,
    /// Number of outputs (logical columns).
    pub outputs: usize,
    /// Conductance per unit weight s [S].
    pub scale: f64,
    /// Weight magnitude mapped to the full range, w_ref (weights beyond it are clipped).
    pub w_ref: f64,
    /// Lowest conductance used [S].
    pub g_min: f64,
    /// Highest conductance used [S].
    pub g_max: f64,
}

impl WeightMap {
    /// Build the map for `w` (outputs × inputs) on the range [g_min, g_max] and return it with
    /// the conductance targets (inputs × physical columns).
    pub fn new(
        w: ArrayView2<f32>,
        cfg: &MapConfig,
        g_min: f64,
        g_max: f64,
    ) -> Result<(Self, Array2<f64>), ArrayError> {
        cfg.validate()
            .map_err(|e| ArrayError::Field(e.within("map")))?;
        if !(g_min.is_finite() && g_max.is_finite() && g_min >= 0.0 && g_min < g_max) {
            return Err(ArrayError::Field(FieldError::new(
                "g_max",
                format!("need 0 ≤ g_min < g_max, got [{g_min}, {g_max}]"),
            )));
        }
        let (outputs, inputs) = w.dim();
        if outputs == 0 || inputs == 0 {
            return Err(ArrayError::Shape(format!(
                "weight matrix is {outputs}×{inputs}; it needs at least one output and one input"
            )));
        }
        if let Some((k, v)) = w.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ArrayError::NonFinite(format!(
                "weight [{}, {}] is {v}",
                k / inputs,
                k % inputs
            )));
        }
        let mut mags: Vec<f64> = w.iter().map(|&x| f64::from(x).abs()).collect();
        let w_ref = match cfg.scale {
            ScaleRule::MaxAbs => mags.iter().copied().fold(0.0, f64::max),
            ScaleRule::Percentile(p) => {
                mags.sort_by(f64::total_cmp);
                let rank = ((p / 100.0) * mags.len() as f64).ceil() as usize;
                mags[rank.clamp(1, mags.len()) - 1]
            }
        };
        // An all-zero matrix maps to g_min (differential) or g_ref (offset) with any scale.
        let w_ref_eff = if w_ref > 0.0 { w_ref } else { 1.0 };
        let span = g_max - g_min;
        let scale = match cfg.kind {
            MappingKind::Differential => span / w_ref_eff,
            MappingKind::Offset => span / (2.0 * w_ref_eff),
        };
        let map = Self {
            kind: cfg.kind,
            inputs,
            outputs,
            scale,
            w_ref: w_ref_eff,
            g_min,
            g_max,
        };
        let mut g = Array2::<f64>::zeros((inputs, map.columns()));
        let g_ref = map.g_ref();
        for j in 0..outputs {
            for i in 0..inputs {
                let x = f64::from(w[[j, i]]).clamp(-w_ref_eff, w_ref_eff);
                match cfg.kind {
                    MappingKind::Differential => {
                        g[[i, 2 * j]] = (g_min + scale * x.max(0.0)).min(g_max);
                        g[[i, 2 * j + 1]] = (g_min + scale * (-x).max(0.0)).min(g_max);
                    }
                    MappingKind::Offset => {
                        g[[i, j]] = (g_ref + scale * x).clamp(g_min, g_max);
                    }
                }
            }
        }
        if cfg.kind == MappingKind::Offset {
            g.column_mut(outputs).fill(g_ref);
        }
        Ok((map, g))
    }

    /// Physical columns: 2·outputs (differential) or outputs + 1 (offset).
    pub fn columns(&self) -> usize {
        match self.kind {
            MappingKind::Differential => 2 * self.outputs,
            MappingKind::Offset => self.outputs + 1,
        }
    }

    /// The offset conductance g_ref = (g_min + g_max)/2 (used by the offset mapping).
    pub fn g_ref(&self) -> f64 {
        0.5 * (self.g_min + self.g_max)
    }

    /// Inverse map of a conductance matrix (inputs × physical columns) to weights (outputs × inputs).
    pub fn weights(&self, g: ArrayView2<f64>) -> Result<Array2<f32>, ArrayError> {
        if g.dim() != (self.inputs, self.columns()) {
            return Err(ArrayError::Shape(format!(
                "conductances are {}×{}, the map expects {}×{}",
                g.nrows(),
                g.ncols(),
                self.inputs,
                self.columns()
            )));
        }
        Ok(Array2::from_shape_fn(
            (self.outputs, self.inputs),
            |(j, i)| {
                let d = match self.kind {
                    MappingKind::Differential => g[[i, 2 * j]] - g[[i, 2 * j + 1]],
                    MappingKind::Offset => g[[i, j]] - g[[i, self.outputs]],
                };
                (d / self.scale) as f32
            },
        ))
    }

    /// Inverse map of column currents (one read) to outputs: y_j = ΔI_j/(s·volts_per_unit),
    /// where an input of 1 was applied as `volts_per_unit` volts.
    ///
    /// `currents` has [`columns`](Self::columns) entries, `y` has `outputs`.
    pub fn outputs_from_currents(&self, currents: &[f32], volts_per_unit: f64, y: &mut [f32]) {
        let k = (1.0 / (self.scale * volts_per_unit)) as f32;
        match self.kind {
            MappingKind::Differential => {
                for (yj, c) in y.iter_mut().zip(currents.chunks_exact(2)) {
                    *yj = (c[0] - c[1]) * k;
                }
            }
            MappingKind::Offset => {
                let r = currents[self.outputs];
                for (yj, &c) in y.iter_mut().zip(currents) {
                    *yj = (c - r) * k;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn differential_hand_example() {
        let w = array![[1.0f32, -0.5], [0.0, 0.25]];
        let (m, g) = WeightMap::new(w.view(), &MapConfig::default(), 1e-6, 11e-6).unwrap();
        assert_eq!(m.columns(), 4);
        // s = 10 µS per unit weight.
        let e = array![[11e-6, 1e-6, 1e-6, 1e-6], [1e-6, 6e-6, 3.5e-6, 1e-6]];
        for (a, b) in g.iter().zip(e.iter()) {
            assert!((a - b).abs() < 1e-18, "{g:?}");
        }
        let back = m.weights(g.view()).unwrap();
        for (a, b) in back.iter().zip(w.iter()) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn offset_hand_example_and_percentile_clip() {
        let w = array![[2.0f32, -1.0, 0.5, 0.0]];
        let cfg = MapConfig {
            kind: MappingKind::Offset,
            scale: ScaleRule::Percentile(75.0),
        };
        let (m, g) = WeightMap::new(w.view(), &cfg, 0.0, 2e-6).unwrap();
        // |W| sorted = [0, 0.5, 1, 2]; 75th percentile (nearest rank 3) = 1.
        assert_eq!(m.w_ref, 1.0);
        assert_eq!(m.columns(), 2);
        assert_eq!(g[[0, 0]], 2e-6); // 2.0 clipped to 1.0 → g_max
        assert_eq!(g[[1, 0]], 0.0);
        assert!((g[[2, 0]] - 1.5e-6).abs() < 1e-18);
        assert!(g.column(1).iter().all(|&x| x == 1e-6));
    }
}
