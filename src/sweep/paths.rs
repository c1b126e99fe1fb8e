//! The configuration of one sweep point and its dotted parameter paths.
//!
//! A [`PointConfig`] is serialised to a `serde_json::Value` tree; a parameter path such as
//! `device.programming.Proportional.frac` names a node of that tree. Setting a value replaces
//! the node and deserialises the tree back, so every field of the device statistics, the chip
//! spec, the read path and the emulation settings is sweepable without a hand-written table.

use super::SweepError;
use crate::chip::{ChipSpec, Effects, parse_time};
use crate::crossbar::Compensation;
use crate::device::Statistics;
use crate::encode::Encoding;
use crate::neuron::Reset;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Read-path and wire settings of every crossbar (the `crossbar.*` paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossbarSettings {
    /// Wire resistance between adjacent cells (Ω); 0 = ideal wires.
    pub r_wire: f64,
    /// ADC bits replacing the chip's `core.adc_bits`; `null` = the chip's.
    pub adc_bits: Option<u32>,
    /// Read voltage (V).
    pub v_read: f64,
}

/// Everything one sweep point runs with (the tree the parameter paths address).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointConfig {
    /// Device statistics of every crossbar (`device.levels`, `device.programming`, …).
    pub device: Statistics,
    /// The chip (`chip.core.rows`, `chip.core.adc_bits`, `chip.delivery`, …).
    pub chip: ChipSpec,
    /// Read path and wires (`crossbar.r_wire`, `crossbar.adc_bits`, `crossbar.v_read`).
    pub crossbar: CrossbarSettings,
    /// Time after programming (s); a string with a unit (`"1d"`) is accepted when setting it.
    pub time: f64,
    /// Drift compensation (`"None"`, `"Global"`, `"PerColumn"`).
    pub compensation: Compensation,
    /// Which non-idealities are on (`effects.drift`, …).
    pub effects: Effects,
    /// Input encoding.
    pub encoding: Encoding,
    /// Timesteps per sample.
    pub timesteps: usize,
    /// Time step (s).
    pub dt: f64,
    /// Reset mechanism.
    pub reset: Reset,
    /// Samples to run (the first ones of the data set).
    pub samples: usize,
}

impl PointConfig {
    /// The configuration as a JSON tree.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a PointConfig always serialises")
    }

    /// Every leaf path of the tree (sorted), e.g. `chip.core.rows`.
    pub fn leaf_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect(&self.to_value(), String::new(), &mut out);
        out.sort();
        out
    }

    /// Every path (leaves and inner nodes) of the tree.
    fn all_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_all(&self.to_value(), String::new(), &mut out);
        out
    }

    /// Set `value` at the dotted `path`. Shorthands: a string at `time` is parsed with a unit
    /// (`"1d"`), a number at `device.levels` means `{"Uniform": n}`.
    ///
    /// An unknown path is [`SweepError::UnknownPath`] listing the closest valid paths; a value
    /// the field cannot hold is [`SweepError::WrongType`] naming the path and the expected type.
    pub fn set(&mut self, path: &str, value: &Value) -> Result<(), SweepError> {
        let mut tree = self.to_value();
        let mut v = value.clone();
        if path == "time"
            && let Value::String(s) = value
        {
            let secs = parse_time(s).map_err(|reason| SweepError::WrongType {
                path: path.into(),
                value: value.to_string(),
                expected: "a time ≥ 0 (seconds, or a string with a unit: \"1d\")".into(),
                reason,
            })?;
            v = serde_json::json!(secs);
        }
        if path == "device.levels" && value.is_u64() {
            v = serde_json::json!({ "Uniform": value });
        }
        let Some(node) = path
            .split('.')
            .try_fold(&mut tree, |node, key| node.get_mut(key))
        else {
            return Err(SweepError::UnknownPath {
                path: path.into(),
                closest: closest(path, &self.all_paths(), 5),
            });
        };
        let old = node.clone();
        *node = v;
        match serde_json::from_value::<PointConfig>(tree) {
            Ok(c) => {
                *self = c;
                Ok(())
            }
            Err(e) => Err(SweepError::WrongType {
                path: path.into(),
                value: value.to_string(),
                expected: describe(&old),
                reason: e.to_string(),
            }),
        }
    }

    /// Check every value (the device statistics, the chip, the read path, the settings).
    pub fn validate(&self) -> Result<(), String> {
        self.device
            .validate()
            .map_err(|e| format!("device: {}", e.within("device")))?;
        self.chip
            .validate()
            .map_err(|e| format!("{}", e.within("chip")))?;
        self.read_config()
            .validate()
            .map_err(|e| format!("{}", e.within("crossbar")))?;
        if !(self.crossbar.r_wire.is_finite() && self.crossbar.r_wire >= 0.0) {
            return Err(format!(
                "crossbar.r_wire: {} Ω must be finite and ≥ 0",
                self.crossbar.r_wire
            ));
        }
        if !(self.time.is_finite() && self.time >= 0.0) {
            return Err(format!("time: {} s must be finite and ≥ 0", self.time));
        }
        if self.timesteps == 0 {
            return Err("timesteps: must be at least 1".into());
        }
        if self.samples == 0 {
            return Err("samples: must be at least 1".into());
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(format!("dt: {} s must be positive", self.dt));
        }
        self.encoding
            .validate()
            .map_err(|e| format!("{}", e.within("encoding")))
    }

    /// The read path: the chip's DAC, `crossbar.adc_bits` or else the chip's ADC.
    pub fn read_config(&self) -> crate::crossbar::ReadConfig {
        use crate::crossbar::{Adc, AdcRange, Dac, ReadConfig};
        ReadConfig {
            adc: self
                .crossbar
                .adc_bits
                .or(self.chip.core.adc_bits)
                .map(|bits| Adc {
                    bits,
                    range: AdcRange::Calibrated { margin: 1.0 },
                }),
            dac: self.chip.core.dac_bits.map(|bits| Dac { bits }),
            v_read: self.crossbar.v_read,
            ..ReadConfig::default()
        }
    }
}

