//! `memsnn emulate`: run a network on a data set, in ideal (software) mode or on a chip of
//! memristor crossbars, and report accuracy, attribution, resources, energy and latency.
//!
//! Parse → configuration ([`RunConfig`]) → validation ([`Experiment::new`]) → run → render.

use crate::common::{Outputs, Progress};
use anyhow::{Context, bail};
use clap::Args;
use memsnn::crossbar::Compensation;
use memsnn::device::statistics::Levels;
use memsnn::encode::Encoding;
use memsnn::experiment::{DataConfig, Experiment, Mode, Par, Report, RunConfig, TimePoint};
use memsnn::network::NetworkSpec;
use memsnn::neuron::Reset;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The netlist `memsnn emulate`, `map` and `sweep` use when given none.
pub const DEFAULT_NETLIST: &str = "netlists/mnist-mlp/netlist.ron";

/// Sample-step-synapse operations above which a run needs `--force` (about an hour here).
pub const WORK_LIMIT: f64 = 2e12;

/// Run a trained SNN on a data set and report its accuracy and per-layer activity.
///
/// The network comes from a netlist (default `netlists/mnist-mlp/netlist.ron`) or from
/// `--network FILE.nir --data IMAGES --labels LABELS`; options override the netlist.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Netlist (RON) to run. Default: netlists/mnist-mlp/netlist.ron.
    #[arg(conflicts_with = "network")]
    pub netlist: Option<PathBuf>,
    /// Ideal (software) mode: no devices, no chip limits (the default when neither the netlist
    /// nor --chip names a chip). Chip options are refused in this mode.
    #[arg(long, conflicts_with = "chip")]
    pub ideal: bool,
    /// Chip: truenorth, loihi or a chip RON file [netlist].
    #[arg(long, value_name = "NAME|FILE")]
    pub chip: Option<String>,
    /// Device card: pcm, rram-wan, ideal, … or a card RON file [netlist, else ideal].
    #[arg(long, value_name = "CARD")]
    pub device: Option<String>,
    /// Times after programming, comma-separated, units s/min/h/d/y [netlist, else 1s].
    #[arg(long = "time", value_name = "T,…", value_delimiter = ',')]
    pub times: Option<Vec<String>>,
    /// Independently programmed chips to average over [netlist, else 5].
    #[arg(long, value_name = "K")]
    pub trials: Option<usize>,
    /// Drift compensation: none, global or column [netlist, else none].
    #[arg(long, value_parser = parse_compensation)]
    pub compensation: Option<Compensation>,
    /// Also report the accuracy after each cumulative stage of non-idealities (at the last time).
    #[arg(long)]
    pub attribution: bool,
    /// Uniform conductance levels replacing the card's [netlist].
    #[arg(long, value_name = "N")]
    pub levels: Option<u32>,
    /// ADC bits of every core, replacing the chip's (2..=24).
    #[arg(long, value_name = "B")]
    pub adc_bits: Option<u32>,
    /// Wire resistance between adjacent crossbar cells [Ω] [netlist, else 0].
    #[arg(long, value_name = "OHM")]
    pub r_wire: Option<f64>,
    /// Physical crossbar subarrays of every core: ROWSxCOLS (e.g. 256x256), N (N×N) or none
    /// (one array per core), replacing the chip's `core.subarray` [chip's].
    #[arg(long, value_name = "RxC", value_parser = crate::common::parse_subarray)]
    pub subarray: Option<crate::common::SubarrayArg>,
    /// How convolutions are laid out: unrolled (a neuron and synapses per output position,
    /// TrueNorth/Loihi) or shared (weight-stationary: one kernel crossbar read per position,
    /// as analog accelerators do) [chip's `conv`, else unrolled].
    #[arg(long, value_name = "MAPPING", value_parser = crate::common::parse_conv_mapping)]
    pub conv_mapping: Option<memsnn::chip::ConvMapping>,
    /// Switch off conductance levels.
    #[arg(long)]
    pub no_levels: bool,
    /// Switch off programming noise, stuck-at faults and device-to-device variation.
    #[arg(long)]
    pub no_programming_noise: bool,
    /// Switch off drift.
    #[arg(long)]
    pub no_drift: bool,
    /// Switch off 1/f and per-read noise.
    #[arg(long)]
    pub no_read_noise: bool,
    /// Switch off wire resistance.
    #[arg(long)]
    pub no_wire: bool,
    /// Switch off the ADC and DAC.
    #[arg(long)]
    pub no_adc: bool,
    /// Same-step delivery (switch off the chip's inter-layer latency).
    #[arg(long)]
    pub same_step: bool,
    /// Neuron arithmetic: float or loihi-fixed (Loihi-style fixed-point CUBA LIF, 12-bit
    /// decays, 24-bit integer state), in either mode [chip's `fixed_point_neurons`, else float].
    #[arg(long, value_name = "MODEL")]
    pub neurons: Option<memsnn::neuron::NeuronModel>,
    /// NIR network file (instead of a netlist); needs --data and --labels.
    #[arg(long, value_name = "FILE.nir", requires_all = ["data", "labels"])]
    pub network: Option<PathBuf>,
    /// Images: IDX (raw or .gz, any number of dimensions) or .npy [N, …] (uint8 ÷ 255, floats as
    /// stored), replacing the netlist's.
    #[arg(long, value_name = "IMAGES", requires = "labels")]
    pub data: Option<PathBuf>,
    /// Labels: IDX (raw or .gz) or .npy [N] of integers, replacing the netlist's.
    #[arg(long, value_name = "LABELS", requires = "data")]
    pub labels: Option<PathBuf>,
    /// Timesteps per sample [netlist, else 25].
    #[arg(long, value_name = "T")]
    pub timesteps: Option<usize>,
    /// Time step in seconds [netlist, else 1e-4].
    #[arg(long, value_name = "S")]
    pub dt: Option<f64>,
    /// Reset mechanism: zero or subtract [netlist, else zero].
    #[arg(long)]
    pub reset: Option<Reset>,
    /// Discrete-time semantics of the training framework: snntorch, norse, sinabs, rockpool,
    /// spyx, nir, nir-exact [netlist, else snntorch] (`memsnn import FILE` suggests one).
    #[arg(long, value_name = "NAME")]
    pub semantics: Option<memsnn::neuron::Semantics>,
    /// Input encoding: direct, poisson (1000 Hz), bernoulli (gain 1) or latency [netlist, else direct].
    #[arg(long, value_parser = parse_encoding)]
    pub encoding: Option<Encoding>,
    /// Run only the first N samples [netlist, else all].
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
    /// Seed of random encoders, programming and read noise [netlist, else 0].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Write the JSON report (resolved configuration, semantics, accuracy, activity) here.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    /// Write the output spike counts as int32 .npy here: `[samples, classes]` in ideal mode,
    /// `[trials, times, samples, classes]` on a chip.
    #[arg(long, value_name = "FILE.npy")]
    pub spike_counts: Option<PathBuf>,
    /// Run even when the estimated work exceeds the limit (about an hour on 2 cores).
    #[arg(long)]
    pub force: bool,
}

