//! The `memsnn` command-line interface: parse, call the library, print.

use clap::{Parser, Subcommand};

mod import;

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
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Import(args) => import::run(&args),
    }
}
