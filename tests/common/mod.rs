//! Helpers shared by the integration tests: where the repository and `../shared` are, and the
//! `memsnn` binary run from the repository root.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file of `../shared` beside the checkout (worktrees sit one level deeper).
pub fn shared(rel: &str) -> PathBuf {
    root()
        .ancestors()
        .map(|a| a.join("shared").join(rel))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("shared file {rel} not found"))
}

/// The `memsnn` binary, run from the repository root.
pub fn memsnn() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("memsnn").unwrap();
    c.current_dir(root());
    c
}
