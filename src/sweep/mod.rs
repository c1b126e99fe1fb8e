//! Parameter sweeps: accuracy of a chip run over a grid (or a list) of configuration points,
//! each run for several trials, written incrementally, resumable and shardable.
//!
//! A sweep is a [`Plan`]: a base [`RunConfig`] (from a netlist), fixed overrides, and points,
//! each a list of `(path, value)` assignments (see [`RunConfig::set`]). Point `k` runs with
//! the seed `rng::derive(seed, [k])` and the plan's trial count written into its
//! configuration, so it is exactly the [`Experiment`] `memsnn emulate` would run with that
//! configuration. A *unit* is one point × trial ([`Experiment::run_trial`]); it runs
//! sequentially on a one-thread pool while one unit per thread of the caller's pool runs at a
//! time (no oversubscription, and memory for as many units as threads).
//!
//! Outputs in a folder: `sweep.json` (the manifest: plan and shard), `results.jsonl` (one
//! [`Record`] per unit, with the point's parameter values and its full configuration) and
//! `results.csv` (the same rows as a table). Records are appended and flushed as units finish;
//! a re-run reads them back, skips finished units and ends by rewriting both files sorted by
//! (point, trial), so the final files equal an uninterrupted run's row for row.

use crate::experiment::{Experiment, ExperimentError, Inputs, Mode, RunConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Errors of a sweep.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A parameter path or value does not fit the run configuration.
    #[error(transparent)]
    Config(#[from] ExperimentError),
    /// A point's configuration is invalid.
    #[error("point {point} ({params}): {reason}")]
    InvalidPoint {
        /// Point index.
        point: usize,
        /// Its assignments.
        params: String,
        /// Why.
        reason: String,
    },
    /// A sweep description is inconsistent.
    #[error("{0}")]
    Plan(String),
    /// Reading or writing an output failed.
    #[error("{}: {reason}", path.display())]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SweepError + '_ {
    move |e| SweepError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// One swept parameter of a grid: a path and its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Dotted path (see `memsnn sweep --list-paths`).
    pub path: String,
    /// Values (numbers, strings such as `"1d"` or `"PerColumn"`, booleans, objects).
    pub values: Vec<Value>,
}

/// One fixed override: a path and a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// Dotted path.
    pub path: String,
    /// Value.
    pub value: Value,
}

/// A sweep spec file (`netlists/sweeps/*.ron`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweepSpec {
    /// The netlist to sweep (relative to the spec file).
    pub netlist: PathBuf,
    /// Fixed overrides applied to every point before the swept values.
    pub set: Vec<Assign>,
    /// Grid axes: every combination of their values is a point (first axis slowest).
    pub grid: Vec<Param>,
    /// Listed points (each a list of assignments), used instead of or after the grid.
    pub points: Vec<Vec<Assign>>,
    /// Trials per point (independently programmed chips). Default 3.
    pub trials: usize,
    /// Sweep seed. Default 0.
    pub seed: u64,
}

impl Default for SweepSpec {
    fn default() -> Self {
        SweepSpec {
            netlist: PathBuf::new(),
            set: Vec::new(),
            grid: Vec::new(),
            points: Vec::new(),
            trials: 3,
            seed: 0,
        }
    }
}

impl SweepSpec {
    /// Read a spec file; the netlist path is resolved against the spec's folder.
    pub fn read(path: &Path) -> Result<SweepSpec, crate::config::ConfigError> {
        let mut s: SweepSpec = crate::config::read_ron(path)?;
        if s.netlist.as_os_str().is_empty() {
            return Err(crate::config::FieldError::new(
                "netlist",
                "missing: name the netlist to sweep, e.g. netlist: \"../mnist-mlp/netlist.ron\"",
            )
            .in_file(path));
        }
        if s.trials == 0 {
            return Err(
                crate::config::FieldError::new("trials", "must be at least 1").in_file(path),
            );
        }
        s.netlist = crate::config::resolve(path, &s.netlist);
        Ok(s)
    }
}

