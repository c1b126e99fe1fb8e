//! A sweep interrupted half-way and re-run computes only the missing units and ends with
//! result files equal, byte for byte, to an uninterrupted run's (for any thread count); three
//! shards merged equal the unsharded output; spec files with unknown fields are errors.

use memsnn::experiment::{Inputs, RunConfig, TimePoint};
use memsnn::sweep::{self, Assign, Manifest, Param, Plan, RunControl, Shard};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

const NETLIST: &str = "netlists/mnist-mlp/netlist.ron";

fn setup() -> (Arc<Inputs>, Manifest) {
    let mut base = RunConfig::from_netlist(Path::new(NETLIST)).unwrap();
    base.samples = Some(6);
    base.timesteps = 3;
    base.crossbar.r_wire = 0.0;
    base.times = vec![TimePoint::seconds(1.0)];
    let inputs = Arc::new(Inputs::load(&base).unwrap());
    let plan = Plan::new(
        vec![Assign {
            path: "device.programming".into(),
            value: json!({"Proportional": {"frac": 0.0}}),
        }],
        vec![
            Param {
                path: "device.levels".into(),
                values: vec![json!(2), json!(4), json!(8)],
            },
            Param {
                path: "device.programming.Proportional.frac".into(),
                values: vec![json!(0.0), json!(0.3)],
            },
        ],
        Vec::new(),
        2,
        7,
    )
    .unwrap();
    let manifest = Manifest {
        netlist: NETLIST.into(),
        base,
        plan,
        shard: None,
    };
    (inputs, manifest)
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

fn files(dir: &Path) -> [Vec<u8>; 3] {
    [sweep::JSONL, sweep::CSV, sweep::MANIFEST].map(|f| std::fs::read(dir.join(f)).unwrap())
}

#[test]
fn interrupted_sweep_resumes_to_identical_files_and_shards_merge() {
    let (w, manifest) = setup();
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let s = pool(2)
        .install(|| sweep::run(&w, &manifest, &full, RunControl::default(), &|_| {}))
        .unwrap();
    assert_eq!((s.units, s.skipped, s.computed), (12, 0, 12));
    let reference = files(&full);
    let text = String::from_utf8(reference[0].clone()).unwrap();
    assert_eq!(text.lines().count(), 12);
    // Accuracies differ between 2 and 8 levels (the sweep really changes the configuration).
    let recs = sweep::read_records(&full.join(sweep::JSONL), &manifest).unwrap();
    assert!(recs.iter().all(|r| (0.0..=1.0).contains(&r.accuracy)));
    assert_eq!(
        recs[0].config.device.levels,
        memsnn::device::statistics::Levels::Uniform(2)
    );
    assert_eq!(
        recs[11].config.device.levels,
        memsnn::device::statistics::Levels::Uniform(8)
    );

    // Interrupted: 5 units, then a line cut by the kill.
    let part = tmp.path().join("part");
    let s = pool(1)
        .install(|| {
            sweep::run(
                &w,
                &manifest,
                &part,
                RunControl {
                    shard: None,
                    limit: Some(5),
                    ..RunControl::default()
                },
                &|_| {},
            )
        })
        .unwrap();
    assert_eq!(s.computed, 5);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(part.join(sweep::JSONL))
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"point\":3,\"tri").unwrap();
    drop(f);
    let counted = std::sync::atomic::AtomicUsize::new(0);
    let s = pool(1)
        .install(|| {
            sweep::run(&w, &manifest, &part, RunControl::default(), &|p| {
                if p == sweep::Progress::Unit {
                    counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .unwrap();
    assert_eq!((s.skipped, s.computed), (5, 7));
    assert_eq!(counted.into_inner(), 7);
    assert_eq!(
        files(&part),
        reference,
        "resumed files differ from the uninterrupted run"
    );

    // Three shards, merged.
    let mut dirs = Vec::new();
    for i in 0..3 {
        let d = tmp.path().join(format!("shard{i}"));
        let m = Manifest {
            shard: Some(Shard { index: i, count: 3 }),
            ..manifest.clone()
        };
        let s = pool(2)
            .install(|| sweep::run(&w, &m, &d, RunControl::default(), &|_| {}))
            .unwrap();
        assert_eq!(s.units, 4); // points i, i+3 × 2 trials
        dirs.push(d);
    }
    let merged = tmp.path().join("merged");
    let (_, n, missing) = sweep::merge(&dirs, &merged).unwrap();
    assert_eq!((n, missing), (12, 0));
    assert_eq!(
        files(&merged),
        reference,
        "merged shards differ from the unsharded run"
    );

    // A conflicting shard is refused.
    let bad = tmp.path().join("shard0");
    let t = std::fs::read_to_string(bad.join(sweep::JSONL)).unwrap();
    let first = t.lines().next().unwrap();
    let mut r: sweep::Record = serde_json::from_str(first).unwrap();
    // Another plausible result (one more or one fewer correct sample of 6).
    let step = 1.0 / r.samples as f64;
    r.accuracy = if r.accuracy >= step {
        r.accuracy - step
    } else {
        r.accuracy + step
    };
    let changed = serde_json::to_string(&r).unwrap();
    std::fs::write(bad.join(sweep::JSONL), t.replacen(first, &changed, 1)).unwrap();
    let e = sweep::merge(&[dirs[0].clone(), full.clone()], &tmp.path().join("m2")).unwrap_err();
    assert!(e.to_string().contains("conflicts"), "{e}");

    // A folder holding another sweep is refused.
    let other = Manifest {
        plan: Plan {
            seed: 8,
            ..manifest.plan.clone()
        },
        ..manifest.clone()
    };
    let e = sweep::run(&w, &other, &full, RunControl::default(), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("different sweep"), "{e}");
}

#[test]
fn spec_with_unknown_field_names_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bad.ron");
    std::fs::write(&p, "(netlist: \"n.ron\", trails: 3)").unwrap();
    let e = sweep::SweepSpec::read(&p).unwrap_err().to_string();
    assert!(e.contains("bad.ron") && e.contains("trails"), "{e}");
}
