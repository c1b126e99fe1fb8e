//! The native module of the `memsnn` Python package (`memsnn._native`).
//!
//! Thin, like the CLI: Python arguments become a [`RunConfig`] and in-memory [`Inputs`] (a NIR
//! graph from bytes or a file, NumPy images and labels), [`Experiment::with_inputs`] validates
//! them, and [`Experiment::run`] runs with the GIL released; the report comes back as JSON and
//! the spike counts as a NumPy array. The pure-Python package (`python/memsnn/`) normalises the
//! arguments, wraps the results and documents the public API.
//!
//! Errors become `memsnn.Error` (a `ValueError`) carrying the message the CLI prints after
//! `error: `; a panic anywhere in a call becomes `memsnn.Error` too. While a run is going, the
//! calling thread wakes every 50 ms to let Python handle signals: Ctrl-C asks the run to stop
//! ([`memsnn::cancel::request`]; the engine checks it between chunks of samples) and raises
//! `KeyboardInterrupt` once it has.

use anyhow::Context;
use memsnn::crossbar::Compensation;
use memsnn::device::statistics::Levels;
use memsnn::encode::{Dataset, Encoding};
use memsnn::experiment::{
    DataConfig, Experiment, Inputs, Mode, Observer, Par, Report, RunConfig, TimePoint,
};
use memsnn::network::{NetworkSpec, parse_nir_bytes};
use memsnn::npy::NpyArray;
use ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyReadonlyArrayDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use serde::Deserialize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pyo3::create_exception!(
    _native,
    Error,
    PyValueError,
    "An invalid network, data set, configuration or device, with the message the memsnn CLI prints."
);

/// How a network given as bytes is named in messages and reports.
const MEMORY_NIR: &str = "<in-memory NIR>";

/// A memsnn error (with its causes, as the CLI prints them) as `memsnn.Error`.
fn error(e: impl Into<anyhow::Error>) -> PyErr {
    Error::new_err(format!("{:#}", e.into()))
}

/// A panic's message as `memsnn.Error`.
fn panicked(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Error::new_err(format!("internal error (please report it): {msg}"))
}

/// Run `f` with the GIL released; a panic becomes `memsnn.Error`.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panicked(p))))
}

/// A chip or device card: a built-in name or file, or the fields of its RON file as JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Named {
    Name(String),
    Json(String),
}

/// What `memsnn.emulate` passes besides the network and the arrays (see its docstring).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmulateOptions {
    timesteps: usize,
    dt: f64,
    reset: String,
    encoding: serde_json::Value,
    semantics: String,
    chip: Option<Named>,
    device: Option<Named>,
    times: Option<Vec<serde_json::Value>>,
    trials: Option<usize>,
    compensation: Option<String>,
    attribution: bool,
    seed: u64,
    threads: Option<usize>,
    neurons: Option<String>,
    levels: Option<u32>,
    adc_bits: Option<u32>,
    r_wire: Option<f64>,
}

impl EmulateOptions {
    /// The chip-only options given, by argument name.
    fn chip_options(&self) -> Vec<&'static str> {
        let given = [
            ("device", self.device.is_some()),
            ("times", self.times.is_some()),
            ("trials", self.trials.is_some_and(|t| t != 1)),
            ("compensation", self.compensation.is_some()),
            ("attribution", self.attribution),
            ("levels", self.levels.is_some()),
            ("adc_bits", self.adc_bits.is_some()),
            ("r_wire", self.r_wire.is_some()),
        ];
        given.iter().filter(|(_, g)| *g).map(|(f, _)| *f).collect()
    }
}

fn time_point(v: &serde_json::Value) -> anyhow::Result<TimePoint> {
    match v {
        serde_json::Value::String(s) => TimePoint::parse(s).map_err(|e| anyhow::anyhow!(e)),
        serde_json::Value::Number(n) => {
            let s = n.as_f64().unwrap_or(f64::NAN);
            anyhow::ensure!(
                s.is_finite() && s >= 0.0,
                "time {s} s must be finite and ≥ 0"
            );
            Ok(TimePoint::seconds(s))
        }
        other => anyhow::bail!("{other}: expected a time such as \"1d\" or a number of seconds"),
    }
}

