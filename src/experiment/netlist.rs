//! RON netlists: a network plus the semantics and data set to run it with.
//!
//! ```ron
//! (
//!     version: 1,
//!     network: Nir("model.nir"),
//!     dt: 1e-4,
//!     timesteps: 25,
//!     reset: zero,
//!     encoding: Direct,
//!     seed: 0,
//!     dataset: Some((images: "data/test-images-idx3-ubyte.gz", labels: "data/test-labels-idx1-ubyte.gz", samples: Some(2000))),
//! )
//! ```
//!
//! Every field has a default (see [`Netlist`]), unknown fields are errors, and relative paths
//! resolve against the netlist's own folder.

use crate::config::{ConfigError, FieldError, read_ron, resolve};
use crate::encode::Encoding;
use crate::network::NetworkSpec;
use crate::neuron::Reset;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The netlist format version this build reads.
pub const NETLIST_VERSION: u32 = 1;

/// The data set of a netlist (IDX files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// IDX images (raw or gzip), relative to the netlist.
    pub images: PathBuf,
    /// IDX labels (raw or gzip), relative to the netlist.
    pub labels: PathBuf,
    /// Use only the first `samples` samples (default: all).
    #[serde(default)]
    pub samples: Option<usize>,
}

/// A netlist file (see the module docs). Defaults are snnTorch's NIR-export conventions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Netlist {
    /// Format version; must be [`NETLIST_VERSION`] (default).
    pub version: u32,
    /// The network (required): `Nir("file.nir")` or inline `Layers(…)` (see [`NetworkSpec`]);
    /// its paths stay relative to the netlist and are resolved when it is loaded.
    pub network: Option<NetworkSpec>,
    /// Time step (s). Default 1e-4.
    pub dt: f64,
    /// Timesteps per sample. Default 25.
    pub timesteps: usize,
    /// Reset mechanism (`zero` or `subtract`). Default `zero`.
    pub reset: Reset,
    /// Discrete-time semantics of the training framework (`snntorch`, `norse`, `sinabs`,
    /// `rockpool`, `spyx`, `nir`, `nir-exact`; README section Semantics). Default `snntorch`.
    pub semantics: crate::neuron::Semantics,
    /// Input encoding. Default `Direct`.
    pub encoding: Encoding,
    /// Seed of random encoders. Default 0.
    pub seed: u64,
    /// The data set to run (paths relative to the netlist). Default none.
    pub dataset: Option<DatasetSpec>,
    /// Chip mode: the default chip spec (`truenorth`, `loihi` or a RON file). Default none
    /// (ideal mode unless `--chip` is given).
    pub chip: Option<String>,
    /// Chip mode: the default device card (`pcm`, `rram-wan`, `ideal`, … or a RON file).
    /// Default none (`ideal`).
    pub device: Option<String>,
    /// Chip mode: times after programming to emulate, e.g. `["1s", "1d", "1y"]` (units s, min,
    /// h, d, y). Default none (`1s`).
    pub times: Option<Vec<String>>,
    /// Chip mode: independently programmed chips to average over. Default none (5).
    pub trials: Option<usize>,
    /// Chip mode: drift compensation (`None`, `Global`, `PerColumn`). Default none (`None`).
    pub compensation: Option<crate::crossbar::Compensation>,
    /// Chip mode: wire resistance between adjacent cells (Ω). Default none (0 = ideal wires).
    pub r_wire: Option<f64>,
    /// Chip mode: uniform conductance levels replacing the card's. Default none (the card's).
    pub levels: Option<u32>,
    /// Chip mode: chips of the chip's kind on one board, replacing the spec's `board.chips`
    /// (1 to 16,384; the board mesh is the spec's `board.shape`, else the squarest grid).
    /// Default none (the chip spec's, 1 for the single-chip presets).
    pub chips: Option<u32>,
}

impl Default for Netlist {
    fn default() -> Self {
        Netlist {
            version: NETLIST_VERSION,
            network: None,
            dt: 1e-4,
            timesteps: 25,
            reset: Reset::Zero,
            semantics: crate::neuron::Semantics::Snntorch,
            encoding: Encoding::Direct,
            seed: 0,
            dataset: None,
            chip: None,
            device: None,
            times: None,
            trials: None,
            compensation: None,
            r_wire: None,
            levels: None,
            chips: None,
        }
    }
}

impl Netlist {
    /// Read and validate a netlist file; every path in it is resolved against its folder (the
    /// network's paths to absolute ones, so the resolved spec loads from anywhere and reads
    /// unambiguously in reports).
    pub fn read(path: &Path) -> Result<Netlist, ConfigError> {
        let mut n: Netlist = read_ron(path)?;
        n.validate().map_err(|e| e.in_file(path))?;
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        n.network = n.network.map(|spec| spec.resolved(&abs));
        if let Some(d) = &mut n.dataset {
            d.images = resolve(path, &d.images);
            d.labels = resolve(path, &d.labels);
        }
        Ok(n)
    }

