//! Plots of a parameter sweep: accuracy vs one parameter with a mean ± std band, a heatmap of
//! two numeric parameters with a colour bar, or one curve per value of a categorical parameter
//! (the drift plot: accuracy vs time since programming, one curve per compensation mode).

use super::{Format, PlotError, draw_err, register_fonts};
use crate::config::parse_time;
use crate::sweep::{Manifest, Record};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;
use std::path::Path;

/// Which plot a sweep gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Accuracy vs one parameter (or vs the point index for listed points).
    Line,
    /// Heatmap of two numeric parameters.
    Heatmap,
    /// One curve per value of a categorical second parameter (e.g. compensation).
    Curves,
}

/// A value as a number: a JSON number, or a time string (`"1d"`) at the `time` path.
pub fn numeric(path: &str, v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if path == "time" => parse_time(s).ok(),
        _ => None,
    }
}

/// A value as a label.
pub fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Whether a parameter is plotted on a log axis (time and resistance, when all values > 0).
fn log_axis(path: &str, values: &[f64]) -> bool {
    (path == "time" || path.ends_with("r_wire")) && values.iter().all(|&v| v > 0.0)
}

/// Mean and standard deviation (n − 1; 0 for one value) of the accuracies of each point.
pub fn point_stats(n_points: usize, records: &[Record]) -> Vec<Option<(f64, f64)>> {
    let mut acc: Vec<Vec<f64>> = vec![Vec::new(); n_points];
    for r in records {
        if r.point < n_points {
            acc[r.point].push(r.accuracy);
        }
    }
    acc.iter()
        .map(|a| {
            if a.is_empty() {
                return None;
            }
            let n = a.len() as f64;
            let m = a.iter().sum::<f64>() / n;
            let var = if a.len() > 1 {
                a.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            Some((m, var.sqrt()))
        })
        .collect()
}

/// The plot a sweep gets from its grid axes.
pub fn kind(plan: &crate::sweep::Plan) -> Kind {
    let axes = &plan.axes;
    let numeric_axis = |k: usize| {
        axes[k]
            .values
            .iter()
            .all(|v| numeric(&axes[k].path, v).is_some())
    };
    if axes.len() == 2 && plan.points.len() == axes[0].values.len() * axes[1].values.len() {
        if numeric_axis(0) && numeric_axis(1) {
            Kind::Heatmap
        } else if numeric_axis(0) || numeric_axis(1) {
            Kind::Curves
        } else {
            Kind::Heatmap
        }
    } else {
        Kind::Line
    }
}

/// Draw the sweep's plot to `path` (`.svg` or `.png`).
pub fn plot_sweep(m: &Manifest, records: &[Record], path: &Path) -> Result<(), PlotError> {
    let format = Format::from_path(path)?;
    register_fonts();
    let size = (900, 600);
    match format {
        Format::Svg => draw(
            SVGBackend::new(path, size).into_drawing_area(),
            m,
            records,
            path,
        ),
        Format::Png => draw(
            BitMapBackend::new(path, size).into_drawing_area(),
            m,
            records,
            path,
        ),
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    m: &Manifest,
    records: &[Record],
    path: &Path,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(draw_err(path))?;
    let stats = point_stats(m.plan.points.len(), records);
    match kind(&m.plan) {
        Kind::Heatmap => heatmap(&root, m, &stats, path)?,
        Kind::Curves => curves(&root, m, &stats, path)?,
        Kind::Line => line(&root, m, &stats, path)?,
    }
    root.present().map_err(draw_err(path))
}

/// One curve: (x, mean, std) points, sorted by x.
type Curve = Vec<(f64, f64, f64)>;

#[allow(clippy::too_many_arguments)]
fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_name: &str,
    log: bool,
    curves: &[(String, Curve)],
    x_label: &dyn Fn(f64) -> String,
    path: &Path,
) -> Result<(), PlotError> {
    let tx = |x: f64| if log { x.log10() } else { x };
    let xs: Vec<f64> = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| tx(p.0)))
        .collect();
    let (mut x0, mut x1) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if !(x0.is_finite() && x1.is_finite()) {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 - x0 < 1e-12 {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    }
    let pad = 0.03 * (x1 - x0);
    // y: the data's range (mean ± std) with a margin, within [0, 1].
    let (y0, y1) = curves
        .iter()
        .flat_map(|(_, c)| c.iter())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1 - p.2), b.max(p.1 + p.2))
        });
    let (y0, y1) = if y0.is_finite() && y1.is_finite() {
        let m = (0.1 * (y1 - y0)).max(0.02);
        ((y0 - m).max(0.0), (y1 + m).min(1.0))
    } else {
        (0.0, 1.0)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), y0..y1)
        .map_err(draw_err(path))?;
    chart
        .configure_mesh()
        .x_desc(if log {
            format!("{x_name} (log scale)")
        } else {
            x_name.to_string()
        })
        .y_desc("accuracy")
        .x_label_formatter(&|v| x_label(if log { 10f64.powf(*v) } else { *v }))
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(draw_err(path))?;
    for (i, (name, c)) in curves.iter().enumerate() {
        const COLOURS: [RGBColor; 6] = [
            RGBColor(31, 119, 180),
            RGBColor(214, 39, 40),
            RGBColor(44, 160, 44),
            RGBColor(148, 103, 189),
            RGBColor(255, 127, 14),
            RGBColor(23, 190, 207),
        ];
        let colour = COLOURS[i % COLOURS.len()].to_rgba();
        let mut band: Vec<(f64, f64)> = c.iter().map(|p| (tx(p.0), (p.1 + p.2).min(1.0))).collect();
        band.extend(c.iter().rev().map(|p| (tx(p.0), (p.1 - p.2).max(0.0))));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                colour.mix(0.2).filled(),
            )))
            .map_err(draw_err(path))?;
        let s = chart
            .draw_series(LineSeries::new(
                c.iter().map(|p| (tx(p.0), p.1)),
                colour.stroke_width(2),
            ))
            .map_err(draw_err(path))?;
        if !name.is_empty() {
            s.label(name.as_str()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        }
        chart
            .draw_series(
                c.iter()
                    .map(|p| Circle::new((tx(p.0), p.1), 3, colour.filled())),
            )
            .map_err(draw_err(path))?;
    }
    if curves.iter().any(|(n, _)| !n.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .position(SeriesLabelPosition::LowerLeft)
            .draw()
            .map_err(draw_err(path))?;
    }
    Ok(())
}