/// Build the run configuration from the options, as `memsnn emulate` does from its flags.
fn configure(o: &EmulateOptions, network: NetworkSpec) -> anyhow::Result<RunConfig> {
    let mut c = RunConfig::new(
        network,
        DataConfig {
            images: PathBuf::from("images"),
            labels: PathBuf::from("labels"),
        },
    )?;
    match &o.chip {
        Some(Named::Name(n)) => c.set_chip(n).with_context(|| format!("chip={n:?}"))?,
        Some(Named::Json(text)) => {
            c.chip = memsnn::chip::ChipSpec::from_json(text, Path::new("<chip dict>"))?;
            c.mode = Mode::Chip;
        }
        None => {}
    }
    if c.mode == Mode::Ideal {
        let given = o.chip_options();
        anyhow::ensure!(
            given.is_empty(),
            "{} only change(s) a chip run, and this run is in ideal mode (no chip named): name a chip with chip=…, or drop {}",
            given.join(", "),
            if given.len() == 1 { "it" } else { "them" }
        );
    }
    match &o.device {
        Some(Named::Name(n)) => c.set_card(n).with_context(|| format!("device={n:?}"))?,
        Some(Named::Json(text)) => {
            let card = memsnn::device::DeviceCard::from_json(text, Path::new("<device dict>"))?;
            c.card = card.name;
            c.device = card.statistics;
        }
        None => {}
    }
    if let Some(n) = o.levels {
        anyhow::ensure!(n >= 2, "levels must be at least 2, got {n}");
        c.device.levels = Levels::Uniform(n);
    }
    if let Some(t) = &o.times {
        c.times = t
            .iter()
            .map(time_point)
            .collect::<anyhow::Result<_>>()
            .context("times")?;
    }
    if let Some(n) = o.trials {
        c.trials = n;
    }
    if let Some(comp) = &o.compensation {
        c.compensation = Compensation::from_name(comp).map_err(|e| anyhow::anyhow!(e))?;
    }
    c.attribution = o.attribution;
    if let Some(b) = o.adc_bits {
        anyhow::ensure!(
            (2..=24).contains(&b),
            "adc_bits={b}: an ADC has 2..=24 bits"
        );
        c.crossbar.adc_bits = Some(b);
    }
    if let Some(r) = o.r_wire {
        c.crossbar.r_wire = r;
    }
    if let Some(m) = &o.neurons {
        c.neurons = Some(m.parse().map_err(|e: String| anyhow::anyhow!(e))?);
    }
    c.timesteps = o.timesteps;
    c.dt = o.dt;
    c.reset = o.reset.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    c.semantics = o
        .semantics
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    c.encoding = match &o.encoding {
        serde_json::Value::String(s) => Encoding::from_name(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown encoding `{s}` (expected direct, poisson, bernoulli or latency)"
            )
        })?,
        v => serde_json::from_value(v.clone()).context("encoding")?,
    };
    c.seed = o.seed;
    Ok(c)
}

/// A NumPy array (any layout) as an owned array of one of the element types memsnn reads;
/// other types are refused as the CLI refuses them in a `.npy` file.
fn to_npy(a: &Bound<'_, PyAny>, name: &str) -> PyResult<NpyArray> {
    macro_rules! as_type {
        ($($t:ty => $v:ident),*) => {$(
            if let Ok(r) = a.extract::<PyReadonlyArrayDyn<'_, $t>>() {
                let view = r.as_array();
                // A row-major array is copied as one slice.
                let owned = match r.as_slice() {
                    Ok(s) => ArrayD::from_shape_vec(view.raw_dim(), s.to_vec())
                        .expect("shape of the same array"),
                    Err(_) => view.to_owned(),
                };
                return Ok(NpyArray::$v(owned));
            }
        )*};
    }
    as_type!(u8 => U8, f32 => F32, f64 => F64, i64 => I64, i32 => I32, u16 => U16, i16 => I16,
        i8 => I8, u32 => U32, u64 => U64);
    let descr: String = a.getattr("dtype")?.getattr("str")?.extract()?;
    Err(Error::new_err(format!(
        "{name}: element type '{descr}' is not supported (expected uint8, float32, float64 or an integer type)"
    )))
}

