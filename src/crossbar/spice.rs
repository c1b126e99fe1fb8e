//! SPICE export of one array and its drive, and a runner for ngspice in batch mode.
//!
//! The netlist is the circuit of [`CrossbarCircuit`](super::CrossbarCircuit) written element by
//! element (it does not reuse the nodal assembly, so a SPICE simulator checks both):
//!
//! | element | name | nodes |
//! |---|---|---|
//! | row input source `V_i` | `vin<i>` | `s<i>` → `0` |
//! | row driver | `rdrv<i>` | `s<i>` → `r<i>_0` (grounded unselected row: `0` → `r<i>_0`) |
//! | row / column wire segment | `rr<i>_<j>`, `rc<i>_<j>` | `r<i>_<j>` → `r<i>_<j+1>`, `c<i>_<j>` → `c<i+1>_<j>` |
//! | device | `rg<i>_<j>` | `r<i>_<j>` → `c<i>_<j>` (1T1R: → `m<i>_<j>`, then transistor `rt<i>_<j>` → `c<i>_<j>`) |
//! | current meter (0 V) | `vsense<j>` | `c<rows-1>_<j>` → `sn<j>` |
//! | sense resistance | `rsense<j>` | `sn<j>` → `0` |
//!
//! A zero resistance is written as a 0-V source (`vz…`), an ideal short. The current of
//! column `j` is `i(vsense<j>)`. The deck ends with `.op` and `.print op` lines for the column
//! currents, with `.options filetype=ascii numdgt=15` so that `ngspice -b -r out.raw deck.cir`
//! writes an ASCII raw file with 16 significant digits, read back by [`parse_raw_ascii`].

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use ndarray::ArrayView2;

use super::CircuitError;
use super::circuit::{Access, CircuitParams, Unselected, validate_conductances};

/// Name of the vector holding the current of column `j` in the simulator's output.
pub fn column_current_name(j: usize) -> String {
    format!("i(vsense{j})")
}

