//! The learning-network file (`netlists/diehl-cook/*.ron`): network, encoding, timing, rule.

use super::neurons::{Inhibition, NeuronKind, NeuronParams, SynapseKind};
use super::rule::{Rule, TraceMode};
use crate::config::{ConfigError, FieldError, parse_ron, read_ron, resolve};
use crate::encode::RankOrder;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The format version this build reads.
pub const LEARN_VERSION: u32 = 1;

/// The bundled Diehl & Cook (2015) netlist (100 excitatory neurons, MNIST).
pub const DIEHL_COOK: &str = include_str!("../../netlists/diehl-cook/diehl-cook-100.ron");

/// How an image becomes input spikes during a presentation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LearnEncoding {
    /// Poisson spikes of rate `x·max_rate·f` (Hz), binned at `dt` (probability
    /// `1 − exp(−rate·dt)` per step), `f` the rate-boost factor.
    Poisson {
        /// Rate for `x = 1` (Hz; 63.75 in Diehl & Cook: pixel/8·2 for pixel = 255).
        max_rate: f64,
    },
    /// A spike with probability `clamp(x·max_prob·f, 0, 1)` per step.
    Bernoulli {
        /// Probability per step for `x = 1`.
        max_prob: f64,
    },
    /// Rank-order waves ([`RankOrder`]); the boost factor divides the period.
    RankOrder(RankOrder),
}

impl LearnEncoding {
    /// The CLI name (`poisson`, `bernoulli`, `rank`).
    pub fn name(&self) -> &'static str {
        match self {
            LearnEncoding::Poisson { .. } => "poisson",
            LearnEncoding::Bernoulli { .. } => "bernoulli",
            LearnEncoding::RankOrder(_) => "rank",
        }
    }

    /// The encoding `name` at Diehl & Cook's mean drive for `dt` (Poisson 63.75 Hz; Bernoulli
    /// with the same per-step probability; rank order with a 25 ms period).
    pub fn from_name(name: &str, dt: f64) -> Option<Self> {
        Some(match name {
            "poisson" => LearnEncoding::Poisson { max_rate: 63.75 },
            "bernoulli" => LearnEncoding::Bernoulli {
                max_prob: 63.75 * dt,
            },
            "rank" => LearnEncoding::RankOrder(RankOrder::default()),
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), FieldError> {
        match *self {
            LearnEncoding::Poisson { max_rate } if !(max_rate.is_finite() && max_rate > 0.0) => {
                Err(FieldError::new(
                    "max_rate",
                    format!("{max_rate} Hz must be finite and > 0"),
                ))
            }
            LearnEncoding::Bernoulli { max_prob } if !(max_prob > 0.0 && max_prob <= 1.0) => Err(
                FieldError::new("max_prob", format!("{max_prob} must be in (0, 1]")),
            ),
            LearnEncoding::RankOrder(r) => r.validate(),
            _ => Ok(()),
        }
    }
}

/// Presentation timing and the rate-boost rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timing {
    /// Time step (second; 0.5 ms).
    pub dt: f64,
    /// Presentation of one image (second; 350 ms).
    pub t_present: f64,
    /// Rest after each presentation, no input (second; 150 ms).
    pub t_rest: f64,
    /// Fewer excitatory spikes than this in a presentation → present again with a higher rate (5).
    pub min_spikes: u32,
    /// Rate-boost step relative to the base rate (0.5: Diehl & Cook's intensity 2 → 3 → 4 …).
    pub boost_step: f64,
    /// At most this many boosts per image (then the response is taken as it is; 20).
    pub max_boosts: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            dt: 0.5e-3,
            t_present: 0.35,
            t_rest: 0.15,
            min_spikes: 5,
            boost_step: 0.5,
            max_boosts: 20,
        }
    }
}

impl Timing {
    /// Steps of a presentation.
    pub fn present_steps(&self) -> usize {
        (self.t_present / self.dt).round() as usize
    }

    /// Steps of the rest.
    pub fn rest_steps(&self) -> usize {
        (self.t_rest / self.dt).round() as usize
    }