/// Hears the run's progress and tells it to stop after Ctrl-C.
#[derive(Default)]
struct Watch {
    total: AtomicU64,
    done: AtomicU64,
}

impl Observer for Watch {
    fn start(&self, sample_runs: u64) {
        self.total.store(sample_runs, Ordering::Relaxed);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// Run `job` on its own thread while this one (GIL released) wakes every 50 ms to let Python
/// handle signals and to call `progress(done, total)` with what `job` reports to its
/// [`Watch`]. An exception there (Ctrl-C's `KeyboardInterrupt`) asks the job to stop
/// ([`memsnn::cancel`]) and is raised once it has stopped; a panic becomes `memsnn.Error`.
fn watched<T: Send>(
    py: Python<'_>,
    progress: Option<&Py<PyAny>>,
    job: impl FnOnce(&Watch) -> PyResult<T> + Send,
) -> PyResult<T> {
    let watch = Watch::default();
    memsnn::cancel::clear();
    let result = py.detach(|| {
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel();
            let watch = &watch;
            s.spawn(move || {
                let r = catch_unwind(AssertUnwindSafe(|| job(watch)));
                let _ = tx.send(r);
            });
            let mut raised: Option<PyErr> = None;
            loop {
                match rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(r) => {
                        if let Some(e) = raised {
                            return Err(e);
                        }
                        return r.unwrap_or_else(|p| Err(panicked(p)));
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) if raised.is_none() => {
                        let checked = Python::attach(|py| -> PyResult<()> {
                            py.check_signals()?;
                            if let Some(cb) = progress {
                                cb.call1(
                                    py,
                                    (
                                        watch.done.load(Ordering::Relaxed),
                                        watch.total.load(Ordering::Relaxed),
                                    ),
                                )?;
                            }
                            Ok(())
                        });
                        if let Err(e) = checked {
                            memsnn::cancel::request();
                            raised = Some(e);
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(Error::new_err("internal error: the run thread vanished"));
                    }
                }
            }
        })
    });
    memsnn::cancel::clear();
    result
}

/// Run `exp` with [`watched`].
fn run_watched(
    py: Python<'_>,
    exp: &Experiment,
    par: Par,
    progress: Option<&Py<PyAny>>,
) -> PyResult<Report> {
    watched(py, progress, |watch| {
        exp.run(par, watch).map_err(|e| {
            error(anyhow::Error::from(e).context(format!(
                "cannot run {} on {}",
                exp.config().network_display(),
                exp.config().data.images.display()
            )))
        })
    })
}

/// What `memsnn.sweep` passes besides the spec (see its docstring).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepOptions {
    out: Option<PathBuf>,
    set: Vec<(String, serde_json::Value)>,
    grid: Vec<(String, Vec<serde_json::Value>)>,
    trials: Option<usize>,
    seed: Option<u64>,
    samples: Option<usize>,
    shard: Option<String>,
    threads: Option<usize>,
}