/// The kind of value a node holds, in words.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "an optional value (null or a value)".into(),
        Value::Bool(_) => "a boolean (true/false)".into(),
        Value::Number(n) if n.is_f64() => "a number".into(),
        Value::Number(_) => "an integer".into(),
        Value::String(s) => format!("a name such as \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(m) => format!(
            "an object with {}",
            m.keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn collect(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                collect(c, p, out);
            }
        }
        _ => out.push(prefix),
    }
}

fn collect_all(v: &Value, prefix: String, out: &mut Vec<String>) {
    if !prefix.is_empty() {
        out.push(prefix.clone());
    }
    if let Value::Object(m) = v {
        for (k, c) in m {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            collect_all(c, p, out);
        }
    }
}

/// Levenshtein distance (characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The `n` paths closest to `path` by edit distance (ties by name). A candidate's distance is
/// the smaller of its full distance and the distance of its last component to the last
/// component of `path` plus one, so `device.sigma` finds `….sigma` leaves.
pub fn closest(path: &str, candidates: &[String], n: usize) -> Vec<String> {
    let last = path.rsplit('.').next().unwrap_or(path);
    let mut ranked: Vec<(usize, &String)> = candidates
        .iter()
        .map(|c| {
            let tail = c.rsplit('.').next().unwrap_or(c);
            (edit_distance(path, c).min(edit_distance(last, tail) + 1), c)
        })
        .collect();
    ranked.sort();
    ranked.into_iter().take(n).map(|(_, c)| c.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn base() -> PointConfig {
        PointConfig {
            device: crate::device::DeviceCard::builtin("pcm")
                .unwrap()
                .statistics,
            chip: ChipSpec::builtin("loihi").unwrap(),
            crossbar: CrossbarSettings {
                r_wire: 0.0,
                adc_bits: None,
                v_read: crate::crossbar::ReadConfig::default().v_read,
            },
            time: 1.0,
            compensation: Compensation::None,
            effects: Effects::ALL,
            encoding: Encoding::Direct,
            timesteps: 5,
            dt: 1e-4,
            reset: Reset::Zero,
            samples: 10,
        }
    }

    #[test]
    fn edit_distance_matches_hand_counts() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("rows", "rows"), 0);
    }

    #[test]
    fn sets_values_with_shorthands() {
        let mut c = base();
        c.set("chip.core.rows", &serde_json::json!(64)).unwrap();
        assert_eq!(c.chip.core.rows, 64);
        c.set("time", &serde_json::json!("1d")).unwrap();
        assert_eq!(c.time, 86_400.0);
        c.set("device.levels", &serde_json::json!(8)).unwrap();
        assert_eq!(
            c.device.levels,
            crate::device::statistics::Levels::Uniform(8)
        );
        c.set("device.levels.Uniform", &serde_json::json!(4))
            .unwrap();
        assert_eq!(
            c.device.levels,
            crate::device::statistics::Levels::Uniform(4)
        );
        c.set("compensation", &serde_json::json!("PerColumn"))
            .unwrap();
        assert_eq!(c.compensation, Compensation::PerColumn);
        c.set("crossbar.adc_bits", &serde_json::json!(6)).unwrap();
        assert_eq!(c.read_config().adc.unwrap().bits, 6);
    }

    #[test]
    fn unknown_path_lists_closest() {
        let mut c = base();
        let e = c.set("chip.core.row", &serde_json::json!(64)).unwrap_err();
        match e {
            SweepError::UnknownPath { closest, .. } => {
                assert_eq!(closest[0], "chip.core.rows", "{closest:?}")
            }
            e => panic!("{e}"),
        }
    }

    #[test]
    fn wrong_type_names_path_and_type() {
        let mut c = base();
        let e = c
            .set("chip.core.rows", &serde_json::json!("many"))
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("chip.core.rows") && s.contains("an integer"),
            "{s}"
        );
        let e = c
            .set("time", &serde_json::json!("soon"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`time`") && e.contains("a time"), "{e}");
    }
}
