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
    /// Map a network onto a chip or a board of chips: cores per layer and chip, placement, traffic.
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
            eprintln!(
                "error: {} (see `memsnn --help`)",
                usage_line(&e.render().to_string())
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    // Ctrl-C: the first asks every loop to stop at its next check (the command then exits
    // with status 130 and writes nothing); a second ends the process at once.
    let _ = ctrlc::set_handler(|| {
        if memsnn::cancel::requested() {
            std::process::exit(INTERRUPTED);
        }
        memsnn::cancel::request();
        eprintln!("\nstopping (Ctrl-C again to quit at once) …");
    });
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) if memsnn::cancel::requested() => {
            eprintln!("error: {}", memsnn::cancel::Interrupted);
            std::process::ExitCode::from(INTERRUPTED as u8)
        }
        Err(e) => {
            eprintln!("error: {}", error_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// A clap usage error as one line: its message with the lines that continue it (e.g. the
/// list of missing arguments), without the usage block and the help hint.
fn usage_line(text: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() {
            parts.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    if parts.is_empty() {
        "bad usage".to_string()
    } else {
        parts.join(" ")
    }
}

/// An error and its causes as one line, each cause once: a cause whose text its wrapper
/// already quotes (`cannot read F: No such file…` over the bare I/O error) is not repeated.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    line.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Exit status of a command stopped by Ctrl-C (128 + SIGINT, the shell convention).
const INTERRUPTED: i32 = 130;

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
