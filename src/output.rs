//! Writing output files so that a failure never leaves a half-written file behind.

use std::path::{Path, PathBuf};

/// The temporary sibling `write_atomic` writes to: same folder (so the final rename stays on
/// one file system), hidden, tagged with the process id, and with `path`'s extension kept last
/// (encoders such as the PNG writer pick their format from it).
fn temporary_sibling(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = path
        .file_stem()
        .map(|f| f.to_string_lossy())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!(
            ".{stem}.{}.partial.{}",
            std::process::id(),
            ext.to_string_lossy()
        ),
        None => format!(".{stem}.{}.partial", std::process::id()),
    };
    dir.join(name)
}

/// Call `write` on a temporary sibling of `path`, then rename it onto `path`; on any error the
/// temporary file is removed and `path` is left as it was.
pub fn write_atomic<E: From<std::io::Error>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let tmp = temporary_sibling(path);
    let result = write(&tmp).and_then(|()| std::fs::rename(&tmp, path).map_err(E::from));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_renames_and_failure_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("plot.png");
        write_atomic::<std::io::Error>(&out, |tmp| {
            assert_eq!(tmp.extension().unwrap(), "png");
            std::fs::write(tmp, b"ok")
        })
        .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"ok");

        let bad = dir.path().join("bad.json");
        let err = write_atomic(&bad, |tmp| {
            std::fs::write(tmp, b"half")?;
            Err(std::io::Error::other("encoder failed"))
        });
        assert!(err.is_err());
        assert!(!bad.exists());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only plot.png remains: {left:?}");
    }
}
