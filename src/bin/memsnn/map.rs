//! `memsnn map`: partition a network onto a chip, print the resource table, draw the placement.

use crate::common::Outputs;
use anyhow::{Context, bail};
use clap::Args;
use memsnn::chip::{ChipSpec, Fanout, Mapping, traffic};
use memsnn::crossbar::MappingKind;
use memsnn::experiment::{DataConfig, RunConfig};
use memsnn::network::{Graph, NetworkSpec};
use memsnn::plot::{Format, draw_placement};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Map a network onto a chip or a board of chips: cores per layer and per chip, utilisation,
/// splitters, placement and traffic (with chip crossings on a board).
///
/// The chip, the weight mapping and the timesteps come from the netlist's run configuration
/// (the same one `memsnn emulate` runs); the options replace them.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Netlist (RON, or a folder holding netlist.ron) or NIR file to map. Default:
    /// netlists/mnist-mlp/netlist.ron.
    pub netlist: Option<PathBuf>,
    /// Chip: truenorth, loihi, a board preset (ns16e, nahuku, pohoiki-springs) or a chip spec
    /// file (RON) [netlist's chip, else loihi].
    #[arg(long, value_name = "NAME|FILE")]
    pub chip: Option<String>,
    /// Chips of that kind on one board (1..=16384): the network is spread over them, chip by
    /// chip [netlist's `chips`, else the chip spec's board, 1 for truenorth and loihi].
    #[arg(long, value_name = "N")]
    pub chips: Option<u32>,
    /// Board mesh of the chips, XxY (e.g. 4x4), for a board of several chips [chip spec's board
    /// shape, else the squarest grid].
    #[arg(long, value_name = "XxY")]
    pub board_shape: Option<String>,
    /// Crossbar columns per weight: 2 = differential pair, 1 = offset column [2].
    #[arg(long, value_name = "N")]
    pub columns_per_weight: Option<usize>,
    /// Physical crossbar subarrays of every core: ROWSxCOLS (e.g. 256x256), N or none
    /// [chip's `core.subarray`].
    #[arg(long, value_name = "RxC", value_parser = crate::common::parse_subarray)]
    pub subarray: Option<crate::common::SubarrayArg>,
    /// How convolutions are laid out: unrolled or shared (weight-stationary) [chip's `conv`].
    #[arg(long, value_name = "MAPPING", value_parser = crate::common::parse_conv_mapping)]
    pub conv_mapping: Option<memsnn::chip::ConvMapping>,
    /// Timesteps per inference for the latency estimate [netlist, else 25].
    #[arg(long, value_name = "T")]
    pub timesteps: Option<usize>,
    /// Draw the placement (mesh, chip edges, cores by layer, link traffic) to this .svg or .png
    /// file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// The run configuration `map` works on, with the options applied.
fn configure(args: &MapArgs) -> anyhow::Result<RunConfig> {
    let p = crate::emulate::netlist_path(args.netlist.as_deref())?;
    let mut c = if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("nir")) {
        RunConfig::new(
            NetworkSpec::Nir(std::path::absolute(&p).unwrap_or(p.clone())),
            DataConfig {
                images: PathBuf::new(),
                labels: PathBuf::new(),
            },
        )?
    } else {
        RunConfig::from_netlist(&p)?
    };
    if let Some(chip) = &args.chip {
        c.set_chip(chip).with_context(|| format!("--chip {chip}"))?;
    }
    crate::emulate::set_board(&mut c, args.chips, args.board_shape.as_deref())?;
    match args.columns_per_weight {
        None => {}
        Some(2) => c.crossbar.map.kind = MappingKind::Differential,
        Some(1) => c.crossbar.map.kind = MappingKind::Offset,
        Some(n) => bail!(
            "--columns-per-weight {n}: a weight takes 2 columns (differential pair) or 1 (offset column)"
        ),
    }
    if args.subarray.is_some() || args.conv_mapping.is_some() {
        crate::common::apply_layout(&mut c, args.subarray, args.conv_mapping)?;
    }
    if let Some(t) = args.timesteps {
        if t == 0 {
            bail!("--timesteps must be at least 1");
        }
        c.timesteps = t;
    }
    Ok(c)
}

fn pct(used: usize, total: usize) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * used as f64 / total as f64)
    }
}

/// A duration with a readable unit.
fn seconds(s: f64) -> String {
    if s == 0.0 {
        return "0 s".into();
    }
    let (scale, unit) = [(1.0, "s"), (1e-3, "ms"), (1e-6, "µs")]
        .into_iter()
        .find(|(k, _)| s >= *k)
        .unwrap_or((1e-9, "ns"));
    format!("{:.4} {unit}", s / scale)
}

