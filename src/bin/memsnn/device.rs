//! `memsnn device`: device-card utilities (`stats`: Monte-Carlo statistics of a card).

use anyhow::Context;
use clap::{Args, Subcommand};
use memsnn::device::DeviceCard;

/// Device-card utilities.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(subcommand)]
    command: DeviceCommand,
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// Program N devices per target with the card's statistics and print, per target and time,
    /// the mean and std of the conductance (programming, drift, read noise) and of ν, as JSON.
    Stats(StatsArgs),
    /// Conductance against pulse number (potentiation, then depression) under the card's pulse
    /// update law: a plot and a CSV.
    Pulses(crate::pulses::PulsesArgs),
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Device card: a built-in name (e.g. `pcm`, `rram-wan`, `ideal`) or a path to a .ron file.
    card: String,
    /// Conductance targets [S], comma-separated (e.g. 2.5e-6,12.5e-6,25e-6).
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_hyphen_values = true
    )]
    targets: Vec<f64>,
    /// Times since programming [s], comma-separated (e.g. 3600,86400,31536000).
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_hyphen_values = true
    )]
    times: Vec<f64>,
    /// Devices per target.
    #[arg(long, default_value_t = 200_000)]
    n: usize,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run even when the pre-flight estimate is above the limit (see `STATS_MAX_DRAWS`).
    #[arg(long)]
    force: bool,
}

/// Most device operations (`n × targets × (1 + times)` programmings and reads) `device stats`
/// runs without `--force`: 10⁹, about a minute on two cores.
const STATS_MAX_DRAWS: f64 = 1e9;
/// Device operations per second per core, measured on the pcm card (for the estimate only).
const STATS_DRAWS_PER_CORE_SECOND: f64 = 1.5e7;
/// Bytes of per-chunk summaries kept per target and time (the memory estimate).
const STATS_BYTES_PER_CHUNK_TIME: f64 = 24.0;

/// Run `memsnn device …`.
pub fn run(args: DeviceArgs) -> anyhow::Result<()> {
    match args.command {
        DeviceCommand::Stats(a) => stats(a),
        DeviceCommand::Pulses(a) => crate::pulses::run(a),
    }
}

fn stats(a: StatsArgs) -> anyhow::Result<()> {
    let card = DeviceCard::resolve(&a.card)?;
    // Pre-flight: work and memory from the sizes alone, before anything is allocated.
    let draws = a.n as f64 * a.targets.len() as f64 * (1.0 + a.times.len() as f64);
    let chunks = (a.n as f64 / memsnn::device::statistics::SUMMARY_CHUNK as f64).ceil();
    let mem = chunks * (3.0 + a.times.len() as f64) * STATS_BYTES_PER_CHUNK_TIME;
    let cores = rayon::current_num_threads() as f64;
    let secs = draws / (STATS_DRAWS_PER_CORE_SECOND * cores);
    let estimate = format!(
        "{} devices × {} targets × (1 + {} times) = {draws:.3e} device operations, \
         about {} s on {cores} threads and {} of summaries",
        a.n,
        a.targets.len(),
        a.times.len(),
        fmt_secs(secs),
        memsnn::budget::bytes(mem as u64)
    );
    if draws > STATS_MAX_DRAWS && !a.force {
        anyhow::bail!(
            "--n {}: {estimate}; above the limit of {STATS_MAX_DRAWS:.0e} operations (pass --force to run it anyway)",
            a.n
        );
    }
    if secs > 10.0 {
        eprintln!("device stats: {estimate}");
    }
    let progress = crate::common::Progress::new("devices");
    progress.start(a.n as u64 * a.targets.len() as u64);
    let results = card
        .statistics
        .summarise_observed(&a.targets, &a.times, a.n, a.seed, &|k| progress.advance(k))
        .map_err(|e| {
            // Block errors come from the card; argument errors name the option.
            let opt = e.field.split('[').next().unwrap_or("").to_string();
            if ["targets", "times", "n"].contains(&opt.as_str()) {
                anyhow::anyhow!("--{}: {}", e.field, e.reason)
            } else {
                anyhow::Error::new(e.within("statistics").in_file(&card.source))
            }
        })
        .with_context(|| format!("device stats of card `{}`", card.name))?;
    progress.finish();
    memsnn::cancel::check()?;
    let json = serde_json::json!({
        "card": card.name,
        "source": card.source.display().to_string(),
        "n": a.n,
        "seed": a.seed,
        "results": results,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// Seconds, rounded for an estimate.
fn fmt_secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.1}")
    } else {
        format!("{s:.0}")
    }
}
