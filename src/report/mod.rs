//! Reports as people read them: the text tables `memsnn emulate` prints, and JSON.
//!
//! The report types themselves belong to the experiment stage that produces them
//! ([`crate::experiment::Report`]); this module only renders them. Rendering never runs
//! anything.

use crate::device::statistics::Levels;
use crate::experiment::{ChipReport, IdealReport, Report};
use crate::neuron::NeuronModel;
use crate::sim::{Readout, Workload};

/// Wall-clock facts of a run, for the speed line of a rendered report (not part of reports).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Seconds the run took.
    pub seconds: f64,
    /// Worker threads it ran on.
    pub threads: usize,
    /// Sample runs it did (samples × trials × times …).
    pub sample_runs: u64,
}

/// The report as the text tables `memsnn emulate` prints.
pub fn render(report: &Report, timing: &Timing) -> String {
    match report {
        Report::Ideal(r) => render_ideal(r, timing),
        Report::Chip(r) => render_chip(r, timing),
    }
}

/// The report as pretty-printed JSON.
pub fn to_json(report: &Report) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(report).expect("reports serialise");
    v.push(b'\n');
    v
}

fn render_ideal(r: &IdealReport, t: &Timing) -> String {
    let (secs, threads) = (t.seconds, t.threads);
    use std::fmt::Write;
    let c = &r.config;
    let mut s = String::new();
    let _ = writeln!(s, "memsnn emulate (ideal mode)");
    if let Some(n) = &c.netlist {
        let _ = writeln!(s, "netlist   {}", n.display());
    }
    let _ = writeln!(s, "network   {}", c.network_display());
    let _ = writeln!(
        s,
        "data      {} ({} samples)",
        c.data.images.display(),
        r.samples
    );
    let _ = writeln!(
        s,
        "semantics dt = {:e} s, T = {}, reset = {}, encoding = {}, seed = {}",
        c.dt,
        c.timesteps,
        c.reset,
        c.encoding.name(),
        c.seed
    );
    if r.neurons != NeuronModel::Float {
        let _ = writeln!(s, "  neurons      {}", r.neurons);
    }
    let _ = writeln!(s, "  integration  {}", r.semantics.integration);
    let _ = writeln!(s, "  reset        {}", r.semantics.reset);
    let _ = writeln!(s, "  order        {}", r.semantics.update_order);
    let _ = writeln!(s, "  input        {}", r.semantics.input);
    let _ = writeln!(s, "  readout      {}", r.semantics.readout);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<16} {:<10} {:>8} {:>14} {:>18} {:>20}",
        "layer", "type", "size", "spikes", "spikes/neuron/step", "synaptic events"
    );
    for l in &r.layers {
        let is_pop =
            l.synaptic_events == 0 && !matches!(l.kind.as_str(), "Affine" | "Linear" | "Conv2d");
        let _ = writeln!(
            s,
            "{:<16} {:<10} {:>8} {:>14} {:>18} {:>20}",
            l.name,
            l.kind,
            l.size,
            if is_pop {
                l.spikes.to_string()
            } else {
                "-".into()
            },
            if is_pop {
                format!("{:.4}", l.rate)
            } else {
                "-".into()
            },
            if is_pop {
                "-".into()
            } else {
                l.synaptic_events.to_string()
            },
        );
    }
    let _ = writeln!(s);
    s.push_str(&workload_line(&r.workload));
    let _ = writeln!(
        s,
        "accuracy  {:.4} ({} / {})",
        r.accuracy,
        (r.accuracy * r.samples as f64).round() as u64,
        r.samples
    );
    let _ = writeln!(
        s,
        "speed     {:.0} images/s ({} samples × {} steps in {:.3} s, {} threads)",
        r.samples as f64 / secs.max(1e-9),
        r.samples,
        c.timesteps,
        secs,
        threads
    );
    if r.readout == Readout::FinalValue {
        let _ = writeln!(
            s,
            "note      output is read as final membrane values (non-spiking output layer)"
        );
    }
    s
}

