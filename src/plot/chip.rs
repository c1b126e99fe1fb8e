//! A picture of a placement: the occupied part of the mesh, cores coloured by layer (with a
//! legend), chip boundaries on a board of several chips, and the estimated traffic on every
//! mesh link as line width and colour. Large placements (hundreds of cores) drop the per-core
//! numbers and the mesh grid and keep the colours, chip boundaries and the legend.

use crate::chip::{Mapping, Traffic};
use crate::plot::{Format, PlotError, draw_err, register_fonts};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draw `mapping` with its `traffic` to `path` as SVG or PNG (`format`), titled `title`.
///
/// Only the bounding box of the used cores (grown to at least 4 × 4 cores, within the mesh) is
/// drawn, so that large meshes stay legible; the caption says which part of the mesh it is.
pub fn draw_placement(
    path: &Path,
    format: Format,
    mapping: &Mapping,
    traffic: &Traffic,
    layer_names: &[String],
    title: &str,
) -> Result<(), PlotError> {
    let size = (1200, 860);
    register_fonts();
    match format {
        Format::Svg => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw(&root, mapping, traffic, layer_names, title).map_err(draw_err(path))?;
            root.present().map_err(draw_err(path))?;
        }
        Format::Png => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw(&root, mapping, traffic, layer_names, title).map_err(draw_err(path))?;
            root.present().map_err(draw_err(path))?;
        }
    }
    Ok(())
}

/// Colour of layer `l` of `layers`: a qualitative palette (Tableau 10) for up to 10 layers,
/// else evenly spaced hues (so that no two layers share a colour).
fn layer_color_of(l: usize, layers: usize) -> RGBColor {
    if layers <= 10 {
        return layer_color(l);
    }
    let h = l as f64 / layers as f64;
    // Alternate lightness so that neighbouring layers differ also in brightness.
    let light = if l.is_multiple_of(2) { 0.45 } else { 0.62 };
    let c = HSLColor(h, 0.65, light).to_backend_color();
    RGBColor(c.rgb.0, c.rgb.1, c.rgb.2)
}

/// Colour of layer `l`: a qualitative palette (Tableau 10).
fn layer_color(l: usize) -> RGBColor {
    const P: [(u8, u8, u8); 10] = [
        (78, 121, 167),
        (242, 142, 43),
        (89, 161, 79),
        (225, 87, 89),
        (118, 183, 178),
        (237, 201, 72),
        (176, 122, 161),
        (255, 157, 167),
        (156, 117, 95),
        (186, 176, 172),
    ];
    let (r, g, b) = P[l % P.len()];
    RGBColor(r, g, b)
}

