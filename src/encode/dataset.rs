//! Labelled data sets: images `[N, …]` (any sample shape) and integer labels `[N]`, read from
//! IDX (raw or gzip) or `.npy` files, chosen by content.
//!
//! Normalisation: unsigned-byte images (IDX, `uint8` `.npy`) are divided by 255; `float32` and
//! `float64` `.npy` images are used as they are (non-finite values are refused). Labels are
//! integers in `0..=255` (IDX bytes, or any integer `.npy` type).

use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::npy::{self, NpyArray};

use super::idx::{self, is_gzip};

/// Why a data set could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The file could not be opened or decompressed.
    #[error("cannot read data file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a data file of the expected kind, or declares more than it holds.
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Images and labels disagree.
    #[error(
        "{} holds {images} images (shape {images_shape:?}) but {} holds {labels} labels (shape {labels_shape:?})",
        images_path.display(),
        labels_path.display()
    )]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// Number of images.
        images: usize,
        /// Shape of the images array.
        images_shape: Vec<usize>,
        /// The labels file.
        labels_path: PathBuf,
        /// Number of labels.
        labels: usize,
        /// Shape of the labels array.
        labels_shape: Vec<usize>,
    },
    /// The data set has no samples to run.
    #[error("{}: no samples to run ({reason})", path.display())]
    Empty {
        /// The images file.
        path: PathBuf,
        /// Why (an empty file, or a sample limit of 0).
        reason: String,
    },
    /// A label does not name one of the network's outputs.
    #[error(
        "{}: label {label} (sample {sample}) is outside the network's {outputs} outputs: the data has at least {classes} classes",
        path.display()
    )]
    LabelOutOfRange {
        /// The labels file.
        path: PathBuf,
        /// Index of the first offending sample.
        sample: usize,
        /// Its label.
        label: u8,
        /// Number of classes the labels imply (largest label + 1).
        classes: usize,
        /// Number of network outputs.
        outputs: usize,
    },
}

/// A labelled data set.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Samples `[n, features]` (each sample flattened in row-major order), as f32: unsigned bytes
    /// divided by 255, floats as stored.
    pub images: Array2<f32>,
    /// The shape of one sample (e.g. `[28, 28]`, `[3, 32, 32]`).
    pub sample_shape: Vec<usize>,
    /// Labels, one per sample.
    pub labels: Vec<u8>,
    /// The images file (for messages).
    pub images_path: PathBuf,
    /// The labels file (for messages).
    pub labels_path: PathBuf,
}

/// Images `[N, …]` as read, before flattening.
struct Images {
    shape: Vec<usize>,
    values: Vec<f32>,
}

fn format_err(path: &Path, reason: impl Into<String>) -> EncodeError {
    EncodeError::Format {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The first bytes of a file, to choose its reader.
fn prefix(path: &Path) -> Result<Vec<u8>, EncodeError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|source| EncodeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut v = Vec::with_capacity(8);
    f.take(8)
        .read_to_end(&mut v)
        .map_err(|source| EncodeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(v)
}

fn read_npy(path: &Path) -> Result<NpyArray, EncodeError> {
    npy::read_npy_any(path).map_err(|e| format_err(path, e.0))
}

fn read_images(path: &Path) -> Result<Images, EncodeError> {
    if npy::is_npy(&prefix(path)?) {
        images_from_npy(path, read_npy(path)?)
    } else {
        let a = idx::read_idx(path)?;
        check_images_rank(path, &a.shape)?;
        Ok(Images {
            shape: a.shape,
            values: a.data.iter().map(|&b| b as f32 / 255.0).collect(),
        })
    }
}

/// Images from a `.npy` array (read from `path`, or in memory and named `path`).
fn images_from_npy(path: &Path, a: NpyArray) -> Result<Images, EncodeError> {
    let shape = a.shape().to_vec();
    check_images_rank(path, &shape)?;
    // Row-major arrays are read as slices (iterating a dynamic-rank array is much slower).
    fn convert<T: Copy>(a: &ndarray::ArrayD<T>, f: impl Fn(T) -> f32) -> Vec<f32> {
        match a.as_slice() {
            Some(s) => s.iter().map(|&v| f(v)).collect(),
            None => a.iter().map(|&v| f(v)).collect(),
        }
    }
    let values: Vec<f32> = match a {
        NpyArray::U8(a) => convert(&a, |b| b as f32 / 255.0),
        NpyArray::F32(a) => convert(&a, |v| v),
        NpyArray::F64(a) => convert(&a, |v| v as f32),
        other => {
            return Err(format_err(
                path,
                format!(
                    "images of element type {} (shape {shape:?}): expected uint8 (divided by 255), float32 or float64",
                    other.dtype()
                ),
            ));
        }
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format_err(
            path,
            format!(
                "value {} at flat index {i} is not finite (shape {shape:?})",
                values[i]
            ),
        ));
    }
    Ok(Images { shape, values })
}

fn check_images_rank(path: &Path, shape: &[usize]) -> Result<(), EncodeError> {
    if shape.len() < 2 {
        return Err(format_err(
            path,
            format!(
                "images must be an [N, …] array of at least 2 dimensions, found shape {shape:?} (a labels file?)"
            ),
        ));
    }
    Ok(())
}

fn read_labels(path: &Path) -> Result<(Vec<u8>, Vec<usize>), EncodeError> {
    if npy::is_npy(&prefix(path)?) {
        labels_from_npy(path, read_npy(path)?)
    } else {
        let a = idx::read_idx(path)?;
        labels_from_values(path, a.shape, a.data.iter().map(|&b| b as i128).collect())
    }
}

/// Labels from a `.npy` array (read from `path`, or in memory and named `path`).
fn labels_from_npy(path: &Path, a: NpyArray) -> Result<(Vec<u8>, Vec<usize>), EncodeError> {
    let shape = a.shape().to_vec();
    let Some(v) = a.integers() else {
        return Err(format_err(
            path,
            format!(
                "labels of element type {} (shape {shape:?}): expected an integer type",
                a.dtype()
            ),
        ));
    };
    labels_from_values(path, shape, v)
}

fn labels_from_values(
    path: &Path,
    shape: Vec<usize>,
    values: Vec<i128>,
) -> Result<(Vec<u8>, Vec<usize>), EncodeError> {
    if shape.len() != 1 {
        return Err(format_err(
            path,
            format!("labels must be a 1-dimensional [N] array, found shape {shape:?}"),
        ));
    }
    let labels = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            u8::try_from(v).map_err(|_| {
                format_err(
                    path,
                    format!("label {v} of sample {i} is not a class index in 0..=255"),
                )
            })
        })
        .collect::<Result<Vec<u8>, _>>()?;
    Ok((labels, shape))
}