fn render_chip(r: &ChipReport, t: &Timing) -> String {
    let (secs, sample_runs) = (t.seconds, t.sample_runs);
    let chip = &r.config.chip;
    use std::fmt::Write;
    let c = &r.config;
    let mut s = String::new();
    let _ = writeln!(s, "memsnn emulate (chip mode)");
    if let Some(n) = &c.netlist {
        let _ = writeln!(s, "netlist   {}", n.display());
    }
    let _ = writeln!(s, "network   {}", c.network_display());
    let _ = writeln!(
        s,
        "data      {} ({} samples)",
        c.data.images.display(),
        r.samples
    );
    let _ = writeln!(
        s,
        "chip      {} ({} rows × {} cols per core, {}×{} mesh, delivery {} step(s){})",
        chip.name,
        chip.core.rows,
        chip.core.cols,
        chip.mesh.width,
        chip.mesh.height,
        chip.delivery.steps(),
        if c.effects.timing { "" } else { ", off" }
    );
    let onoff = |b: bool| if b { "on" } else { "off" };
    let e = &c.effects;
    let _ = writeln!(
        s,
        "device    {} (levels: {} {}, programming noise {}, drift {}, read noise {}), compensation {:?}",
        c.card,
        match &c.device.levels {
            Levels::None => "continuous".to_string(),
            Levels::Uniform(n) => format!("{n} uniform"),
            Levels::List(l) => format!("{} listed", l.len()),
        },
        onoff(e.levels),
        onoff(e.programming),
        onoff(e.drift),
        onoff(e.read_noise),
        c.compensation
    );
    let _ = writeln!(
        s,
        "neurons   {}",
        match r.neurons {
            NeuronModel::LoihiFixed => "loihi-fixed (integer state, 12-bit decays)",
            NeuronModel::Float => "float (f32)",
        }
    );
    let _ = writeln!(
        s,
        "read path ADC {} ({}), wires {} Ω ({}), seed {}, {} trials",
        c.read_config()
            .adc
            .map(|a| format!("{} bits", a.bits))
            .unwrap_or_else(|| "ideal".into()),
        onoff(e.adc),
        c.crossbar.r_wire,
        onoff(e.wire && c.crossbar.r_wire > 0.0),
        c.seed,
        c.trials
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "ideal (software) accuracy  {:.4}", r.ideal_accuracy);
    let _ = writeln!(s, "{:<12} {:>10} {:>10}", "time", "accuracy", "± std");
    for t in &r.results {
        let _ = writeln!(
            s,
            "{:<12} {:>10.4} {:>10.4}",
            t.time.label, t.accuracy.mean, t.accuracy.std
        );
    }
    if let Some(a) = &r.attribution {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "attribution at t = {} s (cumulative stages)",
            r.attribution_time.unwrap_or(0.0)
        );
        let _ = writeln!(
            s,
            "{:<28} {:>10} {:>10} {:>10}",
            "stage", "accuracy", "± std", "change"
        );
        let mut prev = None;
        for st in a {
            let d = prev.map(|p: f64| st.accuracy.mean - p);
            let _ = writeln!(
                s,
                "{:<28} {:>10.4} {:>10.4} {:>10}",
                st.stage,
                st.accuracy.mean,
                st.accuracy.std,
                d.map(|d| format!("{d:+.4}")).unwrap_or_default()
            );
            prev = Some(st.accuracy.mean);
        }
    }
    let res = &r.resources;
    let p = &r.per_inference;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "cores     {} of {} ({}×{} mesh); utilisation rows {:.1} %, columns {:.1} %, neurons {:.1} %",
        res.cores,
        res.mesh_cores,
        res.mesh.0,
        res.mesh.1,
        100.0 * res.row_utilisation,
        100.0 * res.col_utilisation,
        100.0 * res.neuron_utilisation
    );
    let chip = &r.config.chip;
    let _ = writeln!(
        s,
        "crossbars {} {} holding {} weight cells; convolutions {}",
        res.crossbars,
        match chip.core.subarray {
            Some(a) => format!("subarrays of {}×{}", a.rows, a.cols),
            None => "arrays (one per core)".into(),
        },
        res.weight_cells,
        match chip.conv {
            crate::chip::ConvMapping::Unrolled => "unrolled",
            crate::chip::ConvMapping::Shared => "shared (weight-stationary)",
        }
    );
    let _ = writeln!(
        s,
        "per inference (trial 0, t = {}): {:.0} crossbar reads, {:.0} synaptic ops, {:.0} ADC conversions, {:.0} spikes, {:.0} packets, {:.2} mean hops",
        r.results
            .first()
            .map(|t| t.time.label.as_str())
            .unwrap_or("-"),
        p.crossbar_reads,
        p.synaptic_ops,
        p.adc_conversions,
        p.spikes,
        p.packets,
        p.mean_hops
    );
    s.push_str(&workload_line(&r.workload));
    let _ = writeln!(
        s,
        "energy    {:.4e} J per inference; latency {:.4e} s per inference",
        p.energy, p.latency
    );
    let _ = writeln!(
        s,
        "speed     {:.0} sample runs/s ({sample_runs} sample runs incl. ideal, programming and IR solves, {:.2} s)",
        sample_runs as f64 / secs.max(1e-9),
        secs
    );
    let m = &r.measured;
    let _ = writeln!(
        s,
        "set-up    {:.2} s (programming, drift, IR-drop solves; all trials and times); peak memory {}",
        m.setup_seconds,
        m.peak_resident_bytes
            .map(|b| format!("{:.0} MiB", b as f64 / (1024.0 * 1024.0)))
            .unwrap_or_else(|| "unknown".into())
    );
    s
}

/// The NeuroBench workload metrics as one line, labelled apart from the chip's physical events.
fn workload_line(w: &Workload) -> String {
    format!(
        "workload  (NeuroBench, per sample) Effective_MACs {:.1}, Effective_ACs {:.1}, Dense {:.1}, ActivationSparsity {:.6}\n",
        w.effective_macs, w.effective_acs, w.dense, w.activation_sparsity
    )
}
