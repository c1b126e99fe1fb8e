//! Statistical device model (the block of a device card the crossbar layer uses).
//!
//! Placeholder owned by the crossbar layer: it will describe programming noise, drift,
//! read noise, finite levels and faults. Until then a card's `statistics` block is empty.

use serde::{Deserialize, Serialize};

/// Statistical non-idealities of a device (see the crossbar layer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Statistics {}
