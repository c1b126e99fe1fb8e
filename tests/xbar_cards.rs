//! Contract: the shipped statistical device cards (`pcm`, `ideal`, `rram-wan`) parse, validate
//! and hold the published values; an inconsistent statistics block in a card file is an error
//! naming the file, the field and the reason.

use memsnn::device::statistics::ProgrammingNoise;
use memsnn::device::{DeviceCard, Statistics};
use std::path::Path;

#[test]
fn statistical_cards_parse_validate_and_match_their_sources() {
    let pcm = DeviceCard::builtin("pcm").unwrap();
    assert_eq!(pcm.statistics, Statistics::pcm());
    assert!(pcm.model.is_none());
    let ideal = DeviceCard::builtin("ideal").unwrap();
    assert!(ideal.statistics.is_ideal());
    let rram = DeviceCard::builtin("rram-wan").unwrap();
    rram.statistics.validate().unwrap();
    // Wan et al. 2022 fit at G = 20 µS: 1.536e-4·8000 − 1.167e-2·400 + 0.2374·20 + 1.053 µS.
    let expect = (1.536e-4 * 8000.0 - 1.167e-2 * 400.0 + 0.2374 * 20.0 + 1.053) * 1e-6;
    let s = rram
        .statistics
        .programming
        .sigma(20e-6, rram.statistics.g_max);
    assert!((s - expect).abs() < 1e-15, "{s} vs {expect}");
    assert!(matches!(
        rram.statistics.programming,
        ProgrammingNoise::Polynomial { .. }
    ));
    // The files on disk are the embedded ones.
    for name in ["pcm", "ideal", "rram-wan"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("devices/{name}.ron"));
        assert_eq!(
            DeviceCard::load(&p).unwrap().statistics,
            DeviceCard::builtin(name).unwrap().statistics
        );
    }
}

#[test]
fn inconsistent_statistics_block_names_file_field_and_reason() {
    let cases = [
        (
            "(version: 1, statistics: (g_min: 3e-5, g_max: 2e-5))",
            "statistics.g_max",
            "g_min",
        ),
        (
            "(version: 1, statistics: (levels: Uniform(0)))",
            "statistics.levels.Uniform",
            "at least 2",
        ),
        (
            "(version: 1, statistics: (faults: (stuck_at_min: 0.7, stuck_at_max: 0.4)))",
            "statistics.faults",
            "exceeds 1",
        ),
        (
            "(version: 1, statistics: (programming: Constant(sigma: -1e-6)))",
            "statistics.programming.Constant.sigma",
            "≥ 0",
        ),
    ];
    for (text, field, reason) in cases {
        let e = DeviceCard::parse(text, Path::new("bad.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.ron: field `"), "{e}");
        assert!(
            e.contains(&format!("`{field}`")) && e.contains(reason),
            "{e}"
        );
    }
    // An unknown field inside the block is a parse error naming it.
    let e = DeviceCard::parse(
        "(version: 1, statistics: (g_maxx: 1e-5))",
        Path::new("bad.ron"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("bad.ron:") && e.contains("g_maxx"), "{e}");
}