impl Dataset {
    /// Read images and labels — each an IDX file (raw or gzip) or a `.npy` file, chosen by
    /// content — keeping the first `limit` samples when given.
    ///
    /// Refuses a data set with no samples (an empty file, or `limit` 0), images and labels of
    /// different counts (naming both shapes), and anything [`crate::budget`] refuses.
    pub fn read(
        images: &Path,
        labels: &Path,
        limit: Option<usize>,
    ) -> Result<Dataset, EncodeError> {
        for p in [images, labels] {
            let pre = prefix(p)?;
            if !(npy::is_npy(&pre) || is_gzip(&pre) || pre.starts_with(&[0, 0]) || pre.len() < 4) {
                return Err(format_err(
                    p,
                    format!(
                        "neither an IDX file (raw or gzip) nor a .npy file: it starts with bytes {:02x?}",
                        &pre[..pre.len().min(4)]
                    ),
                ));
            }
        }
        let imgs = read_images(images)?;
        let labs = read_labels(labels)?;
        Self::assemble(imgs, labs, images, labels, limit)
    }

    /// A data set from arrays in memory, with the rules and messages of [`read`](Self::read)
    /// for `.npy` files: `images` `[N, …]` (uint8 divided by 255, float32/float64 as they are),
    /// `labels` `[N]` of integers in `0..=255`. `images_name` and `labels_name` stand for the
    /// files in messages (e.g. `images`).
    pub fn from_arrays(
        images: NpyArray,
        labels: NpyArray,
        images_name: &Path,
        labels_name: &Path,
        limit: Option<usize>,
    ) -> Result<Dataset, EncodeError> {
        let imgs = images_from_npy(images_name, images)?;
        let labs = labels_from_npy(labels_name, labels)?;
        Self::assemble(imgs, labs, images_name, labels_name, limit)
    }

    fn assemble(
        imgs: Images,
        (mut labs, labels_shape): (Vec<u8>, Vec<usize>),
        images: &Path,
        labels: &Path,
        limit: Option<usize>,
    ) -> Result<Dataset, EncodeError> {
        let n = imgs.shape[0];
        if n != labs.len() {
            return Err(EncodeError::CountMismatch {
                images_path: images.to_path_buf(),
                images: n,
                images_shape: imgs.shape,
                labels_path: labels.to_path_buf(),
                labels: labs.len(),
                labels_shape,
            });
        }
        let sample_shape = imgs.shape[1..].to_vec();
        let features: usize = sample_shape.iter().product();
        let mut values = imgs.values;
        if let Some(k) = limit.filter(|&k| k < n) {
            values.truncate(k * features);
            values.shrink_to_fit();
            labs.truncate(k);
        }
        let empty = |reason: String| EncodeError::Empty {
            path: images.to_path_buf(),
            reason,
        };
        if n == 0 {
            return Err(empty(format!("the file holds shape {:?}", imgs.shape)));
        }
        if labs.is_empty() {
            return Err(empty("the sample limit is 0".into()));
        }
        if features == 0 {
            return Err(format_err(
                images,
                format!("samples of shape {sample_shape:?} have no values"),
            ));
        }
        let images_arr =
            Array2::from_shape_vec((labs.len(), features), values).expect("sizes checked");
        Ok(Dataset {
            images: images_arr,
            sample_shape,
            labels: labs,
            images_path: images.to_path_buf(),
            labels_path: labels.to_path_buf(),
        })
    }