/// `sweep(spec, options_json, progress=None)` → the results table as JSON
/// (`{"columns": [paths], "rows": [records]}`). `spec`: the path of a sweep spec file, or
/// `{"json": fields}` (the file's fields, the netlist relative to the working directory).
#[pyfunction]
#[pyo3(signature = (spec, options, progress=None))]
fn sweep(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    options: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    use memsnn::sweep::{Assign, Overrides, Param, RunControl, Shard, SweepSpec};
    let opts: SweepOptions =
        serde_json::from_str(options).map_err(|e| Error::new_err(format!("bad options: {e}")))?;
    let spec: SweepSpec = if let Ok(text) = spec.extract::<String>()
        && text.trim_start().starts_with('{')
    {
        let mut s: SweepSpec =
            serde_json::from_str(&text).map_err(|e| Error::new_err(format!("spec: {e}")))?;
        if s.netlist.as_os_str().is_empty() {
            return Err(Error::new_err(
                "spec: field `netlist`: missing: name the netlist to sweep",
            ));
        }
        s.netlist = std::path::absolute(&s.netlist).unwrap_or(s.netlist);
        s
    } else {
        let p: PathBuf = spec
            .extract()
            .map_err(|_| Error::new_err("spec: expected a sweep spec path or dict"))?;
        SweepSpec::read(&p).map_err(error)?
    };
    let shard = match &opts.shard {
        Some(t) => Some(Shard::parse(t).map_err(|e| Error::new_err(format!("shard: {e}")))?),
        None => None,
    };
    let par = Par::threads(opts.threads).map_err(error)?;
    let over = Overrides {
        set: opts
            .set
            .into_iter()
            .map(|(path, value)| Assign { path, value })
            .collect(),
        grid: opts
            .grid
            .into_iter()
            .map(|(path, values)| Param { path, values })
            .collect(),
        trials: opts.trials,
        seed: opts.seed,
        samples: opts.samples,
        shard,
    };
    let (manifest, inputs) = detached(py, move || {
        memsnn::sweep::prepare(&spec, over).map_err(error)
    })?;
    let (out, temporary) = match opts.out {
        Some(o) => (o, false),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let dir =
                std::env::temp_dir().join(format!("memsnn-sweep-{}-{nanos}", std::process::id()));
            (dir, true)
        }
    };
    let result = watched(py, progress.as_ref(), |watch| {
        let run = par.install(|| {
            memsnn::sweep::run(
                &inputs,
                &manifest,
                &out,
                RunControl {
                    shard: manifest.shard,
                    limit: None,
                    wait: false,
                },
                &|p| match p {
                    memsnn::sweep::Progress::Start { todo, .. } => watch.start(todo as u64),
                    memsnn::sweep::Progress::Unit => watch.advance(1),
                },
            )
        });
        let summary = run.map_err(error)?.map_err(|e| {
            error(anyhow::Error::from(e).context(format!("sweep into {}", out.display())))
        })?;
        let _ = summary;
        let mut records = memsnn::sweep::read_records(&out.join(memsnn::sweep::JSONL), &manifest)
            .map_err(error)?;
        if !temporary {
            memsnn::sweep::write_results(&out, &manifest.plan, &mut records).map_err(error)?;
        }
        records.sort_by_key(|r| (r.point, r.trial));
        let rows: Vec<serde_json::Value> = records
            .iter()
            .map(|r| {
                serde_json::json!({
                    "point": r.point,
                    "trial": r.trial,
                    "seed": r.seed,
                    "params": r.params,
                    "accuracy": r.accuracy,
                    "samples": r.samples,
                })
            })
            .collect();
        Ok(serde_json::json!({"columns": manifest.plan.columns(), "rows": rows}).to_string())
    });
    if temporary {
        let _ = std::fs::remove_dir_all(&out);
    }
    result
}

/// A network argument: NIR file contents or a path.
enum Net {
    Bytes(Vec<u8>),
    Path(PathBuf),
}

fn network_arg(network: &Bound<'_, PyAny>) -> PyResult<Net> {
    if let Ok(b) = network.cast::<PyBytes>() {
        return Ok(Net::Bytes(b.as_bytes().to_vec()));
    }
    let p: PathBuf = network.extract().map_err(|_| {
        Error::new_err("network: expected an nir.NIRGraph, the bytes of a NIR file or a path")
    })?;
    Ok(Net::Path(p))
}

/// The network as a run configuration names it, and its checked graph.
fn load_network(net: Net) -> PyResult<(NetworkSpec, memsnn::network::Graph)> {
    Ok(match net {
        Net::Bytes(b) => {
            let name = PathBuf::from(MEMORY_NIR);
            let graph = parse_nir_bytes(b, &name).map_err(error)?.graph;
            (NetworkSpec::Nir(name), graph)
        }
        Net::Path(p) => {
            let spec = NetworkSpec::Nir(std::path::absolute(&p).unwrap_or(p));
            let graph = spec.load(Path::new("memsnn")).map_err(error)?;
            (spec, graph)
        }
    })
}

