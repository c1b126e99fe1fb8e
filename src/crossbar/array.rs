//! A programmed array: programming, drift to time t, drift compensation and the read path.

use super::read::{quantise_symmetric, steps};
use super::{AdcRange, ArrayError, MapConfig, ReadConfig, WeightMap};
use crate::device::Statistics;
use crate::device::statistics::{PerReadNoise, ProgrammedDevice};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Drift compensation: digital gains applied to the column outputs.
///
/// Both kinds use a reference read with every input at +v_read, taken right after programming
/// (G_prog) and again at the current time (G_read(t)), noise-free (a reference read is averaged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compensation {
    /// No compensation (gain 1).
    #[default]
    None,
    /// One gain per array: Σⱼ I_ref,0 / Σⱼ I_ref,t.
    Global,
    /// One gain per physical column: I_ref,0,j / I_ref,t,j (1 for a column reading 0).
    PerColumn,
}

impl Compensation {
    /// From its name on the command line and in Python: `none`, `global` or `column`.
    pub fn from_name(s: &str) -> Result<Compensation, String> {
        match s {
            "none" => Ok(Compensation::None),
            "global" => Ok(Compensation::Global),
            "column" => Ok(Compensation::PerColumn),
            _ => Err(format!(
                "unknown compensation `{s}` (expected none, global or column)"
            )),
        }
    }
}

/// One programmed physical array.
///
/// Conductances are kept in f64 for programming and drift; the effective read matrix at the
/// current time is f32 (the network simulation precision). Reads write into caller buffers and
/// allocate nothing.
#[derive(Debug, Clone)]
pub struct Crossbar {
    map: WeightMap,
    stats: Statistics,
    read_cfg: ReadConfig,
    rows: usize,
    cols: usize,
    devices: Vec<ProgrammedDevice>,
    /// Effective conductances at `time`, row-major rows × cols [S].
    g: Vec<f32>,
    /// frac²·G² (proportional per-read noise only), row-major.
    g_sq: Vec<f32>,
    ref0: Vec<f64>,
    gain: Vec<f32>,
    compensation: Compensation,
    adc_fs: f32,
    time: f64,
    v: Vec<f32>,
    cur: Vec<f32>,
    var: Vec<f32>,
}

impl Crossbar {
    /// Map `w` (outputs × inputs) with `map_cfg` onto `stats`'s range, and program it
    /// statistically, device by device in row-major order, from `rng` (use one stream per
    /// (trial, array): [`crate::rng::stream`]).
    ///
    /// The array is left at t = 0 with G = G_prog (no 1/f noise drawn yet); call
    /// [`set_time`](Self::set_time) to move it to a read time.
    pub fn program<R: Rng + ?Sized>(
        w: ArrayView2<f32>,
        stats: &Statistics,
        map_cfg: &MapConfig,
        read_cfg: &ReadConfig,
        rng: &mut R,
    ) -> Result<Self, ArrayError> {
        stats.validate().map_err(|e| e.within("statistics"))?;
        let (map, targets) = WeightMap::new(w, map_cfg, stats.g_min, stats.g_max)?;
        let devices = targets.iter().map(|&t| stats.program(t, rng)).collect();
        Self::build(map, stats, read_cfg, targets.dim(), devices)
    }

    /// An array whose conductances right after programming are `g_prog` (inputs × physical
    /// columns, e.g. from write-verify programming); ν is drawn per device from `stats.drift` at
    /// ĝ = G_prog/g_max, in row-major order from `rng`. Faults, levels and programming noise of
    /// `stats` are not applied (they describe statistical programming).
    pub fn from_programmed<R: Rng + ?Sized>(
        map: WeightMap,
        g_prog: ArrayView2<f64>,
        stats: &Statistics,
        read_cfg: &ReadConfig,
        rng: &mut R,
    ) -> Result<Self, ArrayError> {
        stats.validate().map_err(|e| e.within("statistics"))?;
        if g_prog.dim() != (map.inputs, map.columns()) {
            return Err(ArrayError::Shape(format!(
                "conductances are {}×{}, the map expects {}×{}",
                g_prog.nrows(),
                g_prog.ncols(),
                map.inputs,
                map.columns()
            )));
        }
        if let Some(g) = g_prog.iter().find(|g| !(g.is_finite() && **g >= 0.0)) {
            return Err(ArrayError::NonFinite(format!(
                "programmed conductance {g} S (must be finite and ≥ 0)"
            )));
        }
        let ideal_prog = Statistics {
            drift: stats.drift.clone(),
            g_min: stats.g_min,
            g_max: stats.g_max,
            ..Statistics::default()
        };
        let devices = g_prog
            .iter()
            .map(|&g| {
                // ν at ĝ = G_prog/g_max, exactly as statistical programming draws it.
                let d = ideal_prog.program(g.min(stats.g_max), rng);
                ProgrammedDevice { g_prog: g, ..d }
            })
            .collect();
        Self::build(map, stats, read_cfg, g_prog.dim(), devices)
    }

