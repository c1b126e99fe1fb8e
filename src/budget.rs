//! Budgets for reading untrusted files: the documented size limits of every reader and a
//! capped read that never allocates more than the limit (nor more than the file really holds).
//!
//! Every reader checks the sizes a file *declares* (array shapes, dataset shapes, header lengths)
//! against the file's real size and the limits below before it allocates, and reads through
//! [`Read::take`], so `/dev/zero`, a pipe that never ends or a gzip bomb stops at the limit with
//! an error instead of exhausting memory.
//!
//! | reader | limit |
//! |---|---|
//! | RON configuration files (device cards, netlists, chip and sweep specs) | [`MAX_RON_BYTES`] = 16 MiB |
//! | NIR (HDF5) files | [`MAX_NIR_BYTES`] = 2 GiB on disk; numbers declared by all datasets together ≤ [`nir_number_budget`] |
//! | IDX and `.npy` data sets | [`MAX_DATA_BYTES`] = 4 GiB on disk; [`MAX_DATA_ELEMENTS`] = 2³⁰ values after decompression |
//! | `.npy` weight files of netlists | [`MAX_DATA_BYTES`], header ≤ [`MAX_NPY_HEADER_BYTES`] |
//! | gzip-compressed data | at most [`GZIP_MAX_RATIO`] × the compressed size (deflate cannot do better) |

use std::io::Read;
use std::path::Path;

/// Largest RON configuration file read (bytes).
pub const MAX_RON_BYTES: u64 = 16 << 20;
/// Largest NIR (HDF5) file read (bytes).
pub const MAX_NIR_BYTES: u64 = 2 << 30;
/// Largest IDX or `.npy` file read (bytes, compressed size for gzip).
pub const MAX_DATA_BYTES: u64 = 4 << 30;
/// Most values one data set (IDX or `.npy`) may declare (2³⁰: 4 GiB as f32).
pub const MAX_DATA_ELEMENTS: u64 = 1 << 30;
/// Longest `.npy` header read (bytes): numpy's own reader refuses longer ones by default
/// (`max_header_size`), and writes headers of a few hundred bytes.
pub const MAX_NPY_HEADER_BYTES: usize = 10_000;
/// Highest compression ratio a gzip (deflate) stream can reach: one 258-byte match per
/// ~2 bits gives 1032:1; anything declared beyond this ratio is refused from its header.
pub const GZIP_MAX_RATIO: u64 = 1032;

/// Total numbers that all datasets of a NIR file of `file_len` bytes may declare together:
/// 4 Mi plus 32 per byte of the file. An uncompressed HDF5 dataset holds at most one number per
/// byte; the margin admits compressed datasets of weights (typical ratios below 4:1) and files
/// with many small parameters, while a 72 KB file declaring a 16 × 4·10⁷ weight is refused from
/// its metadata.
pub fn nir_number_budget(file_len: u64) -> u64 {
    (4 << 20) + 32 * file_len
}

/// Why a capped read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadCapError {
    /// The operating system refused the read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The file is larger than the limit.
    #[error("{what} is larger than the limit of {} (refused before reading it whole)", bytes(*limit))]
    TooLarge {
        /// What was read (e.g. "the file", "the decompressed data").
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
}

/// Human-readable byte count (`16 MiB`, `72.0 KiB`, `512 B`).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The size of a regular file, `None` for devices, pipes and other streams.
pub fn regular_file_len(path: &Path) -> std::io::Result<Option<u64>> {
    let m = std::fs::metadata(path)?;
    Ok(m.is_file().then_some(m.len()))
}

/// Read a whole file, refusing files larger than `limit` bytes: a regular file from its size
/// before reading, anything else (a device such as `/dev/zero`, a pipe) after `limit` bytes.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadCapError> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?;
    if len.is_file() && len.len() > limit {
        return Err(ReadCapError::TooLarge {
            what: "the file",
            limit,
        });
    }
    let mut out = Vec::with_capacity(if len.is_file() { len.len() as usize } else { 0 });
    read_to_end_capped(file, limit, &mut out, "the file")?;
    Ok(out)
}

/// Append everything `r` yields to `out`, refusing (with `what` in the message) more than
/// `limit` bytes. Memory grows with what is really read, never with what a header declares.
pub fn read_to_end_capped<R: Read>(
    r: R,
    limit: u64,
    out: &mut Vec<u8>,
    what: &'static str,
) -> Result<(), ReadCapError> {
    let start = out.len() as u64;
    r.take(limit.saturating_add(1)).read_to_end(out)?;
    if out.len() as u64 - start > limit {
        return Err(ReadCapError::TooLarge { what, limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_zero_stops_at_the_limit() {
        let e = read_capped(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(matches!(e, ReadCapError::TooLarge { limit, .. } if limit == 1 << 20));
        assert!(e.to_string().contains("1 MiB"), "{e}");
    }

    #[test]
    fn a_regular_file_over_the_limit_is_refused_from_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, [7u8; 100]).unwrap();
        assert_eq!(read_capped(&p, 100).unwrap(), [7u8; 100]);
        assert!(matches!(
            read_capped(&p, 99),
            Err(ReadCapError::TooLarge { limit: 99, .. })
        ));
    }

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(16 << 20), "16 MiB");
        assert_eq!(bytes(73_728 + 512), "72.5 KiB");
    }
}
