//! Device cards: one RON file per device (`devices/*.ron`), holding the dynamic model, the
//! default I–V drive and the statistical block used by the crossbar layer.

use super::iv::IvDefaults;
use super::{DeviceError, Model, Statistics};
use crate::config::{ConfigError, FieldError, parse_ron, read_ron};
use serde::{Deserialize, Deserializer, Serialize};
use std::path::{Path, PathBuf};

/// The card format version this build reads.
pub const CARD_VERSION: u32 = 1;

/// Cards shipped with memsnn (name = file stem in `devices/`), embedded in the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    ("hp-tio2", include_str!("../../devices/hp-tio2.ron")),
    ("vteam", include_str!("../../devices/vteam.ron")),
    ("yakopcic", include_str!("../../devices/yakopcic.ron")),
    ("pcm", include_str!("../../devices/pcm.ron")),
    ("ideal", include_str!("../../devices/ideal.ron")),
    ("rram-wan", include_str!("../../devices/rram-wan.ron")),
    ("reram-pulse", include_str!("../../devices/reram-pulse.ron")),
    ("pcm-pulse", include_str!("../../devices/pcm-pulse.ron")),
];

/// A device card, e.g. `devices/hp-tio2.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceCard {
    /// Format version; must be [`CARD_VERSION`].
    pub version: u32,
    /// Short name (defaults to the file stem).
    pub name: String,
    /// One-line description, with the literature source.
    pub description: String,
    /// Dynamic model (absent for purely statistical cards).
    #[serde(deserialize_with = "de_model")]
    pub model: Option<Model>,
    /// Default drive of `memsnn iv`.
    pub iv: IvDefaults,
    /// Statistical non-idealities (programming noise, drift, read noise, levels, faults).
    pub statistics: Statistics,
    /// Pulse update law for on-chip learning (absent: the card cannot be trained with pulses).
    pub pulse: Option<super::PulseSpec>,
    /// Where the card came from (a path, or `<builtin:NAME>`); not part of the file.
    #[serde(skip)]
    pub source: PathBuf,
}

impl Default for DeviceCard {
    fn default() -> Self {
        Self {
            version: CARD_VERSION,
            name: String::new(),
            description: String::new(),
            model: None,
            iv: IvDefaults::default(),
            statistics: Statistics::default(),
            pulse: None,
            source: PathBuf::new(),
        }
    }
}

/// Re-root a nested error message `field `a`: …` under `parent` (`field `parent.a`: …`).
pub(crate) fn nest(parent: &str, msg: &str) -> String {
    match msg.strip_prefix("field `") {
        Some(rest) => format!("field `{parent}.{rest}"),
        None => format!("field `{parent}`: {msg}"),
    }
}

fn de_model<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Model>, D::Error> {
    Option::<Model>::deserialize(d)
        .map_err(|e| serde::de::Error::custom(nest("model", &e.to_string())))
}

/// Deserialize a window field so that errors name it (`field `window`: unknown variant …`).
pub(crate) fn de_window<'de, D: Deserializer<'de>>(d: D) -> Result<super::Window, D::Error> {
    super::Window::deserialize(d)
        .map_err(|e| serde::de::Error::custom(nest("window", &e.to_string())))
}

