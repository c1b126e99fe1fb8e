//! Reading `.npy` files (NumPy's array format) without trusting their headers.
//!
//! The header is parsed by `ndarray-npy` only after its length, nesting and the shape it
//! declares have been checked here: the declared element count must not overflow, must stay
//! within [`MAX_DATA_ELEMENTS`](crate::budget::MAX_DATA_ELEMENTS), and — for a regular file —
//! must match the file's real size exactly, so a 200-byte file declaring 10⁵ × 10⁵ values is
//! refused before anything is allocated. The data itself is then read by `ndarray-npy`.

use std::fmt;
use std::io::{Cursor, Read};
use std::path::Path;

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;
use ndarray_npy::npy::header::Header;

use crate::budget::{
    MAX_DATA_BYTES, MAX_DATA_ELEMENTS, MAX_NPY_HEADER_BYTES, ReadCapError, bytes,
    read_to_end_capped, regular_file_len,
};

/// The element types memsnn reads from `.npy` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// `uint8` (`|u1`).
    U8,
    /// `int8` (`|i1`).
    I8,
    /// `uint16`.
    U16,
    /// `int16`.
    I16,
    /// `uint32`.
    U32,
    /// `int32`.
    I32,
    /// `uint64`.
    U64,
    /// `int64`.
    I64,
    /// `float32`.
    F32,
    /// `float64`.
    F64,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> u64 {
        match self {
            Dtype::U8 | Dtype::I8 => 1,
            Dtype::U16 | Dtype::I16 => 2,
            Dtype::U32 | Dtype::I32 | Dtype::F32 => 4,
            Dtype::U64 | Dtype::I64 | Dtype::F64 => 8,
        }
    }

    /// True for the integer types.
    pub fn is_integer(self) -> bool {
        !matches!(self, Dtype::F32 | Dtype::F64)
    }

    /// From a NumPy type string such as `<f4`, `|u1`, `>i8` (either byte order).
    fn from_descr(d: &str) -> Option<Dtype> {
        let body = d.trim_start_matches(['<', '>', '|', '=']);
        Some(match body {
            "u1" | "B" => Dtype::U8,
            "i1" | "b" => Dtype::I8,
            "u2" => Dtype::U16,
            "i2" => Dtype::I16,
            "u4" => Dtype::U32,
            "i4" => Dtype::I32,
            "u8" => Dtype::U64,
            "i8" => Dtype::I64,
            "f4" => Dtype::F32,
            "f8" => Dtype::F64,
            _ => return None,
        })
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dtype::U8 => "uint8",
            Dtype::I8 => "int8",
            Dtype::U16 => "uint16",
            Dtype::I16 => "int16",
            Dtype::U32 => "uint32",
            Dtype::I32 => "int32",
            Dtype::U64 => "uint64",
            Dtype::I64 => "int64",
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
        })
    }
}

/// Why a `.npy` file could not be read (the caller adds the file's name).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct NpyError(pub String);

/// A `.npy` array of one of the supported element types.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyArray {
    /// `uint8`.
    U8(ArrayD<u8>),
    /// `int8`.
    I8(ArrayD<i8>),
    /// `uint16`.
    U16(ArrayD<u16>),
    /// `int16`.
    I16(ArrayD<i16>),
    /// `uint32`.
    U32(ArrayD<u32>),
    /// `int32`.
    I32(ArrayD<i32>),
    /// `uint64`.
    U64(ArrayD<u64>),
    /// `int64`.
    I64(ArrayD<i64>),
    /// `float32`.
    F32(ArrayD<f32>),
    /// `float64`.
    F64(ArrayD<f64>),
}