    fn validate(&self) -> Result<(), FieldError> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(FieldError::new("dt", format!("{} s must be > 0", self.dt)));
        }
        if !(self.t_present.is_finite() && self.t_present >= self.dt) {
            return Err(FieldError::new(
                "t_present",
                format!("{} s must be at least dt", self.t_present),
            ));
        }
        if !(self.t_rest.is_finite() && self.t_rest >= 0.0) {
            return Err(FieldError::new(
                "t_rest",
                format!("{} s must be ≥ 0", self.t_rest),
            ));
        }
        if !(self.boost_step.is_finite() && self.boost_step >= 0.0) {
            return Err(FieldError::new(
                "boost_step",
                format!("{} must be ≥ 0", self.boost_step),
            ));
        }
        Ok(())
    }
}

/// The data a run trains and tests on (IDX files, relative to the netlist's folder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DataPaths {
    /// Training images.
    pub train_images: PathBuf,
    /// Training labels.
    pub train_labels: PathBuf,
    /// Test images.
    pub test_images: PathBuf,
    /// Test labels.
    pub test_labels: PathBuf,
}

/// A learning network (`netlists/diehl-cook/*.ron`). Defaults are Diehl & Cook (2015).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnConfig {
    /// Format version ([`LEARN_VERSION`]).
    pub version: u32,
    /// Short name.
    pub name: String,
    /// One line with the source.
    pub description: String,
    /// Data set files.
    pub data: DataPaths,
    /// Input neurons (784 for 28×28 images).
    pub n_input: usize,
    /// Excitatory neurons (100).
    pub n_exc: usize,
    /// Excitatory neuron model.
    pub neuron: NeuronKind,
    /// Excitatory neuron parameters.
    pub exc: NeuronParams,
    /// Inhibitory neuron parameters (used by [`Inhibition::Population`]).
    pub inh: NeuronParams,
    /// Synapse model.
    pub synapse: SynapseKind,
    /// Lateral inhibition.
    pub inhibition: Inhibition,
    /// Initial input weights are uniform in `[0, w_init_max]` (0.3).
    pub w_init_max: f64,
    /// Upper weight bound (1.0).
    pub w_max: f64,
    /// Each excitatory neuron's input weights are rescaled to sum to this before every
    /// training presentation (78; `None`: no normalisation).
    pub norm: Option<f64>,
    /// Input encoding.
    pub encoding: LearnEncoding,
    /// Timing and rate boost.
    pub timing: Timing,
    /// Learning rule.
    pub rule: Rule,
    /// Trace interaction.
    pub traces: TraceMode,
    /// Random seed.
    pub seed: u64,
    /// Where the file came from (not part of it).
    #[serde(skip)]
    pub source: PathBuf,
}

impl Default for LearnConfig {
    fn default() -> Self {
        Self {
            version: LEARN_VERSION,
            name: String::new(),
            description: String::new(),
            data: DataPaths::default(),
            n_input: 784,
            n_exc: 100,
            neuron: NeuronKind::AdaptiveLif,
            exc: NeuronParams::default(),
            inh: NeuronParams::diehl_cook_inhibitory(),
            synapse: SynapseKind::default(),
            inhibition: Inhibition::default(),
            w_init_max: 0.3,
            w_max: 1.0,
            norm: Some(78.0),
            encoding: LearnEncoding::Poisson { max_rate: 63.75 },
            timing: Timing::default(),
            rule: Rule::from_name("stdp").expect("built-in"),
            traces: TraceMode::Nearest,
            seed: 0,
            source: PathBuf::new(),
        }
    }
}

