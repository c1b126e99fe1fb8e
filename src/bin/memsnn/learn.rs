//! `memsnn learn`: train a spiking network with a local rule (ideal or pulsed device synapses),
//! assign labels, test; the Diehl & Cook network by default. Also the device-effect attribution
//! (`--attribute`) and the encodings × neurons × rules study (`--study`).

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use memsnn::device::{DeviceCard, PulseSpec, StepLaw};
use memsnn::encode::Dataset;
use memsnn::learn::{
    CurvePoint, Inhibition, LearnConfig, LearnEncoding, LearnReport, NeuronKind, Observer, Rule,
    RunData, RunPlan, Snapshot, SynapseStore, Trainer,
};
use memsnn::output::write_atomic;
use memsnn::plot::learn::{plot_accuracy_curves, plot_heatmap, plot_receptive_fields};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `memsnn learn`.
#[derive(Debug, clap::Args)]
pub struct LearnArgs {
    /// Learning network (.ron); default: the bundled Diehl & Cook netlist
    /// (`netlists/diehl-cook/diehl-cook-100.ron`, data paths relative to the current folder's
    /// `netlists/diehl-cook/`).
    netlist: Option<PathBuf>,
    /// Folder with the IDX files (`train-images-idx3-ubyte.gz`, `train-labels-…`, and
    /// `test-…` or `t10k-…`), instead of the netlist's paths.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Training images (the first N of the training set).
    #[arg(long, default_value_t = 8000)]
    train: usize,
    /// Passes over the training images.
    #[arg(long, default_value_t = 1)]
    passes: usize,
    /// Test images (the first N of the test set).
    #[arg(long, default_value_t = 2000)]
    test: usize,
    /// Training images whose responses assign the labels (default: all training images used).
    #[arg(long)]
    assign: Option<usize>,
    /// Measure the accuracy every N training images (0: only at the end).
    #[arg(long, default_value_t = 0)]
    eval_every: usize,
    /// Excitatory neurons (overrides the netlist).
    #[arg(long)]
    neurons: Option<usize>,
    /// Learning rule: stdp, wdstdp, hebbian, triplet (Diehl & Cook's rates; overrides the netlist).
    #[arg(long)]
    rule: Option<String>,
    /// Input encoding: poisson, bernoulli, rank (overrides the netlist).
    #[arg(long)]
    encoding: Option<String>,
    /// Excitatory neuron: if, lif, alif (overrides the netlist).
    #[arg(long)]
    neuron: Option<String>,
    /// Lateral inhibition: population (Diehl & Cook's inhibitory neurons) or wta (shortcut).
    #[arg(long)]
    inhibition: Option<String>,
    /// Device card with a `pulse` section for the synapses (default: ideal float weights).
    #[arg(long)]
    device: Option<String>,
    /// Use a differential pair per synapse (potentiation-only updates, refreshed when a device
    /// passes --refresh-at).
    #[arg(long)]
    pair: bool,
    /// Refresh threshold of a pair's devices (normalised state).
    #[arg(long, default_value_t = 0.9)]
    refresh_at: f64,
    /// Train once per device effect, stage by stage (ideal → limited states → + asymmetry and
    /// nonlinearity → + cycle-to-cycle noise → + device-to-device variation = the card).
    #[arg(long, requires = "device")]
    attribute: bool,
    /// The study: every encoding × neuron × rule (27 runs, in parallel), a table and a heatmap.
    #[arg(long, conflicts_with_all = ["attribute", "resume"])]
    study: bool,
    /// Random seed (overrides the netlist).
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder.
    #[arg(long, default_value = "learn-out")]
    out: PathBuf,
    /// Also write the JSON report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Continue from `OUT/checkpoint.json` (same network, plan and seed).
    #[arg(long)]
    resume: bool,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

/// Run `memsnn learn`.
pub fn run(a: &LearnArgs) -> Result<()> {
    let mut cfg = match &a.netlist {
        Some(p) => LearnConfig::load(p)?,
        None => LearnConfig::diehl_cook(Path::new("."))?,
    };
    apply_overrides(&mut cfg, a)?;
    cfg.validate()
        .map_err(|e| anyhow!("{e} (after the command-line overrides)"))?;
    if a.train == 0 || a.test == 0 || a.passes == 0 {
        bail!("--train, --test and --passes must be ≥ 1");
    }
    let (train, test) = load_data(&cfg, a)?;
    if train.images.ncols() != cfg.n_input || test.images.ncols() != cfg.n_input {
        bail!(
            "{}: field `n_input`: {} inputs, but the images have {} pixels",
            cfg.source.display(),
            cfg.n_input,
            train.images.ncols()
        );
    }
    let card = a.device.as_deref().map(DeviceCard::resolve).transpose()?;
    let plan = RunPlan {
        train: a.train.min(train.len()),
        passes: a.passes,
        test: a.test.min(test.len()),
        assign: a.assign.unwrap_or(a.train).min(train.len()),
        eval_every: a.eval_every,
        store: SynapseStore::Ideal,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let data = RunData {
        train_images: train.images.view(),
        train_labels: &train.labels,
        test_images: test.images.view(),
        test_labels: &test.labels,
    };
    pool.install(|| {
        if a.study {
            study(&cfg, &plan, &data, a)
        } else if a.attribute {
            attribute(&cfg, &plan, card.as_ref().expect("required"), &data, a)
        } else {
            let (store, name) = store_for(card.as_ref(), a)?;
            let plan = RunPlan { store, ..plan };
            single(
                &cfg,
                &plan,
                &name,
                card.as_ref(),
                &data,
                a,
                &image_shape(&train)?,
            )
        }
    })
}

fn apply_overrides(cfg: &mut LearnConfig, a: &LearnArgs) -> Result<()> {
    if let Some(n) = a.neurons {
        cfg.n_exc = n;
    }
    if let Some(r) = &a.rule {
        cfg.rule = Rule::from_name(r)
            .ok_or_else(|| anyhow!("--rule {r}: unknown rule (stdp, wdstdp, hebbian, triplet)"))?;
    }
    if let Some(e) = &a.encoding {
        cfg.encoding = LearnEncoding::from_name(e, cfg.timing.dt).ok_or_else(|| {
            anyhow!("--encoding {e}: unknown encoding (poisson, bernoulli, rank)")
        })?;
    }
    if let Some(n) = &a.neuron {
        cfg.neuron = NeuronKind::from_name(n)
            .ok_or_else(|| anyhow!("--neuron {n}: unknown neuron (if, lif, alif)"))?;
    }
    if let Some(i) = &a.inhibition {
        let w_ie = match cfg.inhibition {
            Inhibition::Population { w_ie, .. } | Inhibition::WinnerTakeAll { w_ie } => w_ie,
        };
        cfg.inhibition = match i.as_str() {
            "population" => Inhibition::Population { w_ei: 10.4, w_ie },
            "wta" => Inhibition::WinnerTakeAll { w_ie },
            _ => bail!("--inhibition {i}: unknown (population, wta)"),
        };
    }
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    Ok(())
}

fn load_data(cfg: &LearnConfig, a: &LearnArgs) -> Result<(Dataset, Dataset)> {
    let d = &cfg.data;
    let (ti, tl, si, sl) = match &a.data {
        Some(dir) => {
            let pick = |a: &str, b: &str| {
                let p = dir.join(a);
                if p.exists() { p } else { dir.join(b) }
            };
            (
                dir.join("train-images-idx3-ubyte.gz"),
                dir.join("train-labels-idx1-ubyte.gz"),
                pick("test-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"),
                pick("test-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
            )
        }
        None => {
            if d.train_images.as_os_str().is_empty() {
                bail!(
                    "{}: field `data`: no data files named (give them in the netlist or with --data DIR)",
                    cfg.source.display()
                );
            }
            (
                d.train_images.clone(),
                d.train_labels.clone(),
                d.test_images.clone(),
                d.test_labels.clone(),
            )
        }
    };
    let n_train = a.train.max(a.assign.unwrap_or(0));
    let train = Dataset::read(&ti, &tl, Some(n_train))?;
    let test = Dataset::read(&si, &sl, Some(a.test))?;
    Ok((train, test))
}

fn store_for(card: Option<&DeviceCard>, a: &LearnArgs) -> Result<(SynapseStore, String)> {
    let Some(card) = card else {
        return Ok((SynapseStore::Ideal, "ideal".into()));
    };
    let spec = card.pulse.clone().ok_or_else(|| {
        anyhow!(
            "{}: field `pulse`: this card has no pulse update law, so it cannot learn with pulses",
            card.source.display()
        )
    })?;
    Ok(if a.pair {
        (
            SynapseStore::Pair {
                spec,
                refresh_at: a.refresh_at,
            },
            format!("{}-pair", card.name),
        )
    } else {
        (SynapseStore::Device(spec), card.name.clone())
    })
}

fn fingerprint(cfg: &LearnConfig, plan: &RunPlan) -> String {
    format!(
        "{}|{}",
        ron::to_string(cfg).unwrap_or_default(),
        serde_json::to_string(plan).unwrap_or_default()
    )
}

struct Cli {
    bar: ProgressBar,
    checkpoint: Option<PathBuf>,
    label: String,
}

impl Observer for Cli {
    fn progress(&mut self, done: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
    }
    fn evaluated(&mut self, p: &CurvePoint) {
        self.bar.println(format!(
            "{}: {} images: test accuracy {:.2} %",
            self.label,
            p.images,
            100.0 * p.accuracy
        ));
    }
    fn checkpoint(&mut self, s: &Snapshot) -> Result<(), String> {
        let Some(path) = &self.checkpoint else {
            return Ok(());
        };
        write_atomic(path, |tmp| -> std::io::Result<()> {
            let f = std::io::BufWriter::new(std::fs::File::create(tmp)?);
            serde_json::to_writer(f, s).map_err(std::io::Error::other)
        })
        .map_err(|e| format!("writing {}: {e}", path.display()))
    }
}

fn bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{label} {{bar:40}} {{pos}}/{{len}} images ({{per_sec}}, eta {{eta}})"
        ))
        .expect("valid template"),
    );
    bar
}