fn number_label(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e4).contains(&a) {
        format!("{v:.1e}")
    } else {
        // Three significant digits.
        let d = if a == 0.0 {
            0
        } else {
            (2 - a.log10().floor() as i32).clamp(0, 6) as usize
        };
        let s = format!("{v:.d$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

fn time_label(s: f64) -> String {
    let units = [
        (365.25 * 86_400.0, "y"),
        (86_400.0, "d"),
        (3600.0, "h"),
        (60.0, "min"),
    ];
    for (f, u) in units {
        if s >= f {
            return format!("{}{u}", number_label(s / f));
        }
    }
    format!("{}s", number_label(s))
}

fn line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Manifest,
    stats: &[Option<(f64, f64)>],
    path: &Path,
) -> Result<(), PlotError> {
    let axes = &m.plan.axes;
    let one = axes.len() == 1 && m.plan.points.len() == axes[0].values.len();
    let (name, xs): (String, Vec<Option<f64>>) = if one {
        let p = &axes[0];
        (
            p.path.clone(),
            p.values.iter().map(|v| numeric(&p.path, v)).collect(),
        )
    } else {
        ("point".into(), Vec::new())
    };
    let categorical = !one || xs.iter().any(Option::is_none);
    let xs: Vec<f64> = if categorical {
        (0..m.plan.points.len()).map(|k| k as f64).collect()
    } else {
        xs.into_iter().flatten().collect()
    };
    let log = !categorical && log_axis(&name, &xs);
    let c: Curve = stats
        .iter()
        .zip(&xs)
        .filter_map(|(s, &x)| s.map(|(mu, sd)| (x, mu, sd)))
        .collect();
    let labels: Vec<String> = if one {
        axes[0].values.iter().map(label).collect()
    } else {
        (0..m.plan.points.len()).map(|k| k.to_string()).collect()
    };
    let is_time = name == "time";
    let fmt = move |v: f64| {
        if categorical {
            let k = v.round();
            if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < labels.len() {
                labels[k as usize].clone()
            } else {
                String::new()
            }
        } else if is_time {
            time_label(v)
        } else {
            number_label(v)
        }
    };
    draw_curves(
        root,
        &format!(
            "accuracy vs {name} (mean ± std over {} trials)",
            m.plan.trials
        ),
        &name,
        log,
        &[(String::new(), c)],
        &fmt,
        path,
    )
}

fn curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Manifest,
    stats: &[Option<(f64, f64)>],
    path: &Path,
) -> Result<(), PlotError> {
    let axes = &m.plan.axes;
    // The numeric axis is x; the other gives one curve per value.
    let xa = if axes[0]
        .values
        .iter()
        .all(|v| numeric(&axes[0].path, v).is_some())
    {
        0
    } else {
        1
    };
    let ca = 1 - xa;
    let (nx, nc) = (axes[xa].values.len(), axes[ca].values.len());
    let mut out = Vec::new();
    for j in 0..nc {
        let mut c: Curve = Vec::new();
        for i in 0..nx {
            let k = if xa == 0 { i * nc + j } else { j * nx + i };
            if let (Some((mu, sd)), Some(x)) =
                (stats[k], numeric(&axes[xa].path, &axes[xa].values[i]))
            {
                c.push((x, mu, sd));
            }
        }
        c.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.push((
            format!("{} = {}", axes[ca].path, label(&axes[ca].values[j])),
            c,
        ));
    }
    let name = axes[xa].path.clone();
    let xs: Vec<f64> = out
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.0))
        .collect();
    let log = log_axis(&name, &xs);
    let is_time = name == "time";
    let title = if is_time {
        format!(
            "accuracy vs time since programming, per {} (± std, {} trials)",
            axes[ca].path, m.plan.trials
        )
    } else {
        format!(
            "accuracy vs {name}, per {} (± std, {} trials)",
            axes[ca].path, m.plan.trials
        )
    };
    let fmt = move |v: f64| {
        if is_time {
            time_label(v)
        } else {
            number_label(v)
        }
    };
    draw_curves(
        root,
        &title,
        if is_time {
            "time since programming"
        } else {
            &name
        },
        log,
        &out,
        &fmt,
        path,
    )
}