    /// Read IDX images and labels (kept for callers of the first API; same as [`read`](Self::read)).
    pub fn read_idx(
        images: &Path,
        labels: &Path,
        limit: Option<usize>,
    ) -> Result<Dataset, EncodeError> {
        Self::read(images, labels, limit)
    }

    /// Check that every label names one of a network's `outputs` (so the network has at least
    /// as many outputs as the data has classes). The run stage calls this before running.
    pub fn check_classes(&self, outputs: usize) -> Result<(), EncodeError> {
        let classes = self
            .labels
            .iter()
            .map(|&l| l as usize + 1)
            .max()
            .unwrap_or(0);
        if let Some(sample) = self.labels.iter().position(|&l| l as usize >= outputs) {
            return Err(EncodeError::LabelOutOfRange {
                path: self.labels_path.clone(),
                sample,
                label: self.labels[sample],
                classes,
                outputs,
            });
        }
        Ok(())
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when empty (never, for a data set returned by [`read`](Self::read)).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray_npy::WriteNpyExt;

    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(data);
        v
    }

    fn npy<A: WriteNpyExt>(dir: &Path, name: &str, a: &A) -> PathBuf {
        let p = dir.join(name);
        a.write_npy(std::fs::File::create(&p).unwrap()).unwrap();
        p
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
        let lab = dir.path().join("lab");
        std::fs::write(&lab, idx(0x801, &[2], &[4, 1])).unwrap();
        for path in [&p, &gz] {
            let d = Dataset::read(path, &lab, None).unwrap();
            assert_eq!(d.sample_shape, [2, 3]);
            assert_eq!(d.images.shape(), &[2, 6]);
            assert_eq!(d.images[[0, 1]], 1.0);
            assert_eq!(d.images[[0, 2]], 0.2);
            assert_eq!(d.images[[1, 5]], 1.0);
            assert_eq!(d.labels, [4, 1]);
        }
    }

    #[test]
    fn four_dimensional_idx_keeps_its_sample_shape() {
        let dir = tempfile::tempdir().unwrap();
        // 2 samples of [3, 2, 2] (CIFAR-like channels-first), bytes 0..24.
        let data: Vec<u8> = (0..24).map(|v| v * 10).collect();
        let img = dir.path().join("img4");
        std::fs::write(&img, idx(0x804, &[2, 3, 2, 2], &data)).unwrap();
        let lab = dir.path().join("lab");
        std::fs::write(&lab, idx(0x801, &[2], &[7, 3])).unwrap();
        let d = Dataset::read(&img, &lab, None).unwrap();
        assert_eq!(d.sample_shape, [3, 2, 2]);
        assert_eq!(d.images.shape(), &[2, 12]);
        assert_eq!(d.images[[1, 11]], 230.0 / 255.0);
        // Three labels for two images: both counts named.
        std::fs::write(&lab, idx(0x801, &[3], &[7, 3, 1])).unwrap();
        let e = Dataset::read(&img, &lab, None).unwrap_err().to_string();
        assert!(e.contains('2') && e.contains('3'), "{e}");
    }

