//! `memsnn sweep`: run a grid of chip-mode configurations, resumable and shardable, and plot it.

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use memsnn::chip::{ChipSpec, Effects, parse_time};
use memsnn::crossbar::{Compensation, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::device::statistics::Levels;
use memsnn::encode::Dataset;
use memsnn::network::Netlist;
use memsnn::sweep::{
    Assign, CrossbarSettings, Manifest, Param, Plan, PointConfig, Progress, RunControl, Shard,
    SweepSpec, Workload,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Sweep configuration parameters of a chip run: accuracy over a grid of points × trials.
///
/// `memsnn sweep SPEC.ron`, or `memsnn sweep [NETLIST] --param PATH=V1,V2,… [--param …]`.
/// Results go to `--out` (results.csv, results.jsonl, sweep.json, plot.svg); a re-run with the
/// same arguments resumes, skipping finished point × trial units.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep spec (RON), or with --param a netlist [default netlists/mnist-mlp/netlist.ron].
    pub file: Option<PathBuf>,
    /// Grid axis: PATH=V1,V2,… (values are JSON: numbers, true/false, null, {"A": …};
    /// anything else is a string such as 1d or PerColumn). Repeatable; first axis slowest.
    #[arg(long = "param", value_name = "PATH=V1,V2,…")]
    pub params: Vec<String>,
    /// Fixed override for every point: PATH=VALUE. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Trials per point [spec, else 3].
    #[arg(long, value_name = "K")]
    pub trials: Option<usize>,
    /// Sweep seed [spec, else 0].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Samples per run (the first ones of the data set) [netlist, else all].
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "sweep-out")]
    pub out: PathBuf,
    /// Run only shard i of n (points with index mod n = i); join shards with `memsnn merge`.
    #[arg(long, value_name = "i/n", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Compute at most N missing point × trial units, then stop (resume later).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Worker threads (points in parallel; each point runs on one thread) [all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Plot file (.svg or .png) [OUT/plot.svg].
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// List the parameter paths (with the netlist's values) and exit.
    #[arg(long)]
    pub list_paths: bool,
}

/// Split a value list at top-level commas (not inside quotes, braces or brackets).
fn split_values(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

/// A command-line value: JSON if it parses, else a string.
fn parse_value(s: &str) -> Value {
    let t = s.trim();
    serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string()))
}

fn split_assign<'a>(s: &'a str, flag: &str) -> anyhow::Result<(&'a str, &'a str)> {
    match s.split_once('=') {
        Some((p, v)) if !p.trim().is_empty() => Ok((p.trim(), v)),
        _ => bail!("{flag} `{s}`: expected PATH=VALUE"),
    }
}

/// The base configuration of every point, from a netlist (chip: the netlist's, else loihi).
pub fn base_config(path: &Path, netlist: &Netlist) -> anyhow::Result<PointConfig> {
    let rel = |name: &str, builtin: bool| {
        if builtin {
            name.to_string()
        } else {
            memsnn::config::resolve(path, Path::new(name))
                .to_string_lossy()
                .into_owned()
        }
    };
    let device = netlist
        .device
        .as_deref()
        .map(|d| rel(d, DeviceCard::builtin_names().any(|b| b == d)))
        .unwrap_or_else(|| "ideal".into());
    let card = DeviceCard::resolve(&device).with_context(|| format!("device {device}"))?;
    let chip_name = netlist
        .chip
        .as_deref()
        .map(|c| rel(c, ChipSpec::builtin_names().any(|b| b == c)))
        .unwrap_or_else(|| "loihi".into());
    let chip = ChipSpec::resolve(&chip_name).with_context(|| format!("chip {chip_name}"))?;
    let mut statistics = card.statistics;
    if let Some(n) = netlist.levels {
        statistics.levels = Levels::Uniform(n);
    }
    let time = match netlist.times.as_ref().and_then(|t| t.first()) {
        Some(t) => parse_time(t).map_err(|e| anyhow::anyhow!("{}: times: {e}", path.display()))?,
        None => 1.0,
    };
    let samples = netlist
        .dataset
        .as_ref()
        .and_then(|d| d.samples)
        .unwrap_or(usize::MAX);
    Ok(PointConfig {
        device: statistics,
        chip,
        crossbar: CrossbarSettings {
            r_wire: netlist.r_wire.unwrap_or(0.0),
            adc_bits: None,
            v_read: ReadConfig::default().v_read,
        },
        time,
        compensation: netlist.compensation.unwrap_or(Compensation::None),
        effects: Effects::ALL,
        encoding: netlist.encoding,
        timesteps: netlist.timesteps,
        dt: netlist.dt,
        reset: netlist.reset,
        samples,
    })
}

