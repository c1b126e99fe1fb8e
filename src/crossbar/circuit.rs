//! Exact IR drop of one crossbar array by nodal analysis.
//!
//! # The circuit
//!
//! An array of `rows × cols` devices, `G[i][j]` (siemens) between row wire `i` and column
//! wire `j`:
//!
//! ```text
//!  V_i ─[r_driver]─ r(i,0) ─[r_row]─ r(i,1) ─[r_row]─ … ─ r(i,cols-1)      (row wire i)
//!                     │                │
//!                  G[i][0]          G[i][1]            (1T1R: in series with r_on)
//!                     │                │
//!                  c(i,0)           c(i,1)
//!                     │ r_col          │ r_col                              (column wires
//!                  c(i+1,0)         c(i+1,1)                                 run downwards)
//!                     ⋮                ⋮
//!                  c(rows-1,0) ─[r_sense]─ virtual ground, current I_0 measured here
//! ```
//!
//! * Row `i` is driven at its left end: an ideal source `V_i` behind `r_driver`.
//! * Adjacent cells of a row are joined by one wire segment `r_row`, of a column by `r_col`.
//! * Column `j` is sensed at its bottom end (after the last row) at virtual ground through
//!   `r_sense`; `I_j` is the current flowing into that sense amplifier.
//! * Any of these resistances may be zero (an ideal wire); zero-resistance nodes are merged, and
//!   nodes tied to a source or to ground are eliminated. With every resistance zero the result is
//!   exactly `I = Gᵀ·V`.
//!
//! # Access modes ([`Access`])
//!
//! * **1T1R**: every device has an access transistor, modelled as a resistance `r_on` in series
//!   with the device (exact: the midpoint has no other connection, so the pair is one
//!   conductance `G/(1 + G·r_on)`). A *selected* row has its word line on: its transistors
//!   conduct. An *unselected* row has its word line off: its transistors are open, so its devices
//!   carry no current at all (“unselected devices off”); its bit-line wire is still driven but
//!   nothing flows. For an MVM every row is selected.
//! * **Passive (0T1R)**: no access devices; every device of the array conducts, so current
//!   sneaks between columns through any row. Selected rows are driven by their source.
//!   Unselected rows are either *grounded* (driven at 0 V through `r_driver`, the usual
//!   “ground the unselected lines” scheme) or *floating* (driver disconnected: the row wire
//!   floats and couples the columns through its devices). A floating row whose devices are all
//!   zero is electrically isolated and dropped.
//!
//! # Solving
//!
//! The unknown node voltages `x` satisfy `K·x = B·V`, where `K` is the symmetric positive
//! definite nodal conductance matrix (every kept free node reaches a fixed potential) and `B`
//! couples the sources in. The column currents are a linear functional of node voltages and
//! sources, `I = P·x + P_s·V`, so the transfer matrix `T = P·K⁻¹·B + P_s` (`cols × rows`)
//! turns every later read into an ordinary MVM `I = T·V` ([`CrossbarCircuit::read`]).
//!
//! `T` is computed once per programmed array, by one of two exact methods:
//!
//! * **Port reduction** (resistive row and column wires, the usual case):
//!   `I_j = v_sense,j / r_sense` (with an ideal sense terminal: the currents of the last column
//!   segment and the last device into the grounded bottom node), so only the *ports* (nodes
//!   where sources inject current, and the nodes the column currents are read from) matter. Every other node is eliminated by a nested dissection that follows
//!   the array's geometry, with dense Cholesky factorisations and Schur updates (see
//!   `circuit_schur.rs`): `O((rows + cols)³)` work, about a second for 512 × 512 on two cores.
//! * **Sparse solves** (otherwise, e.g. ideal wires that merge whole lines): the nodal matrix is
//!   factorised with faer's sparse supernodal Cholesky (AMD ordering) and solved for fixed
//!   chunks of unit sources in parallel, with `P` from Kirchhoff's current law at the devices,
//!   `I_j = Σ_i g_ij·(v_row(i,j) − v_col(i,j))`.
//!
//! [`CrossbarCircuit::solve_direct`] solves the full nodal system for one input with the sparse
//! Cholesky factorisation (made on first use) and the device-current functional: an independent
//! path against which the transfer matrix is tested. Both methods run their parallel parts in
//! chunks whose arithmetic does not depend on the thread count, so `T` is bit-identical for any
//! number of threads.

