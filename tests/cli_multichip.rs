//! `--chips N` on `memsnn map` and `memsnn emulate` (and the netlist's `chips`) spreads the network over a board of chips: map prints the board, the chips each layer uses, per-chip utilisation and the crossing traffic, and draws the chip edges; emulate reports the board and the inter-chip counters; bad chip counts and board shapes are refused with one clear error line.

mod common;
use common::{fails, memsnn, root};
use predicates::prelude::*;

const DUO: &str = "tests/data/chips/duo.ron";

#[test]
fn map_with_two_chips_prints_the_board_and_the_crossings() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("duo.svg");
    memsnn()
        .args(["map", "--chip", DUO, "--chips", "2", "--svg"])
        .arg(&svg)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "board: 2 chips on a 2 × 1 board (4 × 2 global mesh, 8 cores)",
        ))
        // 784 → 128: 4 row blocks fill chip 0; 128 → 10 goes to chip 1.
        .stdout(predicate::str::is_match(r"Affine\s+784 → 128\s+4\s+76\.6%\s+100\.0%\s+12\.5%\s+0\s+0\n").unwrap())
        .stdout(predicate::str::is_match(r"Affine\s+128 → 10\s+1\s+50\.0%\s+7\.8%\s+3\.9%\s+0\s+1\n").unwrap())
        .stdout(predicate::str::contains("mesh occupancy: 5 of 8 cores (62.5%) on 2 chips"))
        .stdout(predicate::str::is_match(r"\n0\s+\(0, 0\)\s+4/4 100\.0%").unwrap())
        .stdout(predicate::str::is_match(r"\n1\s+\(1, 0\)\s+1/4 25\.0%").unwrap())
        // The 128 hidden neurons' spikes cross to chip 1 once each; the 3 × 128 partial sums
        // stay on chip 0: 512 packets in all, as on one chip.
        .stdout(predicate::str::contains(
            "512 packets/step, mean 1.50 hops, busiest link 256 packets/step; 128 packets/step cross a chip boundary (128 chip crossings/step)",
        ));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("chip 1") && text.contains("Chips: 2"),
        "no chip edges drawn"
    );
    // The same network on one such chip does not fit, and the error says how many chips do.
    fails(
        memsnn().args(["map", "--chip", DUO]),
        &[
            "needs 5 cores, the 2×2 mesh has 4",
            "at least 2 chips",
            "--chips 2",
        ],
    );
}

