//! `memsnn crossbar`: column currents of one array with wire resistance (exact nodal analysis).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::{Outputs, Progress};
use anyhow::{Context, bail};
use clap::Args;
use memsnn::crossbar::{
    Access, CircuitParams, CrossbarCircuit, Unselected, ideal_currents, spice,
    validate_conductances,
};
use ndarray::{Array2, ArrayD, Ix1, Ix2};
use ndarray_npy::WriteNpyExt;

/// Column currents of a crossbar array read with voltages on its rows, including IR drop.
#[derive(Debug, Args)]
pub struct CrossbarArgs {
    /// Conductances G (.npy, float64 or float32, rows × cols, siemens).
    #[arg(long, value_name = "G.npy")]
    conductances: PathBuf,
    /// Row voltages V (.npy): one input [rows] or a batch [batch, rows], volts.
    #[arg(long, value_name = "V.npy")]
    voltages: PathBuf,
    /// Wire resistance per segment between adjacent cells, rows and columns (ohm).
    #[arg(long, value_name = "OHM", default_value_t = 0.0, value_parser = resistance, allow_hyphen_values = true)]
    r_wire: f64,
    /// Row driver output resistance (ohm).
    #[arg(long, value_name = "OHM", default_value_t = 0.0, value_parser = resistance, allow_hyphen_values = true)]
    r_driver: f64,
    /// Column sense input resistance to virtual ground (ohm).
    #[arg(long, value_name = "OHM", default_value_t = 0.0, value_parser = resistance, allow_hyphen_values = true)]
    r_sense: f64,
    /// Passive (0T1R) array; default is 1T1R with every row selected.
    #[arg(long)]
    passive: bool,
    /// Write the currents (.npy, float64, amperes): [cols] or [batch, cols]. Without it the
    /// currents are printed, one line per input.
    #[arg(long, value_name = "I.npy")]
    out: Option<PathBuf>,
    /// Write a SPICE netlist of the array driven by the (first) input vector.
    #[arg(long, value_name = "FILE.cir")]
    spice: Option<PathBuf>,
    /// Solve even when the pre-flight estimate is above the limit (`MAX_CELLS`).
    #[arg(long)]
    force: bool,
}

/// Largest array (rows × cols) solved without `--force`: 1024 × 1024, about 10 s of set-up.
const MAX_CELLS: u64 = 1 << 20;
/// Set-up seconds of a 1024 + 1024 line array on two cores (measured: 512 × 512 takes about
/// 1 s; the work grows as (rows + cols)³).
const SECS_AT_2048_LINES: f64 = 8.0;
/// Bytes per cell of the circuit's element and node lists during the set-up.
const BYTES_PER_CELL: u64 = 160;

/// (memory in bytes, seconds) estimated for solving a `rows × cols` array and reading `batch`
/// inputs: the element lists, four dense (rows + cols)² blocks of the nested dissection, and the
/// transfer matrix; set-up time grows as (rows + cols)³.
fn estimate(rows: u64, cols: u64, batch: u64) -> (u64, f64) {
    let lines = rows + cols;
    let mem = rows * cols * BYTES_PER_CELL + 4 * lines * lines * 8 + (rows + batch) * cols * 8;
    let secs = SECS_AT_2048_LINES * (lines as f64 / 2048.0).powi(3);
    (mem, secs)
}

fn resistance(s: &str) -> Result<f64, String> {
    let r: f64 = s.parse().map_err(|e| format!("not a number: {e}"))?;
    if !r.is_finite() || r < 0.0 {
        return Err(format!("a resistance must be finite and ≥ 0 ohm, got {r}"));
    }
    Ok(r)
}

/// A float array from a .npy file (header checked before reading), as f64.
fn read_floats(path: &Path) -> anyhow::Result<ArrayD<f64>> {
    use memsnn::npy::{NpyArray, read_npy_any};
    match read_npy_any(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))? {
        NpyArray::F64(a) => Ok(a),
        NpyArray::F32(a) => Ok(a.mapv(f64::from)),
        other => bail!(
            "{}: not a float64/float32 .npy array (element type {}, shape {:?})",
            path.display(),
            other.dtype(),
            other.shape()
        ),
    }
}