    #[test]
    fn npy_images_of_any_shape_uint8_scaled_floats_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let u8s = ndarray::Array4::<u8>::from_shape_fn((3, 3, 2, 2), |(n, c, h, w)| {
            (n * 12 + c * 4 + h * 2 + w) as u8 * 7
        });
        let f64s = u8s.mapv(|v| v as f64 * 0.01 - 0.5);
        let labels = npy(d, "y.npy", &ndarray::arr1(&[2i64, 0, 9]));
        let a = Dataset::read(&npy(d, "u8.npy", &u8s), &labels, None).unwrap();
        assert_eq!(a.sample_shape, [3, 2, 2]);
        assert_eq!(a.images.shape(), &[3, 12]);
        assert_eq!(a.images[[2, 11]], (35.0 * 7.0) / 255.0);
        assert_eq!(a.labels, [2, 0, 9]);
        let b = Dataset::read(&npy(d, "f.npy", &f64s), &labels, Some(2)).unwrap();
        assert_eq!(b.images.shape(), &[2, 12]);
        assert_eq!(b.images[[1, 3]], (15.0 * 7.0 * 0.01 - 0.5) as f32);
        // Fortran-ordered arrays are read in logical (row-major) order.
        let fort = u8s.t().as_standard_layout().into_owned().reversed_axes();
        assert!(fort.t().is_standard_layout() && fort == u8s);
        let c = Dataset::read(&npy(d, "fo.npy", &fort), &labels, None).unwrap();
        assert_eq!(c.images, a.images);
    }

    #[test]
    fn wrong_dtypes_shapes_and_counts_name_both_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let imgs = npy(d, "x.npy", &ndarray::Array3::<f32>::zeros((4, 2, 2)));
        let labels3 = npy(d, "y3.npy", &ndarray::arr1(&[1u8, 2, 3]));
        let e = Dataset::read(&imgs, &labels3, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("4 images (shape [4, 2, 2])") && e.contains("3 labels (shape [3])"),
            "{e}"
        );
        let labels2d = npy(d, "y2.npy", &ndarray::Array2::<i32>::zeros((4, 1)));
        let e = Dataset::read(&imgs, &labels2d, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[4, 1]") && e.contains("1-dimensional"), "{e}");
        let flabels = npy(d, "yf.npy", &ndarray::arr1(&[1.0f32, 2.0, 3.0, 4.0]));
        let e = Dataset::read(&imgs, &flabels, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("float32") && e.contains("integer"), "{e}");
        let i16imgs = npy(d, "xi.npy", &ndarray::Array2::<i16>::zeros((4, 2)));
        let labels4 = npy(d, "y4.npy", &ndarray::arr1(&[0u8, 1, 2, 3]));
        let e = Dataset::read(&i16imgs, &labels4, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("int16") && e.contains("[4, 2]"), "{e}");
        let neg = npy(d, "yn.npy", &ndarray::arr1(&[0i64, -1, 2, 3]));
        let e = Dataset::read(&imgs, &neg, None).unwrap_err().to_string();
        assert!(e.contains("label -1 of sample 1"), "{e}");
        let e = Dataset::read(&labels4, &labels4, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 2 dimensions"), "{e}");
        let nan = npy(
            d,
            "nan.npy",
            &ndarray::arr2(&[[0.0f32], [f32::NAN], [0.0], [0.0]]),
        );
        let e = Dataset::read(&nan, &labels4, None).unwrap_err().to_string();
        assert!(e.contains("not finite"), "{e}");
    }

    #[test]
    fn zero_samples_and_labels_beyond_the_outputs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let imgs = npy(d, "x.npy", &ndarray::Array2::<u8>::zeros((0, 4)));
        let labs = npy(d, "y.npy", &ndarray::Array1::<u8>::zeros(0));
        let e = Dataset::read(&imgs, &labs, None).unwrap_err();
        assert!(matches!(e, EncodeError::Empty { .. }), "{e}");
        let imgs = npy(d, "x2.npy", &ndarray::Array2::<u8>::zeros((3, 4)));
        let labs = npy(d, "y2.npy", &ndarray::arr1(&[0u8, 11, 3]));
        let e = Dataset::read(&imgs, &labs, Some(0)).unwrap_err();
        assert!(e.to_string().contains("sample limit is 0"), "{e}");
        let ds = Dataset::read(&imgs, &labs, None).unwrap();
        assert!(ds.check_classes(12).is_ok());
        let e = ds.check_classes(10).unwrap_err().to_string();
        assert!(
            e.contains("label 11 (sample 1)")
                && e.contains("10 outputs")
                && e.contains("12 classes"),
            "{e}"
        );
    }

    #[test]
    fn neither_idx_nor_npy_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "1,2,3\n").unwrap();
        let e = Dataset::read(&p, &p, None).unwrap_err().to_string();
        assert!(
            e.contains("neither an IDX file") && e.contains("x.csv"),
            "{e}"
        );
    }

    #[test]
    fn reads_the_mnist_test_set() {
        // `../shared` of the main checkout; worktrees sit one level deeper.
        let d = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared/data/mnist"))
            .find(|p| p.is_dir())
            .expect("shared data folder");
        let ds = Dataset::read(
            &d.join("test-images-idx3-ubyte.gz"),
            &d.join("test-labels-idx1-ubyte.gz"),
            Some(100),
        )
        .unwrap();
        assert_eq!(ds.images.shape(), &[100, 784]);
        assert_eq!(ds.sample_shape, [28, 28]);
        assert!(ds.images.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(ds.labels.iter().all(|&l| l < 10));
        assert!(ds.check_classes(10).is_ok());
    }
}