/// Viridis-like colour map on [0, 1].
fn colour(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Manifest,
    stats: &[Option<(f64, f64)>],
    path: &Path,
) -> Result<(), PlotError> {
    let axes = &m.plan.axes;
    let (nx, ny) = (axes[0].values.len(), axes[1].values.len());
    let means: Vec<f64> = stats.iter().flatten().map(|s| s.0).collect();
    let (mut lo, mut hi) = means
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        (lo, hi) = ((lo - 0.05).max(0.0), (hi + 0.05).min(1.0).max(lo + 1e-3));
    }
    let (main, bar) = root.split_horizontally(780);
    let xl: Vec<String> = axes[0].values.iter().map(label).collect();
    let yl: Vec<String> = axes[1].values.iter().map(label).collect();
    let mut chart = ChartBuilder::on(&main)
        .caption(
            format!("mean accuracy over {} trials", m.plan.trials),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        // A segmented 0..n range has n + 1 segments: the last value is n − 1.
        .build_cartesian_2d(
            (0..nx.saturating_sub(1).max(1)).into_segmented(),
            (0..ny.saturating_sub(1).max(1)).into_segmented(),
        )
        .map_err(draw_err(path))?;
    let seg = |v: &SegmentValue<usize>, l: &[String]| match v {
        SegmentValue::CenterOf(i) => l.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(axes[0].path.as_str())
        .y_desc(axes[1].path.as_str())
        .x_labels(nx)
        .y_labels(ny)
        .x_label_formatter(&|v| seg(v, &xl))
        .y_label_formatter(&|v| seg(v, &yl))
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(draw_err(path))?;
    for i in 0..nx {
        for j in 0..ny {
            let k = i * ny + j;
            let (a, b) = (
                (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
            );
            let Some((mu, sd)) = stats[k] else {
                chart
                    .draw_series(std::iter::once(Rectangle::new([a, b], WHITE.filled())))
                    .map_err(draw_err(path))?;
                continue;
            };
            let t = (mu - lo) / (hi - lo);
            chart
                .draw_series(std::iter::once(Rectangle::new([a, b], colour(t).filled())))
                .map_err(draw_err(path))?;
            let text_colour = if t > 0.6 { BLACK } else { WHITE };
            chart
                .draw_series(std::iter::once(Text::new(
                    if m.plan.trials > 1 {
                        format!("{mu:.3}±{sd:.3}")
                    } else {
                        format!("{mu:.3}")
                    },
                    (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
                    ("sans-serif", 13).into_font().color(&text_colour).pos(
                        plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Center,
                            plotters::style::text_anchor::VPos::Center,
                        ),
                    ),
                )))
                .map_err(draw_err(path))?;
        }
    }
    // Colour bar.
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(50)
        .margin_bottom(60)
        .margin_right(10)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, lo..hi)
        .map_err(draw_err(path))?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc("accuracy")
        .y_label_formatter(&|v| format!("{v:.3}"))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(draw_err(path))?;
    let steps = 100;
    cb.draw_series((0..steps).map(|s| {
        let (a, b) = (s as f64 / steps as f64, (s + 1) as f64 / steps as f64);
        Rectangle::new(
            [(0.0, lo + a * (hi - lo)), (1.0, lo + b * (hi - lo))],
            colour(a).filled(),
        )
    }))
    .map_err(draw_err(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{Param, Plan};
    use serde_json::json;

    fn plan(axes: Vec<(&str, Vec<Value>)>) -> Plan {
        let grid = axes
            .into_iter()
            .map(|(p, v)| Param {
                path: p.into(),
                values: v,
            })
            .collect();
        Plan::new(Vec::new(), grid, Vec::new(), 2, 0).unwrap()
    }

    fn kind_of(axes: Vec<(&str, Vec<Value>)>) -> Kind {
        kind(&plan(axes))
    }

    #[test]
    fn plot_kind_follows_the_axes() {
        assert_eq!(
            kind_of(vec![("device.levels", vec![json!(2), json!(4)])]),
            Kind::Line
        );
        assert_eq!(
            kind_of(vec![
                ("time", vec![json!("1s"), json!("1d")]),
                ("compensation", vec![json!("None"), json!("Global")]),
            ]),
            Kind::Curves
        );
        assert_eq!(
            kind_of(vec![
                ("chip.core.rows", vec![json!(128), json!(256)]),
                ("crossbar.r_wire", vec![json!(0.0), json!(1.0)]),
            ]),
            Kind::Heatmap
        );
    }

    #[test]
    fn labels_and_statistics() {
        assert_eq!(numeric("time", &json!("1d")), Some(86_400.0));
        assert_eq!(numeric("compensation", &json!("None")), None);
        assert_eq!(time_label(86_400.0), "1d");
        assert_eq!(time_label(100.0), "1.67min");
        assert_eq!(number_label(0.05), "0.05");
        assert_eq!(number_label(1e-6), "1.0e-6");
        assert!(log_axis("crossbar.r_wire", &[1.0, 10.0]));
        assert!(!log_axis("crossbar.r_wire", &[0.0, 10.0]));
        assert_eq!(colour(0.0), RGBColor(68, 1, 84));
        assert_eq!(colour(1.0), RGBColor(253, 231, 37));
    }
}