    /// Map `w` onto `stats`'s range and program it by write-verify through the device ODE of
    /// `model` (devices start at the model's x₀), then draw ν per device as
    /// [`from_programmed`](Self::from_programmed) does. Returns the array and the write-verify
    /// report (pulses per device, failed devices, row-major).
    ///
    /// The range [g_min, g_max] of `stats` must lie inside the model's conductance range for
    /// every target to be reachable; unreachable devices are reported as failed.
    pub fn program_write_verify<R: Rng + ?Sized>(
        w: ArrayView2<f32>,
        model: &crate::device::Model,
        stats: &Statistics,
        map_cfg: &MapConfig,
        read_cfg: &ReadConfig,
        wv: &super::WriteVerify,
        rng: &mut R,
    ) -> Result<(Self, super::WriteVerifyReport), ArrayError> {
        stats
            .validate()
            .map_err(|e| ArrayError::from(e.within("statistics")))?;
        let (map, targets) = WeightMap::new(w, map_cfg, stats.g_min, stats.g_max)?;
        let targets: Vec<f64> = targets.iter().map(|&t| stats.quantise(t)).collect();
        let mut batch = crate::device::DeviceBatch::new(model.clone(), targets.len())?;
        let report = super::write_verify(&mut batch, &targets, wv)?;
        let g = Array2::from_shape_vec((map.inputs, map.columns()), report.conductance.clone())
            .map_err(|e| ArrayError::Shape(e.to_string()))?;
        let xb = Self::from_programmed(map, g.view(), stats, read_cfg, rng)?;
        Ok((xb, report))
    }

    fn build(
        map: WeightMap,
        stats: &Statistics,
        read_cfg: &ReadConfig,
        (rows, cols): (usize, usize),
        devices: Vec<ProgrammedDevice>,
    ) -> Result<Self, ArrayError> {
        read_cfg.validate().map_err(|e| e.within("read"))?;
        let mut ref0 = vec![0.0f64; cols];
        for (k, d) in devices.iter().enumerate() {
            ref0[k % cols] += d.g_prog;
        }
        let adc_fs = match read_cfg.adc.map(|a| a.range) {
            None | Some(AdcRange::Max) => rows as f64 * read_cfg.v_read * stats.g_max,
            Some(AdcRange::Fixed(i)) => i,
            Some(AdcRange::Calibrated { margin }) => {
                let m = ref0.iter().copied().fold(0.0, f64::max) * read_cfg.v_read * margin;
                if m > 0.0 {
                    m
                } else {
                    rows as f64 * read_cfg.v_read * stats.g_max
                }
            }
        } as f32;
        let mut xb = Self {
            map,
            stats: stats.clone(),
            read_cfg: *read_cfg,
            rows,
            cols,
            g: devices.iter().map(|d| d.g_prog as f32).collect(),
            g_sq: Vec::new(),
            devices,
            ref0,
            gain: vec![1.0; cols],
            compensation: Compensation::None,
            adc_fs,
            time: 0.0,
            v: vec![0.0; rows],
            cur: vec![0.0; cols],
            var: vec![0.0; cols],
        };
        xb.refresh();
        Ok(xb)
    }

