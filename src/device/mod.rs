//! Memristor device physics (to be filled by the device layer).

pub mod statistics;

pub use statistics::Statistics;

/// Why a device model or card is invalid.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A field of a device's parameters is invalid.
    #[error(transparent)]
    Field(#[from] crate::config::FieldError),
}
