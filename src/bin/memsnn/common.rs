//! What every command shares: output files that are checked before any work and written all
//! or none, and progress on stderr.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Write `path` through a temporary sibling ([`memsnn::output::write_atomic`]), so that a
/// failure never leaves a half-written output; errors name the file.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    memsnn::output::write_atomic(path, write)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// An existing file's identity (device, inode), to compare paths that name the same file.
fn identity(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// A path made absolute with its folder canonicalised (the file itself need not exist).
fn normalised(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or(abs),
        _ => abs,
    }
}

/// The output files of one command: checked against the inputs and each other before the
/// command computes anything, then written all or none.
#[derive(Debug, Default)]
pub struct Outputs {
    planned: Vec<(String, PathBuf)>,
    ready: Vec<(PathBuf, Vec<u8>)>,
}

impl Outputs {
    /// Plan output `path` of option `flag`; refuse it if it is one of `inputs` or another
    /// output (by path and by inode), or if its folder does not exist.
    pub fn plan(&mut self, flag: &str, path: &Path, inputs: &[PathBuf]) -> anyhow::Result<()> {
        let n = normalised(path);
        let id = identity(path);
        for i in inputs {
            if normalised(i) == n || (id.is_some() && identity(i) == id) {
                bail!(
                    "{flag} {}: that is an input of this run; choose another output file",
                    path.display()
                );
            }
        }
        if let Some((other, _)) = self
            .planned
            .iter()
            .find(|(_, p)| normalised(p) == n || (id.is_some() && identity(p) == id))
        {
            bail!(
                "{flag} {}: {other} writes the same file; give each output its own file",
                path.display()
            );
        }
        if path.is_dir() {
            bail!("{flag} {}: is a folder; name a file", path.display());
        }
        let dir = n.parent().unwrap_or(Path::new("."));
        if !dir.is_dir() {
            bail!(
                "{flag} {}: the folder {} does not exist",
                path.display(),
                dir.display()
            );
        }
        self.planned.push((flag.to_string(), path.to_path_buf()));
        Ok(())
    }

    /// Stage the bytes of a planned output.
    pub fn stage(&mut self, path: &Path, bytes: Vec<u8>) {
        self.ready.push((path.to_path_buf(), bytes));
    }

    /// Stage a planned output that `write` renders to a file (plots, CSV): rendered now into
    /// a hidden sibling with the same extension, read back, removed, and committed with the
    /// others.
    pub fn stage_rendered(
        &mut self,
        path: &Path,
        write: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let n = normalised(path);
        let stem = n
            .file_stem()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = match n.extension() {
            Some(ext) => format!(
                ".{stem}.{}.render.{}",
                std::process::id(),
                ext.to_string_lossy()
            ),
            None => format!(".{stem}.{}.render", std::process::id()),
        };
        let tmp = n.with_file_name(name);
        let bytes = write(&tmp).and_then(|()| Ok(std::fs::read(&tmp)?));
        let _ = std::fs::remove_file(&tmp);
        let bytes = bytes.with_context(|| format!("cannot write {}", path.display()))?;
        self.stage(path, bytes);
        Ok(())
    }

    /// Write every staged output: all temporary files first, then the renames; on a failure
    /// nothing new is left behind.
    pub fn commit(self) -> anyhow::Result<()> {
        let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
        let cleanup = |temps: &[(PathBuf, PathBuf)]| {
            for (t, _) in temps {
                let _ = std::fs::remove_file(t);
            }
        };
        for (k, (path, bytes)) in self.ready.iter().enumerate() {
            let name = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = normalised(path)
                .with_file_name(format!(".{name}.{}.{k}.partial", std::process::id()));
            if let Err(e) = std::fs::write(&tmp, bytes) {
                let _ = std::fs::remove_file(&tmp);
                cleanup(&temps);
                return Err(e).with_context(|| format!("cannot write {}", path.display()));
            }
            temps.push((tmp, path.clone()));
        }
        for (k, (tmp, path)) in temps.iter().enumerate() {
            if let Err(e) = std::fs::rename(tmp, path) {
                cleanup(&temps[k..]);
                for (_, done) in &temps[..k] {
                    let _ = std::fs::remove_file(done);
                }
                return Err(e).with_context(|| format!("cannot write {}", path.display()));
            }
        }
        Ok(())
    }
}