fn parse_compensation(s: &str) -> Result<Compensation, String> {
    Compensation::from_name(s)
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    Encoding::from_name(s).ok_or_else(|| {
        format!("unknown encoding `{s}` (expected direct, poisson, bernoulli or latency)")
    })
}

impl EmulateArgs {
    /// The options that only change a chip run, by flag, when given.
    fn chip_options(&self) -> Vec<&'static str> {
        let given = [
            ("--device", self.device.is_some()),
            ("--time", self.times.is_some()),
            ("--trials", self.trials.is_some()),
            ("--compensation", self.compensation.is_some()),
            ("--attribution", self.attribution),
            ("--levels", self.levels.is_some()),
            ("--adc-bits", self.adc_bits.is_some()),
            ("--r-wire", self.r_wire.is_some()),
            ("--subarray", self.subarray.is_some()),
            ("--conv-mapping", self.conv_mapping.is_some()),
            ("--no-levels", self.no_levels),
            ("--no-programming-noise", self.no_programming_noise),
            ("--no-drift", self.no_drift),
            ("--no-read-noise", self.no_read_noise),
            ("--no-wire", self.no_wire),
            ("--no-adc", self.no_adc),
            ("--same-step", self.same_step),
        ];
        given.iter().filter(|(_, g)| *g).map(|(f, _)| *f).collect()
    }
}