/// `emulate(network, images, labels, options_json, progress=None)` →
/// `(report_json, spike_counts or None, warnings)`. `network`: `bytes` of a NIR file or the
/// path of one; `labels`: `None` runs with zero labels (the caller ignores the accuracies).
#[pyfunction]
#[pyo3(signature = (network, images, labels, options, progress=None))]
fn emulate<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    images: &Bound<'py, PyAny>,
    labels: Option<&Bound<'py, PyAny>>,
    options: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let opts: EmulateOptions =
        serde_json::from_str(options).map_err(|e| Error::new_err(format!("bad options: {e}")))?;
    let net = network_arg(network)?;
    let images = to_npy(images, "images")?;
    let labels = match labels {
        Some(l) => to_npy(l, "labels")?,
        None => {
            let n = images.shape().first().copied().unwrap_or(0);
            NpyArray::U8(ArrayD::zeros(IxDyn(&[n])))
        }
    };
    let par = Par::threads(opts.threads).map_err(error)?;
    let (exp, warnings) = detached(py, move || {
        let (spec, graph) = load_network(net)?;
        let config = configure(&opts, spec).map_err(error)?;
        let data = Dataset::from_arrays(
            images,
            labels,
            Path::new("images"),
            Path::new("labels"),
            None,
        )
        .map_err(error)?;
        let exp =
            Experiment::with_inputs(config, Arc::new(Inputs { graph, data })).map_err(error)?;
        let warnings = exp.warnings().to_vec();
        Ok((exp, warnings))
    })?;
    let report = run_watched(py, &exp, par, progress.as_ref())?;
    let json = serde_json::to_string(&report).map_err(error)?;
    let counts = match report {
        Report::Ideal(r) => r.spike_counts.map(|c| c.into_dyn()),
        Report::Chip(r) => r.spike_counts.map(|c| c.into_dyn()),
    };
    let counts: Option<Bound<'py, PyAny>> = counts.map(|c| c.into_pyarray(py).into_any());
    PyTuple::new(
        py,
        [
            json.into_pyobject(py)?.into_any(),
            counts.into_pyobject(py)?.into_any(),
            warnings.into_pyobject(py)?.into_any(),
        ],
    )
}

/// A device card from a name, path or JSON (`Named` as JSON text).
fn card(named: &str) -> PyResult<memsnn::device::DeviceCard> {
    let named: Named =
        serde_json::from_str(named).map_err(|e| Error::new_err(format!("bad device: {e}")))?;
    match named {
        Named::Name(n) => memsnn::device::DeviceCard::resolve(&n).map_err(error),
        Named::Json(t) => {
            memsnn::device::DeviceCard::from_json(&t, Path::new("<device dict>")).map_err(error)
        }
    }
}

/// `iv(device_json, waveform, amplitude, frequencies, cycles)` → per frequency
/// `(freq_hz, t, v, i, x, loop_area, r_min, r_max, pinch_ratio)`, as `memsnn iv` computes
/// them (`None` keeps the card's drive setting).
#[pyfunction]
#[pyo3(signature = (device, waveform=None, amplitude=None, frequencies=None, cycles=None))]
fn iv<'py>(
    py: Python<'py>,
    device: &str,
    waveform: Option<&str>,
    amplitude: Option<f64>,
    frequencies: Option<Vec<f64>>,
    cycles: Option<u32>,
) -> PyResult<Vec<Bound<'py, PyTuple>>> {
    let card = card(device)?;
    let mut spec = card.iv.clone();
    if let Some(w) = waveform {
        spec.waveform = w.parse().map_err(|e: String| Error::new_err(e))?;
    }
    if let Some(a) = amplitude {
        spec.amplitude = a;
    }
    if let Some(f) = frequencies {
        spec.frequencies = f;
    }
    if let Some(c) = cycles {
        spec.cycles = c;
    }
    spec.validate()
        .map_err(|e| Error::new_err(format!("{}: {}", e.field, e.reason)))?;
    let loops = detached(py, || {
        let model = card.require_model().map_err(error)?;
        memsnn::device::simulate_iv(model, &spec).map_err(error)
    })?;
    loops
        .into_iter()
        .map(|l| {
            let (lo, hi) = l.r_range();
            let (area, pinch) = (l.loop_area(), l.pinch_ratio());
            let f = l.freq_hz;
            let arrays = [l.t_s, l.v_v, l.i_a, l.x].map(|v| v.into_pyarray(py).into_any());
            let [t, v, i, x] = arrays;
            PyTuple::new(
                py,
                [
                    f.into_pyobject(py)?.into_any(),
                    t,
                    v,
                    i,
                    x,
                    area.into_pyobject(py)?.into_any(),
                    lo.into_pyobject(py)?.into_any(),
                    hi.into_pyobject(py)?.into_any(),
                    pinch.into_pyobject(py)?.into_any(),
                ],
            )
        })
        .collect()
}