#[allow(clippy::too_many_arguments)]
fn train_one_config(
    cfg: &LearnConfig,
    plan: &RunPlan,
    synapses: &str,
    card: Option<&DeviceCard>,
    data: &RunData<'_>,
    checkpoint: Option<PathBuf>,
    resume: bool,
    bar: ProgressBar,
) -> Result<(LearnReport, Trainer)> {
    let mut trainer = Trainer::new(cfg, &plan.store, card.and_then(|c| c.model.as_ref()))?;
    let fp = fingerprint(cfg, plan);
    let snap = match (&checkpoint, resume) {
        (Some(p), true) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--resume: cannot read {}", p.display()))?;
            let s: Snapshot = serde_json::from_str(&text)
                .with_context(|| format!("--resume: {} is not a checkpoint", p.display()))?;
            Some(s)
        }
        _ => None,
    };
    let mut obs = Cli {
        bar,
        checkpoint,
        label: synapses.to_string(),
    };
    let report = memsnn::learn::run(
        &mut trainer,
        data,
        plan,
        synapses,
        &fp,
        snap.as_ref(),
        &mut obs,
    )?;
    obs.bar.finish_and_clear();
    Ok((report, trainer))
}

fn single(
    cfg: &LearnConfig,
    plan: &RunPlan,
    synapses: &str,
    card: Option<&DeviceCard>,
    data: &RunData<'_>,
    a: &LearnArgs,
    shape: &[usize; 2],
) -> Result<()> {
    let ckpt = a.out.join("checkpoint.json");
    let (report, trainer) = train_one_config(
        cfg,
        plan,
        synapses,
        card,
        data,
        Some(ckpt),
        a.resume,
        bar("train"),
    )?;
    let n = cfg.n_exc;
    let w = ndarray::Array2::from_shape_vec((cfg.n_input, n), trainer.weights.w.clone())?;
    let wpath = a.out.join("weights.npy");
    write_atomic(&wpath, |tmp| -> Result<()> {
        ndarray_npy::write_npy(tmp, &w)?;
        Ok(())
    })
    .with_context(|| format!("writing {}", wpath.display()))?;
    let tpath = a.out.join("theta.npy");
    let theta = ndarray::Array1::from(trainer.theta.clone());
    write_atomic(&tpath, |tmp| -> Result<()> {
        ndarray_npy::write_npy(tmp, &theta)?;
        Ok(())
    })?;
    let fields = a.out.join("fields.png");
    let title = format!(
        "{}: receptive fields of {} neurons after {} images ({})",
        cfg.name,
        n,
        plan.train * plan.passes,
        synapses
    );
    write_atomic(&fields, |tmp| -> Result<()> {
        Ok(plot_receptive_fields(
            &trainer.weights.w,
            n,
            *shape,
            &title,
            tmp,
        )?)
    })?;
    write_curve(&a.out.join("curve.csv"), &report.curve)?;
    if report.curve.len() > 1 {
        let p = a.out.join("curve.png");
        write_atomic(&p, |tmp| -> Result<()> {
            Ok(plot_accuracy_curves(
                &[(format!("{n} neurons, {synapses}"), report.curve.clone())],
                &format!("{}: test accuracy vs training images", cfg.name),
                tmp,
            )?)
        })?;
    }
    write_json(&a.out.join("report.json"), &report)?;
    if let Some(p) = &a.report {
        write_json(p, &report)?;
    }
    write_text(&a.out.join("config.ron"), &ron_pretty(cfg))?;
    println!(
        "{}: {} neurons, {} × {} training images, {} test images: accuracy {:.2} % ({} silent); training {:.1} images/s; outputs in {}",
        synapses,
        n,
        plan.passes,
        plan.train,
        plan.test,
        100.0 * report.accuracy,
        report.silent_test_images,
        report.train_images_per_second,
        a.out.display()
    );
    Ok(())
}

