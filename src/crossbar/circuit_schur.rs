//! Schur complement of the nodal matrix onto its ports, by recursive bisection of the array.
//!
//! Only the port nodes (where sources inject current and where column currents are read)
//! matter for the transfer matrix, so every other node is eliminated. The array is split
//! recursively in halves (a nested dissection that follows the geometry): a leaf rectangle of
//! cells assembles its dense nodal block and eliminates the nodes that touch nothing outside it;
//! two sibling rectangles are merged by adding the wire segments that cross their interface
//! and eliminating the nodes that no longer touch the outside. Every elimination is a dense
//! Cholesky factorisation and a Schur update `S = M_ee − M_ei·M_ii⁻¹·M_ie`. Because only row
//! wire segments cross a vertical cut and only column wire segments cross a horizontal one,
//! a rectangle of `h × w` cells keeps at most `2h + 2w` nodes: the work is dominated by the
//! last merges, `O((rows + cols)³)`, instead of one sparse solve per input.
//!
//! Sibling rectangles are processed in parallel (rayon) and every dense kernel runs
//! sequentially, so the arithmetic, and hence the result, does not depend on the thread count.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{
    LltRegularization, cholesky_in_place, cholesky_in_place_scratch,
};
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, Par};
use rayon::prelude::*;

use super::CircuitError;

/// The nodal graph of the free nodes, as seen by the elimination.
pub(super) struct Graph<'a> {
    /// Diagonal of the nodal matrix.
    pub diag: &'a [f64],
    /// Off-diagonal entries by node: (neighbour, matrix entry), both directions.
    pub adj: &'a [Vec<(usize, f64)>],
    /// Cell (row, column) each free node belongs to.
    pub site: &'a [(usize, usize)],
    /// Whether a node is a port (kept to the end).
    pub port: &'a [bool],
}

/// A half-open rectangle of cells.
#[derive(Debug, Clone, Copy)]
struct Rect {
    i0: usize,
    i1: usize,
    j0: usize,
    j1: usize,
}

impl Rect {
    fn contains(&self, (i, j): (usize, usize)) -> bool {
        (self.i0..self.i1).contains(&i) && (self.j0..self.j1).contains(&j)
    }
}

/// A rectangle reduced to its exposed nodes.
struct Block {
    nodes: Vec<usize>,
    s: Mat<f64>,
}

/// Largest leaf, in cells.
const LEAF: usize = 64;

/// The Schur complement onto the ports, and the port node list it is indexed by.
pub(super) fn port_schur(
    g: &Graph<'_>,
    rows: usize,
    cols: usize,
    nodes_by_site: &[Vec<usize>],
) -> Result<(Vec<usize>, Mat<f64>), CircuitError> {
    let all = Rect {
        i0: 0,
        i1: rows,
        j0: 0,
        j1: cols,
    };
    let b = build(g, all, cols, nodes_by_site)?;
    Ok((b.nodes, b.s))
}

fn build(
    g: &Graph<'_>,
    r: Rect,
    cols: usize,
    nodes_by_site: &[Vec<usize>],
) -> Result<Block, CircuitError> {
    let (h, w) = (r.i1 - r.i0, r.j1 - r.j0);
    if h * w <= LEAF {
        return leaf(g, r, cols, nodes_by_site);
    }
    let (a, b) = if w >= h {
        let jm = r.j0 + w / 2;
        (Rect { j1: jm, ..r }, Rect { j0: jm, ..r })
    } else {
        let im = r.i0 + h / 2;
        (Rect { i1: im, ..r }, Rect { i0: im, ..r })
    };
    let (ba, bb) = rayon::join(
        || build(g, a, cols, nodes_by_site),
        || build(g, b, cols, nodes_by_site),
    );
    let (ba, bb) = (ba?, bb?);
    merge(g, r, ba, bb)
}

fn exposed(g: &Graph<'_>, r: Rect, p: usize) -> bool {
    g.port[p] || g.adj[p].iter().any(|&(q, _)| !r.contains(g.site[q]))
}

fn leaf(
    g: &Graph<'_>,
    r: Rect,
    cols: usize,
    nodes_by_site: &[Vec<usize>],
) -> Result<Block, CircuitError> {
    let mut nodes = Vec::new();
    for i in r.i0..r.i1 {
        for j in r.j0..r.j1 {
            nodes.extend_from_slice(&nodes_by_site[i * cols + j]);
        }
    }
    let mut sorted: Vec<(usize, usize)> = nodes.iter().enumerate().map(|(k, &p)| (p, k)).collect();
    sorted.sort_unstable();
    eliminate(g, r, nodes, |m, pos| {
        for &(p, a) in &sorted {
            let pa = pos[a];
            m[(pa, pa)] += g.diag[p];
            for &(q, k) in &g.adj[p] {
                if let Ok(idx) = sorted.binary_search_by_key(&q, |&(id, _)| id) {
                    m[(pa, pos[sorted[idx].1])] += k;
                }
            }
        }
    })
}