impl NpyArray {
    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            NpyArray::U8(a) => a.shape(),
            NpyArray::I8(a) => a.shape(),
            NpyArray::U16(a) => a.shape(),
            NpyArray::I16(a) => a.shape(),
            NpyArray::U32(a) => a.shape(),
            NpyArray::I32(a) => a.shape(),
            NpyArray::U64(a) => a.shape(),
            NpyArray::I64(a) => a.shape(),
            NpyArray::F32(a) => a.shape(),
            NpyArray::F64(a) => a.shape(),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            NpyArray::U8(_) => Dtype::U8,
            NpyArray::I8(_) => Dtype::I8,
            NpyArray::U16(_) => Dtype::U16,
            NpyArray::I16(_) => Dtype::I16,
            NpyArray::U32(_) => Dtype::U32,
            NpyArray::I32(_) => Dtype::I32,
            NpyArray::U64(_) => Dtype::U64,
            NpyArray::I64(_) => Dtype::I64,
            NpyArray::F32(_) => Dtype::F32,
            NpyArray::F64(_) => Dtype::F64,
        }
    }

    /// Integer elements as `i128` in row-major (logical) order; `None` for float arrays.
    pub fn integers(&self) -> Option<Vec<i128>> {
        macro_rules! ints {
            ($a:expr) => {
                Some($a.iter().map(|&v| v as i128).collect())
            };
        }
        match self {
            NpyArray::U8(a) => ints!(a),
            NpyArray::I8(a) => ints!(a),
            NpyArray::U16(a) => ints!(a),
            NpyArray::I16(a) => ints!(a),
            NpyArray::U32(a) => ints!(a),
            NpyArray::I32(a) => ints!(a),
            NpyArray::U64(a) => ints!(a),
            NpyArray::I64(a) => ints!(a),
            NpyArray::F32(_) | NpyArray::F64(_) => None,
        }
    }
}

/// The checked header of a `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Element type.
    pub dtype: Dtype,
    /// Declared shape.
    pub shape: Vec<usize>,
    /// Bytes before the data (magic, version, length and header text).
    pub data_offset: u64,
}

impl NpyHeader {
    /// Number of elements (checked: never overflows).
    pub fn len(&self) -> u64 {
        self.shape.iter().map(|&d| d as u64).product()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// True when `prefix` starts like a `.npy` file.
pub fn is_npy(prefix: &[u8]) -> bool {
    prefix.starts_with(MAGIC)
}

fn err(s: impl Into<String>) -> NpyError {
    NpyError(s.into())
}

fn io_err(e: std::io::Error) -> NpyError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        err("truncated: the file ends inside its .npy header")
    } else {
        err(e.to_string())
    }
}

/// Read and check the header from `r`; returns it with the raw header bytes.
fn read_header<R: Read>(r: &mut R) -> Result<(NpyHeader, Vec<u8>), NpyError> {
    let mut raw = vec![0u8; 8];
    r.read_exact(&mut raw).map_err(io_err)?;
    if !is_npy(&raw) {
        return Err(err("not a .npy file (no \\x93NUMPY magic string)"));
    }
    let len_bytes = match raw[6] {
        1 => 2,
        2 | 3 => 4,
        v => {
            return Err(err(format!(
                "unsupported .npy format version {v}.{}",
                raw[7]
            )));
        }
    };
    let mut l = vec![0u8; len_bytes];
    r.read_exact(&mut l).map_err(io_err)?;
    raw.extend_from_slice(&l);
    let header_len = if len_bytes == 2 {
        u16::from_le_bytes([l[0], l[1]]) as usize
    } else {
        u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize
    };
    if header_len > MAX_NPY_HEADER_BYTES {
        return Err(err(format!(
            "header declares {header_len} bytes, more than the limit of {MAX_NPY_HEADER_BYTES}"
        )));
    }
    let start = raw.len();
    raw.resize(start + header_len, 0);
    r.read_exact(&mut raw[start..]).map_err(io_err)?;
    // The header is a Python literal parsed recursively: refuse deep nesting before parsing.
    let mut depth = 0usize;
    for &b in &raw[start..] {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 8 {
            return Err(err("header nests brackets more than 8 deep"));
        }
    }
    let h = Header::from_reader(&mut Cursor::new(&raw)).map_err(|e| {
        // The parser's message spans several lines (with a caret): keep one.
        let msg = e.to_string();
        let first = msg
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches(':');
        err(format!(
            "bad .npy header ({first}): expected a dict of 'descr', 'fortran_order' and 'shape'"
        ))
    })?;
    let descr = h.type_descriptor.to_string();
    let descr = descr.trim_matches(['\'', '"']);
    let dtype = Dtype::from_descr(descr).ok_or_else(|| {
        err(format!(
            "element type {} is not supported (expected uint8, float32, float64 or an integer type)",
            h.type_descriptor
        ))
    })?;
    let mut count: u64 = 1;
    for &d in &h.shape {
        count = count.checked_mul(d as u64).ok_or_else(|| {
            err(format!(
                "declared shape {:?} overflows a 64-bit element count",
                h.shape
            ))
        })?;
    }
    if count > MAX_DATA_ELEMENTS {
        return Err(err(format!(
            "declared shape {:?} = {count} values is above the limit of {MAX_DATA_ELEMENTS} values",
            h.shape
        )));
    }
    Ok((
        NpyHeader {
            dtype,
            shape: h.shape,
            data_offset: raw.len() as u64,
        },
        raw,
    ))
}

