//! The `memsnn` command-line interface: parse, call the library, print.

use clap::{Parser, Subcommand};

mod common;
mod crossbar;
mod device;
mod emulate;
mod import;
mod iv;
mod learn;
mod map;
mod merge;
mod pulses;
mod sweep;

/// memsnn: emulate trained spiking neural networks on memristor-crossbar neuromorphic chips.
#[derive(Debug, Parser)]
#[command(name = "memsnn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load a NIR file, validate it and summarise the network.
    Import(import::ImportArgs),
    /// Simulate a memristor's I–V loops at several frequencies (pinched hysteresis).
    Iv(iv::IvArgs),
    /// Device-card utilities (`device stats CARD …`).
    Device(device::DeviceArgs),
    /// Column currents of one crossbar array with wire resistance (exact nodal analysis).
    Crossbar(crossbar::CrossbarArgs),
    /// Run a trained SNN on a data set and report accuracy and per-layer activity.
    Emulate(Box<emulate::EmulateArgs>),
    /// Map a network onto a chip: cores per layer, utilisation, splitters, placement, traffic.
    Map(map::MapArgs),
    /// Sweep configuration parameters of a chip run (resumable, shardable) and plot accuracy.
    Sweep(Box<sweep::SweepArgs>),
    /// Train a spiking network on chip with STDP/Hebbian rules (ideal or pulsed device synapses).
    Learn(Box<learn::LearnArgs>),
    /// Join the output folders of sweep shards and plot the result.
    Merge(merge::MergeArgs),
}

/// Errors print as one line `error: <cause chain>` and exit with status 1; so do usage errors
/// (unknown options, bad values), with a pointer to `--help`.
fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
                let _ = e.print();
                return std::process::ExitCode::SUCCESS;
            }
            if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return std::process::ExitCode::FAILURE;
            }
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad usage");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("error: {first} (see `memsnn --help`)");
            return std::process::ExitCode::FAILURE;
        }
    };
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Import(args) => import::run(&args),
        Command::Iv(args) => iv::run(args),
        Command::Device(args) => device::run(args),
        Command::Crossbar(args) => crossbar::run(args),
        Command::Emulate(args) => emulate::run(&args),
        Command::Map(args) => map::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Learn(args) => learn::run(&args),
    }
}
