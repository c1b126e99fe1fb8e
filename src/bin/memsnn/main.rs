//! The `memsnn` command-line interface: parse, call the library, print.

use clap::{Parser, Subcommand};

mod crossbar;

/// memsnn: emulate trained spiking neural networks on memristor-crossbar neuromorphic chips.
#[derive(Debug, Parser)]
#[command(name = "memsnn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Column currents of one crossbar array with wire resistance (exact nodal analysis).
    Crossbar(crossbar::CrossbarArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crossbar(args) => crossbar::run(args),
    }
}
