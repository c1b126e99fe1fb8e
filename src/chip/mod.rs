//! Chips: specs of TrueNorth-/Loihi-style multi-core chips, partitioning a network into cores,
//! placement on a mesh, routing, and per-event energy/latency tables.
//!
//! - [`ChipSpec`] describes a chip (RON files in `netlists/chips/`, presets `truenorth` and
//!   `loihi` built in; [`ChipSpec::resolve`] takes a preset name or a path);
//! - [`map_network`] partitions every synaptic layer of a [`Graph`] into tiles that fit the
//!   chip's cores, places the cores on the mesh and returns the [`Mapping`] (the contract with
//!   the chip-mode engine, see [`mapping`](Mapping));
//! - [`traffic`] estimates the packets per timestep between cores and on every mesh link
//!   under dimension-order (XY) routing; [`hops`] and [`xy_route`] are the routing primitives;
//! - [`ChipSpec::energy`] and [`ChipSpec::latency`] turn event [`Counters`] into energy and
//!   latency per inference (formulas in the README, section "Chip model").
//!
//! ```
//! use memsnn::chip::{ChipSpec, map_network};
//! use memsnn::network::NetworkSpec;
//! # let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
//! let graph = memsnn::network::load_nir(&dir.join("netlists/mnist-mlp/model.nir")).unwrap();
//! let chip = ChipSpec::resolve("truenorth").unwrap();
//! let mapping = map_network(&graph, &chip, 2).unwrap(); // 2 columns per weight (differential)
//! // 784 inputs need 4 row blocks of 196 axons; 128 outputs × 2 columns fill 256 columns.
//! assert_eq!(mapping.layers[0].tiles.len(), 4);
//! assert_eq!(mapping.layers[1].tiles.len(), 1);
//! ```

mod error;
mod mapping;
mod model;
mod partition;
mod place;
mod spec;

pub use error::ChipError;
pub use mapping::{Core, Counters, LayerMapping, Mapping, SharedConv, Tile};
pub use model::EnergyBreakdown;
pub use place::{Link, hops, xy_route};
pub use spec::{
    CHIP_VERSION, ChipSpec, ConvMapping, CoreSpec, Delivery, EnergyTable, Fanout, MeshSpec,
    SubarraySpec, TimingTable,
};

use crate::network::{Graph, NodeKind};
use partition::{LayerPlan, Limits, input_sources, partition_layer};
use std::collections::BTreeMap;

/// What a flow between two cores carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlowKind {
    /// Spikes from neurons on one core to the axons of another.
    Spikes,
    /// Partial sums from a tile to its outputs' home core.
    PartialSums,
}

/// Packets per timestep from one core to another (upper bound: every neuron fires once; one
/// packet per destination core for multicast chips, per destination axon for one-target chips).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// Source core (index into [`Mapping::cores`]).
    pub from: usize,
    /// Destination core.
    pub to: usize,
    /// What it carries.
    pub kind: FlowKind,
    /// Packets per timestep.
    pub packets: u64,
}

/// Estimated traffic of a mapping (see [`traffic`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// Flows between distinct cores, in a deterministic order.
    pub flows: Vec<Flow>,
    /// Packets per timestep on each directed mesh link, under XY routing.
    pub links: BTreeMap<Link, u64>,
}

impl Traffic {
    /// Σ packets and Σ packets × hops per timestep.
    pub fn totals(&self, mapping: &Mapping) -> (u64, u64) {
        self.flows.iter().fold((0, 0), |(p, h), f| {
            let d = hops(mapping.cores[f.from].position, mapping.cores[f.to].position) as u64;
            (p + f.packets, h + f.packets * d)
        })
    }
}

impl Mapping {
    /// Hops between two cores of the mapping (indices into [`Mapping::cores`]) under XY routing.
    pub fn hops(&self, a: usize, b: usize) -> u32 {
        hops(self.cores[a].position, self.cores[b].position)
    }
}