/// A resolved sweep: every point's assignments, trials and seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Fixed overrides.
    pub set: Vec<Assign>,
    /// The grid axes (empty for a listed sweep); used by the plots.
    pub axes: Vec<Param>,
    /// Every point's assignments, in point-index order.
    pub points: Vec<Vec<Assign>>,
    /// Trials per point.
    pub trials: usize,
    /// Sweep seed.
    pub seed: u64,
}

impl Plan {
    /// Expand a grid (first axis slowest) followed by listed points.
    pub fn new(
        set: Vec<Assign>,
        grid: Vec<Param>,
        listed: Vec<Vec<Assign>>,
        trials: usize,
        seed: u64,
    ) -> Result<Plan, SweepError> {
        let mut points = Vec::new();
        if !grid.is_empty() {
            if let Some(p) = grid.iter().find(|p| p.values.is_empty()) {
                return Err(SweepError::Plan(format!(
                    "parameter `{}` has no values",
                    p.path
                )));
            }
            let n: usize = grid
                .iter()
                .try_fold(1usize, |n, p| n.checked_mul(p.values.len()))
                .filter(|&n| n <= MAX_POINTS)
                .ok_or_else(|| {
                    SweepError::Plan(format!(
                        "the grid has {} points, more than the limit of {MAX_POINTS}; split it into several sweeps",
                        grid.iter()
                            .map(|p| p.values.len().to_string())
                            .collect::<Vec<_>>()
                            .join(" × ")
                    ))
                })?;
            for mut k in 0..n {
                let mut pt = vec![
                    Assign {
                        path: String::new(),
                        value: Value::Null
                    };
                    grid.len()
                ];
                for (a, p) in grid.iter().enumerate().rev() {
                    pt[a] = Assign {
                        path: p.path.clone(),
                        value: p.values[k % p.values.len()].clone(),
                    };
                    k /= p.values.len();
                }
                points.push(pt);
            }
        }
        points.extend(listed);
        for a in set.iter().chain(points.iter().flatten()) {
            if matches!(a.path.as_str(), "seed" | "trials") {
                return Err(SweepError::Plan(format!(
                    "`{}` is set by the sweep (each point's seed derives from the sweep seed; every point runs the sweep's trials): use --seed or --trials",
                    a.path
                )));
            }
        }
        for (i, p) in grid.iter().enumerate() {
            if matches!(p.path.as_str(), "seed" | "trials") {
                return Err(SweepError::Plan(format!(
                    "`{}` is set by the sweep (each point's seed derives from the sweep seed; every point runs the sweep's trials): use --seed or --trials",
                    p.path
                )));
            }
            if grid[..i].iter().any(|q| q.path == p.path) {
                return Err(SweepError::Plan(format!(
                    "parameter `{}` is on two grid axes; give its values once",
                    p.path
                )));
            }
        }
        if points.is_empty() {
            return Err(SweepError::Plan(
                "the sweep has no points: give grid parameters (--param PATH=V1,V2,…) or points"
                    .into(),
            ));
        }
        if trials == 0 {
            return Err(SweepError::Plan("trials must be at least 1".into()));
        }
        Ok(Plan {
            set,
            axes: grid,
            points,
            trials,
            seed,
        })
    }

