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
use faer::{Accum, Mat, Par};

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
    let m = nodes.len();
    let mut mat = Mat::<f64>::zeros(m, m);
    for (a, &p) in nodes.iter().enumerate() {
        mat[(a, a)] = g.diag[p];
        for &(q, k) in &g.adj[p] {
            if r.contains(g.site[q])
                && let Some(b) = nodes.iter().position(|&x| x == q)
            {
                mat[(a, b)] += k;
            }
        }
    }
    eliminate(g, r, nodes, mat)
}

fn merge(g: &Graph<'_>, r: Rect, a: Block, b: Block) -> Result<Block, CircuitError> {
    let (ma, mb) = (a.nodes.len(), b.nodes.len());
    let m = ma + mb;
    let mut mat = Mat::<f64>::zeros(m, m);
    mat.as_mut()
        .submatrix_mut(0, 0, ma, ma)
        .copy_from(a.s.as_ref());
    mat.as_mut()
        .submatrix_mut(ma, ma, mb, mb)
        .copy_from(b.s.as_ref());
    // Coupling across the interface: positions of B's nodes by id (sorted lookup).
    let mut pos_b: Vec<(usize, usize)> = b.nodes.iter().enumerate().map(|(k, &p)| (p, k)).collect();
    pos_b.sort_unstable();
    for (ka, &p) in a.nodes.iter().enumerate() {
        for &(q, k) in &g.adj[p] {
            if let Ok(idx) = pos_b.binary_search_by_key(&q, |&(id, _)| id) {
                let kb = ma + pos_b[idx].1;
                mat[(ka, kb)] += k;
                mat[(kb, ka)] += k;
            }
        }
    }
    let mut nodes = a.nodes;
    nodes.extend(b.nodes);
    eliminate(g, r, nodes, mat)
}

/// Eliminate the nodes of `nodes` that are not exposed from rectangle `r`.
fn eliminate(
    g: &Graph<'_>,
    r: Rect,
    nodes: Vec<usize>,
    mat: Mat<f64>,
) -> Result<Block, CircuitError> {
    let (keep, drop): (Vec<usize>, Vec<usize>) =
        (0..nodes.len()).partition(|&a| exposed(g, r, nodes[a]));
    let kept_nodes: Vec<usize> = keep.iter().map(|&a| nodes[a]).collect();
    if drop.is_empty() {
        return Ok(Block {
            nodes: kept_nodes,
            s: mat,
        });
    }
    let (ne, ni) = (keep.len(), drop.len());
    let mut mii = Mat::<f64>::from_fn(ni, ni, |x, y| mat[(drop[x], drop[y])]);
    let mut mie = Mat::<f64>::from_fn(ni, ne, |x, y| mat[(drop[x], keep[y])]);
    let mut s = Mat::<f64>::from_fn(ne, ne, |x, y| mat[(keep[x], keep[y])]);
    let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        ni,
        Par::Seq,
        Default::default(),
    ));
    cholesky_in_place(
        mii.as_mut(),
        LltRegularization::default(),
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|e| CircuitError::Solver(format!("nodal block not positive definite: {e:?}")))?;
    // X = L⁻¹·M_ie, S = M_ee − Xᵀ·X.
    solve_lower_triangular_in_place(mii.as_ref(), mie.as_mut(), Par::Seq);
    if ne > 0 {
        matmul(
            s.as_mut(),
            Accum::Add,
            mie.as_ref().transpose(),
            mie.as_ref(),
            -1.0,
            Par::Seq,
        );
    }
    Ok(Block {
        nodes: kept_nodes,
        s,
    })
}