/// `device_stats(device_json, targets, times, n, seed)` → the JSON `memsnn device stats`
/// prints.
#[pyfunction]
#[pyo3(signature = (device, targets, times, n=200_000, seed=0))]
fn device_stats(
    py: Python<'_>,
    device: &str,
    targets: Vec<f64>,
    times: Vec<f64>,
    n: usize,
    seed: u64,
) -> PyResult<String> {
    let card = card(device)?;
    detached(py, move || {
        let results = card
            .statistics
            .summarise(&targets, &times, n, seed)
            .map_err(|e| {
                let opt = e.field.split('[').next().unwrap_or("").to_string();
                if ["targets", "times", "n"].contains(&opt.as_str()) {
                    Error::new_err(format!("{}: {}", e.field, e.reason))
                } else {
                    error(
                        anyhow::Error::new(e.within("statistics").in_file(&card.source))
                            .context(format!("device stats of card `{}`", card.name)),
                    )
                }
            })?;
        let json = serde_json::json!({
            "card": card.name,
            "source": card.source.display().to_string(),
            "n": n,
            "seed": seed,
            "results": results,
        });
        Ok(json.to_string())
    })
}

/// `map(network, chip_json, timesteps)` → JSON `{chip, resources, latency}`: the network
/// partitioned, placed and routed on the chip as a chip run maps it (`memsnn map`).
#[pyfunction]
#[pyo3(signature = (network, chip, timesteps=25))]
fn map(py: Python<'_>, network: &Bound<'_, PyAny>, chip: &str, timesteps: u64) -> PyResult<String> {
    let net = network_arg(network)?;
    let chip: Named =
        serde_json::from_str(chip).map_err(|e| Error::new_err(format!("bad chip: {e}")))?;
    detached(py, move || {
        let (spec, graph) = load_network(net)?;
        let mut c = RunConfig::new(
            spec,
            DataConfig {
                images: PathBuf::new(),
                labels: PathBuf::new(),
            },
        )
        .map_err(error)?;
        match chip {
            Named::Name(n) => c
                .set_chip(&n)
                .with_context(|| format!("chip={n:?}"))
                .map_err(error)?,
            Named::Json(t) => {
                c.chip = memsnn::chip::ChipSpec::from_json(&t, Path::new("<chip dict>"))
                    .map_err(error)?
            }
        }
        let plan = memsnn::experiment::plan_chip(&c, &graph).map_err(error)?;
        let core = &c.chip.core;
        let resources = memsnn::experiment::ResourceSummary::of(
            &plan.mapping,
            core.rows,
            core.cols,
            core.neurons,
        );
        let counters = memsnn::chip::Counters {
            samples: 1,
            timesteps,
            ..Default::default()
        };
        let json = serde_json::json!({
            "chip": c.chip.name,
            "resources": resources,
            "latency": c.chip.latency(&counters, &plan.mapping),
        });
        Ok(json.to_string())
    })
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(emulate, m)?)?;
    m.add_function(wrap_pyfunction!(iv, m)?)?;
    m.add_function(wrap_pyfunction!(device_stats, m)?)?;
    m.add_function(wrap_pyfunction!(map, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    Ok(())
}
