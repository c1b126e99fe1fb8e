//! Every shipped device card (`devices/*.ron`) parses and validates, and the built-in copies
//! embedded in the binary are exactly the files in `devices/`.

use memsnn::device::{BUILTIN, DeviceCard};
use std::path::Path;

#[test]
fn every_card_in_devices_parses_and_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("devices");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let card = DeviceCard::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(card.version, 1, "{}", path.display());
            assert!(!card.description.is_empty(), "{}", path.display());
            n += 1;
        }
    }
    assert!(
        n >= 3,
        "expected at least the three dynamic-model cards, found {n}"
    );
}

#[test]
fn builtin_cards_are_the_files_in_devices() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("devices");
    for (name, text) in BUILTIN {
        let file = std::fs::read_to_string(dir.join(format!("{name}.ron"))).unwrap();
        assert_eq!(&file, text, "{name}");
        let card = DeviceCard::builtin(name).unwrap();
        assert_eq!(card.name, *name);
        assert_eq!(
            card,
            DeviceCard::load(&dir.join(format!("{name}.ron")))
                .map(|mut c| {
                    c.source = card.source.clone();
                    c
                })
                .unwrap()
        );
    }
    for name in ["hp-tio2", "vteam", "yakopcic"] {
        assert!(BUILTIN.iter().any(|(n, _)| *n == name), "{name}");
    }
}

#[test]
fn hp_card_has_the_strukov_parameters() {
    use memsnn::device::Model;
    let card = DeviceCard::builtin("hp-tio2").unwrap();
    let Some(Model::LinearIonDrift(p)) = card.model else {
        panic!("hp-tio2 is a linear ion-drift card")
    };
    assert_eq!((p.r_on, p.r_off, p.d, p.mu_v), (100.0, 16e3, 10e-9, 1e-14));
}
