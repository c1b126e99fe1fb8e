//! Running a checked [`Experiment`]: the ideal network, then (chip mode) every trial at every
//! time, then the attribution stages; all on the pool [`Par`] names.

use super::report::{
    AccuracyStats, ChipReport, IdealReport, Measured, PerInference, Report, ResourceSummary,
    Semantics, StageResult, TimeResult, peak_resident_bytes,
};
use super::{ChipPlan, Experiment, Observer, Par};
use crate::chip::Counters;
use crate::sim::{ChipAtTime, ChipSetup, Effects, Engine, RunResult, STAGES, SynapticOp};
use ndarray::{Array2, Array4, ArrayView2, s};

/// The outcome of one trial of a chip run (or of the ideal run, in ideal mode).
#[derive(Debug, Clone, PartialEq)]
pub struct TrialResult {
    /// Accuracy at each time of the configuration (one entry in ideal mode).
    pub accuracy: Vec<f64>,
    /// Output spike counts `[samples, classes]` at each time (spiking output layers).
    pub spike_counts: Vec<Option<Array2<i32>>>,
    /// Event counters at the first time (chip mode; zero in ideal mode).
    pub counters: Counters,
    /// Wall-clock seconds spent setting the chip up: programming, and at every time drift,
    /// compensation and IR-drop solves (0 in ideal mode).
    pub setup_seconds: f64,
}

impl Experiment {
    fn data(&self) -> (ArrayView2<'_, f32>, &[u8]) {
        let d = &self.inputs.data;
        (
            d.images.slice(s![..self.samples, ..]),
            &d.labels[..self.samples],
        )
    }

    /// The ideal (software) network's run, with this experiment's neuron arithmetic.
    fn run_ideal(&self, tick: &(dyn Fn(usize) + Sync)) -> crate::Result<RunResult> {
        let engine = Engine::with_neurons(&self.inputs.graph, self.disc, self.neurons, |_, _| {
            None::<Box<dyn SynapticOp>>
        })?;
        Ok(engine.run(self.data().0, &self.opts, tick)?)
    }

    /// Run trial `trial` of a chip run: program the chip for it and run every time (the
    /// ideal network in ideal mode), on the current rayon pool.
    pub fn run_trial(&self, trial: u64, observer: &dyn Observer) -> crate::Result<TrialResult> {
        let tick = |k: usize| observer.advance(k as u64);
        let (_, labels) = self.data();
        let Some(plan) = &self.chip else {
            let r = self.run_ideal(&tick)?;
            return Ok(TrialResult {
                accuracy: vec![r.accuracy(labels)],
                spike_counts: vec![r.spike_counts()],
                counters: Counters::default(),
                setup_seconds: 0.0,
            });
        };
        let times: Vec<f64> = self.config.times.iter().map(|t| t.seconds).collect();
        self.chip_trial(plan, &plan.setup, trial, &times, &tick)
    }

    fn chip_trial(
        &self,
        plan: &ChipPlan,
        setup: &ChipSetup,
        trial: u64,
        times: &[f64],
        tick: &(dyn Fn(usize) + Sync),
    ) -> crate::Result<TrialResult> {
        let (x, labels) = self.data();
        let mut out = TrialResult {
            accuracy: Vec::with_capacity(times.len()),
            spike_counts: Vec::with_capacity(times.len()),
            counters: Counters::default(),
            setup_seconds: 0.0,
        };
        for (k, &t) in times.iter().enumerate() {
            // Programming, drift, compensation and IR solves tile by tile, keeping only the
            // read models (bit-identical to programming once and moving copies).
            let start = std::time::Instant::now();
            let at = ChipAtTime::stream(
                &self.inputs.graph,
                &plan.mapping,
                setup,
                t,
                trial,
                self.opts.seed,
            )?;
            out.setup_seconds += start.elapsed().as_secs_f64();
            let r = at.run_with_neurons(
                &self.inputs.graph,
                self.disc,
                self.neurons,
                x,
                &self.opts,
                tick,
            )?;
            if k == 0 {
                out.counters = r.counters;
            }
            out.accuracy.push(r.result.accuracy(labels));
            out.spike_counts.push(r.result.spike_counts());
        }
        Ok(out)
    }

    /// Run the experiment: the ideal network; in chip mode every trial at every time and, when
    /// asked, the attribution stages. Identical for any `par`.
    pub fn run(&self, par: Par, observer: &dyn Observer) -> crate::Result<Report> {
        observer.start(self.sample_runs());
        par.install(|| match &self.chip {
            None => self.report_ideal(observer),
            Some(plan) => self.report_chip(plan, observer),
        })?
    }

