//! `memsnn emulate` on a chip: program the chip's crossbars, run every time point and trial,
//! optionally the attribution stages, and print/write the chip report.

use crate::emulate::{EmulateArgs, write_atomic};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use memsnn::chip::{
    ChipSetup, ChipSpec, Counters, Effects, Mapping, STAGES, map_network, parse_time, program_chip,
    run_on_chip_with_neurons,
};
use memsnn::crossbar::{Adc, AdcRange, Compensation, Dac, MapConfig, ReadConfig};
use memsnn::device::DeviceCard;
use memsnn::device::statistics::Levels;
use memsnn::encode::Dataset;
use memsnn::network::{Graph, Netlist};
use memsnn::neuron::{Discretisation, NeuronModel};
use memsnn::report::{
    AccuracyStats, ChipConfig, ChipReport, IdealConfig, PerInference, ResourceSummary, StageResult,
    TimePoint, TimeResult,
};
use memsnn::sim::{Engine, RunOptions};
use std::time::Instant;

/// Default trials when neither the netlist nor the options give any.
const DEFAULT_TRIALS: usize = 5;

/// Run `memsnn emulate` on `chip_name`.
pub fn run(
    args: &EmulateArgs,
    netlist: &Netlist,
    cfg: IdealConfig,
    chip_name: &str,
    graph: &Graph,
    data: &Dataset,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<()> {
    let mut chip = ChipSpec::resolve(chip_name).with_context(|| format!("--chip {chip_name}"))?;
    // The option overrides the chip's flag; the report's chip records the model that ran.
    let neurons = args.neurons.unwrap_or(if chip.fixed_point_neurons {
        NeuronModel::LoihiFixed
    } else {
        NeuronModel::Float
    });
    chip.fixed_point_neurons = neurons == NeuronModel::LoihiFixed;
    // A device card file named by the netlist is relative to the netlist's folder.
    let device = args
        .device
        .clone()
        .or_else(|| {
            netlist.device.clone().map(|d| match &cfg.netlist {
                Some(p) if !DeviceCard::builtin_names().any(|b| b == d) => {
                    memsnn::config::resolve(p, std::path::Path::new(&d))
                        .to_string_lossy()
                        .into_owned()
                }
                _ => d,
            })
        })
        .unwrap_or_else(|| "ideal".into());
    let card = DeviceCard::resolve(&device).with_context(|| format!("--device {device}"))?;
    let mut statistics = card.statistics.clone();
    if let Some(n) = args.levels.or(netlist.levels) {
        if n < 2 {
            bail!("--levels must be at least 2, got {n}");
        }
        statistics.levels = Levels::Uniform(n);
    }
    let labels: Vec<String> = args
        .times
        .clone()
        .or(netlist.times.clone())
        .unwrap_or_else(|| vec!["1s".into()]);
    if labels.is_empty() {
        bail!("--time needs at least one time");
    }
    let mut times = Vec::new();
    for l in &labels {
        let seconds = parse_time(l).map_err(|e| anyhow::anyhow!("--time: {e}"))?;
        times.push(TimePoint {
            label: l.trim().to_string(),
            seconds,
        });
    }
    let trials = args.trials.or(netlist.trials).unwrap_or(DEFAULT_TRIALS);
    if trials == 0 {
        bail!("--trials must be at least 1");
    }
    let r_wire = args.r_wire.or(netlist.r_wire).unwrap_or(0.0);
    if !(r_wire.is_finite() && r_wire >= 0.0) {
        bail!("--r-wire must be a finite resistance ≥ 0 Ω, got {r_wire}");
    }
    let adc_bits = args.adc_bits.or(chip.core.adc_bits);
    let read = ReadConfig {
        adc: adc_bits.map(|bits| Adc {
            bits,
            range: AdcRange::Calibrated { margin: 1.0 },
        }),
        dac: chip.core.dac_bits.map(|bits| Dac { bits }),
        ..ReadConfig::default()
    };
    read.validate()
        .map_err(|e| anyhow::anyhow!("--adc-bits: {}", e.reason))?;
    let effects = Effects {
        levels: !args.no_levels,
        programming: !args.no_programming_noise,
        drift: !args.no_drift,
        read_noise: !args.no_read_noise,
        wire: !args.no_wire,
        adc: !args.no_adc,
        timing: !args.same_step,
    };
    let setup = ChipSetup {
        statistics,
        map: MapConfig::default(),
        read,
        r_wire,
        compensation: args
            .compensation
            .or(netlist.compensation)
            .unwrap_or(Compensation::None),
        delay: chip.delivery.steps() as usize,
        effects,
    };
    setup
        .statistics
        .validate()
        .map_err(|e| anyhow::anyhow!("device card {device}: {e}"))?;
    let mapping = map_network(graph, &chip, 2).with_context(|| {
        format!(
            "cannot map {} onto chip `{}`",
            cfg.network_display(),
            chip.name
        )
    })?;
    let disc = Discretisation {
        dt: cfg.dt,
        reset: cfg.reset,
        semantics: cfg.semantics,
    };
    let opts = RunOptions {
        timesteps: cfg.timesteps,
        encoding: cfg.encoding,
        seed: cfg.seed,
    };
    let n = cfg.samples.unwrap_or(data.len()).min(data.len());
    let x = data.images.slice(ndarray::s![..n, ..]);
    let y = &data.labels[..n];
    let attribution_time = args
        .attribution
        .then(|| times.iter().map(|t| t.seconds).fold(0.0, f64::max));
    let runs = 1
        + trials * times.len()
        + if args.attribution {
            trials * STAGES.len()
        } else {
            0
        };
    let bar = ProgressBar::new((runs * n) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} sample runs ({per_sec}, eta {eta})")
            .expect("valid template"),
    );
    let start = Instant::now();
    let tick = |k: usize| bar.inc(k as u64);
    let out = pool.install(|| -> anyhow::Result<_> {
        let ideal = Engine::new(graph, disc)?.run(x, &opts, &tick)?;
        let ideal_accuracy = ideal.accuracy(y);
        let mut per_time = vec![Vec::new(); times.len()];
        let mut counters = Counters::default();
        for trial in 0..trials as u64 {
            let programmed = program_chip(&mapping, &setup, cfg.seed, trial)?;
            for (k, t) in times.iter().enumerate() {
                let r = run_on_chip_with_neurons(
                    graph,
                    disc,
                    neurons,
                    &mapping,
                    &setup,
                    &programmed,
                    t.seconds,
                    trial,
                    x,
                    &opts,
                    &tick,
                )?;
                if trial == 0 && k == 0 {
                    counters = r.counters;
                }
                per_time[k].push(r.result.accuracy(y));
            }
        }
        let mut attribution = None;
        if let Some(t) = attribution_time {
            let mut stages = Vec::new();
            for (name, effects) in STAGES {
                // A stage switches an effect on only if the run has it on.
                let on = |a: bool, b: bool| a && b;
                let e = Effects {
                    levels: on(effects.levels, setup.effects.levels),
                    programming: on(effects.programming, setup.effects.programming),
                    drift: on(effects.drift, setup.effects.drift),
                    read_noise: on(effects.read_noise, setup.effects.read_noise),
                    wire: on(effects.wire, setup.effects.wire),
                    adc: on(effects.adc, setup.effects.adc),
                    timing: on(effects.timing, setup.effects.timing),
                };
                let s = ChipSetup {
                    effects: e,
                    ..setup.clone()
                };
                let mut acc = Vec::new();
                for trial in 0..trials as u64 {
                    let programmed = program_chip(&mapping, &s, cfg.seed, trial)?;
                    let r = run_on_chip_with_neurons(
                        graph,
                        disc,
                        neurons,
                        &mapping,
                        &s,
                        &programmed,
                        t,
                        trial,
                        x,
                        &opts,
                        &tick,
                    )?;
                    acc.push(r.result.accuracy(y));
                }
                stages.push(StageResult {
                    stage: name.to_string(),
                    accuracy: AccuracyStats::of(acc),
                });
            }
            attribution = Some(stages);
        }
        Ok((ideal_accuracy, per_time, counters, attribution))
    });
    let (ideal_accuracy, per_time, counters, attribution) = out.with_context(|| {
        format!(
            "cannot run {} on chip `{}`",
            cfg.network_display(),
            chip.name
        )
    })?;
    let secs = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let (energy, latency, breakdown) = energy_latency(&chip, &counters, &mapping)?;
    let report = ChipReport {
        mode: "chip".into(),
        memsnn_version: env!("CARGO_PKG_VERSION").into(),
        config: ChipConfig {
            seed: cfg.seed,
            run: cfg,
            chip: serde_json::to_value(&chip)?,
            device: card.name.clone(),
            setup,
            times: times.clone(),
            trials,
            attribution_time,
        },
        samples: n,
        ideal_accuracy,
        results: times
            .into_iter()
            .zip(per_time)
            .map(|(time, acc)| TimeResult {
                time,
                accuracy: AccuracyStats::of(acc),
            })
            .collect(),
        attribution,
        resources: ResourceSummary::of(&mapping, chip.core.rows, chip.core.cols, chip.core.neurons),
        per_inference: PerInference::of(&counters, energy, latency),
        counters,
        energy_breakdown: breakdown,
    };
    print!("{}", render(&report, &chip, secs, runs * n));
    if let Some(p) = &args.report {
        write_atomic(p, |tmp| {
            let f = std::fs::File::create(tmp)?;
            serde_json::to_writer_pretty(std::io::BufWriter::new(f), &report)?;
            Ok(())
        })?;
        println!("report: {}", p.display());
    }
    Ok(())
}

