//! The run configuration tree: everything one run is configured with, resolved.
//!
//! A [`RunConfig`] is what a netlist file says once its names are resolved (the chip spec and
//! the device card's statistics replace their names, paths are absolute), with the command
//! line's or a sweep point's overrides applied. Its serialised form is the tree that sweep
//! parameter paths address (`chip.core.rows`, `device.levels`, `crossbar.r_wire`, `time`, …,
//! see [`RunConfig::set`]) and that every report records. [`RunConfig::from_netlist`] is the
//! only netlist → configuration step; [`Experiment::new`](super::Experiment::new) is the only
//! validation.

use super::netlist::Netlist;
use crate::chip::ChipSpec;
use crate::config::parse_time;
use crate::crossbar::{Compensation, MapConfig};
use crate::device::{DeviceCard, Statistics};
use crate::encode::Encoding;
use crate::network::NetworkSpec;
use crate::neuron::{NeuronModel, Reset};
use crate::sim::Effects;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The chip a run uses when its netlist names none (sweeps, `map`, and `--chip`-less chip
/// settings).
pub const DEFAULT_CHIP: &str = "loihi";
/// The device card a chip run uses when its netlist names none.
pub const DEFAULT_DEVICE: &str = "ideal";
/// Trials of a chip run when its netlist gives none.
pub const DEFAULT_TRIALS: usize = 5;

/// Which engine a run uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The software network: no devices, no chip limits (default).
    #[default]
    Ideal,
    /// The network mapped onto `chip` with crossbars of `device`.
    Chip,
}

/// The data set of a run: images and labels (IDX, raw or gzip).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Images.
    pub images: PathBuf,
    /// Labels.
    pub labels: PathBuf,
}

/// Read-path, wire and weight-mapping settings of every crossbar (the `crossbar.*` paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossbarSettings {
    /// Wire resistance between adjacent cells (Ω); 0 = ideal wires. Default 0.
    pub r_wire: f64,
    /// ADC bits replacing the chip's `core.adc_bits`; `null` = the chip's. Default `null`.
    pub adc_bits: Option<u32>,
    /// Read voltage (V). Default [`ReadConfig::default`](crate::crossbar::ReadConfig)'s.
    pub v_read: f64,
    /// Weight → conductance mapping (differential pair by default).
    pub map: MapConfig,
}

impl Default for CrossbarSettings {
    fn default() -> Self {
        CrossbarSettings {
            r_wire: 0.0,
            adc_bits: None,
            v_read: crate::crossbar::ReadConfig::default().v_read,
            map: MapConfig::default(),
        }
    }
}

/// A time after programming: as written (`1d`) and in seconds.
///
/// Deserialises from a string with a unit (`"1d"`), a number of seconds, or
/// `{label, seconds}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimePoint {
    /// As written (e.g. `1d`).
    pub label: String,
    /// In seconds.
    pub seconds: f64,
}

impl TimePoint {
    /// Parse `1d`, `90min`, `3600` (see [`parse_time`]).
    pub fn parse(s: &str) -> Result<TimePoint, String> {
        Ok(TimePoint {
            label: s.trim().to_string(),
            seconds: parse_time(s)?,
        })
    }

    /// A time given in seconds.
    pub fn seconds(seconds: f64) -> TimePoint {
        TimePoint {
            label: format!("{seconds}s"),
            seconds,
        }
    }
}

impl<'de> Deserialize<'de> for TimePoint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
            Full { label: String, seconds: f64 },
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => TimePoint::parse(&s).map_err(serde::de::Error::custom),
            Raw::Number(v) if v.is_finite() && v >= 0.0 => Ok(TimePoint::seconds(v)),
            Raw::Number(v) => Err(serde::de::Error::custom(format!(
                "time {v} s must be finite and ≥ 0"
            ))),
            Raw::Full { label, seconds } => Ok(TimePoint { label, seconds }),
        }
    }
}