use std::sync::OnceLock;

use faer::dyn_stack::{MemBuffer, MemStack};

use faer::linalg::cholesky::llt::factor::{
    LltRegularization, cholesky_in_place, cholesky_in_place_scratch,
};
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::sparse::linalg::cholesky::{
    CholeskySymbolicParams, LltRef, SymbolicCholesky, SymmetricOrdering,
    factorize_symbolic_cholesky,
};
use faer::sparse::{SparseColMat, Triplet};
use faer::{Conj, Mat, Par, Side};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{CircuitError, circuit_schur};

/// How the devices of the array are accessed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Access {
    /// One transistor per device. Unselected rows: transistors off, devices carry no current.
    OneT1R {
        /// On-resistance of an access transistor, in series with its device (ohm, default 0).
        #[serde(default)]
        r_on: f64,
    },
    /// No access devices: every device conducts (sneak paths).
    Passive {
        /// What an unselected row is connected to (default: grounded).
        #[serde(default)]
        unselected: Unselected,
    },
}

impl Default for Access {
    fn default() -> Self {
        Self::OneT1R { r_on: 0.0 }
    }
}

/// Bias of an unselected row in a passive array.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unselected {
    /// Driven at 0 V through its row driver resistance.
    #[default]
    Grounded,
    /// Driver disconnected: the row wire floats.
    Floating,
}

/// Parasitic resistances and access scheme of one array. Every resistance is in ohm, ≥ 0,
/// finite; zero means an ideal connection. Defaults: all zero, 1T1R with ideal transistors
/// (the ideal crossbar, `I = Gᵀ·V`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitParams {
    /// Row wire resistance between adjacent cells of a row (ohm per segment).
    pub r_row: f64,
    /// Column wire resistance between adjacent cells of a column (ohm per segment).
    pub r_col: f64,
    /// Output resistance of each row driver (ohm).
    pub r_driver: f64,
    /// Input resistance of each column's sense amplifier to virtual ground (ohm).
    pub r_sense: f64,
    /// Access scheme.
    pub access: Access,
}

impl CircuitParams {
    /// The same wire resistance `r_wire` on rows and columns, with the given terminals.
    pub fn wires(r_wire: f64, r_driver: f64, r_sense: f64, access: Access) -> Self {
        Self {
            r_row: r_wire,
            r_col: r_wire,
            r_driver,
            r_sense,
            access,
        }
    }

    /// Check every resistance is finite and ≥ 0.
    pub fn validate(&self) -> Result<(), CircuitError> {
        let mut checks = vec![
            ("r_row", self.r_row),
            ("r_col", self.r_col),
            ("r_driver", self.r_driver),
            ("r_sense", self.r_sense),
        ];
        if let Access::OneT1R { r_on } = self.access {
            checks.push(("access.r_on", r_on));
        }
        for (name, r) in checks {
            if !r.is_finite() || r < 0.0 {
                return Err(CircuitError::Resistance { name, value: r });
            }
        }
        Ok(())
    }
}

/// Check a conductance matrix: non-empty, every entry finite and ≥ 0.
pub fn validate_conductances(g: ArrayView2<'_, f64>) -> Result<(), CircuitError> {
    if g.nrows() == 0 || g.ncols() == 0 {
        return Err(CircuitError::Empty {
            rows: g.nrows(),
            cols: g.ncols(),
        });
    }
    for ((i, j), &v) in g.indexed_iter() {
        if !v.is_finite() || v < 0.0 {
            return Err(CircuitError::Conductance {
                row: i,
                col: j,
                value: v,
            });
        }
    }
    Ok(())
}

/// The ideal crossbar read `I_j = Σ_i G[i][j]·V_i` (same summation order as
/// [`CrossbarCircuit::read`], so zero parasitics give bit-identical currents).
pub fn ideal_currents(g: ArrayView2<'_, f64>, v: &[f64], out: &mut [f64]) {
    assert_eq!(g.nrows(), v.len(), "one voltage per row");
    assert_eq!(g.ncols(), out.len(), "one current per column");
    let gt = g.t().as_standard_layout().into_owned();
    for (j, o) in out.iter_mut().enumerate() {
        *o = dot(gt.row(j).as_slice().expect("standard layout"), v);
    }
}