/// Energy [J] and latency [s] per inference, with the energy breakdown, from the chip model.
fn energy_latency(
    chip: &ChipSpec,
    c: &Counters,
    mapping: &Mapping,
) -> anyhow::Result<(f64, f64, serde_json::Value)> {
    let e = chip.energy(c);
    let latency = chip.latency(c, mapping);
    Ok((e.total, latency, serde_json::to_value(e)?))
}

fn render(r: &ChipReport, chip: &ChipSpec, secs: f64, sample_runs: usize) -> String {
    use std::fmt::Write;
    let c = &r.config;
    let s0 = &c.setup;
    let mut s = String::new();
    let _ = writeln!(s, "memsnn emulate (chip mode)");
    if let Some(n) = &c.run.netlist {
        let _ = writeln!(s, "netlist   {}", n.display());
    }
    let _ = writeln!(s, "network   {}", c.run.network_display());
    let _ = writeln!(
        s,
        "data      {} ({} samples)",
        c.run.images.display(),
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
        s0.delay,
        if s0.effects.timing { "" } else { ", off" }
    );
    let onoff = |b: bool| if b { "on" } else { "off" };
    let e = &s0.effects;
    let _ = writeln!(
        s,
        "device    {} (levels: {} {}, programming noise {}, drift {}, read noise {}), compensation {:?}",
        c.device,
        match &s0.statistics.levels {
            Levels::None => "continuous".to_string(),
            Levels::Uniform(n) => format!("{n} uniform"),
            Levels::List(l) => format!("{} listed", l.len()),
        },
        onoff(e.levels),
        onoff(e.programming),
        onoff(e.drift),
        onoff(e.read_noise),
        s0.compensation
    );
    let _ = writeln!(
        s,
        "neurons   {}",
        if chip.fixed_point_neurons {
            "loihi-fixed (integer state, 12-bit decays)"
        } else {
            "float (f32)"
        }
    );
    let _ = writeln!(
        s,
        "read path ADC {} ({}), wires {} Ω ({}), seed {}, {} trials",
        s0.read
            .adc
            .map(|a| format!("{} bits", a.bits))
            .unwrap_or_else(|| "ideal".into()),
        onoff(e.adc),
        s0.r_wire,
        onoff(e.wire && s0.r_wire > 0.0),
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
            c.attribution_time.unwrap_or(0.0)
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
    s
}