    /// Recompute the per-read noise table and the compensation gains from `g`.
    fn refresh(&mut self) {
        self.g_sq = match self.stats.per_read {
            PerReadNoise::Proportional { frac } => {
                let f2 = (frac * frac) as f32;
                self.g.iter().map(|&g| f2 * g * g).collect()
            }
            _ => Vec::new(),
        };
        let mut reft = vec![0.0f64; self.cols];
        for (k, &g) in self.g.iter().enumerate() {
            reft[k % self.cols] += f64::from(g);
        }
        match self.compensation {
            Compensation::None => self.gain.fill(1.0),
            Compensation::Global => {
                let (a, b): (f64, f64) = (self.ref0.iter().sum(), reft.iter().sum());
                let g = if b > 0.0 { (a / b) as f32 } else { 1.0 };
                self.gain.fill(g);
            }
            Compensation::PerColumn => {
                for ((g, &a), &b) in self.gain.iter_mut().zip(&self.ref0).zip(&reft) {
                    *g = if b > 0.0 { (a / b) as f32 } else { 1.0 };
                }
            }
        }
    }

    /// Move the array to `t` seconds after programming: drift every device and draw its
    /// accumulated 1/f read noise (one normal per device in row-major order from `rng` when the
    /// card has 1/f noise), then recompute the compensation gains.
    pub fn set_time<R: Rng + ?Sized>(&mut self, t: f64, rng: &mut R) -> Result<(), ArrayError> {
        if !(t.is_finite() && t >= 0.0) {
            return Err(ArrayError::NonFinite(format!(
                "time {t} s (must be finite and ≥ 0)"
            )));
        }
        for (g, d) in self.g.iter_mut().zip(&self.devices) {
            *g = self.stats.read_at(d, t, rng) as f32;
        }
        self.time = t;
        self.refresh();
        Ok(())
    }

    /// Select the drift compensation (applied from now on, recomputed at every `set_time`).
    pub fn compensate(&mut self, c: Compensation) {
        self.compensation = c;
        self.refresh();
    }

    /// Read the array: column currents [A] for row voltages `v` [V], into `out`.
    ///
    /// Physical currents Iⱼ = Σᵢ vᵢ·Gᵢⱼ(t), plus per-read noise sampled once per column with
    /// variance Σᵢ vᵢ²σᵢⱼ² (one normal per column from `rng` when the card has per-read noise),
    /// clipped to ±current_limit, converted by the ADC, then multiplied by the compensation gain.
    /// The DAC is not applied here (see [`mvm`](Self::mvm)).
    pub fn read<R: Rng + ?Sized>(
        &mut self,
        v: &[f32],
        out: &mut [f32],
        rng: &mut R,
    ) -> Result<(), ArrayError> {
        if v.len() != self.rows || out.len() != self.cols {
            return Err(ArrayError::Shape(format!(
                "read of a {}×{} array got {} voltages and {} outputs",
                self.rows,
                self.cols,
                v.len(),
                out.len()
            )));
        }
        let parts = ReadParts {
            g: &self.g,
            g_sq: &self.g_sq,
            gain: &self.gain,
            per_read: &self.stats.per_read,
            cfg: &self.read_cfg,
            adc_fs: self.adc_fs,
            cols: self.cols,
        };
        Self::read_kernel(parts, v, out, &mut self.var, rng);
        Ok(())
    }

    fn read_kernel<R: Rng + ?Sized>(
        p: ReadParts<'_>,
        v: &[f32],
        out: &mut [f32],
        var: &mut [f32],
        rng: &mut R,
    ) {
        out.fill(0.0);
        for (&vi, row) in v.iter().zip(p.g.chunks_exact(p.cols)) {
            if vi != 0.0 {
                for (o, &g) in out.iter_mut().zip(row) {
                    *o += vi * g;
                }
            }
        }
        match *p.per_read {
            PerReadNoise::None => {}
            PerReadNoise::Constant { sigma } => {
                let v2: f32 = v.iter().map(|x| x * x).sum();
                let s = sigma as f32 * v2.sqrt();
                for o in out.iter_mut() {
                    let n: f32 = rng.sample(StandardNormal);
                    *o += s * n;
                }
            }
            PerReadNoise::Proportional { .. } => {
                var.fill(0.0);
                for (&vi, row) in v.iter().zip(p.g_sq.chunks_exact(p.cols)) {
                    if vi != 0.0 {
                        let v2 = vi * vi;
                        for (o, &g2) in var.iter_mut().zip(row) {
                            *o += v2 * g2;
                        }
                    }
                }
                for (o, &s2) in out.iter_mut().zip(var.iter()) {
                    let n: f32 = rng.sample(StandardNormal);
                    *o += s2.sqrt() * n;
                }
            }
        }
        if let Some(l) = p.cfg.current_limit {
            let l = l as f32;
            for o in out.iter_mut() {
                *o = o.clamp(-l, l);
            }
        }
        if let Some(adc) = p.cfg.adc {
            let n = steps(adc.bits);
            for o in out.iter_mut() {
                *o = quantise_symmetric(*o, p.adc_fs, n);
            }
        }
        for (o, &g) in out.iter_mut().zip(p.gain) {
            *o *= g;
        }
    }

