//! The energy and latency model: event counters × the chip's tables.
//!
//! Energy per inference (J), with `N` = samples and each counter summed over the run:
//!
//! ```text
//! E = [ n_syn·e_syn + n_read·e_read + n_adc·e_adc + n_neuron·e_neuron
//!       + n_packet·e_packet + n_hop·e_hop ] / N  +  T·e_barrier
//! ```
//!
//! Latency per inference (s): every layer `l` is a pipeline stage taking
//! `s_l = r_l·(t_read + ⌈c_l / adcs⌉·t_adc) + h_l·t_hop`, where `r_l` is the reads of a tile
//! per step (1; the output positions `OH·OW` for a weight-stationary convolution, read one
//! after another), `c_l` is the most columns any of its
//! cores converts and `h_l` the longest route into or within it (from the previous layer's
//! home cores to its cores, and from its tiles to their outputs' home cores). A timestep lasts
//! `t_step = max(t_tick, t_compute + t_barrier)` with `t_compute = Σ_l s_l` when spikes are
//! delivered in the same step (layers run one after the other) and `max_l s_l` when delivery
//! takes `d ≥ 1` steps (layers run in parallel, pipelined). An inference of `T` steps takes
//! `(T + d·(L − 1))·t_step`: the last input step needs `d·(L − 1)` more steps to reach the
//! output through `L` synaptic layers.

use super::{ChipSpec, Counters, Mapping, hops};
use serde::{Deserialize, Serialize};

/// Energy per inference by component, in joules (see the module docs for the formula).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergyBreakdown {
    /// Synaptic events in the crossbars.
    pub synaptic: f64,
    /// Crossbar reads (row drivers).
    pub crossbar_read: f64,
    /// ADC conversions.
    pub adc: f64,
    /// Neuron updates.
    pub neuron: f64,
    /// Packets and their hops on the mesh.
    pub communication: f64,
    /// Timestep barriers.
    pub barrier: f64,
    /// Sum of the above.
    pub total: f64,
    /// What a digital chip would spend on the same synaptic events (comparison only), if the
    /// spec gives a reference energy per event.
    pub digital_reference: Option<f64>,
}

impl ChipSpec {
    /// Energy per inference from the run's counters, or an error naming the component, its
    /// count and its energy per event when a value is not finite (a spec built in code
    /// without [`validate`](ChipSpec::validate); validated specs bound every energy so that
    /// this cannot happen).
    pub fn try_energy(&self, c: &Counters) -> Result<EnergyBreakdown, super::ChipError> {
        let b = self.energy(c);
        let e = &self.energy;
        let parts = [
            (
                "synaptic",
                b.synaptic,
                "synaptic_op",
                c.synaptic_ops,
                e.synaptic_op,
            ),
            (
                "crossbar_read",
                b.crossbar_read,
                "crossbar_read",
                c.crossbar_reads,
                e.crossbar_read,
            ),
            (
                "adc",
                b.adc,
                "adc_conversion",
                c.adc_conversions,
                e.adc_conversion,
            ),
            (
                "neuron",
                b.neuron,
                "neuron_update",
                c.neuron_updates,
                e.neuron_update,
            ),
            (
                "communication",
                b.communication,
                "packet",
                c.packets,
                e.packet,
            ),
            ("communication", b.communication, "hop", c.hops, e.hop),
            ("barrier", b.barrier, "barrier", c.timesteps, e.barrier),
        ];
        for (what, value, field, count, joules) in parts {
            if !value.is_finite() {
                return Err(super::ChipError::Overflow {
                    chip: self.name.clone(),
                    what: format!("{what} energy"),
                    inputs: format!(
                        "{count} events × energy.{field} = {joules} J over {} samples",
                        c.samples
                    ),
                });
            }
        }
        if !b.total.is_finite() {
            return Err(super::ChipError::Overflow {
                chip: self.name.clone(),
                what: "total energy".into(),
                inputs: format!("the sum of the components {b:?}"),
            });
        }
        Ok(b)
    }

    /// Energy per inference from the run's counters (zero when no sample ran).
    pub fn energy(&self, c: &Counters) -> EnergyBreakdown {
        if c.samples == 0 {
            return EnergyBreakdown::default();
        }
        let e = &self.energy;
        let n = c.samples as f64;
        let per = |count: u64, joules: f64| count as f64 * joules / n;
        let synaptic = per(c.synaptic_ops, e.synaptic_op);
        let crossbar_read = per(c.crossbar_reads, e.crossbar_read);
        let adc = per(c.adc_conversions, e.adc_conversion);
        let neuron = per(c.neuron_updates, e.neuron_update);
        let communication = per(c.packets, e.packet) + per(c.hops, e.hop);
        let barrier = c.timesteps as f64 * e.barrier;
        EnergyBreakdown {
            synaptic,
            crossbar_read,
            adc,
            neuron,
            communication,
            barrier,
            total: synaptic + crossbar_read + adc + neuron + communication + barrier,
            digital_reference: e.reference_synaptic_op.map(|r| per(c.synaptic_ops, r)),
        }
    }

    /// Duration of one pipeline stage per synaptic layer of `mapping` (s), see the module docs.
    pub fn stage_times(&self, mapping: &Mapping) -> Vec<f64> {
        let t = &self.timing;
        let adcs = self.core.adcs.max(1);
        let mut prev_homes: Vec<usize> = Vec::new();
        let mut stages = Vec::with_capacity(mapping.layers.len());
        for lm in &mapping.layers {
            let cores: Vec<usize> = lm.tiles.iter().map(|t| t.core).collect();
            let cols = cores
                .iter()
                .map(|&c| mapping.cores[c].cols_used)
                .max()
                .unwrap_or(0);
            let mut homes: Vec<usize> = lm.home_core.iter().map(|&h| h as usize).collect();
            homes.sort_unstable();
            homes.dedup();
            homes.retain(|&h| h < mapping.cores.len());
            let pos = |c: usize| mapping.cores[c].position;
            let into = prev_homes
                .iter()
                .flat_map(|&a| cores.iter().map(move |&b| (a, b)))
                .map(|(a, b)| hops(pos(a), pos(b)))
                .max()
                .unwrap_or(0);
            let within = lm
                .tiles
                .iter()
                .flat_map(|tile| {
                    lm.tile_targets(tile)
                        .iter()
                        .map(|&j| lm.home_core[j as usize] as usize)
                        .filter(|&h| h < mapping.cores.len())
                        .map(|h| hops(pos(tile.core), pos(h)))
                        .collect::<Vec<_>>()
                })
                .max()
                .unwrap_or(0);
            let h = into.max(within);
            // A shared convolution reads its tiles once per output position, one after another.
            let reads = lm.reads_per_step() as f64;
            stages.push(reads * (t.read + cols.div_ceil(adcs) as f64 * t.adc) + h as f64 * t.hop);
            prev_homes = homes;
        }
        stages
    }

    /// Latency of one inference (s) of `counters.timesteps` steps on `mapping` (see the module docs).
    pub fn latency(&self, counters: &Counters, mapping: &Mapping) -> f64 {
        let stages = self.stage_times(mapping);
        let d = self.delivery.steps() as u64;
        let compute = if d == 0 {
            stages.iter().sum::<f64>()
        } else {
            stages.iter().copied().fold(0.0, f64::max)
        };
        let step = self.timing.tick.max(compute + self.timing.barrier);
        let depth = d * (stages.len() as u64).saturating_sub(1);
        (counters.timesteps + depth) as f64 * step
    }
}