fn print_table(out: &mut String, graph: &Graph, chip: &ChipSpec, m: &Mapping, cpw: usize) {
    writeln!(
        out,
        "chip {}: {} × {} mesh ({} cores), core = {} axons × {} columns, {} neurons, fan-out {}, {} column(s) per weight",
        chip.name,
        chip.mesh.width,
        chip.mesh.height,
        chip.mesh_cores(),
        chip.core.rows,
        chip.core.cols,
        chip.core.neurons,
        match chip.fanout {
            Fanout::Unlimited => "multicast",
            Fanout::OneTarget => "one target (splitters)",
        },
        cpw
    )
    .ok();
    let multi = m.board.chips > 1;
    if multi {
        let b = &chip.board;
        let (x, y) = b.grid();
        writeln!(
            out,
            "board: {} chips on a {x} × {y} board ({} × {} global mesh, {} cores), chip-to-chip link {} and {:.3e} J per packet per chip boundary crossed",
            b.chips,
            m.mesh.0,
            m.mesh.1,
            chip.board_cores(),
            seconds(b.link_latency),
            b.link_energy
        )
        .ok();
    }
    writeln!(
        out,
        "{:<16} {:<8} {:>13} {:>6} {:>8} {:>8} {:>8} {:>9}{}",
        "layer",
        "type",
        "in → out",
        "cores",
        "rows",
        "columns",
        "neurons",
        "splitters",
        if multi { "  chips" } else { "" }
    )
    .ok();
    let (c_rows, c_cols, c_neur) = (chip.core.rows, chip.core.cols, chip.core.neurons);
    for (l, lm) in m.layers.iter().enumerate() {
        let cores: Vec<_> = m.cores.iter().filter(|c| c.layer == l).collect();
        let n = cores.len();
        let rows: usize = cores.iter().map(|c| c.rows_used).sum();
        let cols: usize = cores.iter().map(|c| c.cols_used).sum();
        let neur: usize = cores.iter().map(|c| c.neurons + c.splitters).sum();
        let split: usize = cores.iter().map(|c| c.splitters).sum();
        let chips = if multi {
            let on: Vec<u32> = lm.tiles.iter().map(|t| m.chip_of(t.core)).collect();
            match (on.iter().min(), on.iter().max()) {
                (Some(a), Some(b)) if a == b => format!("  {a}"),
                (Some(a), Some(b)) => format!("  {a}–{b}"),
                _ => "  -".into(),
            }
        } else {
            String::new()
        };
        writeln!(
            out,
            "{:<16} {:<8} {:>13} {:>6} {:>8} {:>8} {:>8} {:>9}{chips}",
            lm.name,
            graph.nodes[lm.node].kind.type_name(),
            format!("{} → {}", lm.in_len, lm.out_len),
            n,
            pct(rows, n * c_rows),
            pct(cols, n * c_cols),
            pct(neur, n * c_neur),
            split
        )
        .ok();
    }
    let n = m.cores.len();
    let rows: usize = m.cores.iter().map(|c| c.rows_used).sum();
    let cols: usize = m.cores.iter().map(|c| c.cols_used).sum();
    let neur: usize = m.cores.iter().map(|c| c.neurons + c.splitters).sum();
    let split: usize = m.cores.iter().map(|c| c.splitters).sum();
    writeln!(
        out,
        "{:<16} {:<8} {:>13} {:>6} {:>8} {:>8} {:>8} {:>9}",
        "total",
        "",
        "",
        n,
        pct(rows, n * c_rows),
        pct(cols, n * c_cols),
        pct(neur, n * c_neur),
        split
    )
    .ok();
    if !multi {
        writeln!(
            out,
            "mesh occupancy: {n} of {} cores ({})",
            chip.mesh_cores(),
            pct(n, chip.mesh_cores())
        )
        .ok();
        return;
    }
    writeln!(
        out,
        "mesh occupancy: {n} of {} cores ({}) on {} chips",
        chip.board_cores(),
        pct(n, chip.board_cores()),
        m.board.chips
    )
    .ok();
    print_chips(out, chip, m);
}

/// Per chip: its board slot, cores used and their utilisation, and the layers it hosts.
fn print_chips(out: &mut String, chip: &ChipSpec, m: &Mapping) {
    const SHOWN: usize = 32;
    let per_chip = chip.mesh_cores();
    let (c_rows, c_cols, c_neur) = (chip.core.rows, chip.core.cols, chip.core.neurons);
    writeln!(
        out,
        "{:<6} {:>9} {:>14} {:>8} {:>8} {:>8}  layers",
        "chip", "slot", "cores", "rows", "columns", "neurons"
    )
    .ok();
    let mut used = 0;
    for k in 0..m.board.chips {
        let cores: Vec<usize> = (0..m.cores.len()).filter(|&c| m.chip_of(c) == k).collect();
        if cores.is_empty() {
            continue;
        }
        used += 1;
        if used > SHOWN {
            continue;
        }
        let n = cores.len();
        let sum = |f: &dyn Fn(&memsnn::chip::Core) -> usize| -> usize {
            cores.iter().map(|&c| f(&m.cores[c])).sum()
        };
        let mut layers: Vec<&str> = cores
            .iter()
            .map(|&c| m.layers[m.cores[c].layer].name.as_str())
            .collect();
        layers.dedup();
        let (sx, sy) = m.board.slot(k);
        writeln!(
            out,
            "{:<6} {:>9} {:>14} {:>8} {:>8} {:>8}  {}",
            k,
            format!("({sx}, {sy})"),
            format!("{n}/{per_chip} {}", pct(n, per_chip)),
            pct(sum(&|c| c.rows_used), n * c_rows),
            pct(sum(&|c| c.cols_used), n * c_cols),
            pct(sum(&|c| c.neurons + c.splitters), n * c_neur),
            layers.join(", ")
        )
        .ok();
    }
    if used > SHOWN {
        writeln!(out, "… and {} more chips in use", used - SHOWN).ok();
    }
    let idle = m.board.chips as usize - used;
    if idle > 0 {
        writeln!(out, "{idle} of {} chips unused", m.board.chips).ok();
    }
}