/// Indices of the synaptic nodes, and for every node its synaptic-layer index.
fn synaptic_layers(graph: &Graph) -> (Vec<usize>, Vec<Option<usize>>) {
    let mut of_node = vec![None; graph.nodes.len()];
    let mut nodes = Vec::new();
    for (i, n) in graph.nodes.iter().enumerate() {
        if n.kind.is_synaptic() {
            of_node[i] = Some(nodes.len());
            nodes.push(i);
        }
    }
    (nodes, of_node)
}

/// Per synaptic layer and input element, the elements `(source, element)` it is computed from
/// (source 0 = network input, k + 1 = output of synaptic layer k).
type Sources = Vec<Vec<Vec<(u32, u32)>>>;

fn all_sources(graph: &Graph) -> Result<Sources, ChipError> {
    let (nodes, of_node) = synaptic_layers(graph);
    nodes
        .iter()
        .map(|&i| input_sources(graph, i, &of_node))
        .collect()
}

/// The distinct layer-input elements (axons) each core's tiles read, by core (a core's
/// subarrays share its axons).
fn axons_by_core<'a, T: 'a>(
    tiles: &'a [T],
    elements: impl Fn(&'a T) -> std::borrow::Cow<'a, [u32]>,
    core: impl Fn(&T) -> usize,
) -> BTreeMap<usize, Vec<u32>> {
    let mut by: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for t in tiles {
        by.entry(core(t)).or_default().extend(elements(t).iter());
    }
    for v in by.values_mut() {
        v.sort_unstable();
        v.dedup();
    }
    by
}

/// Flows between global cores, given the plans, their first global core and homes.
fn flows_of(
    plans: &[LayerPlan],
    first: &[usize],
    home: &[Vec<u32>],
    sources: &Sources,
    one_target: bool,
) -> BTreeMap<(usize, usize, FlowKind), u64> {
    let mut f: BTreeMap<(usize, usize, FlowKind), u64> = BTreeMap::new();
    let mut seen: Vec<(u32, u32)> = Vec::new();
    for (l, plan) in plans.iter().enumerate() {
        // Spikes: per destination core, the distinct source elements its tiles read (every
        // read on one-target chips).
        for (core, axons) in axons_by_core(&plan.tiles, |t| plan.tile_elements(t), |t| t.core) {
            let core = first[l] + core;
            seen.clear();
            for i in axons {
                seen.extend(sources[l][i as usize].iter().filter(|s| s.0 > 0).copied());
            }
            if !one_target {
                seen.sort_unstable();
                seen.dedup();
            }
            for &(s, e) in &seen {
                let from = home[s as usize - 1][e as usize] as usize;
                if from != core {
                    *f.entry((from, core, FlowKind::Spikes)).or_default() += 1;
                }
            }
        }
        for tile in &plan.tiles {
            let core = first[l] + tile.core;
            for &j in plan.tile_targets(tile).iter() {
                let to = home[l][j as usize] as usize;
                if to != core && to != u32::MAX as usize {
                    *f.entry((core, to, FlowKind::PartialSums)).or_default() += 1;
                }
            }
        }
    }
    f
}

/// Map `graph` onto `chip`: partition every synaptic layer (Affine, Linear, Conv2d) into tiles
/// of at most `rows` axons and `cols / columns_per_output` outputs (e.g. 2 columns per weight
/// for a differential pair), add splitter neurons on one-target chips, check every core's
/// neuron capacity and the mesh's core count, and place the cores on the mesh.
///
/// One tile occupies one core. The home core of an output (where its neuron lives and its
/// partial sums are summed) is the core of the tile covering it with row block 0. On
/// [`Fanout::OneTarget`] chips, a value needed by `k > 1` axons (on any cores) costs `k`
/// splitter neurons on its home core; when these overflow a core's neurons, that layer is
/// re-partitioned with fewer outputs per tile. Pooling, flatten, scale and neuron populations
/// become routing (no cores).
///
/// Errors name the layer and the limit: [`ChipError::LayerTooLarge`] when a layer cannot be
/// split to fit, [`ChipError::MeshFull`] when the network needs more cores than the mesh has.
pub fn map_network(
    graph: &Graph,
    chip: &ChipSpec,
    columns_per_output: usize,
) -> Result<Mapping, ChipError> {
    let (nodes, _) = synaptic_layers(graph);
    let first_name = || {
        nodes
            .first()
            .map(|&i| graph.nodes[i].name.clone())
            .unwrap_or_default()
    };
    if columns_per_output == 0 {
        return Err(ChipError::Unsupported {
            layer: first_name(),
            reason: "columns per output must be at least 1".into(),
        });
    }
    if let Some(sa) = chip.core.subarray
        && sa.cols < columns_per_output
    {
        return Err(ChipError::Unsupported {
            layer: first_name(),
            reason: format!(
                "a weight needs {columns_per_output} columns but a subarray of `{}` has {}",
                chip.name, sa.cols
            ),
        });
    }
    let base = (chip.core.cols / columns_per_output).min(chip.core.neurons);
    let mut caps = vec![base; nodes.len()];
    let sources = all_sources(graph)?;
    let one_target = chip.fanout == Fanout::OneTarget;
    let avail = chip.mesh_cores();
    loop {
        let plans: Vec<LayerPlan> = nodes
            .iter()
            .zip(&caps)
            .map(|(&i, &cap)| {
                partition_layer(
                    graph,
                    i,
                    &chip.name,
                    Limits {
                        rows: chip.core.rows,
                        max_out: cap,
                        neurons: chip.core.neurons,
                        subarray: chip
                            .core
                            .subarray
                            .map(|a| (a.rows, a.cols / columns_per_output)),
                        conv: chip.conv,
                    },
                )
            })
            .collect::<Result<_, _>>()?;
        // Global core index of every tile, and the mesh check.
        let mut first = Vec::with_capacity(plans.len());
        let mut total = 0usize;
        let needed: usize = plans.iter().map(|p| p.cores.len()).sum();
        for p in &plans {
            first.push(total);
            total += p.cores.len();
            if total > avail {
                return Err(ChipError::MeshFull {
                    chip: chip.name.clone(),
                    layer: p.name.clone(),
                    needed,
                    available: avail,
                    width: chip.mesh.width,
                    height: chip.mesh.height,
                });
            }
        }
        let home: Vec<Vec<u32>> = plans
            .iter()
            .zip(&first)
            .map(|(p, &f)| {
                p.home
                    .iter()
                    .map(|&c| if c == u32::MAX { c } else { c + f as u32 })
                    .collect()
            })
            .collect();
        let mut neurons = vec![0usize; total];
        for h in &home {
            for &c in h {
                if c != u32::MAX {
                    neurons[c as usize] += 1;
                }
            }
        }
        // Axon targets of every neuron (distinct crossbar rows reading it).
        let mut splitters = vec![0usize; total];
        if one_target {
            let mut targets: Vec<Vec<u32>> = plans.iter().map(|p| vec![0; p.out_len]).collect();
            for (l, p) in plans.iter().enumerate() {
                for (_, axons) in axons_by_core(&p.tiles, |t| p.tile_elements(t), |t| t.core) {
                    for i in axons {
                        for &(s, e) in &sources[l][i as usize] {
                            if s > 0 {
                                targets[s as usize - 1][e as usize] += 1;
                            }
                        }
                    }
                }
            }
            for (k, t) in targets.iter().enumerate() {
                for (e, &n) in t.iter().enumerate() {
                    if n > 1 && home[k][e] != u32::MAX {
                        splitters[home[k][e] as usize] += n as usize;
                    }
                }
            }
        }
        // Neuron capacity: shrink the tiles of any layer whose home cores overflow.
        let mut overflow = false;
        for (l, p) in plans.iter().enumerate() {
            let worst = (first[l]..first[l] + p.cores.len())
                .map(|c| neurons[c] + splitters[c])
                .max()
                .unwrap_or(0);
            if worst > chip.core.neurons {
                overflow = true;
                let max_n = (first[l]..first[l] + p.cores.len())
                    .map(|c| neurons[c])
                    .max()
                    .unwrap_or(0);
                // A shared convolution's neurons are spread `neurons` per core whatever its
                // tiles: shrinking its tiles cannot make room for splitters.
                let shrunk = if p.shared.is_some() {
                    0
                } else {
                    (caps[l] * chip.core.neurons / worst).min(max_n.saturating_sub(1))
                };
                if shrunk == 0 {
                    let c = (first[l]..first[l] + p.cores.len())
                        .max_by_key(|&c| neurons[c] + splitters[c])
                        .unwrap_or(0);
                    return Err(ChipError::LayerTooLarge {
                        layer: p.name.clone(),
                        chip: chip.name.clone(),
                        reason: format!(
                            "a core hosting {} neuron(s) of it needs {} splitter neurons for their fan-out, more than the {} neurons of a core",
                            neurons[c], splitters[c], chip.core.neurons
                        ),
                    });
                }
                caps[l] = shrunk;
            }
        }
        if overflow {
            continue;
        }
        let flows = flows_of(&plans, &first, &home, &sources, one_target);
        let flat: Vec<(usize, usize, u64)> =
            flows.iter().map(|(&(a, b, _), &n)| (a, b, n)).collect();
        let pos = place::place(total, chip.mesh.width, chip.mesh.height, &flat);
        let mut cores = Vec::with_capacity(total);
        let mut layers = Vec::with_capacity(plans.len());
        for (l, p) in plans.into_iter().enumerate() {
            for (k, u) in p.cores.iter().enumerate() {
                let c = first[l] + k;
                cores.push(Core {
                    position: pos[c],
                    layer: l,
                    rows_used: u.rows,
                    cols_used: u.outputs * columns_per_output,
                    neurons: neurons[c],
                    splitters: splitters[c],
                    subarrays: u.subarrays,
                });
            }
            let tiles = p
                .tiles
                .into_iter()
                .map(|tile| Tile {
                    core: first[l] + tile.core,
                    inputs: tile.inputs,
                    outputs: tile.outputs,
                    weights: tile.weights,
                })
                .collect();
            layers.push(LayerMapping {
                node: p.node,
                name: p.name,
                in_len: p.in_len,
                out_len: p.out_len,
                bias: p.bias,
                tiles,
                home_core: home[l].clone(),
                shared: p.shared,
            });
        }
        return Ok(Mapping {
            chip: chip.name.clone(),
            mesh: (chip.mesh.width, chip.mesh.height),
            layers,
            cores,
        });
    }
}

/// Estimate the traffic of `mapping` (made by [`map_network`] from `graph` on `chip`): packets
/// per timestep between cores if every neuron fired once and every tile were read, and their
/// load on every mesh link under XY routing.
pub fn traffic(graph: &Graph, mapping: &Mapping, chip: &ChipSpec) -> Result<Traffic, ChipError> {
    let sources = all_sources(graph)?;
    let one_target = chip.fanout == Fanout::OneTarget;
    let mut flows = Vec::new();
    let mut seen: Vec<(u32, u32)> = Vec::new();
    let mut agg: BTreeMap<(usize, usize, FlowKind), u64> = BTreeMap::new();
    for (l, lm) in mapping.layers.iter().enumerate() {
        let Some(src) = sources.get(l) else { break };
        let home = &lm.home_core;
        for (core, axons) in axons_by_core(&lm.tiles, |t| lm.tile_elements(t), |t| t.core) {
            seen.clear();
            for i in axons {
                seen.extend(src[i as usize].iter().filter(|s| s.0 > 0).copied());
            }
            if !one_target {
                seen.sort_unstable();
                seen.dedup();
            }
            for &(s, e) in &seen {
                let from = mapping.layers[s as usize - 1].home_core[e as usize] as usize;
                if from != core {
                    *agg.entry((from, core, FlowKind::Spikes)).or_default() += 1;
                }
            }
        }
        for tile in &lm.tiles {
            for &j in lm.tile_targets(tile).iter() {
                let to = home[j as usize] as usize;
                if to != tile.core && to != u32::MAX as usize {
                    *agg.entry((tile.core, to, FlowKind::PartialSums))
                        .or_default() += 1;
                }
            }
        }
    }
    let mut links: BTreeMap<Link, u64> = BTreeMap::new();
    for ((from, to, kind), packets) in agg {
        for link in xy_route(mapping.cores[from].position, mapping.cores[to].position) {
            *links.entry(link).or_default() += packets;
        }
        flows.push(Flow {
            from,
            to,
            kind,
            packets,
        });
    }
    Ok(Traffic { flows, links })
}

/// Packets and hops caused by single events, for the chip-mode engine's counters (see
/// [`routes`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Routes {
    /// Per synaptic layer, per output element: packets one spike of its neuron sends to other
    /// cores (one per destination core on multicast chips, one per destination axon on
    /// one-target chips, where they leave through splitters).
    pub spike_packets: Vec<Vec<u32>>,
    /// Per synaptic layer, per output element: Σ hops of those packets (XY routing).
    pub spike_hops: Vec<Vec<u32>>,
    /// Per synaptic layer, per tile: `(packets, hops)` of the partial sums one read of the tile
    /// sends to its outputs' home cores on other cores.
    pub partial_sums: Vec<Vec<(u32, u32)>>,
}