/// The resolved configuration of one run (see the module docs). Every field is public data;
/// [`Experiment::new`](super::Experiment::new) checks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// `ideal` (software network) or `chip`.
    pub mode: Mode,
    /// The netlist the run came from, if any (relative network paths resolve against it).
    pub netlist: Option<PathBuf>,
    /// The network (paths resolved against the netlist).
    pub network: NetworkSpec,
    /// The data set.
    pub data: DataConfig,
    /// Samples to run (the first ones of the data set); `null` = all.
    pub samples: Option<usize>,
    /// Timesteps per sample. Default 25.
    pub timesteps: usize,
    /// Time step (s). Default 1e-4.
    pub dt: f64,
    /// Reset mechanism. Default `zero`.
    pub reset: Reset,
    /// Discrete-time semantics of the training framework (`snntorch`, `norse`, `sinabs`,
    /// `rockpool`, `spyx`, `nir`, `nir-exact`; see the README's "Semantics"). Default
    /// `snntorch`.
    pub semantics: crate::neuron::Semantics,
    /// Input encoding. Default `Direct`.
    pub encoding: Encoding,
    /// Seed of random encoders, programming and read noise. Default 0.
    pub seed: u64,
    /// Neuron arithmetic; `null` = the chip's `fixed_point_neurons` flag in chip mode, float
    /// in ideal mode.
    pub neurons: Option<NeuronModel>,
    /// The chip (chip mode).
    pub chip: ChipSpec,
    /// The device card's name (chip mode; reports).
    pub card: String,
    /// Device statistics of every crossbar: the card's, with overrides (chip mode).
    pub device: Statistics,
    /// Read path, wires and weight mapping (chip mode).
    pub crossbar: CrossbarSettings,
    /// Times after programming to run (chip mode). Default `[1s]`.
    pub times: Vec<TimePoint>,
    /// Independently programmed chips (chip mode). Default 5.
    pub trials: usize,
    /// Drift compensation (chip mode). Default `None`.
    pub compensation: Compensation,
    /// Which non-idealities are on (chip mode). Default all.
    pub effects: Effects,
    /// Also run the cumulative attribution stages at the last time (chip mode).
    pub attribution: bool,
}

impl RunConfig {
    /// A configuration with every default, for `network` on `data` (ideal mode).
    pub fn new(network: NetworkSpec, data: DataConfig) -> crate::Result<RunConfig> {
        let card = DeviceCard::builtin(DEFAULT_DEVICE)?;
        Ok(RunConfig {
            mode: Mode::Ideal,
            netlist: None,
            network,
            data,
            samples: None,
            timesteps: 25,
            dt: 1e-4,
            reset: Reset::Zero,
            semantics: crate::neuron::Semantics::default(),
            encoding: Encoding::Direct,
            seed: 0,
            neurons: None,
            chip: ChipSpec::builtin(DEFAULT_CHIP)?,
            card: card.name,
            device: card.statistics,
            crossbar: CrossbarSettings::default(),
            times: vec![TimePoint::seconds(1.0)],
            trials: DEFAULT_TRIALS,
            compensation: Compensation::None,
            effects: Effects::ALL,
            attribution: false,
        })
    }

    /// Read the netlist at `path` and resolve it: chip and device names (built-in or files
    /// relative to the netlist) become their specs, paths become absolute. A netlist that names
    /// a chip runs in chip mode, one that names none in ideal mode.
    pub fn from_netlist(path: &Path) -> crate::Result<RunConfig> {
        let n = Netlist::read(path)?;
        Self::from_parsed_netlist(path, &n)
    }