    /// Check values (not files).
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.version != NETLIST_VERSION {
            return Err(FieldError::new(
                "version",
                format!(
                    "version {} is not supported (this build reads {NETLIST_VERSION})",
                    self.version
                ),
            ));
        }
        if self.network.is_none() {
            return Err(FieldError::new(
                "network",
                "missing: name the network, e.g. network: Nir(\"model.nir\")",
            ));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(FieldError::new(
                "dt",
                format!("{} s must be positive", self.dt),
            ));
        }
        if self.timesteps == 0 {
            return Err(FieldError::new("timesteps", "must be at least 1"));
        }
        self.encoding.validate().map_err(|e| e.within("encoding"))?;
        if let Some(times) = &self.times {
            if times.is_empty() {
                return Err(FieldError::new("times", "must list at least one time"));
            }
            for t in times {
                crate::config::parse_time(t).map_err(|e| FieldError::new("times", e))?;
            }
        }
        if self.trials == Some(0) {
            return Err(FieldError::new("trials", "must be at least 1"));
        }
        if let Some(r) = self.r_wire
            && !(r.is_finite() && r >= 0.0)
        {
            return Err(FieldError::new(
                "r_wire",
                format!("{r} Ω must be finite and ≥ 0"),
            ));
        }
        if let Some(l) = self.levels
            && l < 2
        {
            return Err(FieldError::new("levels", format!("{l} must be at least 2")));
        }
        if let Some(n) = self.chips {
            let max = crate::chip::limits::MAX_CHIPS;
            if n == 0 {
                return Err(FieldError::new("chips", "must be at least 1"));
            }
            if n > max {
                return Err(FieldError::new(
                    "chips",
                    format!("{n} is above the limit of {max} chips per board"),
                ));
            }
        }
        if let Some(DatasetSpec {
            samples: Some(0), ..
        }) = self.dataset
        {
            return Err(FieldError::new("dataset.samples", "must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_ron;

    #[test]
    fn defaults_and_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("net.ron");
        std::fs::write(
            &p,
            "(network: Nir(\"m.nir\"), reset: subtract, encoding: Poisson(max_rate: 500.0),\n dataset: Some((images: \"i.gz\", labels: \"/abs/l.gz\")))",
        )
        .unwrap();
        let n = Netlist::read(&p).unwrap();
        assert_eq!(n.network, Some(NetworkSpec::Nir(dir.path().join("m.nir"))));
        assert_eq!((n.dt, n.timesteps, n.reset), (1e-4, 25, Reset::Subtract));
        assert_eq!(n.encoding, Encoding::Poisson { max_rate: 500.0 });
        let d = n.dataset.unwrap();
        assert_eq!(d.images, dir.path().join("i.gz"));
        assert_eq!(d.labels, PathBuf::from("/abs/l.gz"));
    }

    #[test]
    fn unknown_field_and_bad_values_are_named() {
        let e = parse_ron::<Netlist>("(network: Nir(\"m.nir\"), timestep: 3)", Path::new("n.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("n.ron") && e.contains("timestep"), "{e}");
        let n: Netlist =
            parse_ron("(network: Nir(\"m.nir\"), dt: -1.0)", Path::new("n.ron")).unwrap();
        assert_eq!(n.validate().unwrap_err().field, "dt");
        let n: Netlist = parse_ron("(dt: 1e-3)", Path::new("n.ron")).unwrap();
        assert_eq!(n.validate().unwrap_err().field, "network");
        for (text, field) in [
            ("times: Some([\"1 fortnight\"])", "times"),
            ("times: Some([])", "times"),
            ("trials: Some(0)", "trials"),
            ("r_wire: Some(-1.0)", "r_wire"),
            ("levels: Some(1)", "levels"),
            ("chips: Some(0)", "chips"),
            ("chips: Some(100000)", "chips"),
        ] {
            let n: Netlist = parse_ron(
                &format!("(network: Nir(\"m.nir\"), {text})"),
                Path::new("n.ron"),
            )
            .unwrap();
            assert_eq!(n.validate().unwrap_err().field, field, "{text}");
        }
    }

    #[test]
    fn shipped_netlists_parse_and_validate() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists");
        let mut seen = 0;
        for entry in std::fs::read_dir(&root).unwrap() {
            let f = entry.unwrap().path().join("netlist.ron");
            if f.exists() {
                let n = Netlist::read(&f).unwrap_or_else(|e| panic!("{e}"));
                let graph = n
                    .network
                    .as_ref()
                    .unwrap()
                    .load(&f)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(graph.input().is_some() && graph.output().is_some());
                let d = n
                    .dataset
                    .as_ref()
                    .expect("bundled netlists name their data");
                assert!(d.images.exists() && d.labels.exists());
                seen += 1;
            }
        }
        assert!(seen >= 1);
    }
}