    fn report_ideal(&self, observer: &dyn Observer) -> crate::Result<Report> {
        let r = self.run_ideal(&|k| observer.advance(k as u64))?;
        let (_, labels) = self.data();
        Ok(Report::Ideal(IdealReport {
            mode: "ideal".into(),
            memsnn_version: env!("CARGO_PKG_VERSION").into(),
            config: self.config.clone(),
            neurons: self.neurons,
            semantics: Semantics::describe(&self.config, r.readout),
            samples: self.samples,
            accuracy: r.accuracy(labels),
            readout: r.readout,
            layers: r.layers.clone(),
            workload: r.workload.metrics(),
            spike_counts: r.spike_counts(),
            predictions: r.predictions,
        }))
    }

    fn report_chip(&self, plan: &ChipPlan, observer: &dyn Observer) -> crate::Result<Report> {
        let tick = |k: usize| observer.advance(k as u64);
        let (_, labels) = self.data();
        let c = &self.config;
        let ideal = self.run_ideal(&tick)?;
        let ideal_accuracy = ideal.accuracy(labels);
        let workload = ideal.workload.metrics();
        let times: Vec<f64> = c.times.iter().map(|t| t.seconds).collect();
        let mut per_time = vec![Vec::with_capacity(c.trials); times.len()];
        let mut counts = Vec::new();
        let mut counters = Counters::default();
        let mut setup_seconds = 0.0;
        for trial in 0..c.trials as u64 {
            let r = self.chip_trial(plan, &plan.setup, trial, &times, &tick)?;
            setup_seconds += r.setup_seconds;
            if trial == 0 {
                counters = r.counters;
            }
            for (k, a) in r.accuracy.into_iter().enumerate() {
                per_time[k].push(a);
            }
            counts.extend(r.spike_counts);
        }
        let attribution_time = c
            .attribution
            .then(|| times.iter().copied().fold(0.0, f64::max));
        let attribution = match attribution_time {
            Some(t) => Some(self.attribution(plan, t, &tick)?),
            None => None,
        };
        let chip = &c.chip;
        let energy = chip.try_energy(&counters)?;
        let latency = chip.latency(&counters, &plan.mapping);
        let spike_counts = stack_counts(counts, c.trials, times.len());
        Ok(Report::Chip(Box::new(ChipReport {
            mode: "chip".into(),
            memsnn_version: env!("CARGO_PKG_VERSION").into(),
            config: c.clone(),
            neurons: self.neurons,
            delay: plan.setup.delay_in_effect(),
            samples: self.samples,
            ideal_accuracy,
            results: c
                .times
                .iter()
                .cloned()
                .zip(per_time)
                .map(|(time, acc)| TimeResult {
                    time,
                    accuracy: AccuracyStats::of(acc),
                })
                .collect(),
            attribution_time,
            attribution,
            workload,
            resources: ResourceSummary::of(
                &plan.mapping,
                chip.core.rows,
                chip.core.cols,
                chip.core.neurons,
            ),
            per_inference: PerInference::of(&counters, energy.total, latency),
            counters,
            energy_breakdown: serde_json::to_value(energy).expect("energies serialise"),
            measured: Measured {
                setup_seconds,
                peak_resident_bytes: peak_resident_bytes(),
            },
            spike_counts,
        })))
    }

    /// Accuracy after each cumulative stage of non-idealities at `t`, over the trials; a
    /// stage switches an effect on only if the run has it on.
    fn attribution(
        &self,
        plan: &ChipPlan,
        t: f64,
        tick: &(dyn Fn(usize) + Sync),
    ) -> crate::Result<Vec<StageResult>> {
        let on = plan.setup.effects;
        let mut stages = Vec::with_capacity(STAGES.len());
        for (name, stage) in STAGES {
            let setup = ChipSetup {
                effects: Effects {
                    levels: stage.levels && on.levels,
                    programming: stage.programming && on.programming,
                    drift: stage.drift && on.drift,
                    read_noise: stage.read_noise && on.read_noise,
                    wire: stage.wire && on.wire,
                    adc: stage.adc && on.adc,
                    timing: stage.timing && on.timing,
                },
                ..plan.setup.clone()
            };
            let mut acc = Vec::with_capacity(self.config.trials);
            for trial in 0..self.config.trials as u64 {
                acc.push(self.chip_trial(plan, &setup, trial, &[t], tick)?.accuracy[0]);
            }
            stages.push(StageResult {
                stage: name.to_string(),
                accuracy: AccuracyStats::of(acc),
            });
        }
        Ok(stages)
    }
}

/// `[trials · times]` count matrices (trial-major) as one `[trials, times, samples, classes]`
/// array; `None` when the output is not a spike train.
fn stack_counts(
    counts: Vec<Option<Array2<i32>>>,
    trials: usize,
    times: usize,
) -> Option<Array4<i32>> {
    let counts: Vec<Array2<i32>> = counts.into_iter().collect::<Option<_>>()?;
    let (n, k) = counts.first().map(|a| a.dim())?;
    let flat: Vec<i32> = counts.iter().flat_map(|a| a.iter().copied()).collect();
    Array4::from_shape_vec((trials, times, n, k), flat).ok()
}
