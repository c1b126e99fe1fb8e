//! The layering of the crate follows its data flow: a module's `crate::…` paths name only
//! itself and stages before it (the order is written down in the README's "Layout"
//! section), the crate-wide `Error` only from the experiment stage on, and the files of the
//! binary import each other without a cycle.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages in data-flow order; a stage may use the ones before it. The ground floor comes
/// first.
const ORDER: [&str; 19] = [
    "budget",
    "cancel",
    "npy",
    "config",
    "rng",
    "output",
    "device",
    "crossbar",
    "network",
    "neuron",
    "encode",
    "chip",
    "sim",
    "learn",
    "experiment",
    "report",
    "sweep",
    "plot",
    "error",
];

/// Items of the crate root every stage may name (none but the ones that are stages).
fn rank(name: &str) -> Option<usize> {
    match name {
        // The crate-wide error joins every stage: the experiment stage and later use it.
        "Error" | "Result" => ORDER.iter().position(|s| *s == "experiment"),
        _ => ORDER.iter().position(|s| *s == name),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The names `crate::NAME` in `text`, outside comments.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + 7..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = tail;
        }
    }
    out
}

/// The stage a library file belongs to (`src/<stage>/…` or `src/<stage>.rs`).
fn stage_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    Some(first.trim_end_matches(".rs").to_string())
}

#[test]
fn every_stage_imports_only_earlier_stages() {
    let src = common::root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut checked = 0;
    for f in &files {
        let Some(stage) = stage_of(&src, f) else {
            continue;
        };
        if matches!(stage.as_str(), "lib" | "bin") {
            continue;
        }
        let Some(mine) = rank(&stage) else {
            violations.push(format!(
                "{}: stage `{stage}` is not in the layering order",
                f.display()
            ));
            continue;
        };
        checked += 1;
        for name in crate_paths(&std::fs::read_to_string(f).unwrap()) {
            match rank(&name) {
                Some(r) if r <= mine => {}
                Some(_) => violations.push(format!(
                    "{}: stage `{stage}` uses `crate::{name}`, a later stage",
                    f.display()
                )),
                None => violations.push(format!("{}: `crate::{name}` is not a stage", f.display())),
            }
        }
    }
    assert!(checked > 50, "only {checked} files checked");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_layering_check_catches_a_backward_import() {
    // The checker itself: a device file naming the sim stage is a violation.
    let names = crate_paths("use crate::sim::Engine; // crate::plot in a comment\n");
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["sim"]);
    assert!(rank("sim").unwrap() > rank("device").unwrap());
    assert!(rank("Error").unwrap() > rank("sim").unwrap());
}

#[test]
fn the_binary_files_import_each_other_without_a_cycle() {
    let dir = common::root().join("src/bin/memsnn");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let names: BTreeSet<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let me = f.file_stem().unwrap().to_string_lossy().into_owned();
        let uses = crate_paths(&std::fs::read_to_string(f).unwrap())
            .into_iter()
            .filter(|n| names.contains(n) && *n != me)
            .collect();
        edges.insert(me, uses);
    }
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let mut cycle = path.clone();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if let Some(c) = visit(n, &edges, &mut state, &mut Vec::new()) {
            panic!("import cycle in the binary: {}", c.join(" → "));
        }
    }
    assert!(edges.len() >= 8, "{edges:?}");
}