impl LearnConfig {
    /// Read, parse and validate a file; data paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let c: LearnConfig = read_ron(path)?;
        c.finish(path)
    }

    /// Parse and validate text; `path` names it in errors and anchors relative data paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let c: LearnConfig = parse_ron(text, path)?;
        c.finish(path)
    }

    /// The bundled Diehl & Cook netlist, its data paths resolved against `repo_root`'s
    /// `netlists/diehl-cook/` folder.
    pub fn diehl_cook(repo_root: &Path) -> Result<Self, ConfigError> {
        Self::parse(
            DIEHL_COOK,
            &repo_root.join("netlists/diehl-cook/diehl-cook-100.ron"),
        )
    }

    fn finish(mut self, path: &Path) -> Result<Self, ConfigError> {
        self.source = path.to_path_buf();
        for p in [
            &mut self.data.train_images,
            &mut self.data.train_labels,
            &mut self.data.test_images,
            &mut self.data.test_labels,
        ] {
            if !p.as_os_str().is_empty() {
                *p = resolve(path, p);
            }
        }
        if self.name.is_empty() {
            self.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        self.validate().map_err(|e| e.in_file(path))?;
        Ok(self)
    }

    /// Check every field; the error names the dotted field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.version != LEARN_VERSION {
            return Err(FieldError::new(
                "version",
                format!(
                    "unsupported version {} (this build reads {LEARN_VERSION})",
                    self.version
                ),
            ));
        }
        if self.n_input == 0 {
            return Err(FieldError::new("n_input", "must be ≥ 1"));
        }
        if self.n_exc == 0 {
            return Err(FieldError::new("n_exc", "must be ≥ 1"));
        }
        self.timing.validate().map_err(|e| e.within("timing"))?;
        let dt = self.timing.dt;
        self.exc.validate(dt).map_err(|e| e.within("exc"))?;
        if matches!(self.inhibition, Inhibition::Population { .. }) {
            self.inh.validate(dt).map_err(|e| e.within("inh"))?;
        }
        match self.synapse {
            SynapseKind::Conductance { tau_ge, tau_gi } => {
                for (n, v) in [("tau_ge", tau_ge), ("tau_gi", tau_gi)] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(FieldError::new(
                            format!("synapse.{n}"),
                            format!("{v} s must be > 0"),
                        ));
                    }
                }
            }
            SynapseKind::Current { scale } => {
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(FieldError::new(
                        "synapse.scale",
                        format!("{scale} V must be > 0"),
                    ));
                }
            }
        }
        let (a, b) = match self.inhibition {
            Inhibition::Population { w_ei, w_ie } => (w_ei, w_ie),
            Inhibition::WinnerTakeAll { w_ie } => (0.0, w_ie),
        };
        for (n, v) in [("w_ei", a), ("w_ie", b)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FieldError::new(
                    format!("inhibition.{n}"),
                    format!("{v} must be finite and ≥ 0"),
                ));
            }
        }
        if !(self.w_max.is_finite() && self.w_max > 0.0) {
            return Err(FieldError::new(
                "w_max",
                format!("{} must be > 0", self.w_max),
            ));
        }
        if !(self.w_init_max >= 0.0 && self.w_init_max <= self.w_max) {
            return Err(FieldError::new(
                "w_init_max",
                format!("{} must be in [0, w_max = {}]", self.w_init_max, self.w_max),
            ));
        }
        if let Some(n) = self.norm
            && !(n.is_finite() && n > 0.0)
        {
            return Err(FieldError::new("norm", format!("{n} must be > 0")));
        }
        self.encoding.validate().map_err(|e| e.within("encoding"))?;
        self.rule.validate().map_err(|e| e.within("rule"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_netlist_parses_with_the_published_parameters() {
        let c = LearnConfig::diehl_cook(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(c.n_exc, 100);
        assert_eq!(c.timing.dt, 0.5e-3);
        assert_eq!(c.timing.present_steps(), 700);
        assert_eq!(c.timing.rest_steps(), 300);
        assert_eq!(c.norm, Some(78.0));
        assert_eq!(c.exc.theta_plus, 0.05e-3);
        assert!(
            c.data
                .train_images
                .ends_with("mnist/train-images-idx3-ubyte.gz")
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let e = LearnConfig::parse("(version: 1, timing: (dt: -1.0))", Path::new("x.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.ron") && e.contains("timing.dt"), "{e}");
        let e = LearnConfig::parse("(version: 1, n_exc: 0)", Path::new("x.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("n_exc"), "{e}");
        let e = LearnConfig::parse("(version: 1, nexc: 3)", Path::new("x.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nexc"), "{e}");
    }
}