/// Read the header of a `.npy` file and check its declared size against the file's size.
pub fn read_npy_header(path: &Path) -> Result<NpyHeader, NpyError> {
    let mut f = std::fs::File::open(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    let (h, _) = read_header(&mut f)?;
    check_size(
        &h,
        regular_file_len(path).map_err(|e| err(format!("cannot read the file: {e}")))?,
    )?;
    Ok(h)
}

fn check_size(h: &NpyHeader, file_len: Option<u64>) -> Result<(), NpyError> {
    let payload = h.len() * h.dtype.size(); // ≤ 2³⁰ · 8: no overflow
    if let Some(len) = file_len {
        if len > MAX_DATA_BYTES {
            return Err(err(format!(
                "the file ({}) is larger than the limit of {}",
                bytes(len),
                bytes(MAX_DATA_BYTES)
            )));
        }
        if len != h.data_offset + payload {
            return Err(err(format!(
                "header declares shape {:?} of {} = {payload} bytes after its {}-byte header, \
                 but the file holds {} bytes there",
                h.shape,
                h.dtype,
                h.data_offset,
                len.saturating_sub(h.data_offset)
            )));
        }
    }
    Ok(())
}

/// Read a `.npy` file of any supported element type, checking its header first.
pub fn read_npy_any(path: &Path) -> Result<NpyArray, NpyError> {
    let mut f = std::fs::File::open(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    let (h, raw) = read_header(&mut f)?;
    let file_len = regular_file_len(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    check_size(&h, file_len)?;
    let payload = h.len() * h.dtype.size();
    let data: Box<dyn Read> = if file_len.is_some() {
        // Size already checked against the real file: stream it.
        Box::new(Cursor::new(raw).chain(std::io::BufReader::new(f).take(payload + 1)))
    } else {
        // A pipe or device: memory grows only with what really arrives.
        let mut rest = Vec::new();
        read_to_end_capped(f, payload, &mut rest, "the data after the header").map_err(
            |e| match e {
                ReadCapError::Io(e) => err(e.to_string()),
                e => err(format!(
                    "{e}: the header declares shape {:?} of {}",
                    h.shape, h.dtype
                )),
            },
        )?;
        if (rest.len() as u64) < payload {
            return Err(err(format!(
                "truncated: header declares shape {:?} of {} = {payload} bytes, the stream holds {}",
                h.shape,
                h.dtype,
                rest.len()
            )));
        }
        Box::new(Cursor::new(raw).chain(Cursor::new(rest)))
    };
    let e = |e: ndarray_npy::ReadNpyError| err(format!("cannot read .npy data: {e}"));
    Ok(match h.dtype {
        Dtype::U8 => NpyArray::U8(ArrayD::read_npy(data).map_err(e)?),
        Dtype::I8 => NpyArray::I8(ArrayD::read_npy(data).map_err(e)?),
        Dtype::U16 => NpyArray::U16(ArrayD::read_npy(data).map_err(e)?),
        Dtype::I16 => NpyArray::I16(ArrayD::read_npy(data).map_err(e)?),
        Dtype::U32 => NpyArray::U32(ArrayD::read_npy(data).map_err(e)?),
        Dtype::I32 => NpyArray::I32(ArrayD::read_npy(data).map_err(e)?),
        Dtype::U64 => NpyArray::U64(ArrayD::read_npy(data).map_err(e)?),
        Dtype::I64 => NpyArray::I64(ArrayD::read_npy(data).map_err(e)?),
        Dtype::F32 => NpyArray::F32(ArrayD::read_npy(data).map_err(e)?),
        Dtype::F64 => NpyArray::F64(ArrayD::read_npy(data).map_err(e)?),
    })
}

/// Read a float32 or float64 `.npy` file as f32 (weights, parameters).
pub fn read_npy_f32(path: &Path) -> Result<ArrayD<f32>, NpyError> {
    match read_npy_any(path)? {
        NpyArray::F32(a) => Ok(a),
        NpyArray::F64(a) => Ok(a.mapv(|v| v as f32)),
        other => Err(err(format!(
            "element type {} of shape {:?}: expected float32 or float64",
            other.dtype(),
            other.shape()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray_npy::WriteNpyExt;

    fn header_bytes(descr: &str, shape: &str) -> Vec<u8> {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        let mut h = dict.into_bytes();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(b' ');
        }
        h.push(b'\n');
        let mut v = MAGIC.to_vec();
        v.extend([1, 0]);
        v.extend((h.len() as u16).to_le_bytes());
        v.extend(h);
        v
    }

    #[test]
    fn arrays_written_by_ndarray_npy_read_back_in_every_dtype() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let a = ndarray::Array3::<f32>::from_shape_fn((2, 3, 4), |(i, j, k)| {
            (i * 12 + j * 4 + k) as f32 * 0.5
        });
        a.write_npy(std::fs::File::create(&p).unwrap()).unwrap();
        let got = read_npy_any(&p).unwrap();
        assert_eq!(got.shape(), &[2, 3, 4]);
        assert_eq!(got, NpyArray::F32(a.clone().into_dyn()));
        let l = ndarray::Array1::<i64>::from(vec![3, -1, 7]);
        l.write_npy(std::fs::File::create(&p).unwrap()).unwrap();
        assert_eq!(read_npy_any(&p).unwrap().integers().unwrap(), [3, -1, 7]);
    }

    #[test]
    fn a_200_byte_file_declaring_1e5_by_1e5_is_refused_from_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.npy");
        let mut v = header_bytes("<f8", "(100000, 100000)");
        v.resize(200, 0);
        std::fs::write(&p, &v).unwrap();
        let e = read_npy_any(&p).unwrap_err().0;
        assert!(e.contains("[100000, 100000]") && e.contains("limit"), "{e}");
        // Within the element limit but larger than the file: named with both sizes.
        let mut v = header_bytes("<f8", "(1000, 1000)");
        v.resize(200, 0);
        std::fs::write(&p, &v).unwrap();
        let e = read_npy_any(&p).unwrap_err().0;
        assert!(
            e.contains("8000000 bytes") && e.contains("holds 72 bytes"),
            "{e}"
        );
    }

    #[test]
    fn overflowing_shapes_huge_headers_and_deep_nesting_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.npy");
        let v = header_bytes("<f4", "(4294967296, 4294967296, 4294967296)");
        std::fs::write(&p, &v).unwrap();
        assert!(read_npy_any(&p).unwrap_err().0.contains("overflows"));
        let mut v = MAGIC.to_vec();
        v.extend([2, 0]);
        v.extend(u32::MAX.to_le_bytes());
        std::fs::write(&p, &v).unwrap();
        assert!(read_npy_any(&p).unwrap_err().0.contains("limit"));
        let v = header_bytes("<f4", &"(".repeat(5000));
        std::fs::write(&p, &v).unwrap();
        assert!(read_npy_any(&p).unwrap_err().0.contains("deep"));
        std::fs::write(&p, &v[..9]).unwrap();
        assert!(read_npy_any(&p).unwrap_err().0.contains("truncated"));
    }

    #[test]
    fn unsupported_dtypes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.npy");
        let mut v = header_bytes("<c16", "(1,)");
        v.extend([0u8; 16]);
        std::fs::write(&p, &v).unwrap();
        let e = read_npy_any(&p).unwrap_err().0;
        assert!(e.contains("<c16") && e.contains("not supported"), "{e}");
    }
}