    /// Matrix-vector product y ≈ W·x through the array: inputs are clipped to ±x_max, applied
    /// as voltages x/x_max·v_read through the DAC, read (see [`read`](Self::read)), and mapped
    /// back to weight units. `x` has `inputs` entries, `y` has `outputs`. No allocation.
    pub fn mvm<R: Rng + ?Sized>(
        &mut self,
        x: &[f32],
        y: &mut [f32],
        rng: &mut R,
    ) -> Result<(), ArrayError> {
        if x.len() != self.rows || y.len() != self.map.outputs {
            return Err(ArrayError::Shape(format!(
                "mvm of a {}-input, {}-output array got {} inputs and {} outputs",
                self.rows,
                self.map.outputs,
                x.len(),
                y.len()
            )));
        }
        let x_max = self.read_cfg.x_max as f32;
        let v_read = self.read_cfg.v_read as f32;
        let dac = self.read_cfg.dac.map(|d| steps(d.bits));
        for (vi, &xi) in self.v.iter_mut().zip(x) {
            let u = (xi / x_max).clamp(-1.0, 1.0);
            let u = match dac {
                Some(n) => quantise_symmetric(u, 1.0, n),
                None => u,
            };
            *vi = u * v_read;
        }
        let parts = ReadParts {
            g: &self.g,
            g_sq: &self.g_sq,
            gain: &self.gain,
            per_read: &self.stats.per_read,
            cfg: &self.read_cfg,
            adc_fs: self.adc_fs,
            cols: self.cols,
        };
        Self::read_kernel(parts, &self.v, &mut self.cur, &mut self.var, rng);
        self.map
            .outputs_from_currents(&self.cur, self.read_cfg.v_read / self.read_cfg.x_max, y);
        Ok(())
    }

    /// The weight map of this array.
    pub fn map(&self) -> &WeightMap {
        &self.map
    }

    /// Rows (inputs) of the array.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Physical columns of the array.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Time since programming the array is at [s].
    pub fn time(&self) -> f64 {
        self.time
    }

    /// The programmed devices, row-major.
    pub fn devices(&self) -> &[ProgrammedDevice] {
        &self.devices
    }

    /// Effective conductances at the current time (rows × physical columns) [S].
    pub fn conductances(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.rows, self.cols), |(i, j)| {
            f64::from(self.g[i * self.cols + j])
        })
    }

    /// The compensation gain of every physical column.
    pub fn gains(&self) -> &[f32] {
        &self.gain
    }

    /// The weights the array holds now (outputs × inputs): the inverse map of the effective
    /// conductances, each column multiplied by its compensation gain.
    pub fn weights(&self) -> Array2<f32> {
        let m = &self.map;
        let g = |i: usize, j: usize| f64::from(self.g[i * self.cols + j]) * f64::from(self.gain[j]);
        Array2::from_shape_fn((m.outputs, m.inputs), |(j, i)| {
            let d = match m.kind {
                super::MappingKind::Differential => g(i, 2 * j) - g(i, 2 * j + 1),
                super::MappingKind::Offset => g(i, j) - g(i, m.outputs),
            };
            (d / m.scale) as f32
        })
    }

    /// The ADC full-scale current in use [A].
    pub fn adc_full_scale(&self) -> f64 {
        f64::from(self.adc_fs)
    }
}

struct ReadParts<'a> {
    g: &'a [f32],
    g_sq: &'a [f32],
    gain: &'a [f32],
    per_read: &'a PerReadNoise,
    cfg: &'a ReadConfig,
    adc_fs: f32,
    cols: usize,
}
