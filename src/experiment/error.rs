//! Errors of the experiment stage: configuration paths and values, and data that does not fit
//! the network.

/// Why a run configuration cannot be built, changed or run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A parameter path names no configuration field.
    #[error("unknown parameter path `{path}`; closest valid paths: {}", closest.join(", "))]
    UnknownPath {
        /// The path given.
        path: String,
        /// The valid paths closest to it.
        closest: Vec<String>,
    },
    /// A value does not fit the field at its path.
    #[error("parameter `{path}` = {value}: expected {expected} ({reason})")]
    WrongType {
        /// The path.
        path: String,
        /// The value given (JSON).
        value: String,
        /// The expected type, in words.
        expected: String,
        /// The deserialiser's message.
        reason: String,
    },
    /// A configuration value is invalid.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// Dotted path of the field in the run configuration tree.
        field: String,
        /// Why.
        reason: String,
    },
}

impl ExperimentError {
    /// An invalid value at `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ExperimentError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<crate::config::FieldError> for ExperimentError {
    fn from(e: crate::config::FieldError) -> Self {
        ExperimentError::Invalid {
            field: e.field,
            reason: e.reason,
        }
    }
}
