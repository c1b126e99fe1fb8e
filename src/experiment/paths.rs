//! Dotted parameter paths over the run configuration tree.
//!
//! A [`RunConfig`] is serialised to a `serde_json::Value` tree; a parameter path such as
//! `device.programming.Proportional.frac` names a node of that tree. Setting a value replaces
//! the node and deserialises the tree back, so every field of the device statistics, the chip
//! spec, the read path and the run settings is addressable without a hand-written table.
//! `memsnn sweep --list-paths` prints them; sweeps, the CLI and the Python API set them.

use super::{ExperimentError, RunConfig};
use serde_json::Value;

impl RunConfig {
    /// The configuration as a JSON tree.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a RunConfig always serialises")
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
        let mut out = vec!["time".to_string()];
        collect_all(&self.to_value(), String::new(), &mut out);
        out
    }

    /// Set `value` at the dotted `path`. Shorthands: a string at `time` is parsed with a unit
    /// (`"1d"`), a number at `device.levels` means `{"Uniform": n}`.
    ///
    /// An unknown path is [`ExperimentError::UnknownPath`] listing the closest valid paths; a value
    /// the field cannot hold is [`ExperimentError::WrongType`] naming the path and the expected type.
    pub fn set(&mut self, path: &str, value: &Value) -> Result<(), ExperimentError> {
        let mut tree = self.to_value();
        let mut v = value.clone();
        // `time` is a shorthand for a single-entry `times` list.
        if path == "time" {
            let bad = |reason: String| ExperimentError::WrongType {
                path: path.into(),
                value: value.to_string(),
                expected: "a time ≥ 0 (seconds, or a string with a unit: \"1d\")".into(),
                reason,
            };
            let t = match value {
                Value::String(s) => super::TimePoint::parse(s).map_err(bad)?,
                Value::Number(n) => match n.as_f64() {
                    Some(x) if x.is_finite() && x >= 0.0 => super::TimePoint::seconds(x),
                    _ => return Err(bad("not a finite number ≥ 0".into())),
                },
                _ => return Err(bad("not a number or a string".into())),
            };
            self.times = vec![t];
            return Ok(());
        }
        if path == "device.levels" && value.is_u64() {
            v = serde_json::json!({ "Uniform": value });
        }
        let Some(node) = path
            .split('.')
            .try_fold(&mut tree, |node, key| node.get_mut(key))
        else {
            return Err(ExperimentError::UnknownPath {
                path: path.into(),
                closest: closest(path, &self.all_paths(), 5),
            });
        };
        let old = node.clone();
        *node = v;
        match serde_json::from_value::<RunConfig>(tree) {
            Ok(c) => {
                *self = c;
                Ok(())
            }
            Err(e) => Err(ExperimentError::WrongType {
                path: path.into(),
                value: value.to_string(),
                expected: describe(&old),
                reason: e.to_string(),
            }),
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

    pub(crate) fn base() -> RunConfig {
        let mut c = RunConfig::new(
            crate::network::NetworkSpec::Nir("m.nir".into()),
            super::super::DataConfig {
                images: "i".into(),
                labels: "l".into(),
            },
        )
        .unwrap();
        c.set_card("pcm").unwrap();
        c.mode = super::super::Mode::Chip;
        c
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
        assert_eq!(c.times, vec![super::super::TimePoint::parse("1d").unwrap()]);
        assert_eq!(c.times[0].seconds, 86_400.0);
        c.set("times", &serde_json::json!(["1s", 3600])).unwrap();
        assert_eq!(
            c.times.iter().map(|t| t.seconds).collect::<Vec<_>>(),
            [1.0, 3600.0]
        );
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
        assert_eq!(c.compensation, crate::crossbar::Compensation::PerColumn);
        c.set("crossbar.adc_bits", &serde_json::json!(6)).unwrap();
        assert_eq!(c.crossbar.adc_bits, Some(6));
        c.set("chip.fixed_point_neurons", &serde_json::json!(true))
            .unwrap();
        assert_eq!(c.neuron_model(), crate::neuron::NeuronModel::LoihiFixed);
    }

    #[test]
    fn unknown_path_lists_closest() {
        let mut c = base();
        let e = c.set("chip.core.row", &serde_json::json!(64)).unwrap_err();
        match e {
            ExperimentError::UnknownPath { closest, .. } => {
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
