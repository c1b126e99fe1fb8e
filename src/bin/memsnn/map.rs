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

/// Map a network onto a chip: cores per layer, utilisation, splitters, placement and traffic.
///
/// The chip, the weight mapping and the timesteps come from the netlist's run configuration
/// (the same one `memsnn emulate` runs); the options replace them.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Netlist (RON) or NIR file to map. Default: netlists/mnist-mlp/netlist.ron.
    pub netlist: Option<PathBuf>,
    /// Chip: truenorth, loihi or a chip spec file (RON) [netlist's chip, else loihi].
    #[arg(long, value_name = "NAME|FILE")]
    pub chip: Option<String>,
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
    /// Draw the placement (mesh, cores by layer, link traffic) to this .svg or .png file.
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
    writeln!(
        out,
        "{:<16} {:<8} {:>13} {:>6} {:>8} {:>8} {:>8} {:>9}",
        "layer", "type", "in → out", "cores", "rows", "columns", "neurons", "splitters"
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
        writeln!(
            out,
            "{:<16} {:<8} {:>13} {:>6} {:>8} {:>8} {:>8} {:>9}",
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
    writeln!(
        out,
        "mesh occupancy: {n} of {} cores ({})",
        chip.mesh_cores(),
        pct(n, chip.mesh_cores())
    )
    .ok();
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
    let t = traffic(&graph, m, chip)?;
    let (packets, hops) = t.totals(m);
    let busiest = t.links.values().copied().max().unwrap_or(0);
    writeln!(
        out,
        "traffic if every neuron fired once per step: {packets} packets/step, mean {:.2} hops, busiest link {busiest} packets/step",
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
        let title = format!(
            "{} on {}: {} cores, {} packets/step if every neuron fires",
            m.layers
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>()
                .join(" → "),
            chip.name,
            m.cores.len(),
            packets
        );
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
