//! Contract: the Diehl & Cook network learns MNIST on a small subset well above chance with
//! ideal and with pulsed ReRAM synapses; training and evaluation are bit-identical for 1 and 2
//! threads; a run resumed from a snapshot ends exactly where the uninterrupted run ends.

use memsnn::device::DeviceCard;
use memsnn::encode::Dataset;
use memsnn::learn::{
    LearnConfig, Observer, RunData, RunPlan, Snapshot, SynapseStore, Trainer, evaluate, run,
};
use std::path::Path;

fn mnist(n_train: usize, n_test: usize) -> (Dataset, Dataset) {
    let d = Path::new("../shared/data/mnist");
    let train = Dataset::read(
        &d.join("train-images-idx3-ubyte.gz"),
        &d.join("train-labels-idx1-ubyte.gz"),
        Some(n_train),
    )
    .unwrap();
    let test = Dataset::read(
        &d.join("test-images-idx3-ubyte.gz"),
        &d.join("test-labels-idx1-ubyte.gz"),
        Some(n_test),
    )
    .unwrap();
    (train, test)
}

fn config(n_exc: usize) -> LearnConfig {
    let mut c = LearnConfig::diehl_cook(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    c.n_exc = n_exc;
    c
}

fn data<'a>(train: &'a Dataset, test: &'a Dataset) -> RunData<'a> {
    RunData {
        train_images: train.images.view(),
        train_labels: &train.labels,
        test_images: test.images.view(),
        test_labels: &test.labels,
    }
}

#[test]
fn diehl_cook_learns_a_small_subset_well_above_chance() {
    let (train, test) = mnist(1500, 500);
    let cfg = config(50);
    let plan = RunPlan {
        train: 1500,
        passes: 1,
        test: 500,
        assign: 1500,
        eval_every: 0,
        store: SynapseStore::Ideal,
    };
    let mut t = Trainer::new(&cfg, &plan.store, None).unwrap();
    let r = run(
        &mut t,
        &data(&train, &test),
        &plan,
        "ideal",
        "fp",
        None,
        &mut (),
    )
    .unwrap();
    // Chance is 10 %; an untrained network (random weights) scores about 20-30 %.
    assert!(r.accuracy > 0.5, "accuracy {}", r.accuracy);
    assert_eq!(r.silent_test_images, 0);
    // θ rose (adaptive threshold) and the columns are normalised to 78.
    assert!(t.theta.iter().all(|&th| th > 20e-3));
    let n = cfg.n_exc;
    let col0: f32 = (0..784).map(|i| t.weights.w[i * n]).sum();
    assert!((col0 - 78.0).abs() < 2.0, "{col0}");
}

#[test]
fn pulsed_reram_synapses_learn_and_count_their_pulses() {
    let (train, test) = mnist(1500, 500);
    let cfg = config(50);
    let card = DeviceCard::builtin("reram-pulse").unwrap();
    let plan = RunPlan {
        train: 1500,
        passes: 1,
        test: 500,
        assign: 1500,
        eval_every: 0,
        store: SynapseStore::Device(card.pulse.clone().unwrap()),
    };
    let mut t = Trainer::new(&cfg, &plan.store, None).unwrap();
    let r = run(
        &mut t,
        &data(&train, &test),
        &plan,
        "reram",
        "fp",
        None,
        &mut (),
    )
    .unwrap();
    assert!(r.accuracy > 0.35, "accuracy {}", r.accuracy);
    assert!(r.counters.up_pulses > 1000 && r.counters.down_pulses > 1000);
    assert!(t.weights.w.iter().all(|&w| (0.0..=1.0).contains(&w)));
}

#[test]
fn training_and_evaluation_are_identical_for_one_and_two_threads() {
    let (train, test) = mnist(120, 60);
    let cfg = config(20);
    let card = DeviceCard::builtin("reram-pulse").unwrap();
    let store = SynapseStore::Device(card.pulse.clone().unwrap());
    let go = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut t = Trainer::new(&cfg, &store, None).unwrap();
            for k in 0..120 {
                let x = train.images.row(k);
                t.train_one(x.as_slice().unwrap(), k as u64);
            }
            let acc = evaluate(&t, &data(&train, &test), 120, 60);
            let resp = t.responses(test.images.view(), 1);
            (t.weights.w.clone(), t.theta.clone(), acc, resp)
        })
    };
    assert_eq!(go(1), go(2));
}

#[derive(Default)]
struct Keep(Vec<Snapshot>);

impl Observer for Keep {
    fn checkpoint(&mut self, s: &Snapshot) -> Result<(), String> {
        self.0.push(s.clone());
        Ok(())
    }
}

#[test]
fn a_resumed_run_ends_exactly_where_the_uninterrupted_run_ends() {
    let (train, test) = mnist(100, 50);
    let cfg = config(16);
    let card = DeviceCard::builtin("reram-pulse").unwrap();
    let plan = RunPlan {
        train: 100,
        passes: 2,
        test: 50,
        assign: 100,
        eval_every: 60,
        store: SynapseStore::Device(card.pulse.clone().unwrap()),
    };
    let d = data(&train, &test);
    let mut full = Trainer::new(&cfg, &plan.store, None).unwrap();
    let mut keep = Keep::default();
    let r_full = run(&mut full, &d, &plan, "x", "fp", None, &mut keep).unwrap();
    assert_eq!(keep.0.len(), 4); // at 60, 120, 180, 200
    let mid = &keep.0[1];
    assert_eq!(mid.done, 120);
    let mut resumed = Trainer::new(&cfg, &plan.store, None).unwrap();
    let r_res = run(&mut resumed, &d, &plan, "x", "fp", Some(mid), &mut ()).unwrap();
    assert_eq!(full.weights.w, resumed.weights.w);
    assert_eq!(
        full.weights.device_states(),
        resumed.weights.device_states()
    );
    assert_eq!(full.theta, resumed.theta);
    assert_eq!(r_full.curve, r_res.curve);
    assert_eq!(r_full.counters, r_res.counters);
    // A snapshot of another plan is refused.
    let e = run(&mut resumed, &d, &plan, "x", "other", Some(mid), &mut ()).unwrap_err();
    assert!(e.to_string().contains("checkpoint"), "{e}");
}
