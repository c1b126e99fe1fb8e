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

/// Run, expect exit 1 with exactly one non-empty stderr line, starting `error:`, that holds
/// every needle and no panic; returns the line.
pub fn fails(cmd: &mut assert_cmd::Command, needles: &[&str]) -> String {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(lines[0].contains(n), "`{n}` missing from: {}", lines[0]);
    }
    lines[0].to_string()
}