fn merge(g: &Graph<'_>, r: Rect, a: Block, b: Block) -> Result<Block, CircuitError> {
    let ma = a.nodes.len();
    let mut pos_b: Vec<(usize, usize)> = b.nodes.iter().enumerate().map(|(k, &p)| (p, k)).collect();
    pos_b.sort_unstable();
    let mut nodes = a.nodes.clone();
    nodes.extend_from_slice(&b.nodes);
    eliminate(g, r, nodes, |m, pos| {
        for (x, &px) in pos[..ma].iter().enumerate() {
            for (y, &py) in pos[..ma].iter().enumerate() {
                m[(px, py)] = a.s[(x, y)];
            }
        }
        for (x, &px) in pos[ma..].iter().enumerate() {
            for (y, &py) in pos[ma..].iter().enumerate() {
                m[(px, py)] = b.s[(x, y)];
            }
        }
        // Coupling across the interface.
        for (x, &p) in a.nodes.iter().enumerate() {
            for &(q, k) in &g.adj[p] {
                if let Ok(idx) = pos_b.binary_search_by_key(&q, |&(id, _)| id) {
                    let (px, py) = (pos[x], pos[ma + pos_b[idx].1]);
                    m[(px, py)] += k;
                    m[(py, px)] += k;
                }
            }
        }
    })
}

/// Columns per parallel task of the dense updates (fixed: the arithmetic of each task, and so
/// the result, does not depend on the number of threads).
const CHUNK: usize = 128;

/// Assemble the (full, symmetric) nodal block of `nodes` with `fill`, ordered interior nodes
/// first and exposed nodes last (`fill` receives the position of each node of `nodes`), and
/// eliminate the interior.
fn eliminate(
    g: &Graph<'_>,
    r: Rect,
    nodes: Vec<usize>,
    fill: impl FnOnce(&mut Mat<f64>, &[usize]),
) -> Result<Block, CircuitError> {
    let m = nodes.len();
    let keep: Vec<bool> = nodes.iter().map(|&p| exposed(g, r, p)).collect();
    let ni = keep.iter().filter(|&&k| !k).count();
    let ne = m - ni;
    let mut pos = vec![0; m];
    let (mut next_i, mut next_e) = (0, ni);
    let mut kept_nodes = Vec::with_capacity(ne);
    for (a, &k) in keep.iter().enumerate() {
        if k {
            pos[a] = next_e;
            next_e += 1;
            kept_nodes.push(nodes[a]);
        } else {
            pos[a] = next_i;
            next_i += 1;
        }
    }
    let mut mat = Mat::<f64>::zeros(m, m);
    fill(&mut mat, &pos);
    if ni == 0 {
        return Ok(Block {
            nodes: kept_nodes,
            s: mat,
        });
    }
    let (mut mii, mut mie, _, mut mee) = mat.as_mut().split_at_mut(ni, ni);
    let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        ni,
        Par::Seq,
        Default::default(),
    ));
    cholesky_in_place(
        mii.rb_mut(),
        LltRegularization::default(),
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|e| CircuitError::Solver(format!("nodal block not positive definite: {e:?}")))?;
    // X = L⁻¹·M_ie, then S = M_ee − Xᵀ·X on the lower triangle, in column chunks.
    let l = mii.rb();
    mie.rb_mut()
        .par_col_chunks_mut(CHUNK)
        .for_each(|chunk| solve_lower_triangular_in_place(l, chunk, Par::Seq));
    let x = mie.rb();
    mee.rb_mut()
        .par_col_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let c0 = c * CHUNK;
            let w = chunk.ncols();
            matmul(
                chunk.subrows_mut(c0, ne - c0),
                Accum::Add,
                x.subcols(c0, ne - c0).transpose(),
                x.subcols(c0, w),
                -1.0,
                Par::Seq,
            );
        });
    // Symmetric copy of the lower triangle.
    let s = Mat::<f64>::from_fn(
        ne,
        ne,
        |a, b| if a >= b { mee[(a, b)] } else { mee[(b, a)] },
    );
    Ok(Block {
        nodes: kept_nodes,
        s,
    })
}