/// The device-effect stages of `--attribute`: each adds one effect of the card.
fn stages(spec: &PulseSpec) -> Vec<(&'static str, Option<PulseSpec>)> {
    let states = PulseSpec {
        law: StepLaw::ConstantStep,
        up_down: 0.0,
        dw_min_dtod: 0.0,
        up_down_dtod: 0.0,
        bounds_dtod: 0.0,
        ctoc: 0.0,
        ctoc_additive: 0.0,
        ..spec.clone()
    };
    let asym = PulseSpec {
        law: spec.law.clone(),
        up_down: spec.up_down,
        ..states.clone()
    };
    let ctoc = PulseSpec {
        ctoc: spec.ctoc,
        ctoc_additive: spec.ctoc_additive,
        ..asym.clone()
    };
    vec![
        ("ideal float weights", None),
        ("+ limited states (constant steps)", Some(states)),
        ("+ nonlinearity and up/down asymmetry", Some(asym)),
        ("+ cycle-to-cycle noise", Some(ctoc)),
        (
            "+ device-to-device variation (full card)",
            Some(spec.clone()),
        ),
    ]
}

fn attribute(
    cfg: &LearnConfig,
    plan: &RunPlan,
    card: &DeviceCard,
    data: &RunData<'_>,
    a: &LearnArgs,
) -> Result<()> {
    let spec = card
        .pulse
        .clone()
        .ok_or_else(|| anyhow!("{}: field `pulse`: no pulse law", card.source.display()))?;
    let mut rows = Vec::new();
    for (k, (label, s)) in stages(&spec).into_iter().enumerate() {
        let store = match (s, a.pair) {
            (None, _) => SynapseStore::Ideal,
            (Some(spec), false) => SynapseStore::Device(spec),
            (Some(spec), true) => SynapseStore::Pair {
                spec,
                refresh_at: a.refresh_at,
            },
        };
        let plan = RunPlan {
            store,
            ..plan.clone()
        };
        let (r, _) = train_one_config(
            cfg,
            &plan,
            label,
            Some(card),
            data,
            None,
            false,
            bar(&format!("stage {k}")),
        )?;
        eprintln!("{label}: {:.2} %", 100.0 * r.accuracy);
        rows.push((label, r));
    }
    let mut md = format!(
        "Device-effect attribution, card `{}`, {} neurons, {} × {} training images, {} test images\n\n| stage | accuracy | change | up pulses | down pulses | refreshes |\n|---|---|---|---|---|---|\n",
        card.name, cfg.n_exc, plan.passes, plan.train, plan.test
    );
    let mut prev: Option<f64> = None;
    for (label, r) in &rows {
        let delta = prev.map_or("".to_string(), |p| {
            format!("{:+.2} pt", 100.0 * (r.accuracy - p))
        });
        md.push_str(&format!(
            "| {label} | {:.2} % | {delta} | {} | {} | {} |\n",
            100.0 * r.accuracy,
            r.counters.up_pulses,
            r.counters.down_pulses,
            r.counters.refreshes
        ));
        prev = Some(r.accuracy);
    }
    print!("{md}");
    write_text(&a.out.join("attribution.md"), &md)?;
    let reports: Vec<_> = rows
        .iter()
        .map(|(l, r)| serde_json::json!({"stage": l, "report": r}))
        .collect();
    let json = serde_json::json!({"card": card.name, "stages": reports});
    write_json(&a.out.join("attribution.json"), &json)?;
    if let Some(p) = &a.report {
        write_json(p, &json)?;
    }
    Ok(())
}

