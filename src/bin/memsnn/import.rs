//! `memsnn import`: load a NIR file, validate it, and print a summary of the network.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use memsnn::network::{Summary, read_nir};

/// Load a NIR file (snnTorch, Norse, Sinabs, Rockpool, Lava-dl exports), validate it, and
/// summarise the network: nodes in evaluation order with shapes and parameters, recurrent
/// edges, neuron and synapse counts.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The NIR file (HDF5) to import.
    pub file: PathBuf,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also check that this time step (s) is plausible for the network's time constants
    /// (forward Euler needs dt <= tau). NIR files store no time step.
    #[arg(long, value_name = "SECONDS")]
    pub dt: Option<f32>,
}

/// Run `memsnn import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let nir = read_nir(&args.file)?;
    let warnings = match args.dt {
        Some(dt) => nir
            .graph
            .check_time_step(dt)
            .with_context(|| format!("{}: time step check", args.file.display()))?,
        None => Vec::new(),
    };
    let summary = nir.graph.summary();
    let recognised = nir.graph.recognise_exporter();
    if args.json {
        let value = serde_json::json!({
            "file": args.file,
            "nir_version": nir.version,
            "dt": args.dt,
            "warnings": warnings,
            "semantics": recognised,
            "summary": summary,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!(
            "{}",
            render(&args.file, nir.version.as_deref(), &summary, &warnings)
        );
        print!("{}", render_semantics(&recognised));
    }
    Ok(())
}

/// What `memsnn emulate` would need to run the file as its framework ran it.
fn render_semantics(r: &memsnn::neuron::Recognition) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    match r.semantics {
        Some(s) => {
            let dt = match (r.dt, r.default_dt) {
                (Some(dt), _) => format!("the file implies dt = {dt:e} s"),
                (None, Some(d)) => format!(
                    "the file does not store dt: {s}'s default is {d:e} s; give --dt if you trained with another"
                ),
                (None, None) => "the file does not store dt".into(),
            };
            let use_dt = r.dt.or(r.default_dt).unwrap_or(s.default_dt());
            let _ = writeln!(out, "semantics: {s} ({dt})");
            let _ = writeln!(
                out,
                "  run with: memsnn emulate --semantics {s} --dt {use_dt:e} ..."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "semantics: cannot be recognised from this file; memsnn emulate would use `snntorch` \
                 (its default) unless you give --semantics NAME"
            );
            if !r.candidates.is_empty() {
                let c: Vec<String> = r.candidates.iter().map(|c| c.to_string()).collect();
                let _ = writeln!(out, "  fits: {}", c.join(", "));
            }
        }
    }
    for e in &r.evidence {
        let _ = writeln!(out, "  because {e}");
    }
    out
}

fn shape(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(usize::to_string).collect();
    format!("[{}]", parts.join(", "))
}

fn render(
    file: &std::path::Path,
    version: Option<&str>,
    s: &Summary,
    warnings: &[String],
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (NIR {}): {} nodes, {} edges ({} recurrent)",
        file.display(),
        version.unwrap_or("version unknown"),
        s.nodes.len(),
        s.edges.len(),
        s.recurrent_edges
    );
    let header = [
        "#",
        "node",
        "type",
        "input -> output",
        "neurons",
        "synapses",
        "parameters",
    ]
    .map(String::from);
    let mut rows = vec![header];
    for (i, n) in s.nodes.iter().enumerate() {
        let mut params: Vec<String> = n
            .params
            .iter()
            .map(|p| format!("{}={}", p.name, p.display_value()))
            .collect();
        if !n.recurrent_from.is_empty() {
            params.insert(
                0,
                format!(
                    "[cycle: recurrent input from {}]",
                    n.recurrent_from.join(", ")
                ),
            );
        }
        let count = |c: u64| if c > 0 { c.to_string() } else { "-".into() };
        rows.push([
            i.to_string(),
            n.name.clone(),
            n.type_name.clone(),
            format!("{} -> {}", shape(&n.input_shape), shape(&n.output_shape)),
            count(n.neurons as u64),
            count(n.synapses),
            params.join(" "),
        ]);
    }
    let mut width = [0usize; 6];
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in &rows {
        let line = format!(
            "  {:>w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {:>w4$}  {:>w5$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
            w4 = width[4],
            w5 = width[5]
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(out, "edges:");
    for e in &s.edges {
        let _ = writeln!(
            out,
            "  {} -> {}{}",
            e.from,
            e.to,
            if e.recurrent {
                "  (recurrent: carries the previous timestep's value)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        out,
        "totals: {} neurons, {} synapses, {} stored weights",
        s.neurons, s.synapses, s.weights
    );
    for w in warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}
