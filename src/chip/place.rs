//! Placement of cores on the mesh, dimension-order routing and traffic estimates.
//!
//! Cores are placed one after the other (layer after layer) on the free position next to the
//! already placed cores that minimises their traffic-weighted hops, starting at the mesh
//! centre; greedy moves and swaps within a small radius then lower the traffic-weighted hop
//! count further. Packets follow
//! dimension-order (XY) routes: first along x, then along y.
//!
//! On a board of several chips ([`place_board`]) the cores are first assigned to chips, layer
//! after layer and chip after chip (a layer that no longer fits on the current chip starts on
//! the next one when the chips left still hold the rest of the network), then every chip's
//! cores are placed on its own mesh as above, their traffic to cores on the chips placed
//! before pulling them toward those chips' side.

use super::BoardLayout;

/// Hops of a packet between two mesh positions under XY routing (Manhattan distance).
pub fn hops(a: (u32, u32), b: (u32, u32)) -> u32 {
    a.0.abs_diff(b.0) + a.1.abs_diff(b.1)
}

/// A directed link between two neighbouring mesh positions.
pub type Link = ((u32, u32), (u32, u32));

/// The links of the XY route from `a` to `b` (x first, then y); empty when `a == b`.
pub fn xy_route(a: (u32, u32), b: (u32, u32)) -> Vec<Link> {
    let mut links = Vec::with_capacity(hops(a, b) as usize);
    let mut p = a;
    while p.0 != b.0 {
        let q = (if b.0 > p.0 { p.0 + 1 } else { p.0 - 1 }, p.1);
        links.push((p, q));
        p = q;
    }
    while p.1 != b.1 {
        let q = (p.0, if b.1 > p.1 { p.1 + 1 } else { p.1 - 1 });
        links.push((p, q));
        p = q;
    }
    links
}

/// The `i`-th position of the serpentine order on a mesh `width` wide.
#[cfg(test)]
fn serpentine(i: usize, width: u32) -> (u32, u32) {
    let w = width as usize;
    let (y, x) = (i / w, i % w);
    let x = if y % 2 == 0 { x } else { w - 1 - x };
    (x as u32, y as u32)
}

/// Traffic-weighted hop count of a placement.
#[cfg(test)]
pub(crate) fn cost(pos: &[(u32, u32)], flows: &[(usize, usize, u64)]) -> u64 {
    flows
        .iter()
        .map(|&(a, b, n)| n * hops(pos[a], pos[b]) as u64)
        .sum()
}

/// Greedy constructive placement: cores in order (layer after layer), each on the free
/// position next to the cores placed so far that minimises its traffic-weighted hops to them
/// (ties: closest to the mesh centre, then lowest `(y, x)`); the first core goes to the centre.
fn construct(
    n: usize,
    width: u32,
    height: u32,
    adj: &[Vec<(usize, u64)>],
    anchors: &[Vec<Anchor>],
) -> Vec<(u32, u32)> {
    let (w, h) = (width as usize, height as usize);
    let centre = ((width - 1) / 2, (height - 1) / 2);
    let mut used = vec![false; w * h];
    let mut frontier = vec![false; w * h];
    let mut pos: Vec<Option<(u32, u32)>> = vec![None; n];
    let mut cand: Vec<(u32, u32)> = Vec::new();
    for c in 0..n {
        // (traffic-weighted hops, distance to the centre, y, x) and the position.
        type Pick = ((u64, u32, u32, u32), (u32, u32));
        let mut best: Option<Pick> = None;
        // A first core pulled toward other chips may start anywhere on the mesh.
        let anywhere: Vec<(u32, u32)> = if cand.is_empty() && !anchors[c].is_empty() {
            (0..height)
                .flat_map(|y| (0..width).map(move |x| (x, y)))
                .collect()
        } else {
            Vec::new()
        };
        let list: &[(u32, u32)] = if !anywhere.is_empty() {
            &anywhere
        } else if cand.is_empty() {
            &[centre]
        } else {
            &cand
        };
        for &q in list {
            let t: u64 = adj[c]
                .iter()
                .filter_map(|&(o, t)| pos[o].map(|p| t * hops(p, q) as u64))
                .sum::<u64>()
                + anchor_cost(&anchors[c], q);
            let key = (t, hops(q, centre), q.1, q.0);
            if best.is_none_or(|(k, _)| key < k) {
                best = Some((key, q));
            }
        }
        let (_, q) = best.expect("a free position exists (n ≤ mesh cores)");
        pos[c] = Some(q);
        let i = q.1 as usize * w + q.0 as usize;
        used[i] = true;
        cand.retain(|&p| p != q);
        let (x, y) = (q.0 as i64, q.1 as i64);
        for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            let (nx, ny) = (x + dx, y + dy);
            if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                continue;
            }
            let j = ny as usize * w + nx as usize;
            if !used[j] && !frontier[j] {
                frontier[j] = true;
                cand.push((nx as u32, ny as u32));
            }
        }
    }
    pos.into_iter().map(|p| p.expect("placed")).collect()
}

