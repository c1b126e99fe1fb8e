//! IDX files (the MNIST format), raw or gzip-compressed, of any number of dimensions.
//!
//! Layout: a 4-byte magic `00 00 TT NN` (`TT` = element type, `NN` = number of dimensions),
//! `NN` big-endian u32 dimensions, then the elements in row-major order. memsnn reads unsigned
//! bytes (`TT = 0x08`): images `[N, …]` of any sample shape (MNIST `[N, 28, 28]`, CIFAR-style
//! `[N, 3, 32, 32]`) and labels `[N]`.
//!
//! Budgets (see [`crate::budget`]): the declared shape is multiplied with overflow checks and
//! must stay within [`MAX_DATA_ELEMENTS`]; a raw file must be exactly as long as its header
//! says; a gzip file may not declare more than [`GZIP_MAX_RATIO`] × its compressed size; the
//! data is read through [`Read::take`], so a gzip bomb or `/dev/zero` stops at the declared size.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::budget::{
    GZIP_MAX_RATIO, MAX_DATA_BYTES, MAX_DATA_ELEMENTS, ReadCapError, bytes, read_to_end_capped,
    regular_file_len,
};

use super::dataset::EncodeError;

/// Most dimensions an IDX file may declare (the format's byte allows 255).
pub const MAX_IDX_DIMS: usize = 16;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Declared shape.
    pub shape: Vec<usize>,
    /// Elements in row-major order.
    pub data: Vec<u8>,
}

fn type_name(t: u8) -> &'static str {
    match t {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "short",
        0x0C => "int",
        0x0D => "float",
        0x0E => "double",
        _ => "unknown",
    }
}

/// True when `prefix` is the start of a gzip stream.
pub(super) fn is_gzip(prefix: &[u8]) -> bool {
    prefix.starts_with(&[0x1f, 0x8b])
}

/// Read an unsigned-byte IDX file (raw or gzip) of any number of dimensions.
pub fn read_idx(path: &Path) -> Result<IdxArray, EncodeError> {
    let io = |source| EncodeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let fmt = |reason: String| EncodeError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let file_len = regular_file_len(path).map_err(io)?;
    if let Some(len) = file_len.filter(|&l| l > MAX_DATA_BYTES) {
        return Err(fmt(format!(
            "the file ({}) is larger than the limit of {}",
            bytes(len),
            bytes(MAX_DATA_BYTES)
        )));
    }
    let mut buf = BufReader::new(std::fs::File::open(path).map_err(io)?);
    let gzip = is_gzip(buf.fill_buf().map_err(io)?);
    let mut r: Box<dyn Read> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(buf))
    } else {
        Box::new(buf)
    };
    let truncated_header = |got: usize, need: usize| {
        fmt(format!(
            "truncated: {got} bytes{}, an IDX header needs {need}",
            if gzip { " after decompression" } else { "" }
        ))
    };
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut r, &mut magic).map_err(io)?;
    if got < 4 {
        return Err(truncated_header(got, 4));
    }
    let (t, ndim) = (magic[2], magic[3] as usize);
    if magic[..2] != [0, 0] || type_name(t) == "unknown" {
        return Err(fmt(format!(
            "not an IDX file: magic number {:#010x} (expected 0x0000TTNN, e.g. 0x00000803 for unsigned-byte images in 3 dimensions)",
            u32::from_be_bytes(magic)
        )));
    }
    if t != 0x08 {
        return Err(fmt(format!(
            "element type {t:#04x} ({}) is not supported: memsnn reads unsigned-byte IDX files (0x08)",
            type_name(t)
        )));
    }
    if ndim == 0 || ndim > MAX_IDX_DIMS {
        return Err(fmt(format!(
            "declares {ndim} dimensions (expected 1 to {MAX_IDX_DIMS})"
        )));
    }
    let mut dims = vec![0u8; 4 * ndim];
    let got = read_up_to(&mut r, &mut dims).map_err(io)?;
    if got < dims.len() {
        return Err(truncated_header(4 + got, 4 + dims.len()));
    }
    let shape: Vec<usize> = dims
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let mut payload: u64 = 1;
    for &d in &shape {
        payload = payload.checked_mul(d as u64).ok_or_else(|| {
            fmt(format!(
                "declared shape {shape:?} overflows a 64-bit element count"
            ))
        })?;
    }
    if payload > MAX_DATA_ELEMENTS {
        return Err(fmt(format!(
            "declared shape {shape:?} = {payload} values is above the limit of {MAX_DATA_ELEMENTS} values"
        )));
    }
    let header = 4 + 4 * ndim as u64;
    match (file_len, gzip) {
        (Some(len), false) if len != header + payload => {
            return Err(fmt(format!(
                "header declares shape {shape:?} = {payload} bytes of data, but the file holds {} bytes after its {header}-byte header{}",
                len - header,
                if len < header + payload {
                    " (truncated)"
                } else {
                    ""
                }
            )));
        }
        (Some(len), true) if payload > GZIP_MAX_RATIO.saturating_mul(len) => {
            return Err(fmt(format!(
                "header declares shape {shape:?} = {} of data, more than a gzip file of {} can hold (deflate compresses at most {GZIP_MAX_RATIO}:1)",
                bytes(payload),
                bytes(len)
            )));
        }
        _ => {}
    }
    // Capacity from the declared size only when the file's real size vouches for it.
    let mut data = Vec::with_capacity(if gzip {
        payload.min(64 << 20) as usize
    } else {
        payload as usize
    });
    read_to_end_capped(r, payload, &mut data, "the data").map_err(|e| match e {
        ReadCapError::Io(e) => io(e),
        ReadCapError::TooLarge { .. } => fmt(format!(
            "holds more data than its header declares ({shape:?} = {payload} bytes)"
        )),
    })?;
    if (data.len() as u64) < payload {
        return Err(fmt(format!(
            "truncated: header declares shape {shape:?} = {payload} bytes of data, the {} holds {}",
            if gzip { "decompressed stream" } else { "file" },
            data.len()
        )));
    }
    Ok(IdxArray { shape, data })
}