/// Run `memsnn sweep`.
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    // A spec file, or a netlist with --param/--set.
    let spec_file = args
        .file
        .as_deref()
        .filter(|_| args.params.is_empty())
        .map(SweepSpec::read);
    // --list-paths accepts a spec or a netlist.
    let inline = !args.params.is_empty() || (args.list_paths && !matches!(spec_file, Some(Ok(_))));
    let spec = if inline {
        let netlist = args
            .file
            .clone()
            .unwrap_or_else(|| PathBuf::from(crate::emulate::DEFAULT_NETLIST));
        SweepSpec {
            netlist,
            ..SweepSpec::default()
        }
    } else {
        let Some(spec) = spec_file else {
            bail!("name a sweep spec (memsnn sweep SPEC.ron) or give --param PATH=V1,V2,…");
        };
        spec?
    };
    let netlist = Netlist::read(&spec.netlist)?;
    let mut base = base_config(&spec.netlist, &netlist)?;
    if let Some(n) = args.samples {
        if n == 0 {
            bail!("--samples must be at least 1");
        }
        base.samples = n;
    }
    let mut set = spec.set.clone();
    for s in &args.set {
        let (p, v) = split_assign(s, "--set")?;
        set.push(Assign {
            path: p.into(),
            value: parse_value(v),
        });
    }
    if args.list_paths {
        // The paths after the fixed overrides (e.g. an enum set to a variant with fields).
        let mut b = base.clone();
        for a in &set {
            b.set(&a.path, &a.value)?;
        }
        let tree = b.to_value();
        for p in b.leaf_paths() {
            let v = p.split('.').try_fold(&tree, |n, k| n.get(k));
            println!("{p} = {}", v.map(|v| v.to_string()).unwrap_or_default());
        }
        return Ok(());
    }
    let mut grid = spec.grid.clone();
    for s in &args.params {
        let (p, v) = split_assign(s, "--param")?;
        grid.push(Param {
            path: p.into(),
            values: split_values(v).iter().map(|v| parse_value(v)).collect(),
        });
    }
    let trials = args.trials.unwrap_or(spec.trials);
    if trials == 0 {
        bail!("--trials must be at least 1");
    }
    let plan = Plan::new(
        set,
        grid,
        spec.points.clone(),
        trials,
        args.seed.unwrap_or(spec.seed),
    )?;
    // Validate every point up front (unknown paths, wrong types, bad values).
    let configs: Vec<PointConfig> = (0..plan.points.len())
        .map(|k| plan.config(&base, k))
        .collect::<Result<_, _>>()?;
    let Some(ds) = &netlist.dataset else {
        bail!("{}: the netlist has no dataset", spec.netlist.display());
    };
    let max_samples = configs.iter().map(|c| c.samples).max().unwrap_or(1);
    let data = Dataset::read(
        &ds.images,
        &ds.labels,
        Some(max_samples).filter(|&n| n != usize::MAX),
    )?;
    let graph = netlist
        .network
        .as_ref()
        .expect("validated netlist has a network")
        .load(&spec.netlist)?;
    data.check_classes(
        graph
            .output()
            .map_or(0, |o| memsnn::network::numel(&graph.nodes[o].output_shape)),
    )?;
    if base.samples == usize::MAX {
        base.samples = data.len();
    }
    let manifest = Manifest {
        netlist: std::path::absolute(&spec.netlist)
            .unwrap_or(spec.netlist.clone())
            .display()
            .to_string(),
        base,
        plan,
        shard: args.shard,
    };
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
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} point × trial runs ({per_sec}, eta {eta})",
        )
        .expect("valid template"),
    );
    let start = Instant::now();
    let w = Workload {
        graph: &graph,
        data: &data,
    };
    let summary = pool.install(|| {
        memsnn::sweep::run(
            &w,
            &manifest,
            &args.out,
            RunControl {
                shard: args.shard,
                limit: args.limit,
            },
            &|p| match p {
                Progress::Start { todo, .. } => bar.set_length(todo as u64),
                Progress::Unit => bar.inc(1),
            },
        )
    });
    bar.finish_and_clear();
    let summary = summary.with_context(|| format!("sweep into {}", args.out.display()))?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "memsnn sweep: {} points × {} trials{} → {}",
        manifest.plan.points.len(),
        manifest.plan.trials,
        args.shard
            .map(|s| format!(" (shard {}/{})", s.index, s.count))
            .unwrap_or_default(),
        args.out.display()
    );
    println!(
        "units     {} in this run's share: {} already done, {} computed in {:.1} s ({:.1} point × trial runs/min, {} threads)",
        summary.units,
        summary.skipped,
        summary.computed,
        secs,
        summary.computed as f64 * 60.0 / secs.max(1e-9),
        pool.current_num_threads()
    );
    let complete = summary.skipped + summary.computed == summary.units;
    if args.shard.is_none() && complete {
        crate::merge::finish(&args.out, &manifest, args.plot.as_deref())?;
    } else if !complete {
        println!(
            "incomplete: {} units missing; re-run the same command to resume",
            summary.units - summary.skipped - summary.computed
        );
    }
    Ok(())
}