/// The netlist (a complete SPICE deck) of array `g` (`rows × cols`, siemens) driven by `v`
/// (volts per row), with the rows where `selected[i]` is false unselected.
pub fn netlist(
    g: ArrayView2<'_, f64>,
    params: &CircuitParams,
    selected: &[bool],
    v: &[f64],
) -> Result<String, CircuitError> {
    params.validate()?;
    validate_conductances(g)?;
    let (rows, cols) = g.dim();
    if selected.len() != rows || v.len() != rows {
        return Err(CircuitError::Shape(format!(
            "array has {rows} rows: got {} voltages and {} selection flags",
            v.len(),
            selected.len()
        )));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(CircuitError::Shape(format!(
            "voltage of row {i} is not finite ({})",
            v[i]
        )));
    }
    let mut out = String::with_capacity(64 * rows * cols);
    let mut zero = 0usize;
    // A resistor, or a 0-V source when the resistance is zero.
    let mut element = |out: &mut String, name: &str, a: &str, b: &str, r: f64| {
        if r == 0.0 {
            let _ = writeln!(out, "vz{zero}_{name} {a} {b} DC 0");
            zero += 1;
        } else {
            let _ = writeln!(out, "{name} {a} {b} {r:e}");
        }
    };
    let _ = writeln!(
        out,
        "* memsnn crossbar {rows}x{cols}: r_row={:e} r_col={:e} r_driver={:e} r_sense={:e} access={:?}",
        params.r_row, params.r_col, params.r_driver, params.r_sense, params.access
    );
    for i in 0..rows {
        let driven = match params.access {
            Access::OneT1R { .. } => Some(format!("s{i}")),
            Access::Passive { unselected } => match (selected[i], unselected) {
                (true, _) => Some(format!("s{i}")),
                (false, Unselected::Grounded) => Some("0".to_string()),
                (false, Unselected::Floating) => None,
            },
        };
        if driven.as_deref() == Some(format!("s{i}").as_str()) {
            let _ = writeln!(out, "vin{i} s{i} 0 DC {:e}", v[i]);
        }
        if let Some(from) = driven {
            element(
                &mut out,
                &format!("rdrv{i}"),
                &from,
                &format!("r{i}_0"),
                params.r_driver,
            );
        }
        for j in 0..cols {
            if j + 1 < cols {
                element(
                    &mut out,
                    &format!("rr{i}_{j}"),
                    &format!("r{i}_{j}"),
                    &format!("r{i}_{}", j + 1),
                    params.r_row,
                );
            }
            if i + 1 < rows {
                element(
                    &mut out,
                    &format!("rc{i}_{j}"),
                    &format!("c{i}_{j}"),
                    &format!("c{}_{j}", i + 1),
                    params.r_col,
                );
            }
            let gij = g[[i, j]];
            if gij == 0.0 {
                continue;
            }
            match params.access {
                Access::OneT1R { r_on } => {
                    if selected[i] {
                        let _ = writeln!(out, "rg{i}_{j} r{i}_{j} m{i}_{j} {:e}", 1.0 / gij);
                        element(
                            &mut out,
                            &format!("rt{i}_{j}"),
                            &format!("m{i}_{j}"),
                            &format!("c{i}_{j}"),
                            r_on,
                        );
                    }
                }
                Access::Passive { .. } => {
                    let _ = writeln!(out, "rg{i}_{j} r{i}_{j} c{i}_{j} {:e}", 1.0 / gij);
                }
            }
        }
    }
    for j in 0..cols {
        if params.r_sense == 0.0 {
            let _ = writeln!(out, "vsense{j} c{}_{j} 0 DC 0", rows - 1);
        } else {
            let _ = writeln!(out, "vsense{j} c{}_{j} sn{j} DC 0", rows - 1);
            let _ = writeln!(out, "rsense{j} sn{j} 0 {:e}", params.r_sense);
        }
    }
    let _ = writeln!(out, ".options filetype=ascii numdgt=15");
    let _ = writeln!(out, ".op");
    for chunk in (0..cols).collect::<Vec<_>>().chunks(8) {
        let names: Vec<String> = chunk.iter().map(|&j| column_current_name(j)).collect();
        let _ = writeln!(out, ".print op {}", names.join(" "));
    }
    let _ = writeln!(out, ".end");
    Ok(out)
}

/// Write the netlist to `path` (written to a temporary file, then renamed: never half-written).
pub fn write_netlist(
    path: &Path,
    g: ArrayView2<'_, f64>,
    params: &CircuitParams,
    selected: &[bool],
    v: &[f64],
) -> Result<(), CircuitError> {
    let text = netlist(g, params, selected, v)?;
    let io = |source| CircuitError::Io {
        path: path.to_path_buf(),
        source,
    };
    crate::output::write_atomic(path, |tmp| std::fs::write(tmp, text)).map_err(io)
}

/// Parse an ngspice ASCII raw file of an operating point: `(vector name, value)` in file order.
pub fn parse_raw_ascii(text: &str) -> Result<Vec<(String, f64)>, CircuitError> {
    let bad = |why: String| CircuitError::Spice(format!("malformed raw file: {why}"));
    let mut lines = text.lines();
    let mut nvars = None;
    let mut names = Vec::new();
    while let Some(line) = lines.next() {
        if let Some(n) = line.strip_prefix("No. Variables:") {
            nvars = Some(
                n.trim()
                    .parse::<usize>()
                    .map_err(|e| bad(format!("variable count: {e}")))?,
            );
        } else if line.starts_with("Flags:") && line.contains("complex") {
            return Err(bad("complex data".into()));
        } else if line.starts_with("Variables:") {
            let n = nvars.ok_or_else(|| bad("no `No. Variables` line".into()))?;
            for _ in 0..n {
                let l = lines
                    .next()
                    .ok_or_else(|| bad("truncated variables".into()))?;
                let name = l
                    .split_whitespace()
                    .nth(1)
                    .ok_or_else(|| bad(format!("variable line `{l}`")))?;
                names.push(name.to_ascii_lowercase());
            }
        } else if line.starts_with("Values:") {
            break;
        }
    }
    if names.is_empty() {
        return Err(bad("no variables".into()));
    }
    // First point: index, then one value per variable, whitespace separated.
    let mut tokens = lines.flat_map(str::split_whitespace);
    tokens
        .next()
        .ok_or_else(|| bad("no values".into()))?
        .parse::<usize>()
        .map_err(|e| bad(format!("point index: {e}")))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let t = tokens
            .next()
            .ok_or_else(|| bad(format!("no value for {name}")))?;
        let value = t
            .parse::<f64>()
            .map_err(|e| bad(format!("value `{t}` of {name}: {e}")))?;
        out.push((name, value));
    }
    Ok(out)
}