/// Per-event packet and hop counts of `mapping` (made by [`map_network`] from `graph` on
/// `chip`). Values from the network input arrive from off-chip and cost no packets.
pub fn routes(graph: &Graph, mapping: &Mapping, chip: &ChipSpec) -> Result<Routes, ChipError> {
    let sources = all_sources(graph)?;
    let one_target = chip.fanout == Fanout::OneTarget;
    let mut r = Routes {
        spike_packets: mapping.layers.iter().map(|l| vec![0; l.out_len]).collect(),
        spike_hops: mapping.layers.iter().map(|l| vec![0; l.out_len]).collect(),
        partial_sums: Vec::with_capacity(mapping.layers.len()),
    };
    let mut seen: Vec<(u32, u32)> = Vec::new();
    for (l, lm) in mapping.layers.iter().enumerate() {
        let src = sources.get(l).ok_or_else(|| ChipError::Unsupported {
            layer: lm.name.clone(),
            reason: "the mapping has more layers than the graph".into(),
        })?;
        let mut ps = Vec::with_capacity(lm.tiles.len());
        for (core, axons) in axons_by_core(&lm.tiles, |t| lm.tile_elements(t), |t| t.core) {
            seen.clear();
            for i in axons {
                seen.extend(src[i as usize].iter().filter(|s| s.0 > 0).copied());
            }
            if !one_target {
                seen.sort_unstable();
                seen.dedup();
            }
            for &(s, e) in &seen {
                let (k, e) = (s as usize - 1, e as usize);
                let from = mapping.layers[k].home_core[e] as usize;
                if from != core {
                    r.spike_packets[k][e] += 1;
                    r.spike_hops[k][e] += mapping.hops(from, core);
                }
            }
        }
        for tile in &lm.tiles {
            let (mut n, mut h) = (0u32, 0u32);
            for &j in lm.tile_targets(tile).iter() {
                let to = lm.home_core[j as usize] as usize;
                if to != tile.core {
                    n += 1;
                    h += mapping.hops(tile.core, to);
                }
            }
            ps.push((n, h));
        }
        r.partial_sums.push(ps);
    }
    Ok(r)
}

/// True for node kinds that become routing on a chip (no cores).
pub fn is_routing(kind: &NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::AvgPool2d { .. }
            | NodeKind::SumPool2d { .. }
            | NodeKind::Flatten { .. }
            | NodeKind::Scale { .. }
    )
}
