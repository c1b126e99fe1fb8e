//! The crate-wide error type: one variant per component, each wrapping that component's
//! own error enum.

use crate::config::ConfigError;
use crate::device::DeviceError;
use crate::network::NetworkError;

/// Any error memsnn's library can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or validating a configuration file failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A device model or device card is invalid.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// Mapping, programming or reading a crossbar array failed.
    #[error(transparent)]
    Array(#[from] crate::crossbar::ArrayError),
    /// A data set could not be read.
    #[error(transparent)]
    Encode(#[from] crate::encode::EncodeError),
    /// A network cannot be simulated.
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// Loading or validating a network failed.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A crossbar circuit cannot be built, solved or exported.
    #[error(transparent)]
    Circuit(#[from] crate::crossbar::CircuitError),
    /// A chip spec is invalid or a network does not fit on a chip.
    #[error(transparent)]
    Chip(#[from] crate::chip::ChipError),
    /// Writing a plot failed.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    /// A run configuration is invalid or does not fit its network and data.
    #[error(transparent)]
    Experiment(#[from] crate::experiment::ExperimentError),
    /// A parameter sweep is invalid or its outputs cannot be read or written.
    #[error(transparent)]
    Sweep(#[from] crate::sweep::SweepError),
    /// A stop was requested (Ctrl-C) before the work was finished.
    #[error(transparent)]
    Interrupted(#[from] crate::cancel::Interrupted),
}

/// Result with the crate [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