impl DeviceCard {
    /// Parse and validate card text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, DeviceError> {
        let mut card: DeviceCard = parse_ron(text, path)?;
        card.finish(path)?;
        Ok(card)
    }

    /// Parse and validate a card given as JSON (the RON file's fields); `name` stands for the
    /// file in messages.
    pub fn from_json(text: &str, name: &Path) -> Result<Self, DeviceError> {
        let mut card: DeviceCard = crate::config::parse_json(text, name)?;
        card.finish(name)?;
        Ok(card)
    }

    /// Read, parse and validate a card file. Errors name the file, the field and the reason.
    pub fn load(path: &Path) -> Result<Self, DeviceError> {
        let mut card: DeviceCard = read_ron(path)?;
        card.finish(path)?;
        Ok(card)
    }

    /// A built-in card by name (see [`BUILTIN`]).
    pub fn builtin(name: &str) -> Result<Self, DeviceError> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| unknown(name))?;
        Self::parse(text, Path::new(&format!("<builtin:{name}>")))
    }

    /// A built-in card name, or a path to a card file. Anything with a path separator or a
    /// `.ron` extension is a path; otherwise a built-in name, then an existing file.
    pub fn resolve(name_or_path: &str) -> Result<Self, DeviceError> {
        let looks_like_path = name_or_path.contains(std::path::MAIN_SEPARATOR)
            || name_or_path.contains('/')
            || name_or_path.ends_with(".ron");
        if looks_like_path {
            return Self::load(Path::new(name_or_path));
        }
        if BUILTIN.iter().any(|(n, _)| *n == name_or_path) {
            return Self::builtin(name_or_path);
        }
        if Path::new(name_or_path).is_file() {
            return Self::load(Path::new(name_or_path));
        }
        Err(unknown(name_or_path))
    }

    /// Names of the built-in cards.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    /// The dynamic model, or an error naming the card and the `model` field when it has none.
    pub fn require_model(&self) -> Result<&Model, DeviceError> {
        self.model.as_ref().ok_or_else(|| {
            FieldError::new(
                "model",
                "this card has no dynamic model (a `model: LinearIonDrift(..)`, `Vteam(..)` or `Yakopcic(..)` block is needed here)",
            )
            .in_file(&self.source)
            .into()
        })
    }

    /// Check every field; the error's field is a dotted path from the card's root.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.version != CARD_VERSION {
            return Err(FieldError::new(
                "version",
                format!(
                    "unsupported card version {} (this build reads {CARD_VERSION})",
                    self.version
                ),
            ));
        }
        if let Some(m) = &self.model {
            m.validate().map_err(|e| e.within("model"))?;
        }
        self.statistics
            .validate()
            .map_err(|e| e.within("statistics"))?;
        if let Some(p) = &self.pulse {
            p.validate().map_err(|e| e.within("pulse"))?;
        }
        self.iv.validate().map_err(|e| e.within("iv"))
    }

    fn finish(&mut self, path: &Path) -> Result<(), ConfigError> {
        self.source = path.to_path_buf();
        if self.name.is_empty() {
            self.name = path
                .file_stem()
                .map(|s| {
                    s.to_string_lossy()
                        .trim_start_matches("<builtin:")
                        .trim_end_matches('>')
                        .to_string()
                })
                .unwrap_or_default();
        }
        self.validate().map_err(|e| e.in_file(path))
    }
}

fn unknown(name: &str) -> DeviceError {
    DeviceError::UnknownDevice {
        name: name.to_string(),
        known: BUILTIN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_card_parses_and_validates() {
        for name in DeviceCard::builtin_names() {
            let c = DeviceCard::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(c.name, name);
            // Purely statistical cards (pcm, ideal, rram-wan) have no dynamic model.
            assert!(
                c.model.is_some()
                    || c.pulse.is_some()
                    || !c.statistics.is_ideal()
                    || name == "ideal",
                "{name}"
            );
            assert!(!c.description.is_empty(), "{name}");
        }
    }

    #[test]
    fn unknown_window_names_file_field_and_reason() {
        let text = "(version: 1, model: Some(LinearIonDrift((window: Hann(p: 1)))))";
        let e = DeviceCard::parse(text, Path::new("bad.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.ron:"), "{e}");
        assert!(e.contains("model.window"), "{e}");
        assert!(e.contains("Hann"), "{e}");
    }

    #[test]
    fn unknown_field_names_file_field_and_reason() {
        let text = "(version: 1, model: LinearIonDrift((r_onn: 100)))";
        let e = DeviceCard::parse(text, Path::new("bad.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.ron:"), "{e}");
        assert!(e.contains("model") && e.contains("r_onn"), "{e}");
    }

    #[test]
    fn physical_nonsense_names_the_dotted_field() {
        let text = "(version: 1, model: LinearIonDrift((r_on: 2e4, r_off: 1e3)))";
        let e = DeviceCard::parse(text, Path::new("bad.ron"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "bad.ron: field `model.r_on`: R_on (20000 ohm) must be smaller than R_off (1000 ohm)"
        );
        let text = "(version: 1, model: LinearIonDrift((d: -1e-9)))";
        let e = DeviceCard::parse(text, Path::new("bad.ron"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("field `model.d`") && e.contains("positive"),
            "{e}"
        );
    }

    #[test]
    fn statistical_card_without_model_is_valid_but_has_no_model() {
        let c = DeviceCard::parse("(version: 1, name: \"ideal\")", Path::new("ideal.ron")).unwrap();
        let e = c.require_model().unwrap_err().to_string();
        assert!(e.starts_with("ideal.ron: field `model`"), "{e}");
    }

    #[test]
    fn resolve_prefers_paths_then_builtins() {
        assert_eq!(DeviceCard::resolve("vteam").unwrap().name, "vteam");
        let e = DeviceCard::resolve("nope").unwrap_err().to_string();
        assert!(e.contains("hp-tio2"), "{e}");
        let e = DeviceCard::resolve("missing/dir/card.ron")
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing/dir/card.ron"), "{e}");
    }
}
