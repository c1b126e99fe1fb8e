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
}

/// Run `memsnn device …`.
pub fn run(args: DeviceArgs) -> anyhow::Result<()> {
    match args.command {
        DeviceCommand::Stats(a) => stats(a),
        DeviceCommand::Pulses(a) => crate::pulses::run(a),
    }
}

fn stats(a: StatsArgs) -> anyhow::Result<()> {
    let card = DeviceCard::resolve(&a.card)?;
    let results = card
        .statistics
        .summarise(&a.targets, &a.times, a.n, a.seed)
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