    /// The configuration of point `k`: `base` with the fixed overrides and the point's values,
    /// its seed (`rng::derive(seed, [k])`) and the plan's trials, checked.
    pub fn config(&self, base: &RunConfig, k: usize) -> Result<RunConfig, SweepError> {
        let mut c = base.clone();
        for a in self.set.iter().chain(&self.points[k]) {
            c.set(&a.path, &a.value)?;
        }
        c.seed = crate::rng::derive(self.seed, &[k as u64]);
        c.trials = self.trials;
        let invalid = |reason: String| SweepError::InvalidPoint {
            point: k,
            params: describe_point(&self.points[k]),
            reason,
        };
        c.check().map_err(|e| invalid(e.to_string()))?;
        if c.mode == Mode::Chip && c.times.len() != 1 {
            return Err(invalid(format!(
                "the configuration runs {} times after programming ({}) and a sweep point runs one: \
                 set one (--set time=1s) or sweep them (--param time=…)",
                c.times.len(),
                c.times
                    .iter()
                    .map(|t| t.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if c.attribution {
            return Err(invalid(
                "`attribution` is not a sweep result: sweep the `effects.*` switches instead"
                    .into(),
            ));
        }
        if c.mode == Mode::Ideal
            && let Some(a) = self
                .set
                .iter()
                .chain(&self.points[k])
                .find(|a| chip_only(&a.path))
        {
            return Err(invalid(format!(
                "`{}` has no effect in ideal mode: set mode=chip (or name a chip in the netlist)",
                a.path
            )));
        }
        Ok(c)
    }

    /// Apply every point's assignments to `base` (unknown paths and wrongly typed values are
    /// errors), before any point is checked as a whole.
    pub fn check_assignments(&self, base: &RunConfig) -> Result<(), SweepError> {
        for k in 0..self.points.len() {
            let mut c = base.clone();
            for a in self.set.iter().chain(&self.points[k]) {
                c.set(&a.path, &a.value)?;
            }
        }
        Ok(())
    }

    /// Number of units (points × trials).
    pub fn units(&self) -> usize {
        self.points.len() * self.trials
    }

    /// The distinct parameter paths of the points, in first-seen order (the CSV columns).
    pub fn columns(&self) -> Vec<String> {
        let mut cols: Vec<String> = Vec::new();
        for a in self.points.iter().flatten() {
            if !cols.contains(&a.path) {
                cols.push(a.path.clone());
            }
        }
        cols
    }
}

/// Most points one sweep may hold (grid and listed points together).
pub const MAX_POINTS: usize = 1_000_000;

/// Paths that only change a chip-mode run.
fn chip_only(path: &str) -> bool {
    let head = path.split('.').next().unwrap_or(path);
    matches!(
        head,
        "chip" | "card" | "device" | "crossbar" | "time" | "times" | "compensation" | "effects"
    )
}

fn describe_point(p: &[Assign]) -> String {
    p.iter()
        .map(|a| format!("{}={}", a.path, a.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which points of a plan a run covers: point `k` belongs to shard `index` of `count` when
/// `k mod count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard (0-based).
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parse `i/n` (0 ≤ i < n).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("bad shard `{s}`: expected i/n, e.g. 0/4"))?;
        let (index, count) = (
            i.trim()
                .parse::<usize>()
                .map_err(|_| format!("bad shard `{s}`: i is not a number"))?,
            n.trim()
                .parse::<usize>()
                .map_err(|_| format!("bad shard `{s}`: n is not a number"))?,
        );
        if count == 0 || index >= count {
            return Err(format!("bad shard `{s}`: need 0 ≤ i < n"));
        }
        Ok(Shard { index, count })
    }

    /// Whether point `k` is in this shard.
    pub fn contains(&self, k: usize) -> bool {
        k % self.count == self.index
    }
}

/// The manifest of an output folder (`sweep.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The netlist swept.
    pub netlist: String,
    /// The base configuration (before overrides).
    pub base: RunConfig,
    /// The plan.
    pub plan: Plan,
    /// The shard this folder holds (`None` = every point).
    pub shard: Option<Shard>,
}

/// The result of one unit (one line of `results.jsonl`, one row of `results.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Point index.
    pub point: usize,
    /// Trial.
    pub trial: usize,
    /// The point's seed (`rng::derive(sweep seed, [point])`).
    pub seed: u64,
    /// The point's parameter values, by path.
    pub params: BTreeMap<String, Value>,
    /// Classification accuracy on the samples.
    pub accuracy: f64,
    /// Samples run.
    pub samples: usize,
    /// The full configuration of the point (`memsnn emulate` with it and `--trials` reproduces
    /// the trial's accuracy).
    pub config: RunConfig,
}

/// Run one unit: point configuration `cfg`, trial `trial`, on the current rayon pool, one
/// thread. Returns the accuracy at the point's time.
pub fn run_unit(inputs: &Arc<Inputs>, cfg: &RunConfig, trial: u64) -> Result<f64, crate::Error> {
    let exp = Experiment::with_inputs(cfg.clone(), inputs.clone())?;
    Ok(exp.run_trial(trial, &())?.accuracy[0])
}

/// What a sweep adds to its spec file (the command line's or Python's options).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Fixed overrides after the spec's `set`.
    pub set: Vec<Assign>,
    /// Grid axes after the spec's `grid`.
    pub grid: Vec<Param>,
    /// Trials per point instead of the spec's.
    pub trials: Option<usize>,
    /// Sweep seed instead of the spec's.
    pub seed: Option<u64>,
    /// Samples of every point (the first ones of the data set) instead of the netlist's.
    pub samples: Option<usize>,
    /// Run only this shard's points.
    pub shard: Option<Shard>,
}

/// Build the manifest of `spec` with `over` applied, check every point (unknown paths, wrong
/// types, bad values), and load the network and the data every point needs, once.
pub fn prepare(spec: &SweepSpec, over: Overrides) -> Result<(Manifest, Arc<Inputs>), crate::Error> {
    let mut base = RunConfig::from_netlist(&spec.netlist)?;
    if let Some(n) = over.samples {
        if n == 0 {
            return Err(SweepError::Plan("samples must be at least 1".into()).into());
        }
        base.samples = Some(n);
    }
    let mut set = spec.set.clone();
    set.extend(over.set);
    let mut grid = spec.grid.clone();
    grid.extend(over.grid);
    let trials = over.trials.unwrap_or(spec.trials);
    if trials == 0 {
        return Err(SweepError::Plan("trials must be at least 1".into()).into());
    }
    let plan = Plan::new(
        set,
        grid,
        spec.points.clone(),
        trials,
        over.seed.unwrap_or(spec.seed),
    )?;
    plan.check_assignments(&base)?;
    let configs: Vec<RunConfig> = (0..plan.points.len())
        .map(|k| plan.config(&base, k))
        .collect::<Result<_, _>>()?;
    let mut load = base.clone();
    load.samples = configs
        .iter()
        .map(|c| c.samples)
        .try_fold(0usize, |m, s| s.map(|s| m.max(s)));
    let inputs = Arc::new(Inputs::load(&load)?);
    if base.samples.is_none() {
        base.samples = Some(inputs.data.len());
    }
    let manifest = Manifest {
        netlist: std::path::absolute(&spec.netlist)
            .unwrap_or(spec.netlist.clone())
            .display()
            .to_string(),
        base,
        plan,
        shard: over.shard,
    };
    Ok((manifest, inputs))
}

/// Options of [`run`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RunControl {
    /// Run only this shard's points.
    pub shard: Option<Shard>,
    /// Compute at most this many of the missing units, then stop (a deliberate interruption;
    /// the files are left as a killed run leaves them, unsorted).
    pub limit: Option<usize>,
    /// When another process holds the folder's lock, wait for it instead of failing.
    pub wait: bool,
}

/// What [`run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Units of this shard.
    pub units: usize,
    /// Units found finished in the folder.
    pub skipped: usize,
    /// Units computed now.
    pub computed: usize,
}