#[test]
fn map_of_a_folder_on_two_loihi_chips() {
    // The CNN needs 12 of Loihi's 128 cores: it stays on chip 0 (no crossings).
    memsnn()
        .args([
            "map",
            "netlists/fashion-cnn",
            "--chip",
            "loihi",
            "--chips",
            "2",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("board: 2 chips on a 2 × 1 board"))
        .stdout(predicate::str::contains("1 of 2 chips unused"))
        .stdout(predicate::str::contains(
            "0 packets/step cross a chip boundary",
        ));
    // Board presets carry their chip count and shape.
    memsnn()
        .args(["map", "--chip", "ns16e"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "board: 16 chips on a 4 × 4 board (256 × 256 global mesh, 65536 cores)",
        ));
}

#[test]
fn emulate_on_two_chips_reports_the_board_and_inter_chip_counters() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    memsnn()
        .args([
            "emulate", "--chip", DUO, "--chips", "2", "--samples", "50", "--trials", "1",
            "--time", "1s", "--device", "ideal", "--report",
        ])
        .arg(&report)
        .assert()
        .success()
        .stdout(predicate::str::contains("board     2 chips on a 2×1 board"))
        .stdout(predicate::str::contains("chips     2 chips of 2×2 cores on a 2×1 board; cores used per chip (of 4): chip 0 4, chip 1 1"))
        .stdout(predicate::str::contains("packets cross a chip boundary"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["config"]["chip"]["board"]["chips"], 2);
    assert_eq!(v["resources"]["chips"], 2);
    assert_eq!(v["resources"]["chip_cores"], serde_json::json!([4, 1]));
    let c = &v["counters"];
    let (p, x) = (
        c["interchip_packets"].as_u64().unwrap(),
        c["chip_crossings"].as_u64().unwrap(),
    );
    // Every hidden spike crosses the one boundary to chip 1 exactly once.
    assert!(p > 0 && p == x, "{c}");
    let e = v["energy_breakdown"]["interchip"].as_f64().unwrap();
    approx::assert_relative_eq!(e, x as f64 * 1e-10 / 50.0, max_relative = 1e-12);
    assert!(v["per_inference"]["chip_crossings"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_netlist_sets_the_chip_count() {
    let dir = tempfile::tempdir().unwrap();
    let r = root();
    let write = |name: &str, chips: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!(
                "(network: Nir(\"{}\"), chip: Some(\"{}\"), device: Some(\"ideal\"), trials: Some(1), times: Some([\"1s\"]), {chips}\n dataset: Some((images: \"{}\", labels: \"{}\", samples: Some(20))))",
                r.join("netlists/mnist-mlp/model.nir").display(),
                r.join(DUO).display(),
                r.join("netlists/mnist-mlp/data/test-images-idx3-ubyte.gz").display(),
                r.join("netlists/mnist-mlp/data/test-labels-idx1-ubyte.gz").display(),
            ),
        )
        .unwrap();
        p
    };
    let two = write("two.ron", "chips: Some(2),");
    memsnn()
        .args(["map"])
        .arg(&two)
        .assert()
        .success()
        .stdout(predicate::str::contains("board: 2 chips"));
    memsnn()
        .args(["emulate"])
        .arg(&two)
        .assert()
        .success()
        .stdout(predicate::str::contains("inter-chip (per inference)"));
    // The option overrides the netlist.
    fails(
        memsnn().args(["map", "--chips", "1"]).arg(&two),
        &["needs 5 cores", "--chips 2"],
    );
    let zero = write("zero.ron", "chips: Some(0),");
    fails(
        memsnn().args(["map"]).arg(&zero),
        &["zero.ron", "chips", "at least 1"],
    );
}

#[test]
fn bad_chip_counts_and_shapes_are_refused() {
    fails(
        memsnn().args(["map", "--chips", "0"]),
        &["--chips must be at least 1"],
    );
    fails(
        memsnn().args(["map", "--chips", "100000"]),
        &["--chips 100000", "limit of 16384 chips"],
    );
    fails(
        memsnn().args(["map", "--chips", "many"]),
        &["many", "--chips"],
    );
    fails(
        memsnn().args(["map", "--chips", "4", "--board-shape", "1x3"]),
        &["a 1×3 board holds 3 chips, not 4", "--board-shape"],
    );
    fails(
        memsnn().args(["map", "--chips", "4", "--board-shape", "four"]),
        &["--board-shape four", "e.g. 4x4"],
    );
    fails(
        memsnn().args(["map", "--chip", "nahuku", "--chips", "64"]),
        &["a 8×4 board holds 32 chips, not 64"],
    );
    fails(
        memsnn().args(["emulate", "--ideal", "--chips", "2"]),
        &["--chips", "ideal mode"],
    );
    fails(
        memsnn().args(["emulate", "--chips", "0", "--samples", "10"]),
        &["--chips must be at least 1"],
    );
    // A board shape in a chip file that cannot hold its chips names the field.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad-board.ron");
    std::fs::write(
        &p,
        "(name: \"bad\", board: (chips: 5, shape: Some((2, 2))))",
    )
    .unwrap();
    fails(
        memsnn().args(["map", "--chip"]).arg(&p),
        &["bad-board.ron", "board.shape", "holds 4 chips, not 5"],
    );
}

#[test]
fn help_describes_the_board_options() {
    for cmd in ["map", "emulate"] {
        memsnn()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("--chips <N>"))
            .stdout(predicate::str::contains("--board-shape <XxY>"))
            .stdout(predicate::str::contains("pohoiki-springs"));
    }
}
