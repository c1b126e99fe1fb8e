//! `memsnn emulate`: run a network on a data set, in ideal (software) mode or on a chip of
//! memristor crossbars, and report accuracy, attribution, resources, energy and latency.

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use memsnn::crossbar::Compensation;
use memsnn::encode::{Dataset, Encoding};
use memsnn::network::{Netlist, NetworkSpec};
use memsnn::neuron::Reset;
use memsnn::report::{IdealConfig, IdealReport};
use memsnn::sim::Readout;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The netlist `memsnn emulate` runs when given none.
pub const DEFAULT_NETLIST: &str = "netlists/mnist-mlp/netlist.ron";

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
    /// nor --chip names a chip).
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
    /// Neuron arithmetic on the chip: float or loihi-fixed (Loihi-style fixed-point CUBA LIF,
    /// 12-bit decays, 24-bit integer state) [chip's `fixed_point_neurons`, else float].
    #[arg(long, value_name = "MODEL")]
    pub neurons: Option<memsnn::neuron::NeuronModel>,
    /// NIR network file (instead of a netlist); needs --data and --labels.
    #[arg(long, value_name = "FILE.nir", requires_all = ["data", "labels"])]
    pub network: Option<PathBuf>,
    /// IDX images (raw or .gz).
    #[arg(long, value_name = "IMAGES")]
    pub data: Option<PathBuf>,
    /// IDX labels (raw or .gz).
    #[arg(long, value_name = "LABELS")]
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
    /// Write the output spike counts as int32 `[samples, classes]` .npy here.
    #[arg(long, value_name = "FILE.npy")]
    pub spike_counts: Option<PathBuf>,
}

fn parse_compensation(s: &str) -> Result<Compensation, String> {
    match s {
        "none" => Ok(Compensation::None),
        "global" => Ok(Compensation::Global),
        "column" => Ok(Compensation::PerColumn),
        _ => Err(format!(
            "unknown compensation `{s}` (expected none, global or column)"
        )),
    }
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    Encoding::from_name(s).ok_or_else(|| {
        format!("unknown encoding `{s}` (expected direct, poisson, bernoulli or latency)")
    })
}

/// Merge netlist and options into a resolved configuration (and the netlist it came from).
fn resolve(args: &EmulateArgs) -> anyhow::Result<(IdealConfig, Netlist)> {
    let (netlist_path, netlist) = match &args.network {
        Some(net) => (
            None,
            Netlist {
                network: Some(NetworkSpec::Nir(net.clone())),
                ..Netlist::default()
            },
        ),
        None => {
            let p = args
                .netlist
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_NETLIST));
            if args.netlist.is_none() && !p.exists() {
                bail!(
                    "no netlist given and the default {DEFAULT_NETLIST} is not here: run from the \
                     repository root, or name a netlist or --network FILE.nir"
                );
            }
            let n = Netlist::read(&p)?;
            (Some(p), n)
        }
    };
    let Some(network) = netlist.network.clone() else {
        bail!("the netlist names no network");
    };
    let (images, labels) = match (&args.data, &args.labels, &netlist.dataset) {
        (Some(i), Some(l), _) => (i.clone(), l.clone()),
        (None, None, Some(d)) => (d.images.clone(), d.labels.clone()),
        (None, None, None) => {
            bail!("no data set: the netlist has no `dataset`; give --data IMAGES --labels LABELS")
        }
        _ => bail!("--data and --labels go together"),
    };
    let samples = args
        .samples
        .or(netlist.dataset.as_ref().and_then(|d| d.samples));
    if samples == Some(0) {
        bail!("--samples must be at least 1");
    }
    let cfg = IdealConfig {
        netlist: netlist_path,
        network,
        images,
        labels,
        samples,
        timesteps: args.timesteps.unwrap_or(netlist.timesteps),
        dt: args.dt.unwrap_or(netlist.dt),
        reset: args.reset.unwrap_or(netlist.reset),
        semantics: args.semantics.unwrap_or(netlist.semantics),
        encoding: args.encoding.unwrap_or(netlist.encoding),
        seed: args.seed.unwrap_or(netlist.seed),
    };
    if cfg.timesteps == 0 {
        bail!("--timesteps must be at least 1");
    }
    if !(cfg.dt.is_finite() && cfg.dt > 0.0) {
        bail!("--dt must be a positive number of seconds, got {}", cfg.dt);
    }
    Ok((cfg, netlist))
}