/// File names inside an output folder.
pub const MANIFEST: &str = "sweep.json";
/// Results, one JSON object per line.
pub const JSONL: &str = "results.jsonl";
/// Results as CSV.
pub const CSV: &str = "results.csv";

/// Progress of [`run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The run starts: `todo` units to compute, `skipped` found finished.
    Start {
        /// Units to compute now.
        todo: usize,
        /// Units already in the folder.
        skipped: usize,
    },
    /// One unit finished.
    Unit,
}

/// Run the units of `manifest` missing from `out` (created if needed), in parallel on the
/// current rayon pool; `progress` hears the start and every finished unit.
pub fn run(
    inputs: &Arc<Inputs>,
    manifest: &Manifest,
    out: &Path,
    control: RunControl,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<RunSummary, crate::Error> {
    let plan = &manifest.plan;
    plan.check_assignments(&manifest.base)?;
    let configs: Vec<RunConfig> = (0..plan.points.len())
        .map(|k| plan.config(&manifest.base, k))
        .collect::<Result<_, _>>()?;
    let have = inputs.data.len();
    if let Some(n) = configs.iter().map(|c| c.samples.unwrap_or(have)).max()
        && n > have
    {
        return Err(SweepError::Plan(format!(
            "a point runs {n} samples but the data set has {have}"
        ))
        .into());
    }
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let _lock = lock(out, control.wait)?;
    let mpath = out.join(MANIFEST);
    let text = serde_json::to_vec_pretty(manifest).expect("serialisable");
    if mpath.exists() {
        let old = std::fs::read(&mpath).map_err(io_err(&mpath))?;
        if old != text {
            return Err(SweepError::Output {
                path: mpath,
                reason: "the folder holds a different sweep (netlist, configuration, points, \
                         trials, seed or shard differ); use another --out folder"
                    .into(),
            }
            .into());
        }
    } else {
        write_atomic(&mpath, text)?;
    }
    let mut records = read_records(&out.join(JSONL), manifest)?;
    // Rewrite sorted (drops a line cut by a kill, re-syncs the CSV), then append.
    write_results(out, plan, &mut records)?;
    let done: std::collections::HashSet<(usize, usize)> =
        records.iter().map(|r| (r.point, r.trial)).collect();
    let all: Vec<(usize, usize)> = (0..plan.points.len())
        .filter(|&k| manifest.shard.is_none_or(|s| s.contains(k)))
        .flat_map(|k| (0..plan.trials).map(move |t| (k, t)))
        .collect();
    let units = all.len();
    let mut todo: Vec<(usize, usize)> = all.into_iter().filter(|u| !done.contains(u)).collect();
    let skipped = units - todo.len();
    if let Some(l) = control.limit {
        todo.truncate(l);
    }
    progress(Progress::Start {
        todo: todo.len(),
        skipped,
    });
    let cols = plan.columns();
    let open = |name: &str| -> Result<std::fs::File, SweepError> {
        let p = out.join(name);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .map_err(io_err(&p))
    };
    let files = Mutex::new((open(JSONL)?, open(CSV)?));
    let unit = |&(k, t): &(usize, usize)| -> Result<(), crate::Error> {
        // A stop request ends the sweep between units; finished units stay recorded.
        crate::cancel::check()?;
        let accuracy = run_unit(inputs, &configs[k], t as u64)?;
        let rec = Record {
            point: k,
            trial: t,
            seed: configs[k].seed,
            params: plan.points[k]
                .iter()
                .map(|a| (a.path.clone(), a.value.clone()))
                .collect(),
            accuracy,
            samples: configs[k].samples.unwrap_or(have),
            config: configs[k].clone(),
        };
        let line = json_line(&rec);
        let row = csv_row(&rec, &cols);
        let mut f = files.lock().expect("no panics while holding the lock");
        f.0.write_all(line.as_bytes())
            .and_then(|()| f.0.flush())
            .map_err(io_err(&out.join(JSONL)))?;
        f.1.write_all(row.as_bytes())
            .and_then(|()| f.1.flush())
            .map_err(io_err(&out.join(CSV)))?;
        drop(f);
        progress(Progress::Unit);
        Ok(())
    };
    // One unit per worker at a time, each on its own one-thread pool: a rayon worker waiting
    // for a nested pool would steal further units and start them all at once (memory for
    // every unit's chip, none finishing until the end), so the workers are plain threads
    // taking the next unit from a shared counter.
    let workers = rayon::current_num_threads().clamp(1, todo.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failure: Mutex<Option<crate::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let fail = |e: crate::Error| {
                    let mut f = failure.lock().expect("no panics while holding the lock");
                    f.get_or_insert(e);
                };
                let pool = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                    Ok(p) => p,
                    Err(e) => {
                        let why = format!("cannot start a worker thread: {e}");
                        return fail(ExperimentError::invalid("threads", why).into());
                    }
                };
                loop {
                    if failure
                        .lock()
                        .expect("no panics while holding the lock")
                        .is_some()
                    {
                        return;
                    }
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(u) = todo.get(i) else { return };
                    if let Err(e) = pool.install(|| unit(u)) {
                        return fail(e);
                    }
                }
            });
        }
    });
    if let Some(e) = failure
        .into_inner()
        .expect("no panics while holding the lock")
    {
        return Err(e);
    }
    drop(files);
    if control.limit.is_none() {
        let mut records = read_records(&out.join(JSONL), manifest)?;
        write_results(out, plan, &mut records)?;
    }
    Ok(RunSummary {
        units,
        skipped,
        computed: todo.len(),
    })
}