/// Dot product with eight interleaved partial sums (a fixed order: deterministic, and fast
/// because the additions do not wait on each other).
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    const L: usize = 8;
    let mut acc = [0.0f64; L];
    let (ca, ra) = a.as_chunks::<L>();
    let (cb, rb) = b.as_chunks::<L>();
    for (x, y) in ca.iter().zip(cb) {
        for k in 0..L {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// Number of sources solved together: fixed, so results do not depend on the thread count.
const CHUNK: usize = 32;

/// What a node of the nodal graph is, after merging zero-resistance connections.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    /// An unknown voltage, index into `x`.
    Free(usize),
    /// Fixed at the voltage of source `i`.
    Source(usize),
    /// Fixed at 0 V (ground, or an isolated node that carries no current).
    Zero,
}

/// A programmed array with wire resistance: its nodal system and transfer matrix.
///
/// ```
/// use memsnn::crossbar::{Access, CircuitParams, CrossbarCircuit};
/// use ndarray::array;
///
/// // Two rows, one column: 1 Ω wire segment between the cells, 10 Ω sense resistance.
/// let g = array![[1e-4], [5e-5]];
/// let params = CircuitParams::wires(1.0, 0.0, 10.0, Access::OneT1R { r_on: 0.0 });
/// let circuit = CrossbarCircuit::new(g.view(), &params)?;
/// let mut i = [0.0];
/// circuit.read(&[0.2, 0.2], &mut i)?;
/// assert!(i[0] < 0.2 * 1.5e-4 && i[0] > 0.99 * 0.2 * 1.5e-4); // a little IR drop
/// # Ok::<(), memsnn::crossbar::CircuitError>(())
/// ```
#[derive(Debug)]
pub struct CrossbarCircuit {
    rows: usize,
    cols: usize,
    /// Number of free nodes.
    n: usize,
    /// The nodal matrix (absent when no node is free).
    kmat: Option<SparseColMat<usize, f64>>,
    /// Its sparse Cholesky factor, computed when first needed.
    factor: OnceLock<Factor>,
    /// `B` by source: (free node, conductance to the source).
    b: Vec<Vec<(usize, f64)>>,
    /// `P` by column: (free node, coefficient).
    p: Vec<Vec<(usize, f64)>>,
    /// `P_s`, `cols × rows`.
    p_src: Array2<f64>,
    /// `T`, `cols × rows`.
    transfer: Array2<f64>,
}

/// A sparse Cholesky factorisation: symbolic structure and values.
type Factor = (SymbolicCholesky<usize>, Vec<f64>);

/// Factorise the nodal matrix (lower triangle given) with a fill-reducing ordering.
fn factorize(k: &SparseColMat<usize, f64>) -> Result<Factor, CircuitError> {
    let symbolic = factorize_symbolic_cholesky(
        k.symbolic(),
        Side::Lower,
        SymmetricOrdering::Amd,
        CholeskySymbolicParams::default(),
    )
    .map_err(|e| CircuitError::Solver(format!("{e:?}")))?;
    let mut values = vec![0.0; symbolic.len_val()];
    let mut mem = MemBuffer::try_new(
        symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default()),
    )
    .map_err(|e| CircuitError::Solver(format!("{e:?}")))?;
    symbolic
        .factorize_numeric_llt(
            &mut values,
            k.as_ref(),
            Side::Lower,
            LltRegularization::default(),
            Par::Seq,
            MemStack::new(&mut mem),
            Default::default(),
        )
        .map_err(|e| CircuitError::Solver(format!("{e:?}")))?;
    Ok((symbolic, values))
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // Keep the larger id as root: ground and sources have the largest ids.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[lo] = hi;
        }
    }
}

impl CrossbarCircuit {
    /// Build and solve the circuit of array `g` (`rows × cols`, siemens) with every row selected.
    pub fn new(g: ArrayView2<'_, f64>, params: &CircuitParams) -> Result<Self, CircuitError> {
        let all = vec![true; g.nrows()];
        Self::with_selection(g, params, &all)
    }