/// Traffic colour from light grey (little) to dark red (the busiest link).
fn load_color(f: f64) -> RGBColor {
    let f = f.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(lerp(150.0, 160.0), lerp(150.0, 0.0), lerp(150.0, 20.0))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Mapping,
    traffic: &Traffic,
    names: &[String],
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 24))?;
    let (area, legend) = root.split_horizontally(840);
    // Bounding box of the used cores, at least 4 × 4 within the mesh.
    let (mw, mh) = m.mesh;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for c in &m.cores {
        x0 = x0.min(c.position.0);
        y0 = y0.min(c.position.1);
        x1 = x1.max(c.position.0);
        y1 = y1.max(c.position.1);
    }
    if m.cores.is_empty() {
        (x0, y0, x1, y1) = (0, 0, 0, 0);
    }
    while x1 - x0 + 1 < 4.min(mw) {
        if x1 + 1 < mw {
            x1 += 1;
        } else {
            x0 -= 1;
        }
    }
    while y1 - y0 + 1 < 4.min(mh) {
        if y1 + 1 < mh {
            y1 += 1;
        } else {
            y0 -= 1;
        }
    }
    let (nx, ny) = ((x1 - x0 + 1) as i32, (y1 - y0 + 1) as i32);
    let (aw, ah) = area.dim_in_pixel();
    let cell = ((aw as i32 - 40) / nx).min((ah as i32 - 60) / ny).max(1);
    let ox = 20 + ((aw as i32 - 40) - cell * nx) / 2;
    let oy = 40;
    let b = &m.board;
    let board = if b.chips > 1 {
        format!(
            " of {} chips ({} × {} board, {} × {} cores per chip)",
            b.chips, b.shape.0, b.shape.1, b.chip_mesh.0, b.chip_mesh.1
        )
    } else {
        String::new()
    };
    let part = if (nx as u32, ny as u32) == (mw, mh) {
        format!("{mw} × {mh} mesh{board}")
    } else {
        format!(
            "cores x {x0}–{x1}, y {y0}–{y1} of the {mw} × {mh} mesh{board} (the rest is unused)"
        )
    };
    area.draw(&Text::new(part, (20, 10), ("sans-serif", 17)))?;
    let at = |x: u32, y: u32| -> (i32, i32) {
        (
            ox + (x - x0) as i32 * cell + cell / 2,
            oy + (y - y0) as i32 * cell + cell / 2,
        )
    };
    // Grid of mesh positions (only while the cells are large enough to show it).
    let half = |cell: i32| (cell / 2 - (cell / 10).max(1)).max(0);
    if cell >= 6 {
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (cx, cy) = at(x, y);
                let h = half(cell);
                area.draw(&Rectangle::new(
                    [(cx - h, cy - h), (cx + h, cy + h)],
                    RGBColor(200, 200, 200).stroke_width(1),
                ))?;
            }
        }
    }
    // Cores coloured by layer; numbered while there are few and they are large.
    let layers = names.len().max(m.layers.len());
    let numbered = cell >= 36 && m.cores.len() <= 100;
    for (i, c) in m.cores.iter().enumerate() {
        let (cx, cy) = at(c.position.0, c.position.1);
        let h = half(cell);
        let (lo, hi) = if cell >= 6 {
            ((cx - h, cy - h), (cx + h, cy + h))
        } else {
            // Tiny cells: fill the whole cell.
            (
                (cx - cell / 2, cy - cell / 2),
                (cx - cell / 2 + cell - 1, cy - cell / 2 + cell - 1),
            )
        };
        area.draw(&Rectangle::new(
            [lo, hi],
            layer_color_of(c.layer, layers).mix(0.85).filled(),
        ))?;
        if numbered {
            area.draw(&Text::new(
                format!("{i}"),
                (cx - h + 3, cy - h + 2),
                ("sans-serif", (cell / 5).clamp(10, 16))
                    .into_font()
                    .color(&BLACK),
            ))?;
        }
    }
    // Chip boundaries: a dark line along every chip edge inside the drawn part, and the chip
    // number in each chip's corner.
    if b.chips > 1 {
        let (cw, ch) = (b.chip_mesh.0.max(1), b.chip_mesh.1.max(1));
        let edge = |x: u32| ox + (x - x0) as i32 * cell;
        let edge_y = |y: u32| oy + (y - y0) as i32 * cell;
        let stroke = BLACK.mix(0.75).stroke_width(if cell >= 8 { 3 } else { 2 });
        for x in (x0..=x1 + 1).filter(|x| x.is_multiple_of(cw)) {
            area.draw(&PathElement::new(
                vec![(edge(x), edge_y(y0)), (edge(x), edge_y(y1) + cell)],
                stroke,
            ))?;
        }
        for y in (y0..=y1 + 1).filter(|y| y.is_multiple_of(ch)) {
            area.draw(&PathElement::new(
                vec![(edge(x0), edge_y(y)), (edge(x1) + cell, edge_y(y))],
                stroke,
            ))?;
        }
        let (sx0, sy0) = (x0 / cw, y0 / ch);
        let (sx1, sy1) = (x1 / cw, y1 / ch);
        for sy in sy0..=sy1 {
            for sx in sx0..=sx1 {
                let Some(k) = b.chip_in_slot((sx, sy)) else {
                    continue;
                };
                let (gx, gy) = ((sx * cw).max(x0), (sy * ch).max(y0));
                area.draw(&Text::new(
                    format!("chip {k}"),
                    (edge(gx) + 3, edge_y(gy) + 2),
                    ("sans-serif", 14).into_font().color(&BLACK),
                ))?;
            }
        }
    }
    // Link traffic: one line per direction, shifted apart (left out when the cells are tiny).
    let max = traffic.links.values().copied().max().unwrap_or(0).max(1) as f64;
    let links = if cell >= 3 {
        traffic.links.iter().collect()
    } else {
        Vec::new()
    };
    for (&(a, b), &load) in links {
        let (ax, ay) = at(a.0, a.1);
        let (bx, by) = at(b.0, b.1);
        let f = load as f64 / max;
        let s = (cell / 8).max(2);
        // Perpendicular shift by direction: +x/+y on one side, −x/−y on the other.
        let (dx, dy) = if ay == by {
            (0, if bx > ax { -s } else { s })
        } else {
            (if by > ay { s } else { -s }, 0)
        };
        let width = 1 + (f * (cell as f64 / 6.0).min(7.0)).round() as u32;
        area.draw(&PathElement::new(
            vec![(ax + dx, ay + dy), (bx + dx, by + dy)],
            load_color(f).stroke_width(width),
        ))?;
    }
    // Legend: layers (as many as fit, the rest summarised), then the traffic scale.
    let font = ("sans-serif", 16);
    let mut y = 40;
    legend.draw(&Text::new("Layers", (10, y), ("sans-serif", 18)))?;
    y += 28;
    let (_, lh) = legend.dim_in_pixel();
    // Rows left for layers: the chip line and the traffic scale below need about 260 px.
    let rows = ((lh as i32 - y - 260) / 24).max(2) as usize;
    for (l, name) in names.iter().enumerate() {
        if names.len() > rows && l + 1 == rows {
            let rest = names.len() - l;
            let cores = m.cores.iter().filter(|c| c.layer >= l).count();
            legend.draw(&Text::new(
                format!("… {rest} more layers: {cores} cores"),
                (10, y),
                font,
            ))?;
            y += 24;
            break;
        }
        let n = m.cores.iter().filter(|c| c.layer == l).count();
        legend.draw(&Rectangle::new(
            [(10, y), (30, y + 16)],
            layer_color_of(l, layers).mix(0.85).filled(),
        ))?;
        let s = if n == 1 { "" } else { "s" };
        legend.draw(&Text::new(format!("{name}: {n} core{s}"), (38, y), font))?;
        y += 24;
    }
    if b.chips > 1 {
        y += 12;
        legend.draw(&Text::new(
            format!("Chips: {} (dark lines: chip edges)", b.chips),
            (10, y),
            ("sans-serif", 18),
        ))?;
        y += 24;
    }
    y += 20;
    legend.draw(&Text::new(
        "Link traffic (packets/step,",
        (10, y),
        ("sans-serif", 18),
    ))?;
    y += 22;
    legend.draw(&Text::new(
        "every neuron firing once)",
        (10, y),
        ("sans-serif", 18),
    ))?;
    y += 30;
    for f in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let width = 1 + (f * (cell as f64 / 6.0).min(7.0)).round() as u32;
        legend.draw(&PathElement::new(
            vec![(10, y + 8), (60, y + 8)],
            load_color(f).stroke_width(width),
        ))?;
        legend.draw(&Text::new(format!("{:.0}", f * max), (70, y), font))?;
        y += 26;
    }
    if traffic.links.is_empty() {
        legend.draw(&Text::new("(no inter-core traffic)", (10, y), font))?;
    } else if cell < 3 {
        legend.draw(&Text::new(
            "(links not drawn: cores too small)",
            (10, y),
            font,
        ))?;
    }
    Ok(())
}
