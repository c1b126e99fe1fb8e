//! Reading configuration files (RON) with errors that name the file, the field and the reason.
//!
//! Every configuration file memsnn reads (device cards, netlists, chip specs, sweep specs) goes
//! through [`read_ron`], so a user always sees *which* file and *which* field is wrong.
//! Relative paths inside a file are resolved against that file's folder with [`resolve`].

use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file is not valid RON for this kind of file (syntax, unknown or missing field, wrong type).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser says (it names the offending field).
        message: String,
    },
    /// The file parsed, but a value is physically or logically invalid.
    #[error("{}: field `{field}`: {reason}", path.display())]
    Invalid {
        /// The file (or a built-in name in angle brackets).
        path: PathBuf,
        /// Dotted path of the offending field, e.g. `model.r_on`.
        field: String,
        /// Why the value is rejected.
        reason: String,
    },
}

/// A validation failure of one field, before it is tied to a file.
///
/// Validation code returns this; callers that know the file turn it into
/// [`ConfigError::Invalid`] with [`FieldError::in_file`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct FieldError {
    /// Dotted path of the offending field.
    pub field: String,
    /// Why the value is rejected.
    pub reason: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Prefix the field path with a parent name (`model` + `r_on` → `model.r_on`).
    pub fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }

    /// Attach the file the field came from.
    pub fn in_file(self, path: &Path) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            field: self.field,
            reason: self.reason,
        }
    }
}

/// Parse RON text (from `path`, used only for messages) into `T`.
pub fn parse_ron<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
}

/// Parse JSON text into `T` (the same tree a RON file gives, as JSON: what the Python package
/// sends for a chip or card given as a dict); `path` names it in errors.
pub fn parse_json<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    serde_json::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Read and parse a RON file into `T`. Files larger than
/// [`MAX_RON_BYTES`](crate::budget::MAX_RON_BYTES) (16 MiB) are refused before they are read
/// whole, and so is anything that streams past it (`/dev/zero`, a pipe).
pub fn read_ron<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let io = |source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw =
        crate::budget::read_capped(path, crate::budget::MAX_RON_BYTES).map_err(|e| match e {
            crate::budget::ReadCapError::Io(e) => io(e),
            e => io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e.to_string(),
            )),
        })?;
    let text = String::from_utf8(raw).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })?;
    parse_ron(&text, path)
}

/// Resolve `rel` against the folder of the file `base_file` (absolute paths are kept).
pub fn resolve(base_file: &Path, rel: &Path) -> PathBuf {
    if rel.is_absolute() {
        rel.to_path_buf()
    } else {
        base_file
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(rel)
    }
}

/// Parse a time after programming: a number with an optional unit `s` (default), `min`, `h`,
/// `d` or `y` (365.25 days), e.g. `1s`, `90min`, `1d`, `10y`; finite and ≥ 0.
pub fn parse_time(s: &str) -> Result<f64, String> {
    let t = s.trim();
    // The unit is the trailing run of letters, so an exponent (`1e3s`, `2.5E-1h`) stays in the number.
    let split = t.len()
        - t.chars()
            .rev()
            .take_while(char::is_ascii_alphabetic)
            .count();
    let (num, unit) = t.split_at(split);
    let factor = match unit {
        "" | "s" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "y" => 365.25 * 86_400.0,
        _ => {
            return Err(format!(
                "bad time `{s}`: unknown unit `{unit}` (use s, min, h, d or y, e.g. 1d)"
            ));
        }
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v * factor),
        _ => Err(format!(
            "bad time `{s}`: expected a number ≥ 0 with a unit s, min, h, d or y (e.g. 1d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scientific_notation_in_times_is_accepted() {
        assert_eq!(parse_time("1e3s"), Ok(1000.0));
        assert_eq!(parse_time("1e3"), Ok(1000.0));
        assert_eq!(parse_time("2.5E-1h"), Ok(900.0));
        assert_eq!(parse_time("1e-2min"), Ok(0.6));
        for bad in ["1e", "1e3x", "e3s", "1e400s"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_parse_with_units_and_reject_nonsense() {
        assert_eq!(parse_time("1s"), Ok(1.0));
        assert_eq!(parse_time("2.5"), Ok(2.5));
        assert_eq!(parse_time("90min"), Ok(5400.0));
        assert_eq!(parse_time("1h"), Ok(3600.0));
        assert_eq!(parse_time("1d"), Ok(86_400.0));
        assert_eq!(parse_time("1y"), Ok(31_557_600.0));
        for bad in ["", "x", "-1s", "1w", "nan", "infs", "1 fortnight"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Card {
        r_on: f64,
    }

    #[test]
    fn unknown_field_is_named_with_file_and_line() {
        let err = parse_ron::<Card>("(r_on: 1.0,\n bogus: 2)", Path::new("x.ron")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("x.ron:2:"), "{msg}");
        assert!(msg.contains("bogus"), "{msg}");
    }

    #[test]
    fn relative_paths_resolve_against_the_file_folder() {
        assert_eq!(
            resolve(Path::new("netlists/a/net.ron"), Path::new("w.npy")),
            PathBuf::from("netlists/a/w.npy")
        );
        assert_eq!(
            resolve(Path::new("net.ron"), Path::new("/abs/w.npy")),
            PathBuf::from("/abs/w.npy")
        );
    }
}