/// Run the subcommand.
pub fn run(args: CrossbarArgs) -> anyhow::Result<()> {
    let gpath = &args.conductances;
    // Outputs are checked against the inputs and each other before anything is read.
    let inputs = [args.conductances.clone(), args.voltages.clone()];
    let mut outputs = Outputs::default();
    if let Some(p) = &args.out {
        outputs.plan("--out", p, &inputs)?;
    }
    if let Some(p) = &args.spice {
        outputs.plan("--spice", p, &inputs)?;
    }
    // Pre-flight from the headers alone: refuse an array too large to solve before reading it.
    let gh = memsnn::npy::read_npy_header(gpath)
        .map_err(|e| anyhow::anyhow!("{}: {e}", gpath.display()))?;
    if let [rows, cols] = gh.shape[..] {
        let batch = memsnn::npy::read_npy_header(&args.voltages)
            .ok()
            .and_then(|v| (v.shape.len() == 2).then(|| v.shape[0] as u64))
            .unwrap_or(1);
        let (mem, secs) = estimate(rows as u64, cols as u64, batch);
        let cells = rows as u64 * cols as u64;
        let what = format!(
            "array {rows}×{cols} = {cells} cells: estimated {} of memory and {secs:.0} s of set-up",
            memsnn::budget::bytes(mem)
        );
        if cells > MAX_CELLS && !args.force {
            bail!(
                "{}: {what}, above the limit of {MAX_CELLS} cells (1024×1024); pass --force to solve it anyway",
                gpath.display()
            );
        }
        if secs > 5.0 {
            eprintln!("crossbar: solving {what} …");
        }
    }
    let g = read_floats(gpath)?
        .into_dimensionality::<Ix2>()
        .map_err(|_| anyhow::anyhow!("{}: G must be a 2-D array rows × cols", gpath.display()))?;
    validate_conductances(g.view()).with_context(|| gpath.display().to_string())?;
    let (rows, cols) = g.dim();

    let vpath = &args.voltages;
    let v = read_floats(vpath)?;
    let batched = v.ndim() == 2;
    let v: Array2<f64> = match v.ndim() {
        1 => {
            let v1 = v.into_dimensionality::<Ix1>().expect("1-D");
            let n = v1.len();
            v1.into_shape_with_order((1, n)).expect("contiguous")
        }
        2 => v.into_dimensionality::<Ix2>().expect("2-D"),
        d => bail!(
            "{}: V must be [rows] or [batch, rows], got a {d}-D array",
            vpath.display()
        ),
    };
    if v.ncols() != rows {
        bail!(
            "{}: {} voltages per input, but {} has {rows} rows",
            vpath.display(),
            v.ncols(),
            gpath.display()
        );
    }
    if let Some(((b, i), x)) = v.indexed_iter().find(|(_, x)| !x.is_finite()) {
        bail!(
            "{}: voltage [{b}, {i}] is not finite ({x})",
            vpath.display()
        );
    }

    let access = if args.passive {
        Access::Passive {
            unselected: Unselected::Grounded,
        }
    } else {
        Access::OneT1R { r_on: 0.0 }
    };
    let params = CircuitParams::wires(args.r_wire, args.r_driver, args.r_sense, access);
    let t0 = Instant::now();
    let circuit = CrossbarCircuit::new(g.view(), &params).context("building the circuit")?;
    let setup = t0.elapsed();

    memsnn::cancel::check()?;

    let mut currents = Array2::<f64>::zeros((v.nrows(), cols));
    let mut ideal = vec![0.0; cols];
    let mut worst = (0.0f64, 0usize, 0usize);
    let progress = Progress::new("inputs");
    progress.start(v.nrows() as u64);
    for (b, (vin, mut out)) in v.outer_iter().zip(currents.outer_iter_mut()).enumerate() {
        memsnn::cancel::check()?;
        progress.advance(1);
        let vin = vin.to_vec();
        let out = out.as_slice_mut().expect("standard layout");
        circuit.read(&vin, out)?;
        ideal_currents(g.view(), &vin, &mut ideal);
        let scale = ideal.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        if scale > 0.0 {
            for (j, (a, i)) in out.iter().zip(&ideal).enumerate() {
                let loss = (i - a).abs() / scale;
                if loss > worst.0 {
                    worst = (loss, b, j);
                }
            }
        }
    }

    progress.finish();

    if let Some(path) = &args.spice {
        let all = vec![true; rows];
        let deck = spice::netlist(g.view(), &params, &all, &v.row(0).to_vec())?;
        outputs.stage(path, deck.into_bytes());
    }
    match &args.out {
        Some(path) => {
            let mut bytes = Vec::new();
            if batched {
                currents.write_npy(&mut bytes)?;
            } else {
                currents.row(0).to_owned().write_npy(&mut bytes)?;
            }
            outputs.stage(path, bytes);
        }
        None => {
            for row in currents.outer_iter() {
                let line: Vec<String> = row.iter().map(|x| format!("{x:e}")).collect();
                println!("{}", line.join(" "));
            }
        }
    }
    let mode = if args.passive { "passive 0T1R" } else { "1T1R" };
    let mut summary = format!(
        "array {rows}×{cols} ({mode}), r_wire {} Ω, r_driver {} Ω, r_sense {} Ω, {} input(s)\n\
         max IR-drop loss vs ideal: {:.4} % of the largest ideal column current (input {}, column {})\n\
         set-up (factorise + transfer matrix): {:.3} s, {} free nodes",
        args.r_wire,
        args.r_driver,
        args.r_sense,
        v.nrows(),
        100.0 * worst.0,
        worst.1,
        worst.2,
        setup.as_secs_f64(),
        circuit.free_nodes()
    );
    if let Some(path) = &args.spice {
        summary += &format!("\nSPICE netlist written to {}", path.display());
    }
    outputs.commit()?;
    match &args.out {
        // The currents went to a file: the summary is the output.
        Some(path) => println!("{summary}\ncurrents written to {}", path.display()),
        // The currents are on stdout: keep it clean.
        None => eprintln!("{summary}"),
    }
    Ok(())
}
