//! `memsnn iv`: simulate a device's I–V loops at several frequencies, plot them, write CSV.

use crate::common::Outputs;
use anyhow::{Result, anyhow};
use memsnn::device::{DeviceCard, IvLoop, Waveform, simulate_iv};
use memsnn::plot::{Format, draw_err, register_fonts};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Drive shape on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum WaveArg {
    /// v = A·sin(2πft)
    Sine,
    /// symmetric triangle, starting at 0 and rising
    Triangle,
}

/// Arguments of `memsnn iv`.
#[derive(Debug, clap::Args)]
pub struct IvArgs {
    /// Device: a built-in card name (hp-tio2, vteam, yakopcic) or a path to a card (.ron).
    pub device: String,
    /// Drive shape (default: the card's).
    #[arg(long, value_enum)]
    pub waveform: Option<WaveArg>,
    /// Peak voltage in volt (default: the card's).
    #[arg(long, allow_negative_numbers = true)]
    pub amplitude: Option<f64>,
    /// Comma-separated drive frequencies in hertz, e.g. 1,10,100 (default: the card's).
    #[arg(long, value_delimiter = ',')]
    pub freq: Option<Vec<f64>>,
    /// Periods simulated per frequency; measures use the last one (default: the card's).
    #[arg(long)]
    pub cycles: Option<u32>,
    /// Plot file (.svg or .png).
    #[arg(long, default_value = "iv.svg")]
    pub out: PathBuf,
    /// Also write the samples as CSV (columns freq_hz,t_s,v_v,i_a,x).
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

/// Run `memsnn iv`.
pub fn run(args: IvArgs) -> Result<()> {
    let format = Format::from_path(&args.out)?;
    // Outputs are checked against the card and each other before anything is simulated.
    let mut outputs = Outputs::default();
    let card_file = [std::path::PathBuf::from(&args.device)];
    outputs.plan("--out", &args.out, &card_file)?;
    if let Some(csv) = &args.csv {
        outputs.plan("--csv", csv, &card_file)?;
    }
    let card = DeviceCard::resolve(&args.device)?;
    let model = card.require_model()?;
    let mut spec = card.iv.clone();
    if let Some(w) = args.waveform {
        spec.waveform = match w {
            WaveArg::Sine => Waveform::Sine,
            WaveArg::Triangle => Waveform::Triangle,
        };
    }
    if let Some(a) = args.amplitude {
        spec.amplitude = a;
    }
    if let Some(f) = args.freq {
        spec.frequencies = f;
    }
    if let Some(c) = args.cycles {
        spec.cycles = c;
    }
    spec.validate().map_err(|e| {
        let flag = match e.field.as_str() {
            "amplitude" => "--amplitude",
            "frequencies" => "--freq",
            "cycles" => "--cycles",
            _ => "iv",
        };
        anyhow!("{flag}: {}", e.reason)
    })?;
    let loops = simulate_iv(model, &spec)?;

    if let Some(csv) = &args.csv {
        outputs.stage_rendered(csv, |tmp| write_csv(tmp, &loops))?;
    }
    let title = format!(
        "{}: {} {} V",
        card.name,
        match spec.waveform {
            Waveform::Sine => "sine",
            Waveform::Triangle => "triangle",
        },
        spec.amplitude
    );
    outputs.stage_rendered(&args.out, |tmp| {
        plot(tmp, format, &title, &loops, spec.amplitude)
    })?;
    outputs.commit()?;

    println!("{} ({}), {}", card.name, model.name(), title);
    println!(
        "{:>12}  {:>14}  {:>12}  {:>12}  {:>14}",
        "freq", "loop area V·A", "R min Ω", "R max Ω", "|i(v=0)|/max|i|"
    );
    for l in &loops {
        let (lo, hi) = l.r_range();
        println!(
            "{:>12}  {:>14.4e}  {:>12.4e}  {:>12.4e}  {:>14.1e}",
            fmt_freq(l.freq_hz),
            l.loop_area(),
            lo,
            hi,
            l.pinch_ratio()
        );
    }
    println!("plot: {}", args.out.display());
    if let Some(csv) = &args.csv {
        println!("csv:  {}", csv.display());
    }
    Ok(())
}

fn write_csv(path: &Path, loops: &[IvLoop]) -> Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "freq_hz,t_s,v_v,i_a,x")?;
    for l in loops {
        for k in 0..l.t_s.len() {
            writeln!(
                w,
                "{},{:e},{:e},{:e},{}",
                l.freq_hz, l.t_s[k], l.v_v[k], l.i_a[k], l.x[k]
            )?;
        }
    }
    w.flush()?;
    Ok(())
}