/// Fill as much of `buf` as the reader yields; returns the count (short at end of file).
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(data);
        v
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn four_dimensional_files_read_raw_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..2 * 3 * 2 * 2).map(|i| i as u8).collect();
        let raw = idx(0x804, &[2, 3, 2, 2], &data);
        for (name, bytes) in [("a", raw.clone()), ("a.gz", gz(&raw))] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let a = read_idx(&p).unwrap();
            assert_eq!(a.shape, [2, 3, 2, 2]);
            assert_eq!(a.data, data);
        }
    }

    #[test]
    fn overflowing_size_product_is_refused_without_panic() {
        // The 116-byte file of the report: dimensions whose product overflows 64 bits.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o");
        let mut v = idx(0x803, &[u32::MAX, u32::MAX, u32::MAX], &[]);
        v.resize(116, 0);
        std::fs::write(&p, v).unwrap();
        let e = read_idx(&p).unwrap_err().to_string();
        assert!(e.contains("overflows"), "{e}");
    }

    #[test]
    fn a_gzip_bomb_is_refused_from_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.gz");
        // Declares 1000 × 1000 × 1000 bytes; the compressed file is a few hundred bytes.
        std::fs::write(&p, gz(&idx(0x803, &[1000, 1000, 1000], &[0; 4096]))).unwrap();
        let e = read_idx(&p).unwrap_err().to_string();
        assert!(e.contains("more than a gzip file"), "{e}");
    }

    #[test]
    fn trailing_data_in_a_gzip_stream_stops_at_the_declared_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.gz");
        std::fs::write(&p, gz(&idx(0x801, &[4], &[0; 5000]))).unwrap();
        let e = read_idx(&p).unwrap_err().to_string();
        assert!(e.contains("more data than its header"), "{e}");
    }

    #[test]
    fn dev_zero_is_not_an_idx_file() {
        let e = read_idx(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("magic"), "{e}");
    }

    #[test]
    fn other_element_types_and_dimension_counts_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, idx(0x0D01, &[1], &[0; 4])).unwrap();
        let e = read_idx(&p).unwrap_err().to_string();
        assert!(e.contains("0x0d (float)"), "{e}");
        std::fs::write(&p, idx(0x0800, &[], &[])).unwrap();
        let e = read_idx(&p).unwrap_err().to_string();
        assert!(e.contains("0 dimensions"), "{e}");
        std::fs::write(&p, idx(0x0802, &[2], &[])).unwrap();
        let e = read_idx(&p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }
}