/// The advisory lock file of an output folder: one `memsnn sweep` writes into a folder at a
/// time; the lock goes with the returned file (also when the process is killed).
pub const LOCK: &str = ".lock";

/// Take the folder's lock: fail at once when another process holds it, or wait for it.
fn lock(out: &Path, wait: bool) -> Result<std::fs::File, SweepError> {
    let p = out.join(LOCK);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(io_err(&p))?;
    if wait {
        f.lock().map_err(io_err(&p))?;
        return Ok(f);
    }
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(SweepError::Output {
            path: out.to_path_buf(),
            reason: "another memsnn sweep is writing into this folder; wait for it to end \
                     (or pass --wait), or use another --out"
                .into(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err(&p)(e)),
    }
}

fn json_line(r: &Record) -> String {
    let mut s = serde_json::to_string(r).expect("serialisable");
    s.push('\n');
    s
}

/// A value as a CSV cell (strings unquoted unless they hold a comma or quote).
fn cell(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_header(cols: &[String]) -> String {
    let mut h = vec!["point".to_string(), "trial".into(), "seed".into()];
    h.extend(cols.iter().cloned());
    h.extend(["accuracy".into(), "samples".into()]);
    h.join(",") + "\n"
}

fn csv_row(r: &Record, cols: &[String]) -> String {
    let mut row = vec![r.point.to_string(), r.trial.to_string(), r.seed.to_string()];
    row.extend(
        cols.iter()
            .map(|c| r.params.get(c).map(cell).unwrap_or_default()),
    );
    row.push(format!("{}", r.accuracy));
    row.push(r.samples.to_string());
    row.join(",") + "\n"
}

/// Write `bytes` to `path` through a temporary sibling ([`output::write_atomic`](crate::output::write_atomic)).
fn write_atomic(path: &Path, bytes: Vec<u8>) -> Result<(), SweepError> {
    crate::output::write_atomic(path, |tmp| std::fs::write(tmp, bytes)).map_err(io_err(path))
}

/// Sort `records` by (point, trial) and write both result files atomically.
pub fn write_results(out: &Path, plan: &Plan, records: &mut [Record]) -> Result<(), SweepError> {
    records.sort_by_key(|r| (r.point, r.trial));
    let cols = plan.columns();
    let mut jsonl = String::new();
    let mut csv = csv_header(&cols);
    for r in records.iter() {
        jsonl.push_str(&json_line(r));
        csv.push_str(&csv_row(r, &cols));
    }
    write_atomic(&out.join(JSONL), jsonl.into_bytes())?;
    write_atomic(&out.join(CSV), csv.into_bytes())
}

/// Read a manifest.
pub fn read_manifest(path: &Path) -> Result<Manifest, SweepError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|e| SweepError::Output {
        path: path.to_path_buf(),
        reason: format!("not a sweep manifest: {e}"),
    })
}