/// Progress on stderr: a bar on a terminal; otherwise a line at most every 10 s.
pub struct Progress {
    bar: ProgressBar,
    tty: bool,
    unit: &'static str,
    state: Mutex<(u64, u64, Instant, Instant)>,
}

impl Progress {
    /// A progress report counting `unit`s; hidden for runs shorter than `min_work`.
    pub fn new(unit: &'static str) -> Progress {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
            ))
            .expect("valid template"),
        );
        let now = Instant::now();
        Progress {
            bar,
            tty: std::io::stderr().is_terminal(),
            unit,
            state: Mutex::new((0, 0, now, now)),
        }
    }

    /// Set the total.
    pub fn start(&self, total: u64) {
        self.bar.set_length(total);
        let mut s = self.state.lock().expect("no panics under the lock");
        s.1 = total;
    }

    /// `n` more done.
    pub fn advance(&self, n: u64) {
        if self.tty {
            self.bar.inc(n);
            return;
        }
        let mut s = self.state.lock().expect("no panics under the lock");
        s.0 += n;
        if s.3.elapsed() >= Duration::from_secs(10) && s.1 > 0 {
            s.3 = Instant::now();
            let secs = s.2.elapsed().as_secs_f64();
            let eta = secs * (s.1.saturating_sub(s.0)) as f64 / s.0.max(1) as f64;
            eprintln!(
                "progress: {:.0} % ({} of {} {}, eta {:.0} s)",
                100.0 * s.0 as f64 / s.1 as f64,
                s.0,
                s.1,
                self.unit,
                eta
            );
        }
    }

    /// Clear the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl memsnn::experiment::Observer for Progress {
    fn start(&self, sample_runs: u64) {
        Progress::start(self, sample_runs)
    }
    fn advance(&self, n: u64) {
        Progress::advance(self, n)
    }
}

/// The value of `--subarray`: a subarray size, or `None` for one array per core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubarrayArg(pub Option<memsnn::chip::SubarraySpec>);

/// `--subarray ROWSxCOLS` (or `N` for N×N, or `none` for one array per core).
pub fn parse_subarray(s: &str) -> Result<SubarrayArg, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(SubarrayArg(None));
    }
    let (r, c) = match t.split_once(['x', 'X', '×']) {
        Some((r, c)) => (r.trim(), c.trim()),
        None => (t, t),
    };
    let num = |v: &str| {
        v.parse::<usize>()
            .map_err(|_| format!("`{s}` is not ROWSxCOLS (e.g. 256x256), N or none"))
    };
    let (rows, cols) = (num(r)?, num(c)?);
    if rows == 0 || cols == 0 {
        return Err(format!("`{s}`: a subarray has at least 1 row and 1 column"));
    }
    Ok(SubarrayArg(Some(memsnn::chip::SubarraySpec { rows, cols })))
}

/// `--conv-mapping unrolled|shared`.
pub fn parse_conv_mapping(s: &str) -> Result<memsnn::chip::ConvMapping, String> {
    memsnn::chip::ConvMapping::from_name(s)
}

/// Apply `--subarray` and `--conv-mapping` to the run's chip (checked with the chip spec when
/// the experiment is validated).
pub fn apply_layout(
    c: &mut memsnn::experiment::RunConfig,
    subarray: Option<SubarrayArg>,
    conv: Option<memsnn::chip::ConvMapping>,
) -> anyhow::Result<()> {
    if let Some(SubarrayArg(sa)) = subarray {
        c.chip.core.subarray = sa;
    }
    if let Some(m) = conv {
        c.chip.conv = m;
    }
    c.chip
        .validate()
        .map_err(|e| anyhow::anyhow!("--subarray/--conv-mapping: chip `{}`: {e}", c.chip.name))
}
