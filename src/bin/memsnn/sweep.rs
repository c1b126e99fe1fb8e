//! `memsnn sweep`: run a grid of chip-mode configurations, resumable and shardable, and plot it.

use crate::common::Progress;
use anyhow::{Context, bail};
use clap::Args;
use memsnn::experiment::{Par, RunConfig};
use memsnn::sweep::{Assign, Param, RunControl, Shard, SweepSpec};
use serde_json::Value;
use std::path::PathBuf;
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
    /// When another `memsnn sweep` is writing into --out, wait for it instead of stopping.
    #[arg(long)]
    pub wait: bool,
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

/// The sweep spec `args` name: a spec file (its grid extended by --param), or a netlist (or
/// the default one) swept by --param.
fn spec(args: &SweepArgs) -> anyhow::Result<SweepSpec> {
    let Some(file) = &args.file else {
        return Ok(SweepSpec {
            netlist: crate::emulate::netlist_path(None)?,
            ..SweepSpec::default()
        });
    };
    match SweepSpec::read(file) {
        Ok(s) => Ok(s),
        Err(spec_err) => match memsnn::experiment::Netlist::read(file) {
            Ok(_) => Ok(SweepSpec {
                netlist: file.clone(),
                ..SweepSpec::default()
            }),
            Err(netlist_err) => bail!(
                "{} is neither a sweep spec ({spec_err}) nor a netlist ({netlist_err})",
                file.display()
            ),
        },
    }
}

/// Run `memsnn sweep`.
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    let par = Par::threads(args.threads).context("--threads")?;
    let spec = spec(args)?;
    let mut base = RunConfig::from_netlist(&spec.netlist)?;
    if let Some(n) = args.samples {
        if n == 0 {
            bail!("--samples must be at least 1");
        }
        base.samples = Some(n);
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
    let mut grid = Vec::new();
    for s in &args.params {
        let (p, v) = split_assign(s, "--param")?;
        grid.push(Param {
            path: p.into(),
            values: split_values(v).iter().map(|v| parse_value(v)).collect(),
        });
    }
    if args.trials == Some(0) {
        bail!("--trials must be at least 1");
    }
    let (manifest, inputs) = memsnn::sweep::prepare(
        &spec,
        memsnn::sweep::Overrides {
            set: set[spec.set.len()..].to_vec(),
            grid,
            trials: args.trials,
            seed: args.seed,
            samples: args.samples,
            shard: args.shard,
        },
    )?;
    let progress = Progress::new("point × trial runs");
    let start = Instant::now();
    let summary = par.install(|| {
        memsnn::sweep::run(
            &inputs,
            &manifest,
            &args.out,
            RunControl {
                shard: args.shard,
                limit: args.limit,
                wait: args.wait,
            },
            &|p| match p {
                memsnn::sweep::Progress::Start { todo, .. } => progress.start(todo as u64),
                memsnn::sweep::Progress::Unit => progress.advance(1),
            },
        )
    })?;
    progress.finish();
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
        par.thread_count()
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