/// The netlist named by `path`, or the default one when run from the repository root.
pub fn netlist_path(path: Option<&Path>) -> anyhow::Result<PathBuf> {
    match path {
        // A bundled network's folder stands for its netlist.
        Some(p) if p.is_dir() && p.join("netlist.ron").is_file() => Ok(p.join("netlist.ron")),
        Some(p) => Ok(p.to_path_buf()),
        None if Path::new(DEFAULT_NETLIST).exists() => Ok(PathBuf::from(DEFAULT_NETLIST)),
        None => bail!(
            "no netlist given and the default {DEFAULT_NETLIST} is not here: run from the \
             repository root, or name a netlist or --network FILE.nir"
        ),
    }
}

/// Build the run configuration: the netlist (or `--network`), then every option on top.
pub fn configure(args: &EmulateArgs) -> anyhow::Result<RunConfig> {
    let mut c = match &args.network {
        Some(net) => RunConfig::new(
            NetworkSpec::Nir(std::path::absolute(net).unwrap_or(net.clone())),
            DataConfig {
                images: PathBuf::new(),
                labels: PathBuf::new(),
            },
        )?,
        None => RunConfig::from_netlist(&netlist_path(args.netlist.as_deref())?)?,
    };
    if let (Some(i), Some(l)) = (&args.data, &args.labels) {
        c.data = DataConfig {
            images: i.clone(),
            labels: l.clone(),
        };
    }
    if args.ideal {
        c.mode = Mode::Ideal;
    }
    if let Some(chip) = &args.chip {
        c.set_chip(chip).with_context(|| format!("--chip {chip}"))?;
    }
    if c.mode == Mode::Ideal {
        let given = args.chip_options();
        if !given.is_empty() {
            bail!(
                "{} only change(s) a chip run, and this run is in ideal mode ({}): name a chip with --chip, or drop {}",
                given.join(", "),
                if args.ideal {
                    "--ideal"
                } else {
                    "no chip named"
                },
                if given.len() == 1 { "it" } else { "them" }
            );
        }
    }
    if let Some(d) = &args.device {
        c.set_card(d).with_context(|| format!("--device {d}"))?;
    }
    if let Some(n) = args.levels {
        if n < 2 {
            bail!("--levels must be at least 2, got {n}");
        }
        c.device.levels = Levels::Uniform(n);
    }
    if let Some(t) = &args.times {
        c.times = t
            .iter()
            .map(|s| TimePoint::parse(s))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("--time: {e}"))?;
    }
    if let Some(n) = args.trials {
        if n == 0 {
            bail!("--trials must be at least 1");
        }
        c.trials = n;
    }
    if let Some(comp) = args.compensation {
        c.compensation = comp;
    }
    c.attribution |= args.attribution;
    if let Some(b) = args.adc_bits {
        if !(2..=24).contains(&b) {
            bail!("--adc-bits {b}: an ADC has 2..=24 bits");
        }
        c.crossbar.adc_bits = Some(b);
    }
    if let Some(r) = args.r_wire {
        if !(r.is_finite() && r >= 0.0) {
            bail!("--r-wire {r}: a wire resistance is finite and ≥ 0 Ω");
        }
        c.crossbar.r_wire = r;
    }
    if args.subarray.is_some() || args.conv_mapping.is_some() {
        crate::common::apply_layout(&mut c, args.subarray, args.conv_mapping)?;
    }
    let e = &mut c.effects;
    e.levels &= !args.no_levels;
    e.programming &= !args.no_programming_noise;
    e.drift &= !args.no_drift;
    e.read_noise &= !args.no_read_noise;
    e.wire &= !args.no_wire;
    e.adc &= !args.no_adc;
    e.timing &= !args.same_step;
    if let Some(m) = args.neurons {
        c.neurons = Some(m);
    }
    if let Some(t) = args.timesteps {
        if t == 0 {
            bail!("--timesteps must be at least 1");
        }
        c.timesteps = t;
    }
    if let Some(dt) = args.dt {
        if !(dt.is_finite() && dt > 0.0) {
            bail!("--dt must be a positive number of seconds, got {dt}");
        }
        c.dt = dt;
    }
    if let Some(r) = args.reset {
        c.reset = r;
    }
    if let Some(sem) = args.semantics {
        c.semantics = sem;
    }
    if let Some(enc) = args.encoding {
        c.encoding = enc;
    }
    if let Some(n) = args.samples {
        if n == 0 {
            bail!("--samples must be at least 1");
        }
        c.samples = Some(n);
    }
    if let Some(s) = args.seed {
        c.seed = s;
    }
    Ok(c)
}