/// Run `ngspice -b -r <raw> <deck>` on a netlist written by [`netlist`] with `cols` columns and
/// return the column currents (amperes). Fails if ngspice is missing or reports an error.
pub fn run_ngspice(deck: &Path, cols: usize) -> Result<Vec<f64>, CircuitError> {
    let raw = deck.with_extension("raw");
    let _ = std::fs::remove_file(&raw);
    let output = Command::new("ngspice")
        .arg("-b")
        .arg("-r")
        .arg(&raw)
        .arg(deck)
        .output()
        .map_err(|e| CircuitError::Spice(format!("cannot run ngspice: {e}")))?;
    let text = std::fs::read_to_string(&raw).map_err(|e| {
        CircuitError::Spice(format!(
            "ngspice wrote no raw file {} ({e}); exit {:?}; stderr: {}",
            raw.display(),
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        ))
    })?;
    let values = parse_raw_ascii(&text)?;
    (0..cols)
        .map(|j| {
            let name = column_current_name(j);
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, v)| v)
                .ok_or_else(|| CircuitError::Spice(format!("no vector {name} in the raw file")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn netlist_lists_every_element() {
        let g = array![[1.0 / 65536.0, 2e-5], [3e-5, 0.0]];
        let p = CircuitParams::wires(1.0, 0.0, 10.0, Access::OneT1R { r_on: 100.0 });
        let deck = netlist(g.view(), &p, &[true, true], &[0.1, 0.2]).unwrap();
        assert!(deck.contains("vin0 s0 0 DC 1e-1"));
        assert!(deck.contains("vz0_rdrv0 s0 r0_0 DC 0"));
        assert!(deck.contains("rr0_0 r0_0 r0_1 1e0"));
        assert!(deck.contains("rg0_0 r0_0 m0_0 6.5536e4"));
        assert!(deck.contains("rt0_0 m0_0 c0_0 1e2"));
        assert!(!deck.contains("rg1_1"), "zero conductance is open");
        assert!(deck.contains("vsense1 c1_1 sn1 DC 0"));
        assert!(deck.contains("rsense1 sn1 0 1e1"));
        assert!(deck.contains(".print op i(vsense0) i(vsense1)"));
        assert!(deck.trim_end().ends_with(".end"));
    }

    #[test]
    fn raw_file_is_parsed() {
        let raw = "Title: t\nDate: x\nPlotname: Operating Point\nFlags: real\nNo. Variables: 2\n\
                   No. Points: 1\nVariables:\n\t0\tv(a)\tvoltage\n\t1\ti(vsense0)\tcurrent\n\
                   Values:\n 0\t3.000000000000000e-01\n\t-2.429800080905844e-04\n";
        let v = parse_raw_ascii(raw).unwrap();
        assert_eq!(v[0], ("v(a)".to_string(), 0.3));
        assert_eq!(v[1], ("i(vsense0)".to_string(), -2.429800080905844e-04));
        assert!(parse_raw_ascii("Title: t\n").is_err());
        assert!(parse_raw_ascii(&raw.replace("e-04", "x")).is_err());
    }
}
