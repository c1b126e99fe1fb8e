//! Errors of the chip layer: specs that cannot be read and networks that do not fit.

use crate::config::ConfigError;

/// Why a chip spec cannot be used or a network cannot be mapped onto it.
#[derive(Debug, thiserror::Error)]
pub enum ChipError {
    /// The chip spec file is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The name is neither a built-in chip nor an existing file.
    #[error("unknown chip `{name}`: not a built-in chip ({}) and no such file", crate::chip::ChipSpec::builtin_names().collect::<Vec<_>>().join(", "))]
    Unknown {
        /// The name that was asked for.
        name: String,
    },
    /// A layer cannot be split into tiles that fit the core limits.
    #[error("layer `{layer}` cannot fit on chip `{chip}`: {reason}")]
    LayerTooLarge {
        /// The layer's name.
        layer: String,
        /// The chip's name.
        chip: String,
        /// Which limit is exceeded, with the numbers.
        reason: String,
    },
    /// The network needs more cores than the mesh (all chips of the board) has.
    #[error(
        "network does not fit on chip `{chip}`: it needs {needed} cores, {} (cores run out at layer `{layer}`){}",
        capacity(*chips, *width, *height, *available),
        more_chips(*chips, *needed, *width, *height)
    )]
    MeshFull {
        /// The chip's name.
        chip: String,
        /// The layer at which the cores ran out.
        layer: String,
        /// Cores the whole network needs.
        needed: usize,
        /// Cores the mesh has.
        available: usize,
        /// Mesh width.
        width: u32,
        /// Mesh height.
        height: u32,
        /// Chips on the board.
        chips: u32,
    },
    /// The network has a structure the mapper does not handle.
    #[error("layer `{layer}`: cannot be mapped: {reason}")]
    Unsupported {
        /// The layer's name.
        layer: String,
        /// Why.
        reason: String,
    },
    /// A computed quantity (an energy, a latency) is not a finite number.
    #[error("chip `{chip}`: the {what} is not a finite number ({inputs})")]
    Overflow {
        /// The chip's name.
        chip: String,
        /// What overflowed.
        what: String,
        /// The inputs it came from.
        inputs: String,
    },
}

/// "the 2×2 mesh has 4" (one chip) or "2 chips of 2×2 cores have 8".
fn capacity(chips: u32, width: u32, height: u32, available: usize) -> String {
    if chips <= 1 {
        format!("the {width}×{height} mesh has {available}")
    } else {
        format!("{chips} chips of {width}×{height} cores have {available}")
    }
}

/// How many chips would hold `needed` cores, as a hint.
fn more_chips(chips: u32, needed: usize, width: u32, height: u32) -> String {
    let per_chip = (width as usize * height as usize).max(1);
    let want = needed.div_ceil(per_chip);
    let max = crate::chip::limits::MAX_CHIPS as usize;
    if want > max {
        format!(
            ": it would need {want} chips, more than the limit of {max} chips per board (a larger core or mesh in the chip spec holds more)"
        )
    } else if want > chips as usize {
        format!(": it needs at least {want} chips (--chips {want}, or `chips` in the netlist)")
    } else {
        String::new()
    }
}
