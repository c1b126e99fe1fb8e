//! `memsnn device pulses CARD`: conductance against pulse number (potentiation, then
//! depression) under the card's pulse update law; a plot and a CSV.

use crate::common::Outputs;
use anyhow::{Context, Result, bail};
use memsnn::device::{DeviceCard, pulse_response};
use memsnn::plot::learn::plot_pulse_response;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `memsnn device pulses`.
#[derive(Debug, clap::Args)]
pub struct PulsesArgs {
    /// Device card with a `pulse` section (e.g. `reram-pulse`, `pcm-pulse`, or a .ron path).
    card: String,
    /// Potentiation pulses (from the lower bound).
    #[arg(long, default_value_t = 200)]
    up: usize,
    /// Depression pulses after them.
    #[arg(long, default_value_t = 200)]
    down: usize,
    /// Random seed (cycle-to-cycle noise).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Plot file (.svg or .png).
    #[arg(long, default_value = "pulses.png")]
    out: PathBuf,
    /// CSV file (pulse, direction, w, conductance in siemens).
    #[arg(long, default_value = "pulses.csv")]
    csv: PathBuf,
}

/// Run `memsnn device pulses`.
pub fn run(a: PulsesArgs) -> Result<()> {
    // Outputs are checked against the card and each other before anything is simulated.
    let mut outputs = Outputs::default();
    let card_file = [PathBuf::from(&a.card)];
    outputs.plan("--out", &a.out, &card_file)?;
    outputs.plan("--csv", &a.csv, &card_file)?;
    let card = DeviceCard::resolve(&a.card)?;
    let Some(spec) = card.pulse.as_ref() else {
        bail!(
            "{}: field `pulse`: this card has no pulse update law (add a `pulse: Some((law: …))` section)",
            card.source.display()
        );
    };
    if a.up + a.down == 0 {
        bail!("--up/--down: at least one pulse is needed");
    }
    let pts = pulse_response(spec, card.model.as_ref(), a.up, a.down, a.seed)
        .with_context(|| format!("pulse response of card `{}`", card.name))?;
    outputs.stage_rendered(&a.csv, |tmp| -> Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(tmp)?);
        writeln!(f, "pulse,direction,w,conductance_s")?;
        for p in &pts {
            writeln!(
                f,
                "{},{},{},{}",
                p.pulse,
                if p.up { "up" } else { "down" },
                p.w,
                p.g
            )?;
        }
        f.flush()?;
        Ok(())
    })?;
    let title = format!(
        "{}: {} law, {} up + {} down pulses",
        card.name,
        spec.law.name(),
        a.up,
        a.down
    );
    outputs.stage_rendered(&a.out, |tmp| -> Result<()> {
        Ok(plot_pulse_response(&pts, &title, tmp)?)
    })?;
    outputs.commit()?;
    let top = pts.iter().map(|p| p.g).fold(0.0f64, f64::max);
    println!(
        "{}: {} pulses, G from {:.4e} S to max {:.4e} S, final {:.4e} S; wrote {} and {}",
        card.name,
        a.up + a.down,
        pts[0].g,
        top,
        pts.last().map_or(0.0, |p| p.g),
        a.out.display(),
        a.csv.display()
    );
    Ok(())
}
