//! Plots of on-chip learning: receptive fields, pulse responses, accuracy curves, study heatmaps.

use super::{Format, PlotError, draw_err, register_fonts};
use crate::device::PulseResponsePoint;
use crate::learn::CurvePoint;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

macro_rules! render {
    ($path:expr, $size:expr, $draw:ident ( $($arg:expr),* )) => {{
        let path: &Path = $path;
        let format = Format::from_path(path)?;
        register_fonts();
        match format {
            Format::Svg => {
                let root = SVGBackend::new(path, $size).into_drawing_area();
                $draw(&root, $($arg),*).map_err(draw_err(path))?;
                root.present().map_err(draw_err(path))?;
            }
            Format::Png => {
                let root = BitMapBackend::new(path, $size).into_drawing_area();
                $draw(&root, $($arg),*).map_err(draw_err(path))?;
                root.present().map_err(draw_err(path))?;
            }
        }
        Ok(())
    }};
}

/// The learned receptive fields: one `rows × cols` map per excitatory neuron (column `j` of the
/// input-major weights `w[i·n + j]`), in a square grid, each map scaled to its own maximum
/// (black = 0, white = max), as Diehl & Cook's Fig. 2 shows them.
pub fn plot_receptive_fields(
    w: &[f32],
    n_exc: usize,
    shape: [usize; 2],
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    let side = (n_exc as f64).sqrt().ceil() as usize;
    let grid_rows = n_exc.div_ceil(side.max(1));
    let scale = (900 / (side * (shape[1] + 1))).max(1) as u32;
    let cell = (shape[1] as u32 + 1) * scale;
    let size = (
        side as u32 * cell + 20,
        grid_rows as u32 * (shape[0] as u32 + 1) * scale + 60,
    );
    render!(path, size, draw_fields(w, n_exc, shape, side, scale, title))
}

fn draw_fields<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    w: &[f32],
    n: usize,
    shape: [usize; 2],
    side: usize,
    scale: u32,
    title: &str,
) -> DrawResult<DB> {
    root.fill(&RGBColor(40, 40, 40))?;
    let area = root.titled(title, ("sans-serif", 22).into_font().color(&WHITE))?;
    let (rows, cols) = (shape[0], shape[1]);
    for j in 0..n {
        let max = (0..rows * cols)
            .map(|i| w[i * n + j])
            .fold(0.0f32, f32::max)
            .max(f32::MIN_POSITIVE);
        let gx = (j % side) as u32 * (cols as u32 + 1) * scale + 10;
        let gy = (j / side) as u32 * (rows as u32 + 1) * scale;
        for r in 0..rows {
            for c in 0..cols {
                let v = (w[(r * cols + c) * n + j] / max).clamp(0.0, 1.0);
                let g = (v * 255.0) as u8;
                let x0 = (gx + c as u32 * scale) as i32;
                let y0 = (gy + r as u32 * scale) as i32;
                area.draw(&Rectangle::new(
                    [(x0, y0), (x0 + scale as i32, y0 + scale as i32)],
                    RGBColor(g, g, g).filled(),
                ))?;
            }
        }
    }
    Ok(())
}

/// Conductance against pulse number (potentiation then depression) of one device.
pub fn plot_pulse_response(
    pts: &[PulseResponsePoint],
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    render!(path, (900, 560), draw_pulses(pts, title))
}

fn draw_pulses<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    pts: &[PulseResponsePoint],
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let gmax = pts.iter().map(|p| p.g).fold(0.0f64, f64::max).max(1e-18);
    let (s, unit) = [(1e-3, "mS"), (1e-6, "µS"), (1e-9, "nS")]
        .into_iter()
        .find(|(s, _)| gmax >= *s)
        .unwrap_or((1e-12, "pS"));
    let n = pts.len().max(2) as f64 - 1.0;
    let mut ch = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..n, 0.0..1.05 * gmax / s)?;
    ch.configure_mesh()
        .x_desc("Pulse number")
        .y_desc(format!("Conductance G ({unit})"))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()?;
    let up: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| p.up)
        .map(|p| (p.pulse as f64, p.g / s))
        .collect();
    let down: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| !p.up)
        .map(|p| (p.pulse as f64, p.g / s))
        .collect();
    ch.draw_series(
        up.iter()
            .map(|&(x, y)| Circle::new((x, y), 2, BLUE.filled())),
    )?
    .label("potentiation")
    .legend(|(x, y)| Circle::new((x + 10, y), 4, BLUE.filled()));
    ch.draw_series(
        down.iter()
            .map(|&(x, y)| Circle::new((x, y), 2, RED.filled())),
    )?
    .label("depression")
    .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
    ch.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    Ok(())
}

/// Test accuracy against training images, one line per labelled curve.
pub fn plot_accuracy_curves(
    curves: &[(String, Vec<CurvePoint>)],
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    render!(path, (900, 560), draw_curves(curves, title))
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[(String, Vec<CurvePoint>)],
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let xmax = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.images as f64))
        .fold(1.0f64, f64::max);
    let mut ch = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..xmax * 1.02, 0.0..100.0)?;
    ch.configure_mesh()
        .x_desc("Training images presented")
        .y_desc("Test accuracy (%)")
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()?;
    for (k, (label, c)) in curves.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let pts: Vec<(f64, f64)> = c
            .iter()
            .map(|p| (p.images as f64, 100.0 * p.accuracy))
            .collect();
        ch.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        ch.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
    }
    ch.configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    Ok(())
}

/// A heatmap of values in `[0, 1]` (shown as %), `values[r][c]`, with row and column labels.
pub fn plot_heatmap(
    rows: &[String],
    cols: &[String],
    values: &[Vec<f64>],
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    let size = (220 + 170 * cols.len() as u32, 120 + 50 * rows.len() as u32);
    render!(path, size, draw_heatmap(rows, cols, values, title))
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[String],
    cols: &[String],
    values: &[Vec<f64>],
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let area = root.titled(title, ("sans-serif", 20))?;
    let (x0, y0, cw, chh) = (200i32, 40i32, 170i32, 50i32);
    for (c, label) in cols.iter().enumerate() {
        area.draw(&Text::new(
            label.clone(),
            (x0 + c as i32 * cw + 20, y0 - 30),
            ("sans-serif", 17),
        ))?;
    }
    for (r, label) in rows.iter().enumerate() {
        let y = y0 + r as i32 * chh;
        area.draw(&Text::new(
            label.clone(),
            (10, y + chh / 2 - 8),
            ("sans-serif", 16),
        ))?;
        for (c, &v) in values[r].iter().enumerate() {
            let x = x0 + c as i32 * cw;
            let color = ViridisRGB::get_color(v.clamp(0.0, 1.0));
            area.draw(&Rectangle::new(
                [(x, y), (x + cw - 2, y + chh - 2)],
                color.filled(),
            ))?;
            let text_color = if v > 0.6 { BLACK } else { WHITE };
            area.draw(&Text::new(
                format!("{:.1} %", 100.0 * v),
                (x + cw / 2 - 28, y + chh / 2 - 9),
                ("sans-serif", 17).into_font().color(&text_color),
            ))?;
        }
    }
    Ok(())
}