/// A fixed point a core is pulled toward: a position in the mesh's coordinates (it may lie
/// off the mesh, on another chip) and the traffic to it.
pub(crate) type Anchor = ((i64, i64), u64);

/// Traffic-weighted hops from `q` to the anchors.
fn anchor_cost(anchors: &[Anchor], q: (u32, u32)) -> u64 {
    anchors
        .iter()
        .map(|&((x, y), t)| {
            t * ((i64::from(q.0) - x).unsigned_abs() + (i64::from(q.1) - y).unsigned_abs())
        })
        .sum()
}

/// Place `n ≤ width·height` cores on the mesh: greedy constructive placement by traffic, then
/// greedy moves and swaps within a small radius while they lower the traffic-weighted hop
/// count (deterministic).
pub(crate) fn place(
    n: usize,
    width: u32,
    height: u32,
    flows: &[(usize, usize, u64)],
) -> Vec<(u32, u32)> {
    place_anchored(n, width, height, flows, &vec![Vec::new(); n])
}

/// [`place`] with every core `c` also pulled toward `anchors[c]`.
fn place_anchored(
    n: usize,
    width: u32,
    height: u32,
    flows: &[(usize, usize, u64)],
    anchors: &[Vec<Anchor>],
) -> Vec<(u32, u32)> {
    let mut adj: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    for &(a, b, t) in flows {
        if a != b {
            adj[a].push((b, t));
            adj[b].push((a, t));
        }
    }
    let mut pos = construct(n, width, height, &adj, anchors);
    if n < 2 || (flows.is_empty() && anchors.iter().all(Vec::is_empty)) {
        return pos;
    }
    let (w, h) = (width as usize, height as usize);
    // occupant[y·w + x] = core at that position.
    let mut occ = vec![usize::MAX; w * h];
    for (c, p) in pos.iter().enumerate() {
        occ[p.1 as usize * w + p.0 as usize] = c;
    }
    let local = |pos: &[(u32, u32)], c: usize, at: (u32, u32), skip: usize| -> u64 {
        adj[c]
            .iter()
            .filter(|&&(o, _)| o != skip)
            .map(|&(o, t)| t * hops(at, pos[o]) as u64)
            .sum::<u64>()
            + anchor_cost(&anchors[c], at)
    };
    const RADIUS: i64 = 2;
    for _pass in 0..4 {
        let mut improved = false;
        for c in 0..n {
            if adj[c].is_empty() && anchors[c].is_empty() {
                continue;
            }
            let (cx, cy) = (pos[c].0 as i64, pos[c].1 as i64);
            let mut best: Option<(i64, (u32, u32))> = None;
            for dy in -RADIUS..=RADIUS {
                for dx in -RADIUS..=RADIUS {
                    let (x, y) = (cx + dx, cy + dy);
                    if (dx == 0 && dy == 0) || x < 0 || y < 0 || x >= w as i64 || y >= h as i64 {
                        continue;
                    }
                    let q = (x as u32, y as u32);
                    let other = occ[y as usize * w + x as usize];
                    // Cost change of moving c to q (and the occupant, if any, to c's place).
                    let mut delta =
                        local(&pos, c, q, other) as i64 - local(&pos, c, pos[c], other) as i64;
                    if other != usize::MAX {
                        delta +=
                            local(&pos, other, pos[c], c) as i64 - local(&pos, other, q, c) as i64;
                    }
                    if delta < 0 && best.is_none_or(|(d, _)| delta < d) {
                        best = Some((delta, q));
                    }
                }
            }
            if let Some((_, q)) = best {
                let other = occ[q.1 as usize * w + q.0 as usize];
                let p = pos[c];
                occ[p.1 as usize * w + p.0 as usize] = other;
                occ[q.1 as usize * w + q.0 as usize] = c;
                if other != usize::MAX {
                    pos[other] = p;
                }
                pos[c] = q;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    pos
}

/// Assign cores to chips: layer after layer (`layer_cores[l]` cores each, in core order), chip
/// after chip of `per_chip` cores; a layer that does not fit in what is left of the current
/// chip but fits on one starts on the next chip when the `chips` left still hold every core
/// from it on (so layers stay together and consecutive layers on neighbouring chips). Returns
/// the chip of every core; the cores must fit (`Σ layer_cores ≤ chips · per_chip`).
pub(crate) fn assign_chips(layer_cores: &[usize], per_chip: usize, chips: usize) -> Vec<u32> {
    let total: usize = layer_cores.iter().sum();
    let mut out = Vec::with_capacity(total);
    let (mut chip, mut used, mut done) = (0usize, 0usize, 0usize);
    for &n in layer_cores {
        let rest = total - done;
        if used > 0 && used + n > per_chip && n <= per_chip && (chips - chip - 1) * per_chip >= rest
        {
            chip += 1;
            used = 0;
        }
        for _ in 0..n {
            if used == per_chip {
                chip += 1;
                used = 0;
            }
            out.push(chip as u32);
            used += 1;
        }
        done += n;
    }
    out
}

/// Place the cores of a board (global core indices, `flows` between them) on the global mesh
/// of `board`: [`assign_chips`], then every chip's cores with [`place`] on its own mesh, in chip
/// order, each core also pulled toward the cores it talks to on chips placed before. One chip
/// is exactly [`place`].
pub(crate) fn place_board(
    layer_cores: &[usize],
    board: BoardLayout,
    flows: &[(usize, usize, u64)],
) -> Vec<(u32, u32)> {
    let (w, h) = board.chip_mesh;
    let n: usize = layer_cores.iter().sum();
    if board.chips <= 1 {
        return place(n, w, h, flows);
    }
    let per_chip = w as usize * h as usize;
    let chip = assign_chips(layer_cores, per_chip, board.chips as usize);
    let used = chip.iter().copied().max().map_or(0, |c| c + 1);
    let mut pos: Vec<Option<(u32, u32)>> = vec![None; n];
    let mut local = vec![usize::MAX; n];
    for k in 0..used {
        let cores: Vec<usize> = (0..n).filter(|&c| chip[c] == k).collect();
        for (i, &c) in cores.iter().enumerate() {
            local[c] = i;
        }
        let origin = board.global(k, (0, 0));
        let mut inner = Vec::new();
        let mut anchors: Vec<Vec<Anchor>> = vec![Vec::new(); cores.len()];
        for &(a, b, t) in flows {
            match (chip[a] == k, chip[b] == k) {
                (true, true) => inner.push((local[a], local[b], t)),
                (true, false) | (false, true) => {
                    let (mine, other) = if chip[a] == k { (a, b) } else { (b, a) };
                    if let Some(p) = pos[other] {
                        let at = (
                            i64::from(p.0) - i64::from(origin.0),
                            i64::from(p.1) - i64::from(origin.1),
                        );
                        anchors[local[mine]].push((at, t));
                    }
                }
                (false, false) => {}
            }
        }
        let placed = place_anchored(cores.len(), w, h, &inner, &anchors);
        for (&c, q) in cores.iter().zip(placed) {
            pos[c] = Some(board.global(k, q));
        }
    }
    pos.into_iter().map(|p| p.expect("placed")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xy_routes_go_x_first_and_have_hops_links() {
        let r = xy_route((3, 1), (1, 2));
        assert_eq!(
            r,
            vec![((3, 1), (2, 1)), ((2, 1), (1, 1)), ((1, 1), (1, 2))]
        );
        assert_eq!(hops((3, 1), (1, 2)), 3);
        assert!(xy_route((2, 2), (2, 2)).is_empty());
    }

    #[test]
    fn serpentine_turns_at_the_edges() {
        let p: Vec<_> = (0..6).map(|i| serpentine(i, 3)).collect();
        assert_eq!(p, vec![(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1)]);
    }

    #[test]
    fn chips_fill_layer_by_layer_and_keep_layers_together() {
        // 3 + 3 + 2 cores on chips of 4: layer 1 moves to chip 1 whole, layer 2 to chip 2.
        assert_eq!(assign_chips(&[3, 3, 2], 4, 3), vec![0, 0, 0, 1, 1, 1, 2, 2]);
        // With only 2 chips the layers must share: plain chip-by-chip filling.
        assert_eq!(assign_chips(&[3, 3, 2], 4, 2), vec![0, 0, 0, 0, 1, 1, 1, 1]);
        // A layer larger than a chip fills chips in order.
        assert_eq!(assign_chips(&[1, 6], 4, 3), vec![0, 0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn board_placement_puts_every_core_on_its_chip_and_faces_the_previous_chip() {
        let board = BoardLayout {
            chips: 2,
            shape: (2, 1),
            chip_mesh: (3, 3),
        };
        // Layer 0: 9 cores (fills chip 0); layer 1: 1 core on chip 1 talking to core 4.
        let flows = vec![(4, 9, 100)];
        let pos = place_board(&[9, 1], board, &flows);
        let mut seen = pos.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 10);
        for (c, p) in pos.iter().enumerate() {
            assert_eq!(
                board.chip_of(*p),
                Some(u32::from(c == 9)),
                "core {c} at {p:?}"
            );
        }
        // The lone core of chip 1 sits on chip 1's west edge, in core 4's row.
        assert_eq!(pos[9], (3, pos[4].1));
        assert_eq!(board.crossings(pos[4], pos[9]), 1);
    }

    #[test]
    fn one_chip_board_placement_is_the_plain_placement() {
        let flows: Vec<_> = (1..9).map(|i| (0, i, 10 + i as u64)).collect();
        let board = BoardLayout::single((5, 5));
        assert_eq!(place_board(&[4, 5], board, &flows), place(9, 5, 5, &flows));
    }

    #[test]
    fn greedy_placement_never_raises_the_cost() {
        // A star: core 0 talks to all others; serpentine puts the hub at a corner.
        let flows: Vec<_> = (1..9).map(|i| (0, i, 10)).collect();
        let start: Vec<_> = (0..9).map(|i| serpentine(i, 5)).collect();
        let placed = place(9, 5, 5, &flows);
        assert!(cost(&placed, &flows) < cost(&start, &flows));
        let mut seen = placed.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 9, "two cores on one position");
    }
}
