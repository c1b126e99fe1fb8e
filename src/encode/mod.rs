//! Input: IDX data sets and the encoders that turn a sample into per-step network input.

mod encoders;
mod idx;
mod rank;

pub use encoders::Encoding;
pub use idx::{Dataset, EncodeError, read_idx_images, read_idx_labels};
pub use rank::{PopulationCode, RankOrder};