/// The files a run reads (outputs must not overwrite them).
pub fn input_files(c: &RunConfig) -> Vec<PathBuf> {
    let mut v = vec![c.data.images.clone(), c.data.labels.clone()];
    v.extend(c.netlist.clone());
    if let NetworkSpec::Nir(p) = &c.network {
        v.push(c.resolve(p));
    }
    v.push(c.chip.source.clone());
    v.retain(|p| !p.as_os_str().is_empty());
    v
}

/// Synaptic operations a run does at most (every connection active at every step), for the
/// work limit: `in × out` per fully connected layer, `outputs × C_in/groups × kh × kw` per
/// convolution.
fn work_estimate(exp: &Experiment) -> f64 {
    use memsnn::network::{NodeKind, numel};
    let g = &exp.inputs().graph;
    let weights: f64 = g
        .nodes
        .iter()
        .filter(|n| n.kind.is_synaptic())
        .map(|n| match &n.kind {
            NodeKind::Conv2d { weight, .. } => {
                let s = weight.shape();
                (numel(&n.output_shape) * s[1] * s[2] * s[3]) as f64
            }
            _ => (numel(&n.input_shape) * numel(&n.output_shape)) as f64,
        })
        .sum();
    exp.sample_runs() as f64 * exp.config().timesteps as f64 * weights.max(1.0)
}

/// Run `memsnn emulate`.
pub fn run(args: &EmulateArgs) -> anyhow::Result<()> {
    let par = Par::threads(args.threads).context("--threads")?;
    let config = configure(args)?;
    // Outputs are checked before anything runs.
    let inputs = input_files(&config);
    let mut outputs = Outputs::default();
    if let Some(p) = &args.report {
        outputs.plan("--report", p, &inputs)?;
    }
    if let Some(p) = &args.spike_counts {
        outputs.plan("--spike-counts", p, &inputs)?;
    }
    let exp = Experiment::new(config)?;
    for w in exp.warnings() {
        eprintln!("warning: {w}");
    }
    let work = work_estimate(&exp);
    if work > WORK_LIMIT && !args.force {
        bail!(
            "this run does about {work:.2e} synaptic operations ({} sample runs × {} steps), \
             more than the limit of {WORK_LIMIT:.0e} (about an hour on 2 cores): lower --samples, \
             --timesteps, --trials or --time, or pass --force",
            exp.sample_runs(),
            exp.config().timesteps
        );
    }
    let progress = Progress::new("sample runs");
    let start = Instant::now();
    let report = exp.run(par, &progress).with_context(|| {
        format!(
            "cannot run {} on {}",
            exp.config().network_display(),
            exp.config().data.images.display()
        )
    })?;
    let seconds = start.elapsed().as_secs_f64();
    progress.finish();
    let timing = memsnn::report::Timing {
        seconds,
        threads: par.thread_count(),
        sample_runs: exp.sample_runs(),
    };
    if let Some(p) = &args.report {
        outputs.stage(p, memsnn::report::to_json(&report));
    }
    if let Some(p) = &args.spike_counts {
        let mut bytes = Vec::new();
        let shape = match &report {
            Report::Ideal(r) => r.spike_counts.as_ref().map(|c| {
                ndarray_npy::WriteNpyExt::write_npy(c, &mut bytes).map(|()| c.shape().to_vec())
            }),
            Report::Chip(r) => r.spike_counts.as_ref().map(|c| {
                ndarray_npy::WriteNpyExt::write_npy(c, &mut bytes).map(|()| c.shape().to_vec())
            }),
        };
        let Some(shape) = shape else {
            bail!(
                "--spike-counts: the network's output is not a spike train (it is read as final membrane values); use --report"
            );
        };
        let shape = shape.context("cannot encode the spike counts")?;
        outputs.stage(p, bytes);
        print!("{}", memsnn::report::render(&report, &timing));
        outputs.commit()?;
        if let Some(r) = &args.report {
            println!("report: {}", r.display());
        }
        println!("spike counts: {} (int32 {shape:?})", p.display());
        return Ok(());
    }
    print!("{}", memsnn::report::render(&report, &timing));
    outputs.commit()?;
    if let Some(r) = &args.report {
        println!("report: {}", r.display());
    }
    Ok(())
}