fn study(cfg: &LearnConfig, plan: &RunPlan, data: &RunData<'_>, a: &LearnArgs) -> Result<()> {
    let encodings = ["poisson", "bernoulli", "rank"];
    let neurons = ["if", "lif", "alif"];
    let rules = ["stdp", "wdstdp", "hebbian"];
    let mut combos = Vec::new();
    for e in encodings {
        for n in neurons {
            for r in rules {
                combos.push((e, n, r));
            }
        }
    }
    let total = combos.len();
    let overall = ProgressBar::new(total as u64);
    overall.set_style(
        ProgressStyle::with_template("study {bar:40} {pos}/{len} runs (eta {eta})")
            .expect("valid template"),
    );
    let results: Vec<Result<(String, String, String, LearnReport)>> = combos
        .par_iter()
        .map(|&(e, n, r)| {
            let mut c = cfg.clone();
            c.encoding = LearnEncoding::from_name(e, c.timing.dt).expect("known");
            c.neuron = NeuronKind::from_name(n).expect("known");
            c.rule = Rule::from_name(r).expect("known");
            let hidden = ProgressBar::hidden();
            let (rep, _) = train_one_config(&c, plan, "ideal", None, data, None, false, hidden)?;
            overall.inc(1);
            Ok((e.to_string(), n.to_string(), r.to_string(), rep))
        })
        .collect();
    overall.finish_and_clear();
    let results: Vec<_> = results.into_iter().collect::<Result<_>>()?;
    let mut csv =
        String::from("encoding,neuron,rule,accuracy,silent_test_images,train_images_per_second\n");
    let mut md = format!(
        "Study: {} excitatory neurons, ideal weights, {} × {} training images, {} test images (labels from the training images)\n\n| encoding | neuron | stdp | wdstdp | hebbian |\n|---|---|---|---|---|\n",
        cfg.n_exc, plan.passes, plan.train, plan.test
    );
    let mut rows = Vec::new();
    let mut values = Vec::new();
    for e in encodings {
        for n in neurons {
            let mut line = format!("| {e} | {n} |");
            let mut v = Vec::new();
            for r in rules {
                let rep = &results
                    .iter()
                    .find(|x| x.0 == e && x.1 == n && x.2 == r)
                    .expect("every combination ran")
                    .3;
                csv.push_str(&format!(
                    "{e},{n},{r},{},{},{:.1}\n",
                    rep.accuracy, rep.silent_test_images, rep.train_images_per_second
                ));
                line.push_str(&format!(" {:.1} % |", 100.0 * rep.accuracy));
                v.push(rep.accuracy);
            }
            md.push_str(&line);
            md.push('\n');
            rows.push(format!("{e} × {n}"));
            values.push(v);
        }
    }
    print!("{md}");
    write_text(&a.out.join("study.csv"), &csv)?;
    write_text(&a.out.join("study.md"), &md)?;
    let cols: Vec<String> = rules.iter().map(|s| s.to_string()).collect();
    let p = a.out.join("study.png");
    let title = format!(
        "Test accuracy, {} neurons, {} train / {} test images",
        cfg.n_exc,
        plan.train * plan.passes,
        plan.test
    );
    write_atomic(&p, |tmp| -> Result<()> {
        Ok(plot_heatmap(&rows, &cols, &values, &title, tmp)?)
    })?;
    if let Some(r) = &a.report {
        let json: Vec<_> = results
            .iter()
            .map(|(e, n, r, rep)| serde_json::json!({"encoding": e, "neuron": n, "rule": r, "report": rep}))
            .collect();
        write_json(r, &json)?;
    }
    Ok(())
}

fn write_curve(path: &Path, curve: &[CurvePoint]) -> Result<()> {
    let mut s = String::from("images,accuracy\n");
    for p in curve {
        s.push_str(&format!("{},{}\n", p.images, p.accuracy));
    }
    write_text(path, &s)
}

fn write_json<T: serde::Serialize>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    write_text(path, &text)
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |tmp| -> std::io::Result<()> {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(text.as_bytes())
    })
    .with_context(|| format!("writing {}", path.display()))
}

fn ron_pretty(cfg: &LearnConfig) -> String {
    ron::ser::to_string_pretty(cfg, ron::ser::PrettyConfig::default()).unwrap_or_default()
}

/// The `[rows, cols]` of a data set of grey-scale images (the receptive-field picture needs it).
fn image_shape(d: &Dataset) -> Result<[usize; 2]> {
    match d.sample_shape[..] {
        [r, c] => Ok([r, c]),
        [1, r, c] => Ok([r, c]),
        _ => bail!(
            "learning needs grey-scale images [rows, cols]; {} holds samples of shape {:?}",
            d.images_path.display(),
            d.sample_shape
        ),
    }
}
