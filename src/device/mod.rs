//! Memristor device physics: dynamic models (state ODE + I–V), the batched integrator the
//! crossbar layer programs arrays with, device cards and I–V characterisation.
//!
//! Conventions: SI units; every model's state is `x ∈ [0, 1]` with `x = 1` the ON (most
//! conductive) state; device ODEs are integrated in `f64` by fixed-step RK4 with adaptive
//! substeps (see [`DX_MAX`]), with the state clamped to `[0, 1]` after every stage.
//!
//! ```
//! use memsnn::device::{DeviceBatch, DeviceCard};
//! let card = DeviceCard::builtin("hp-tio2").unwrap();
//! let mut batch = DeviceBatch::new(card.model.clone().unwrap(), 4).unwrap();
//! batch.pulse(&[1, 3], 1.0, 1e-3); // 1 V, 1 ms on devices 1 and 3
//! let mut g = vec![0.0; 4];
//! batch.conductance(0.1, &mut g);
//! assert!(g[1] > g[0]);
//! ```

mod batch;
mod card;
mod iv;
mod kernel;
pub mod linear_ion_drift;
mod model;
mod pulse;
pub mod statistics;
pub mod vteam;
pub(crate) mod window;
pub mod yakopcic;

pub use batch::{CHUNK, DeviceBatch};
pub use card::{BUILTIN, CARD_VERSION, DeviceCard};
pub use iv::{IvDefaults, IvLoop, Waveform, simulate_iv};
pub use kernel::{DX_MAX, MAX_SUBSTEPS};
pub use model::Model;
pub use pulse::{PulseResponsePoint, PulseSpec, PulsedDevices, StepLaw, pulse_response};
pub use statistics::Statistics;
pub use window::Window;

/// Why a device model or card is invalid.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A field of a device's parameters is invalid.
    #[error(transparent)]
    Field(#[from] crate::config::FieldError),
    /// A card file could not be read, parsed or validated.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The name is neither a card file nor a built-in card.
    #[error(
        "unknown device `{name}`: not a card file and not a built-in card (built-ins: {known})"
    )]
    UnknownDevice {
        /// The requested name.
        name: String,
        /// The built-in card names, comma-separated.
        known: String,
    },
}