/// Write `path` through a temporary sibling ([`memsnn::report::write_atomic`]), so that a
/// failure never leaves a half-written output; errors name the file.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    memsnn::report::write_atomic(path, write)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Run `memsnn emulate`.
pub fn run(args: &EmulateArgs) -> anyhow::Result<()> {
    let (cfg, netlist) = resolve(args)?;
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(t) = args.threads {
            if t == 0 {
                bail!("--threads must be at least 1");
            }
            b = b.num_threads(t);
        }
        b.build().context("cannot start worker threads")?
    };
    let graph = cfg.load_network()?;
    // Coarse steps (dt > τ/2) are legal but far from the continuous dynamics: say so.
    if let Ok(warnings) = graph.check_time_step_for(cfg.dt as f32, cfg.semantics) {
        for w in warnings {
            eprintln!("warning: {}: {w}", cfg.network_display());
        }
    }
    let data = Dataset::read_idx(&cfg.images, &cfg.labels, cfg.samples)?;
    // A chip file named by the netlist is relative to the netlist's folder.
    let chip = args.chip.clone().or_else(|| {
        netlist.chip.clone().map(|c| match &cfg.netlist {
            Some(p) if !memsnn::chip::ChipSpec::builtin_names().any(|b| b == c) => {
                memsnn::config::resolve(p, Path::new(&c))
                    .to_string_lossy()
                    .into_owned()
            }
            _ => c,
        })
    });
    if let (false, Some(chip)) = (args.ideal, chip) {
        return crate::emulate_chip::run(args, &netlist, cfg, &chip, &graph, &data, &pool);
    }
    if let Some(m) = args.neurons {
        bail!("--neurons {m}: the neuron model is a chip property; name a chip with --chip");
    }
    let n = data.len();
    let bar = ProgressBar::new(n as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} samples ({per_sec}, eta {eta})")
            .expect("valid template"),
    );
    // Only long runs get a bar (indicatif also hides it when stderr is not a terminal).
    if n * cfg.timesteps < 20_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let start = Instant::now();
    let (report, result) = pool
        .install(|| cfg.run_with(&graph, &data, &|k| bar.inc(k as u64)))
        .with_context(|| {
            format!(
                "cannot run {} on {}",
                cfg.network_display(),
                cfg.images.display()
            )
        })?;
    let secs = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    print!("{}", render(&report, secs, pool.current_num_threads()));
    if let Some(p) = &args.report {
        write_atomic(p, |tmp| {
            let f = std::fs::File::create(tmp)?;
            serde_json::to_writer_pretty(std::io::BufWriter::new(f), &report)?;
            Ok(())
        })?;
        println!("report: {}", p.display());
    }
    if let Some(p) = &args.spike_counts {
        let Some(counts) = result.spike_counts() else {
            bail!(
                "--spike-counts: the network's output is not a spike train (readout {:?}); use --report",
                result.readout
            );
        };
        write_atomic(p, |tmp| Ok(ndarray_npy::write_npy(tmp, &counts)?))?;
        println!(
            "spike counts: {} (int32 [{}, {}])",
            p.display(),
            counts.nrows(),
            counts.ncols()
        );
    }
    Ok(())
}

fn render(r: &IdealReport, secs: f64, threads: usize) -> String {
    use std::fmt::Write;
    let c = &r.config;
    let mut s = String::new();
    let _ = writeln!(s, "memsnn emulate (ideal mode)");
    if let Some(n) = &c.netlist {
        let _ = writeln!(s, "netlist   {}", n.display());
    }
    let _ = writeln!(s, "network   {}", c.network_display());
    let _ = writeln!(
        s,
        "data      {} ({} samples)",
        c.images.display(),
        r.samples
    );
    let _ = writeln!(
        s,
        "semantics dt = {:e} s, T = {}, reset = {}, encoding = {}, seed = {}",
        c.dt,
        c.timesteps,
        c.reset,
        c.encoding.name(),
        c.seed
    );
    let _ = writeln!(s, "  integration  {}", r.semantics.integration);
    let _ = writeln!(s, "  reset        {}", r.semantics.reset);
    let _ = writeln!(s, "  order        {}", r.semantics.update_order);
    let _ = writeln!(s, "  input        {}", r.semantics.input);
    let _ = writeln!(s, "  readout      {}", r.semantics.readout);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<16} {:<10} {:>8} {:>14} {:>18} {:>20}",
        "layer", "type", "size", "spikes", "spikes/neuron/step", "synaptic events"
    );
    for l in &r.layers {
        let is_pop =
            l.synaptic_events == 0 && !matches!(l.kind.as_str(), "Affine" | "Linear" | "Conv2d");
        let _ = writeln!(
            s,
            "{:<16} {:<10} {:>8} {:>14} {:>18} {:>20}",
            l.name,
            l.kind,
            l.size,
            if is_pop {
                l.spikes.to_string()
            } else {
                "-".into()
            },
            if is_pop {
                format!("{:.4}", l.rate)
            } else {
                "-".into()
            },
            if is_pop {
                "-".into()
            } else {
                l.synaptic_events.to_string()
            },
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "accuracy  {:.4} ({} / {})",
        r.accuracy,
        (r.accuracy * r.samples as f64).round() as u64,
        r.samples
    );
    let _ = writeln!(
        s,
        "speed     {:.0} images/s ({} samples × {} steps in {:.3} s, {} threads)",
        r.samples as f64 / secs.max(1e-9),
        r.samples,
        c.timesteps,
        secs,
        threads
    );
    if r.readout == Readout::FinalValue {
        let _ = writeln!(
            s,
            "note      output is read as final membrane values (non-spiking output layer)"
        );
    }
    s
}