    /// Build and solve the circuit with only the rows where `selected[i]` is true driven
    /// (see the module documentation for what happens to the others).
    pub fn with_selection(
        g: ArrayView2<'_, f64>,
        params: &CircuitParams,
        selected: &[bool],
    ) -> Result<Self, CircuitError> {
        params.validate()?;
        validate_conductances(g)?;
        let (rows, cols) = g.dim();
        if selected.len() != rows {
            return Err(CircuitError::Shape(format!(
                "row selection has {} entries, the array has {rows} rows",
                selected.len()
            )));
        }
        let cells = rows * cols;
        let row_node = |i: usize, j: usize| i * cols + j;
        let col_node = |i: usize, j: usize| cells + i * cols + j;
        let ground = 2 * cells;
        let source = |i: usize| 2 * cells + 1 + i;
        let total = 2 * cells + 1 + rows;

        // Effective device conductance, and the elements of the graph (a, b, conductance);
        // infinite conductance = ideal connection.
        let device = |i: usize, j: usize| -> f64 {
            let gij = g[[i, j]];
            match params.access {
                Access::OneT1R { r_on } => {
                    if !selected[i] || gij == 0.0 {
                        0.0
                    } else {
                        gij / (1.0 + gij * r_on)
                    }
                }
                Access::Passive { .. } => gij,
            }
        };
        let cond = |r: f64| if r == 0.0 { f64::INFINITY } else { 1.0 / r };
        let mut elements: Vec<(usize, usize, f64)> = Vec::with_capacity(4 * cells + rows + cols);
        for (i, &sel) in selected.iter().enumerate() {
            let driven = match params.access {
                Access::OneT1R { .. } => Some(source(i)),
                Access::Passive { unselected } => match (sel, unselected) {
                    (true, _) => Some(source(i)),
                    (false, Unselected::Grounded) => Some(ground),
                    (false, Unselected::Floating) => None,
                },
            };
            if let Some(s) = driven {
                elements.push((s, row_node(i, 0), cond(params.r_driver)));
            }
            for j in 0..cols {
                if j + 1 < cols {
                    elements.push((row_node(i, j), row_node(i, j + 1), cond(params.r_row)));
                }
                if i + 1 < rows {
                    elements.push((col_node(i, j), col_node(i + 1, j), cond(params.r_col)));
                }
                let d = device(i, j);
                if d > 0.0 {
                    elements.push((row_node(i, j), col_node(i, j), d));
                }
            }
        }
        for j in 0..cols {
            elements.push((col_node(rows - 1, j), ground, cond(params.r_sense)));
        }

        // Merge ideal connections.
        let mut uf = UnionFind((0..total).collect());
        for &(a, b, c) in &elements {
            if c.is_infinite() {
                uf.union(a, b);
            }
        }
        // A class is fixed when its root is ground or a source (roots are the largest ids, and
        // a merge of two fixed potentials cannot happen: devices are finite conductances).
        let mut fixed_count = 0;
        for t in ground..total {
            if uf.find(t) == t {
                fixed_count += 1;
            }
        }
        if fixed_count != 1 + rows {
            return Err(CircuitError::Short);
        }
        // Free classes that reach a fixed potential through finite conductances are unknowns;
        // the others are isolated and carry no current.
        let roots: Vec<usize> = (0..total).map(|a| uf.find(a)).collect();
        let mut adjacency_uf = UnionFind((0..total).collect());
        for &(a, b, c) in &elements {
            if c.is_finite() && c > 0.0 {
                adjacency_uf.union(roots[a], roots[b]);
            }
        }
        // In adjacency_uf, components containing a fixed class have a root ≥ ground.
        let mut class = vec![Class::Zero; total];
        let mut index_of_root = vec![usize::MAX; total];
        let mut n = 0;
        for a in 0..total {
            let r = roots[a];
            class[a] = if r == ground {
                Class::Zero
            } else if r > ground {
                Class::Source(r - ground - 1)
            } else if adjacency_uf.find(r) >= ground {
                if index_of_root[r] == usize::MAX {
                    index_of_root[r] = n;
                    n += 1;
                }
                Class::Free(index_of_root[r])
            } else {
                Class::Zero
            };
        }

        // Assemble K (lower triangle), B and the output functional.
        let mut triplets: Vec<Triplet<usize, usize, f64>> = Vec::with_capacity(3 * elements.len());
        let mut b: Vec<Vec<(usize, f64)>> = vec![Vec::new(); rows];
        for &(a, bb, c) in &elements {
            if !c.is_finite() || c == 0.0 {
                continue;
            }
            match (class[a], class[bb]) {
                // Both ends in one class: the element carries no current.
                (Class::Free(p), Class::Free(q)) if p == q => {}
                (Class::Free(p), Class::Free(q)) => {
                    triplets.push(Triplet::new(p, p, c));
                    triplets.push(Triplet::new(q, q, c));
                    let (hi, lo) = if p > q { (p, q) } else { (q, p) };
                    triplets.push(Triplet::new(hi, lo, -c));
                }
                (Class::Free(p), fixed) | (fixed, Class::Free(p)) => {
                    triplets.push(Triplet::new(p, p, c));
                    if let Class::Source(s) = fixed {
                        b[s].push((p, c));
                    }
                }
                _ => {}
            }
        }
        let mut p: Vec<Vec<(usize, f64)>> = vec![Vec::new(); cols];
        let mut p_src = Array2::<f64>::zeros((cols, rows));
        for i in 0..rows {
            for j in 0..cols {
                let d = device(i, j);
                if d == 0.0 {
                    continue;
                }
                for (node, sign) in [(row_node(i, j), 1.0), (col_node(i, j), -1.0)] {
                    match class[node] {
                        Class::Free(q) => p[j].push((q, sign * d)),
                        Class::Source(s) => p_src[[j, s]] += sign * d,
                        Class::Zero => {}
                    }
                }
            }
        }

        let kmat = if n == 0 {
            None
        } else {
            Some(
                SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &triplets)
                    .map_err(|e| CircuitError::Solver(format!("{e:?}")))?,
            )
        };
        let mut circuit = Self {
            rows,
            cols,
            n,
            kmat,
            factor: OnceLock::new(),
            b,
            p,
            p_src,
            transfer: Array2::zeros((0, 0)),
        };
        // With resistive wires, reduce the network onto its ports; else (ideal wires merge
        // whole lines) solve one right-hand side per source.
        let schur = n > 0 && params.r_row > 0.0 && params.r_col > 0.0;
        circuit.transfer = if schur {
            let mut diag = vec![0.0; n];
            let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
            for t in &triplets {
                if t.row == t.col {
                    diag[t.row] += t.val;
                } else {
                    adj[t.row].push((t.col, t.val));
                    adj[t.col].push((t.row, t.val));
                }
            }
            let mut site = vec![(0, 0); n];
            let mut nodes_by_site: Vec<Vec<usize>> = vec![Vec::new(); cells];
            for i in 0..rows {
                for j in 0..cols {
                    for node in [row_node(i, j), col_node(i, j)] {
                        if let Class::Free(q) = class[node] {
                            site[q] = (i, j);
                            nodes_by_site[i * cols + j].push(q);
                        }
                    }
                }
            }
            let mut port = vec![false; n];
            for list in &circuit.b {
                for &(q, _) in list {
                    port[q] = true;
                }
            }
            // Column current as a functional of port voltages (and sources): the current
            // through the sense resistance, or, with an ideal sense terminal (the bottom
            // column node is ground), the currents of the two elements flowing into it.
            let mut sense: Vec<Vec<(usize, f64)>> = vec![Vec::new(); cols];
            let mut sense_src = Array2::<f64>::zeros((cols, rows));
            for j in 0..cols {
                let bottom = col_node(rows - 1, j);
                let terms = match class[bottom] {
                    Class::Free(q) => vec![(Class::Free(q), 1.0 / params.r_sense)],
                    Class::Zero => {
                        let mut t = vec![(class[row_node(rows - 1, j)], device(rows - 1, j))];
                        if rows > 1 {
                            t.push((class[col_node(rows - 2, j)], 1.0 / params.r_col));
                        }
                        t
                    }
                    Class::Source(_) => return Err(CircuitError::Short),
                };
                for (cl, c) in terms {
                    match cl {
                        Class::Free(q) => {
                            port[q] = true;
                            sense[j].push((q, c));
                        }
                        Class::Source(src) => sense_src[[j, src]] += c,
                        Class::Zero => {}
                    }
                }
            }
            let graph = circuit_schur::Graph {
                diag: &diag,
                adj: &adj,
                site: &site,
                port: &port,
            };
            let (ports, schur) = circuit_schur::port_schur(&graph, rows, cols, &nodes_by_site)?;
            circuit.transfer_from_ports(&ports, schur, &sense, &sense_src)?
        } else {
            if let Some(k) = &circuit.kmat {
                let f = factorize(k)?;
                let _ = circuit.factor.set(f);
            }
            circuit.compute_transfer()?
        };
        Ok(circuit)
    }

    /// `T = P·S⁻¹·B + P_s` on the ports, with `P`, `P_s` the column-current functional
    /// `sense` (port node, coefficient) and `sense_src` (`cols × rows`).
    fn transfer_from_ports(
        &self,
        ports: &[usize],
        mut s: Mat<f64>,
        sense: &[Vec<(usize, f64)>],
        sense_src: &Array2<f64>,
    ) -> Result<Array2<f64>, CircuitError> {
        let m = ports.len();
        let mut pos = vec![usize::MAX; self.n];
        for (k, &q) in ports.iter().enumerate() {
            pos[q] = k;
        }
        let mut rhs = Mat::<f64>::zeros(m, self.rows);
        for (src, list) in self.b.iter().enumerate() {
            for &(q, c) in list {
                rhs[(pos[q], src)] += c;
            }
        }
        let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(
            m,
            Par::Seq,
            Default::default(),
        ));
        cholesky_in_place(
            s.as_mut(),
            LltRegularization::default(),
            Par::Seq,
            MemStack::new(&mut mem),
            Default::default(),
        )
        .map_err(|e| CircuitError::Solver(format!("port matrix not positive definite: {e:?}")))?;
        solve_lower_triangular_in_place(s.as_ref(), rhs.as_mut(), Par::Seq);
        solve_upper_triangular_in_place(s.as_ref().transpose(), rhs.as_mut(), Par::Seq);
        let mut t = sense_src.clone();
        for (j, terms) in sense.iter().enumerate() {
            for src in 0..self.rows {
                for &(q, c) in terms {
                    t[[j, src]] += c * rhs[(pos[q], src)];
                }
            }
        }
        Ok(t)
    }

    /// The sparse factorisation of the nodal matrix (computed on first use).
    fn factor(&self) -> Result<Option<&Factor>, CircuitError> {
        let Some(k) = &self.kmat else {
            return Ok(None);
        };
        if self.factor.get().is_none() {
            let f = factorize(k)?;
            let _ = self.factor.set(f);
        }
        Ok(self.factor.get())
    }

    /// Solve `K·X = R` in place.
    fn solve_block(&self, rhs: &mut Mat<f64>) -> Result<(), CircuitError> {
        if let Some((symbolic, values)) = self.factor()? {
            let llt = LltRef::new(symbolic, values);
            let mut mem =
                MemBuffer::new(symbolic.solve_in_place_scratch::<f64>(rhs.ncols(), Par::Seq));
            llt.solve_in_place_with_conj(Conj::No, rhs.as_mut(), Par::Seq, MemStack::new(&mut mem));
        }
        Ok(())
    }

    /// `P·x` for column `j` of a solved block.
    fn output(&self, x: &Mat<f64>, col: usize, j: usize) -> f64 {
        let mut acc = 0.0;
        for &(q, c) in &self.p[j] {
            acc += c * x[(q, col)];
        }
        acc
    }

    fn compute_transfer(&self) -> Result<Array2<f64>, CircuitError> {
        let (rows, cols) = (self.rows, self.cols);
        let starts: Vec<usize> = (0..rows).step_by(CHUNK).collect();
        let blocks: Vec<Array2<f64>> = starts
            .par_iter()
            .map(|&first| -> Result<Array2<f64>, CircuitError> {
                let k = CHUNK.min(rows - first);
                let mut t = Array2::<f64>::zeros((cols, k));
                if self.n > 0 {
                    let mut x = Mat::<f64>::zeros(self.n, k);
                    for s in 0..k {
                        for &(q, c) in &self.b[first + s] {
                            x[(q, s)] += c;
                        }
                    }
                    self.solve_block(&mut x)?;
                    for s in 0..k {
                        for j in 0..cols {
                            t[[j, s]] = self.output(&x, s, j);
                        }
                    }
                }
                for s in 0..k {
                    for j in 0..cols {
                        t[[j, s]] += self.p_src[[j, first + s]];
                    }
                }
                Ok(t)
            })
            .collect::<Result<_, _>>()?;
        let mut transfer = Array2::<f64>::zeros((cols, rows));
        for (&first, block) in starts.iter().zip(&blocks) {
            transfer
                .slice_mut(ndarray::s![.., first..first + block.ncols()])
                .assign(block);
        }
        Ok(transfer)
    }

    /// Number of rows (inputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (outputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of unknown node voltages of the nodal system.
    pub fn free_nodes(&self) -> usize {
        self.n
    }

    /// The transfer matrix `T` (`cols × rows`, siemens): `I = T·V`.
    pub fn transfer(&self) -> ArrayView2<'_, f64> {
        self.transfer.view()
    }

    /// One read through the transfer matrix: `out = T·v` (amperes), `v` in volts per row.
    pub fn read(&self, v: &[f64], out: &mut [f64]) -> Result<(), CircuitError> {
        self.check_io(v.len(), out.len())?;
        for (j, o) in out.iter_mut().enumerate() {
            *o = dot(self.transfer.row(j).as_slice().expect("standard layout"), v);
        }
        Ok(())
    }

    /// One read by a direct solve of the nodal system for this input (the reference for
    /// [`read`](Self::read); costs a sparse forward/backward substitution).
    pub fn solve_direct(&self, v: &[f64], out: &mut [f64]) -> Result<(), CircuitError> {
        self.check_io(v.len(), out.len())?;
        let mut x = Mat::<f64>::zeros(self.n, 1);
        for (s, &vs) in v.iter().enumerate() {
            for &(q, c) in &self.b[s] {
                x[(q, 0)] += c * vs;
            }
        }
        self.solve_block(&mut x)?;
        for (j, o) in out.iter_mut().enumerate() {
            let mut acc = self.output(&x, 0, j);
            for (s, &vs) in v.iter().enumerate() {
                acc += self.p_src[[j, s]] * vs;
            }
            *o = acc;
        }
        Ok(())
    }

    fn check_io(&self, v: usize, out: usize) -> Result<(), CircuitError> {
        if v != self.rows || out != self.cols {
            return Err(CircuitError::Shape(format!(
                "array is {}×{}: needs {} voltages and {} outputs, got {v} and {out}",
                self.rows, self.cols, self.rows, self.cols
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::array;

    #[test]
    fn zero_resistance_is_exactly_the_ideal_mvm() {
        let g = array![[1e-5, 2e-5, 3e-6], [4e-5, 0.0, 7e-5]];
        let v = [0.3, -0.2];
        for access in [
            Access::OneT1R { r_on: 0.0 },
            Access::Passive {
                unselected: Unselected::Grounded,
            },
        ] {
            let c = CrossbarCircuit::new(g.view(), &CircuitParams::wires(0.0, 0.0, 0.0, access))
                .unwrap();
            assert_eq!(c.free_nodes(), 0);
            let mut ideal = [0.0; 3];
            ideal_currents(g.view(), &v, &mut ideal);
            let mut got = [0.0; 3];
            c.read(&v, &mut got).unwrap();
            assert_eq!(got, ideal);
            c.solve_direct(&v, &mut got).unwrap();
            assert_eq!(got, ideal);
        }
    }

    #[test]
    fn one_cell_is_a_series_chain() {
        // 1×1: V through r_driver, device, r_sense: I = V / (r_d + 1/G + r_on + r_s).
        let g = array![[2e-5]];
        let p = CircuitParams {
            r_row: 3.0,
            r_col: 5.0,
            r_driver: 100.0,
            r_sense: 50.0,
            access: Access::OneT1R { r_on: 1e3 },
        };
        let c = CrossbarCircuit::new(g.view(), &p).unwrap();
        let mut i = [0.0];
        c.read(&[0.2], &mut i).unwrap();
        assert_relative_eq!(i[0], 0.2 / (100.0 + 5e4 + 1e3 + 50.0), max_relative = 1e-13);
    }

    #[test]
    fn two_rows_one_column_closed_form() {
        // Column wire r_col between the two cells, sense at the bottom; r_row irrelevant.
        // Node c0 (top), c1 (bottom). Device currents g0 (V0 - c0), g1 (V1 - c1).
        let (g0, g1, rc, rs, rd) = (1e-4, 5e-5, 10.0, 20.0, 0.0);
        let g = array![[g0], [g1]];
        let p = CircuitParams {
            r_row: 1.0,
            r_col: rc,
            r_driver: rd,
            r_sense: rs,
            access: Access::default(),
        };
        let c = CrossbarCircuit::new(g.view(), &p).unwrap();
        let (v0, v1) = (0.3, 0.1);
        // Solve the 2×2 nodal system by hand (Cramer).
        let (a11, a12, a22) = (g0 + 1.0 / rc, -1.0 / rc, g1 + 1.0 / rc + 1.0 / rs);
        let (b1, b2) = (g0 * v0, g1 * v1);
        let det = a11 * a22 - a12 * a12;
        let c1 = (a11 * b2 - a12 * b1) / det;
        let mut i = [0.0];
        c.read(&[v0, v1], &mut i).unwrap();
        assert_relative_eq!(i[0], c1 / rs, max_relative = 1e-12);
    }

    #[test]
    fn unselected_1t1r_rows_carry_no_current() {
        let g = array![[1e-5, 2e-5], [3e-5, 4e-5]];
        let p = CircuitParams::wires(1.0, 10.0, 10.0, Access::default());
        let c = CrossbarCircuit::with_selection(g.view(), &p, &[true, false]).unwrap();
        assert!(c.transfer().column(1).iter().all(|&t| t == 0.0));
        // Same as the array whose second row has no devices.
        let only = array![[1e-5, 2e-5], [0.0, 0.0]];
        let c1 = CrossbarCircuit::new(only.view(), &p).unwrap();
        for j in 0..2 {
            assert_relative_eq!(
                c.transfer()[[j, 0]],
                c1.transfer()[[j, 0]],
                max_relative = 1e-12
            );
        }
    }

    #[test]
    fn floating_rows_with_no_devices_are_dropped() {
        let g = array![[1e-5, 2e-5], [0.0, 0.0]];
        let p = CircuitParams::wires(
            1.0,
            10.0,
            10.0,
            Access::Passive {
                unselected: Unselected::Floating,
            },
        );
        let c = CrossbarCircuit::with_selection(g.view(), &p, &[true, false]).unwrap();
        let mut i = [0.0; 2];
        c.read(&[0.2, 0.5], &mut i).unwrap();
        assert!(i.iter().all(|x| x.is_finite() && *x > 0.0));
    }

    #[test]
    fn ir_drop_only_loses_current() {
        // With equal non-negative inputs every node lies between 0 V and V (maximum
        // principle), so each device current g·(v_r − v_c) ≤ g·V: strictly below ideal.
        let g = Array2::from_shape_fn((6, 5), |(i, j)| 1e-5 * (1.0 + (i * 5 + j) as f64 / 7.0));
        let p = CircuitParams::wires(
            2.0,
            5.0,
            5.0,
            Access::Passive {
                unselected: Unselected::Grounded,
            },
        );
        let c = CrossbarCircuit::new(g.view(), &p).unwrap();
        let v = [0.2; 6];
        let mut i = [0.0; 5];
        c.read(&v, &mut i).unwrap();
        let mut ideal = [0.0; 5];
        ideal_currents(g.view(), &v, &mut ideal);
        for j in 0..5 {
            assert!(i[j] < ideal[j] && i[j] > 0.9 * ideal[j]);
        }
    }

    #[test]
    fn parameters_parse_from_ron_with_defaults_and_reject_unknown_fields() {
        let path = std::path::Path::new("<test>");
        let p: CircuitParams = crate::config::parse_ron(
            "(r_row: 1.5, r_sense: 10.0, access: Passive(unselected: Floating))",
            path,
        )
        .unwrap();
        assert_eq!(
            p,
            CircuitParams {
                r_row: 1.5,
                r_col: 0.0,
                r_driver: 0.0,
                r_sense: 10.0,
                access: Access::Passive {
                    unselected: Unselected::Floating
                },
            }
        );
        let p: CircuitParams =
            crate::config::parse_ron("(access: OneT1R(r_on: 2e3))", path).unwrap();
        assert_eq!(p.access, Access::OneT1R { r_on: 2e3 });
        let err = crate::config::parse_ron::<CircuitParams>("(r_wire: 1.0)", path).unwrap_err();
        assert!(err.to_string().contains("r_wire"), "{err}");
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let g = array![[1e-5]];
        let p = CircuitParams::wires(-1.0, 0.0, 0.0, Access::default());
        assert!(matches!(
            CrossbarCircuit::new(g.view(), &p),
            Err(CircuitError::Resistance { name: "r_row", .. })
        ));
        let bad = array![[f64::NAN]];
        assert!(matches!(
            CrossbarCircuit::new(bad.view(), &CircuitParams::default()),
            Err(CircuitError::Conductance { row: 0, col: 0, .. })
        ));
    }
}