    /// [`from_netlist`](Self::from_netlist) for an already read netlist.
    pub fn from_parsed_netlist(path: &Path, n: &Netlist) -> crate::Result<RunConfig> {
        let field =
            |f: &str, reason: String| crate::config::FieldError::new(f, reason).in_file(path);
        let network = n
            .network
            .clone()
            .ok_or_else(|| field("network", "missing".into()))?;
        let data = match &n.dataset {
            Some(d) => DataConfig {
                images: d.images.clone(),
                labels: d.labels.clone(),
            },
            None => DataConfig {
                images: PathBuf::new(),
                labels: PathBuf::new(),
            },
        };
        let mut c = RunConfig::new(network, data)?;
        c.netlist = Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
        c.samples = n.dataset.as_ref().and_then(|d| d.samples);
        c.timesteps = n.timesteps;
        c.dt = n.dt;
        c.reset = n.reset;
        c.semantics = n.semantics;
        c.encoding = n.encoding;
        c.seed = n.seed;
        // A chip or card the netlist names: a built-in, else a file beside the netlist; an
        // error names the netlist's field (not a command-line option).
        let named = |f: &str, name: &str, builtins: Vec<&str>| {
            let resolved = relative_name(path, name, builtins.iter().copied());
            if builtins.contains(&name) || Path::new(&resolved).is_file() {
                Ok(resolved)
            } else {
                Err(field(
                    f,
                    format!(
                        "`{name}` is neither a built-in ({}) nor a file (looked for {resolved})",
                        builtins.join(", ")
                    ),
                ))
            }
        };
        if let Some(chip) = &n.chip {
            c.mode = Mode::Chip;
            let name = named("chip", chip, ChipSpec::builtin_names().collect())?;
            c.chip = ChipSpec::resolve(&name)?;
        }
        if let Some(d) = &n.device {
            let name = named("device", d, DeviceCard::builtin_names().collect())?;
            c.set_card(&name)?;
        }
        if let Some(l) = n.levels {
            c.device.levels = crate::device::statistics::Levels::Uniform(l);
        }
        if let Some(times) = &n.times {
            c.times = times
                .iter()
                .map(|t| TimePoint::parse(t).map_err(|e| field("times", e)))
                .collect::<Result<_, _>>()?;
        }
        if let Some(t) = n.trials {
            c.trials = t;
        }
        if let Some(comp) = n.compensation {
            c.compensation = comp;
        }
        if let Some(r) = n.r_wire {
            c.crossbar.r_wire = r;
        }
        if let Some(chips) = n.chips {
            c.chip.board.chips = chips;
        }
        Ok(c)
    }

    /// Use the device card `name_or_path` (built-in name or RON file): its name and statistics.
    pub fn set_card(&mut self, name_or_path: &str) -> crate::Result<()> {
        let card = DeviceCard::resolve(name_or_path)?;
        self.card = card.name;
        self.device = card.statistics;
        Ok(())
    }

    /// Use the chip `name_or_path` (built-in name or RON file) and switch to chip mode.
    pub fn set_chip(&mut self, name_or_path: &str) -> crate::Result<()> {
        self.chip = ChipSpec::resolve(name_or_path)?;
        self.mode = Mode::Chip;
        Ok(())
    }

    /// The neuron arithmetic in effect: `neurons`, else the chip's flag in chip mode, else
    /// float.
    pub fn neuron_model(&self) -> NeuronModel {
        self.neurons.unwrap_or(match self.mode {
            Mode::Chip if self.chip.fixed_point_neurons => NeuronModel::LoihiFixed,
            _ => NeuronModel::Float,
        })
    }

    /// A one-line description of the network's source (the resolved NIR path).
    pub fn network_display(&self) -> String {
        match &self.network {
            NetworkSpec::Nir(p) => self.resolve(p).display().to_string(),
            NetworkSpec::Layers { layers, .. } => format!(
                "{} inline layers in {}",
                layers.len(),
                self.netlist
                    .as_deref()
                    .unwrap_or(Path::new("memsnn"))
                    .display()
            ),
        }
    }

    /// `p` against the netlist's folder (as is without a netlist).
    pub fn resolve(&self, p: &Path) -> PathBuf {
        match &self.netlist {
            Some(n) => crate::config::resolve(n, p),
            None => p.to_path_buf(),
        }
    }
}

/// A built-in name as is; anything else is a file relative to the netlist at `base`.
fn relative_name<'a>(
    base: &Path,
    name: &str,
    mut builtins: impl Iterator<Item = &'a str>,
) -> String {
    if builtins.any(|b| b == name) {
        name.to_string()
    } else {
        crate::config::resolve(base, Path::new(name))
            .to_string_lossy()
            .into_owned()
    }
}