/// Read the records of a results file (missing file = none). A last line without its newline
/// (cut by a kill) is dropped; any other unreadable line, or a record that does not belong
/// to `manifest`, is an error naming the line. Duplicates keep the first.
pub fn read_records(path: &Path, manifest: &Manifest) -> Result<Vec<Record>, SweepError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| SweepError::Output {
            path: path.to_path_buf(),
            reason: format!("line {}: {reason}", i + 1),
        };
        let r: Record = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let plan = &manifest.plan;
        let belongs = r.point < plan.points.len()
            && r.trial < plan.trials
            && manifest.shard.is_none_or(|s| s.contains(r.point))
            && r.params
                == plan.points[r.point]
                    .iter()
                    .map(|a| (a.path.clone(), a.value.clone()))
                    .collect::<BTreeMap<_, _>>();
        if !belongs {
            return Err(bad(format!(
                "point {} trial {} does not belong to this sweep",
                r.point, r.trial
            )));
        }
        // An accuracy is a count of correct samples over `samples`: anything else was edited.
        let hits = r.accuracy * r.samples as f64;
        let plausible = r.samples > 0
            && (0.0..=1.0).contains(&r.accuracy)
            && (hits - hits.round()).abs() <= 1e-6 * r.samples as f64;
        if !plausible {
            return Err(bad(format!(
                "point {} trial {}: accuracy {} over {} samples is not a fraction of correct samples; \
                 the file was changed by hand — delete the line (or the folder) and re-run",
                r.point, r.trial, r.accuracy, r.samples
            )));
        }
        if seen.insert((r.point, r.trial)) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Join shard folders into `out`: the manifests must agree (but for the shard), records are
