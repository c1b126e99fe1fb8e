//! Stopping a long run cleanly: a process-wide request flag that long loops poll between
//! units of work (a chunk of samples, a sweep unit, a block of device draws).
//!
//! The command-line tool sets it from its Ctrl-C handler; a library user (the Python
//! bindings, a GUI) sets it with [`request`]. A run that sees it stops at its next check and
//! returns [`Interrupted`]; nothing it would have written is written (outputs are staged and
//! committed only after a run has finished), and a sweep keeps the units it has finished, so
//! running it again resumes.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Ask every running loop to stop at its next check.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a stop has been requested (and not [`clear`]ed since).
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Forget a stop request (before starting a new run in the same process).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// `Err(Interrupted)` once a stop has been requested.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// A run stopped because a stop was requested (Ctrl-C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "interrupted (Ctrl-C) before the work was finished: no output was written (a sweep keeps its finished units and a learning run its last checkpoint; the same command resumes them)"
)]
pub struct Interrupted;
