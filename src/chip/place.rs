//! Placement of cores on the mesh, dimension-order routing and traffic estimates.
//!
//! Cores are placed one after the other (layer after layer) on the free position next to the
//! already placed cores that minimises their traffic-weighted hops, starting at the mesh
//! centre; greedy moves and swaps within a small radius then lower the traffic-weighted hop
//! count further. Packets follow
//! dimension-order (XY) routes: first along x, then along y.

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
fn construct(n: usize, width: u32, height: u32, adj: &[Vec<(usize, u64)>]) -> Vec<(u32, u32)> {
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
        let list: &[(u32, u32)] = if cand.is_empty() { &[centre] } else { &cand };
        for &q in list {
            let t: u64 = adj[c]
                .iter()
                .filter_map(|&(o, t)| pos[o].map(|p| t * hops(p, q) as u64))
                .sum();
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

/// Place `n ≤ width·height` cores on the mesh: greedy constructive placement by traffic, then
/// greedy moves and swaps within a small radius while they lower the traffic-weighted hop
/// count (deterministic).
pub(crate) fn place(
    n: usize,
    width: u32,
    height: u32,
    flows: &[(usize, usize, u64)],
) -> Vec<(u32, u32)> {
    let mut adj: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    for &(a, b, t) in flows {
        if a != b {
            adj[a].push((b, t));
            adj[b].push((a, t));
        }
    }
    let mut pos = construct(n, width, height, &adj);
    if n < 2 || flows.is_empty() {
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
            .sum()
    };
    const RADIUS: i64 = 2;
    for _pass in 0..4 {
        let mut improved = false;
        for c in 0..n {
            if adj[c].is_empty() {
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