/// de-duplicated, and a unit present in two shards with different results is an error.
/// Returns the number of records and of missing units.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<(Manifest, usize, usize), SweepError> {
    let Some(first) = shards.first() else {
        return Err(SweepError::Plan(
            "merge needs at least one shard folder".into(),
        ));
    };
    let m0 = read_manifest(&first.join(MANIFEST))?;
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(s) = shards.iter().find(|s| same(s, out)) {
        return Err(SweepError::Output {
            path: s.clone(),
            reason: "the merge output is one of the shard folders; merge into a new folder".into(),
        });
    }
    if let Ok(m) = read_manifest(&out.join(MANIFEST))
        && m.shard.is_some()
    {
        return Err(SweepError::Output {
            path: out.to_path_buf(),
            reason: "this folder holds a shard of a sweep; merge into a new folder".into(),
        });
    }
    let mut all: BTreeMap<(usize, usize), (Record, PathBuf)> = BTreeMap::new();
    for dir in shards {
        let m = read_manifest(&dir.join(MANIFEST))?;
        if (Manifest {
            shard: None,
            ..m.clone()
        }) != (Manifest {
            shard: None,
            ..m0.clone()
        }) {
            return Err(SweepError::Output {
                path: dir.join(MANIFEST),
                reason: format!(
                    "a different sweep than {} (netlist, configuration, points, trials or seed differ)",
                    first.join(MANIFEST).display()
                ),
            });
        }
        for r in read_records(&dir.join(JSONL), &m)? {
            match all.get(&(r.point, r.trial)) {
                Some((old, from)) if *old != r => {
                    return Err(SweepError::Output {
                        path: dir.join(JSONL),
                        reason: format!(
                            "point {} trial {} conflicts with {} (accuracy {} vs {})",
                            r.point,
                            r.trial,
                            from.display(),
                            r.accuracy,
                            old.accuracy
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    all.insert((r.point, r.trial), (r, dir.join(JSONL)));
                }
            }
        }
    }
    let manifest = Manifest { shard: None, ..m0 };
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let _lock = lock(out, false)?;
    write_atomic(
        &out.join(MANIFEST),
        serde_json::to_vec_pretty(&manifest).expect("serialisable"),
    )?;
    let mut records: Vec<Record> = all.into_values().map(|(r, _)| r).collect();
    write_results(out, &manifest.plan, &mut records)?;
    let missing = manifest.plan.units() - records.len();
    Ok((manifest, records.len(), missing))
}
