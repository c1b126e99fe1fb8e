//! The `memsnn` command-line interface: parse, call the library, print.

use clap::{Parser, Subcommand};

mod device;
mod iv;

/// memsnn: emulate trained spiking neural networks on memristor-crossbar neuromorphic chips.
#[derive(Debug, Parser)]
#[command(name = "memsnn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a memristor's I–V loops at several frequencies (pinched hysteresis).
    Iv(iv::IvArgs),
    /// Device-card utilities (`device stats CARD …`).
    Device(device::DeviceArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Iv(args) => iv::run(args),
        Command::Device(a) => device::run(a),
    }
}