/// `1.5e7` → `15 MHz`.
fn fmt_freq(f: f64) -> String {
    let (scale, unit) = [
        (1e9, "GHz"),
        (1e6, "MHz"),
        (1e3, "kHz"),
        (1.0, "Hz"),
        (1e-3, "mHz"),
    ]
    .into_iter()
    .find(|(s, _)| f >= *s)
    .unwrap_or((1e-3, "mHz"));
    format!("{} {unit}", trim(f / scale))
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Scale and unit for currents up to `max` ampere.
fn current_unit(max: f64) -> (f64, &'static str) {
    [(1.0, "A"), (1e-3, "mA"), (1e-6, "µA"), (1e-9, "nA")]
        .into_iter()
        .find(|(s, _)| max >= *s)
        .unwrap_or((1e-12, "pA"))
}

fn plot(path: &Path, format: Format, title: &str, loops: &[IvLoop], amplitude: f64) -> Result<()> {
    let size = (1280, 600);
    // plotters measures text with the registered font for both backends.
    register_fonts();
    match format {
        Format::Svg => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw(&root, title, loops, amplitude).map_err(draw_err(path))?;
            root.present().map_err(draw_err(path))?;
        }
        Format::Png => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw(&root, title, loops, amplitude).map_err(draw_err(path))?;
            root.present().map_err(draw_err(path))?;
        }
    }
    Ok(())
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    loops: &[IvLoop],
    amplitude: f64,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 26))?;
    let (left, right) = root.split_horizontally(680);
    let imax = loops
        .iter()
        .flat_map(|l| l.i_a.iter())
        .fold(0.0f64, |m, i| m.max(i.abs()))
        .max(1e-15);
    let (scale, unit) = current_unit(imax);
    let ilim = 1.08 * imax / scale;
    let vlim = 1.08 * amplitude;

    let mut iv = ChartBuilder::on(&left)
        .caption("I–V loop (last period)", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(75)
        .build_cartesian_2d(-vlim..vlim, -ilim..ilim)?;
    iv.configure_mesh()
        .x_desc("Voltage v (V)")
        .y_desc(format!("Current i ({unit})"))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()?;
    for (k, l) in loops.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let start = l.t_s.len() - 1 - l.samples_per_cycle;
        let pts: Vec<(f64, f64)> = (start..l.t_s.len())
            .map(|s| (l.v_v[s], l.i_a[s] / scale))
            .collect();
        iv.draw_series(LineSeries::new(pts, color.stroke_width(2)))?
            .label(fmt_freq(l.freq_hz))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    iv.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;

    let periods = loops
        .iter()
        .map(|l| (l.t_s.len() - 1) as f64 / l.samples_per_cycle as f64)
        .fold(1.0f64, f64::max);
    let mut xs = ChartBuilder::on(&right)
        .caption("State x (1 = ON)", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..periods, 0.0..1.0)?;
    xs.configure_mesh()
        .x_desc("Time t·f (periods)")
        .y_desc("State x")
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()?;
    for (k, l) in loops.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let f = l.freq_hz;
        xs.draw_series(LineSeries::new(
            l.t_s.iter().zip(&l.x).map(|(t, x)| (t * f, *x)),
            color.stroke_width(2),
        ))?
        .label(fmt_freq(l.freq_hz))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
    }
    xs.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;
    Ok(())
}
