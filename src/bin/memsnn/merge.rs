//! `memsnn merge`: join the output folders of sweep shards into one, as an unsharded run
//! would have written it, then tabulate and plot it.

use anyhow::Context;
use clap::Args;
use memsnn::sweep::{JSONL, Manifest, read_records};
use std::path::{Path, PathBuf};

/// Join sweep shard folders (`memsnn sweep --shard i/n`) into one folder and plot it.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard output folders.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Output folder of the merged sweep.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Plot file (.svg or .png) [OUT/plot.svg].
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

/// Run `memsnn merge`.
pub fn run(args: &MergeArgs) -> anyhow::Result<()> {
    let (manifest, n, missing) = memsnn::sweep::merge(&args.shards, &args.out)
        .with_context(|| format!("cannot merge into {}", args.out.display()))?;
    println!(
        "merged {} shard folders: {n} point × trial results → {}",
        args.shards.len(),
        args.out.display()
    );
    if missing > 0 {
        println!(
            "incomplete: {missing} units missing (re-run the missing shards, then merge again)"
        );
        return Ok(());
    }
    finish(&args.out, &manifest, args.plot.as_deref())
}

/// Print the per-point table of a complete sweep folder and draw its plot.
pub fn finish(out: &Path, manifest: &Manifest, plot: Option<&Path>) -> anyhow::Result<()> {
    let records = read_records(&out.join(JSONL), manifest)?;
    let stats = memsnn::plot::sweep::point_stats(manifest.plan.points.len(), &records);
    println!(
        "{:>6}  {:<50} {:>9} {:>8}",
        "point", "parameters", "accuracy", "± std"
    );
    for (k, (p, s)) in manifest.plan.points.iter().zip(&stats).enumerate() {
        let params = p
            .iter()
            .map(|a| format!("{}={}", a.path, memsnn::plot::sweep::label(&a.value)))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some((m, sd)) = s {
            println!("{k:>6}  {params:<50} {m:>9.4} {sd:>8.4}");
        }
    }
    let path = plot
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.join("plot.svg"));
    memsnn::plot::sweep::plot_sweep(manifest, &records, &path)?;
    println!("plot: {}", path.display());
    Ok(())
}