/// The physical crossbars of the mapping: subarrays built, weight cells and the conv layout.
fn print_crossbars(out: &mut String, chip: &ChipSpec, m: &Mapping, cpw: usize) {
    let subarrays: usize = m.cores.iter().map(|c| c.subarrays).sum();
    let weights: usize = m
        .layers
        .iter()
        .flat_map(|l| &l.tiles)
        .map(|t| t.weights.len())
        .sum();
    writeln!(
        out,
        "crossbars: {subarrays} {} holding {weights} weight cells ({} devices); convolutions {}",
        match chip.core.subarray {
            Some(sa) => format!("subarrays of {}×{}", sa.rows, sa.cols),
            None => "arrays (one per core)".into(),
        },
        weights * cpw,
        match chip.conv {
            memsnn::chip::ConvMapping::Unrolled => "unrolled (a neuron per output position)",
            memsnn::chip::ConvMapping::Shared =>
                "shared (weight-stationary: one kernel read per output position)",
        }
    )
    .ok();
}

/// Run `memsnn map`.
pub fn run(args: &MapArgs) -> anyhow::Result<()> {
    let config = configure(args)?;
    let mut outputs = Outputs::default();
    let format = match &args.svg {
        Some(p) => {
            outputs.plan("--svg", p, &crate::emulate::input_files(&config))?;
            Some(Format::from_path(p)?)
        }
        None => None,
    };
    config.chip.validate().map_err(|e| e.within("chip"))?;
    let graph = config.network.load(
        config
            .netlist
            .as_deref()
            .unwrap_or(std::path::Path::new("memsnn")),
    )?;
    let chip = &config.chip;
    let plan = memsnn::experiment::plan_chip(&config, &graph)?;
    let m = &plan.mapping;
    let cpw = match config.crossbar.map.kind {
        MappingKind::Differential => 2,
        MappingKind::Offset => 1,
    };
    let mut out = String::new();
    print_table(&mut out, &graph, chip, m, cpw);
    print_crossbars(&mut out, chip, m, cpw);
    let t = traffic(&graph, m, chip)?;
    let (packets, hops) = t.totals(m);
    let busiest = t.links.values().copied().max().unwrap_or(0);
    let crossing = if m.board.chips > 1 {
        let (p, x) = t.crossings(m);
        format!("; {p} packets/step cross a chip boundary ({x} chip crossings/step)")
    } else {
        String::new()
    };
    writeln!(
        out,
        "traffic if every neuron fired once per step: {packets} packets/step, mean {:.2} hops, busiest link {busiest} packets/step{crossing}",
        if packets == 0 {
            0.0
        } else {
            hops as f64 / packets as f64
        }
    )
    .ok();
    let steps = config.timesteps as u64;
    let counters = memsnn::chip::Counters {
        samples: 1,
        timesteps: steps,
        ..Default::default()
    };
    let lat = chip.latency(&counters, m);
    writeln!(
        out,
        "latency per inference ({steps} steps, delivery {} step(s) per layer): {}",
        chip.delivery.steps(),
        seconds(lat)
    )
    .ok();
    if let (Some(path), Some(format)) = (&args.svg, format) {
        let names: Vec<String> = m
            .layers
            .iter()
            .map(|l| format!("{} ({})", l.name, graph.nodes[l.node].kind.type_name()))
            .collect();
        let on = if m.board.chips > 1 {
            format!("{} × {}", m.board.chips, chip.name)
        } else {
            chip.name.clone()
        };
        let mut title = format!(
            "{} on {on}: {} cores, {} packets/step if every neuron fires",
            m.layers
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>()
                .join(" → "),
            m.cores.len(),
            packets
        );
        // Long layer chains are summarised in the title (the legend lists them).
        if m.layers.len() > 8 {
            title = format!(
                "{} layers on {on}: {} cores, {} packets/step if every neuron fires",
                m.layers.len(),
                m.cores.len(),
                packets
            );
        }
        crate::common::write_atomic(path, |tmp| {
            draw_placement(tmp, format, m, &t, &names, &title).map_err(Into::into)
        })?;
        writeln!(out, "wrote {}", path.display()).ok();
    }
    // A closed pipe (`memsnn map | head`) is not an error.
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
