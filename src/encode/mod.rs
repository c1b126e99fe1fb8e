//! Input: data sets (IDX or `.npy`, any sample shape) and the encoders that turn a sample into
//! per-step network input.

mod dataset;
mod encoders;
mod idx;
mod rank;

pub use dataset::{Dataset, EncodeError};
pub use encoders::Encoding;
pub use idx::{IdxArray, MAX_IDX_DIMS, read_idx};
pub use rank::{PopulationCode, RankOrder};
