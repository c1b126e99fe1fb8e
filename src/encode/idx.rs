//! IDX files (the MNIST format), raw or gzip-compressed.

use ndarray::Array2;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a data set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The file could not be opened or decompressed.
    #[error("cannot read IDX file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not an IDX file of the expected kind.
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Images and labels disagree.
    #[error("{} holds {images} images but {} holds {labels} labels", images_path.display(), labels_path.display())]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// Number of images.
        images: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Number of labels.
        labels: usize,
    },
}

fn read_all(path: &Path) -> Result<Vec<u8>, EncodeError> {
    let io = |source| EncodeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(io)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parse the header: returns (dims, payload offset). `magic` is the expected 0x08XX code.
fn header(bytes: &[u8], path: &Path, magic: u32, ndim: usize) -> Result<Vec<usize>, EncodeError> {
    let fmt = |reason: String| EncodeError::Format {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < 4 {
        return Err(fmt(format!(
            "truncated: {} bytes, no IDX header",
            bytes.len()
        )));
    }
    let m = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if m != magic {
        return Err(fmt(format!(
            "wrong magic number {m:#010x} (expected {magic:#010x}: {})",
            if ndim == 3 {
                "unsigned-byte images, 3 dimensions"
            } else {
                "unsigned-byte labels, 1 dimension"
            }
        )));
    }
    let need = 4 + 4 * ndim;
    if bytes.len() < need {
        return Err(fmt(format!(
            "truncated header: {} bytes, need {need}",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|i| {
            u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let payload: usize = dims.iter().product();
    if bytes.len() - need < payload {
        return Err(fmt(format!(
            "truncated: header announces {dims:?} = {payload} bytes of data, file has {}",
            bytes.len() - need
        )));
    }
    Ok(dims)
}

/// Read an IDX image file (magic 0x00000803): returns `[n, rows·cols]` with `pixel/255` and `[rows, cols]`.
pub fn read_idx_images(path: &Path) -> Result<(Array2<f32>, [usize; 2]), EncodeError> {
    let bytes = read_all(path)?;
    let d = header(&bytes, path, 0x803, 3)?;
    let px = d[1] * d[2];
    let data: Vec<f32> = bytes[16..16 + d[0] * px]
        .iter()
        .map(|&b| b as f32 / 255.0)
        .collect();
    let arr = Array2::from_shape_vec((d[0], px), data).expect("size checked");
    Ok((arr, [d[1], d[2]]))
}

/// Read an IDX label file (magic 0x00000801).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, EncodeError> {
    let bytes = read_all(path)?;
    let d = header(&bytes, path, 0x801, 1)?;
    Ok(bytes[8..8 + d[0]].to_vec())
}

/// A labelled image data set, normalised to `[0, 1]`.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Images `[n, rows·cols]`, `pixel/255` as f32.
    pub images: Array2<f32>,
    /// Image `[rows, cols]`.
    pub image_shape: [usize; 2],
    /// Labels, one per image.
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Read images and labels, keeping the first `limit` samples when given.
    pub fn read_idx(
        images: &Path,
        labels: &Path,
        limit: Option<usize>,
    ) -> Result<Dataset, EncodeError> {
        let (mut imgs, image_shape) = read_idx_images(images)?;
        let mut labs = read_idx_labels(labels)?;
        if imgs.nrows() != labs.len() {
            return Err(EncodeError::CountMismatch {
                images_path: images.to_path_buf(),
                images: imgs.nrows(),
                labels_path: labels.to_path_buf(),
                labels: labs.len(),
            });
        }
        if let Some(n) = limit.filter(|&n| n < labs.len()) {
            imgs = imgs.slice(ndarray::s![..n, ..]).to_owned();
            labs.truncate(n);
        }
        Ok(Dataset {
            images: imgs,
            image_shape,
            labels: labs,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(data);
        v
    }

    #[test]
    fn raw_and_gzip_idx_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let img = idx(
            0x803,
            &[2, 2, 3],
            &[0, 255, 51, 0, 0, 0, 1, 2, 3, 4, 5, 255],
        );
        let p = dir.path().join("img");
        std::fs::write(&p, &img).unwrap();
        let gz = dir.path().join("img.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, &img).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        for path in [&p, &gz] {
            let (a, shape) = read_idx_images(path).unwrap();
            assert_eq!(shape, [2, 3]);
            assert_eq!(a.shape(), &[2, 6]);
            assert_eq!(a[[0, 1]], 1.0);
            assert_eq!(a[[0, 2]], 0.2);
            assert_eq!(a[[1, 5]], 1.0);
        }
    }

    #[test]
    fn wrong_magic_truncation_and_count_mismatch_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let lab = dir.path().join("lab");
        std::fs::write(&lab, idx(0x801, &[3], &[1, 2, 3])).unwrap();
        let e = read_idx_images(&lab).unwrap_err().to_string();
        assert!(e.contains("lab") && e.contains("wrong magic"), "{e}");
        let img = dir.path().join("img");
        std::fs::write(&img, idx(0x803, &[2, 2, 2], &[0; 7])).unwrap();
        let e = read_idx_images(&img).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        std::fs::write(&img, idx(0x803, &[2, 2, 2], &[0; 8])).unwrap();
        let e = Dataset::read_idx(&img, &lab, None).unwrap_err().to_string();
        assert!(e.contains("2 images") && e.contains("3 labels"), "{e}");
    }

    #[test]
    fn reads_the_mnist_test_set() {
        // `../shared` of the main checkout; worktrees sit one level deeper.
        let d = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared/data/mnist"))
            .find(|p| p.is_dir())
            .expect("shared data folder");
        let ds = Dataset::read_idx(
            &d.join("test-images-idx3-ubyte.gz"),
            &d.join("test-labels-idx1-ubyte.gz"),
            Some(100),
        )
        .unwrap();
        assert_eq!(ds.images.shape(), &[100, 784]);
        assert_eq!(ds.image_shape, [28, 28]);
        assert!(ds.images.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(ds.labels.iter().all(|&l| l < 10));
    }
}
