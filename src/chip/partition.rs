//! Partitioning synaptic layers into tiles that fit a core's crossbar and neurons.
//!
//! - Fully connected layers (`Affine`, `Linear`): the fan-in is cut into balanced row blocks of
//!   at most `rows` inputs, the outputs into balanced column blocks of at most
//!   `min(cols / columns_per_output, neurons)` outputs; one tile per (column block, row block).
//! - `Conv2d` is unrolled TrueNorth-style: a tile hosts a patch of output positions × a block
//!   of output channels, and its rows are the union of their receptive fields (inputs outside
//!   the image, i.e. padding, need no axon). When that union over all input channels exceeds
//!   the rows, the input channels are split into row blocks. The patch shape is chosen to
//!   minimise the tile count (then the row blocks, i.e. partial-sum packets).
//!
//! The tiles of a layer whose row block is 0 are the home tiles of their outputs: the partial
//! sums of the other row blocks are sent there.

use super::mapping::SharedConv;
use super::{ChipError, ConvMapping};
use crate::network::{Graph, Node, NodeKind, numel};
use ndarray::Array2;

/// One tile of a layer before placement.
#[derive(Debug, Clone)]
pub(crate) struct PlanTile {
    pub inputs: Vec<u32>,
    pub outputs: Vec<u32>,
    pub weights: Array2<f32>,
    /// Index of the row block (0 = the home tile of its outputs).
    pub row_block: usize,
    /// The layer-local core holding it (several subarray tiles may share a core).
    pub core: usize,
}

/// What one layer-local core of a plan uses.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CoreUse {
    /// Crossbar rows (axons) in use.
    pub rows: usize,
    /// Logical outputs (columns / columns per output) in use.
    pub outputs: usize,
    /// Physical subarrays built.
    pub subarrays: usize,
}

/// The partition of one synaptic layer.
#[derive(Debug, Clone)]
pub(crate) struct LayerPlan {
    pub node: usize,
    pub name: String,
    pub in_len: usize,
    pub out_len: usize,
    pub bias: Vec<f32>,
    pub tiles: Vec<PlanTile>,
    /// The layer's cores (tile cores first, then cores that only host neurons).
    pub cores: Vec<CoreUse>,
    /// Layer-local home core of every output element (`u32::MAX`: no tile covers it).
    pub home: Vec<u32>,
    /// `Some` for a weight-stationary convolution.
    pub shared: Option<SharedConv>,
}

impl LayerPlan {
    /// The layer-input elements tile `t` reads.
    pub fn tile_elements<'a>(&'a self, t: &'a PlanTile) -> std::borrow::Cow<'a, [u32]> {
        match &self.shared {
            None => std::borrow::Cow::Borrowed(&t.inputs),
            Some(s) => std::borrow::Cow::Owned(s.elements(&t.inputs)),
        }
    }

    /// The layer-output elements tile `t`'s reads add to.
    pub fn tile_targets<'a>(&'a self, t: &'a PlanTile) -> std::borrow::Cow<'a, [u32]> {
        match &self.shared {
            None => std::borrow::Cow::Borrowed(&t.outputs),
            Some(s) => std::borrow::Cow::Owned(s.targets(&t.outputs)),
        }
    }
}

/// Core limits a partition must respect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub rows: usize,
    /// Maximum outputs per tile (columns / columns per output, neurons, splitter headroom).
    pub max_out: usize,
    /// Neurons per core (where a shared convolution's outputs live).
    pub neurons: usize,
    /// Subarray `(rows, outputs)`, if the core's crossbar is cut into subarrays.
    pub subarray: Option<(usize, usize)>,
    /// How convolutions are laid out.
    pub conv: ConvMapping,
}

/// Balanced split of `n` items into `parts` contiguous ranges.
fn blocks(n: usize, parts: usize) -> Vec<(usize, usize)> {
    (0..parts)
        .map(|p| (p * n / parts, (p + 1) * n / parts))
        .collect()
}

pub(crate) fn partition_layer(
    graph: &Graph,
    idx: usize,
    chip: &str,
    lim: Limits,
) -> Result<LayerPlan, ChipError> {
    let node = &graph.nodes[idx];
    let too_large = |reason: String| ChipError::LayerTooLarge {
        layer: node.name.clone(),
        chip: chip.into(),
        reason,
    };
    if lim.max_out == 0 {
        return Err(too_large(
            "a core cannot hold even one output (columns per output exceed the core's columns, or no neuron capacity is left)".into(),
        ));
    }
    let in_len = numel(&node.input_shape);
    let out_len = numel(&node.output_shape);
    let unsupported = |reason: String| ChipError::Unsupported {
        layer: node.name.clone(),
        reason,
    };
    match &node.kind {
        NodeKind::Affine { weight, bias } => {
            if weight.dim() != (out_len, in_len) || bias.len() != out_len {
                return Err(unsupported(
                    "weights do not match the layer's shapes".into(),
                ));
            }
            Ok(finish(dense(node, idx, weight, bias.to_vec(), lim), lim))
        }
        NodeKind::Linear { weight } => {
            if weight.dim() != (out_len, in_len) {
                return Err(unsupported(
                    "weights do not match the layer's shapes".into(),
                ));
            }
            Ok(finish(
                dense(node, idx, weight, vec![0.0; out_len], lim),
                lim,
            ))
        }
        NodeKind::Conv2d { .. } if lim.conv == ConvMapping::Shared => {
            shared_conv(node, idx, lim, unsupported).map(|p| finish(p, lim))
        }
        NodeKind::Conv2d { .. } => {
            conv(node, idx, lim, too_large, unsupported).map(|p| finish(p, lim))
        }
        k => Err(unsupported(format!(
            "{} is not a synaptic layer",
            k.type_name()
        ))),
    }
}

fn dense(node: &Node, idx: usize, w: &Array2<f32>, bias: Vec<f32>, lim: Limits) -> LayerPlan {
    let (out_len, in_len) = w.dim();
    let rb = blocks(in_len, in_len.div_ceil(lim.rows).max(1));
    let cb = blocks(out_len, out_len.div_ceil(lim.max_out).max(1));
    let mut tiles = Vec::with_capacity(rb.len() * cb.len());
    for &(o0, o1) in &cb {
        for (r, &(i0, i1)) in rb.iter().enumerate() {
            tiles.push(PlanTile {
                inputs: (i0 as u32..i1 as u32).collect(),
                outputs: (o0 as u32..o1 as u32).collect(),
                weights: w.slice(ndarray::s![o0..o1, i0..i1]).to_owned(),
                row_block: r,
                core: tiles.len(),
            });
        }
    }
    LayerPlan {
        node: idx,
        name: node.name.clone(),
        in_len,
        out_len,
        bias,
        tiles,
        cores: Vec::new(),
        home: Vec::new(),
        shared: None,
    }
}

/// A convolution mapped weight-stationary: its kernel matrix `[C_out, C_in/groups·kh·kw]` per
/// group partitioned like a fully connected layer (rows are kernel rows, outputs are output
/// channels); the output neurons `[C_out, OH, OW]` are spread over the layer's cores in flat
/// order, `neurons` per core, on cores of their own once the tile cores are full.
fn shared_conv(
    node: &Node,
    idx: usize,
    lim: Limits,
    unsupported: impl Fn(String) -> ChipError,
) -> Result<LayerPlan, ChipError> {
    let NodeKind::Conv2d {
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
    } = &node.kind
    else {
        unreachable!("shared_conv called on a Conv2d node")
    };
    let (&[cin, h, w], &[cout, oh, ow]) = (&node.input_shape[..], &node.output_shape[..]) else {
        return Err(unsupported(format!(
            "Conv2d needs [C, H, W] shapes, got {:?} → {:?}",
            node.input_shape, node.output_shape
        )));
    };
    let s = weight.shape();
    let groups = *groups;
    if groups == 0
        || cin % groups != 0
        || cout % groups != 0
        || s[0] != cout
        || s[1] * groups != cin
        || bias.len() != cout
    {
        return Err(unsupported(
            "weights do not match the layer's shapes".into(),
        ));
    }
    let (cin_g, cout_g, kh, kw) = (cin / groups, cout / groups, s[2], s[3]);
    let k_rows = cin_g * kh * kw;
    let w4 = weight.as_standard_layout();
    let mut tiles: Vec<PlanTile> = Vec::new();
    for g in 0..groups {
        let kmat = Array2::from_shape_fn((cout_g, k_rows), |(o, r)| {
            w4[[g * cout_g + o, r / (kh * kw), (r / kw) % kh, r % kw]]
        });
        let part = dense(node, idx, &kmat, Vec::new(), lim);
        for mut t in part.tiles {
            let (r0, o0) = ((g * k_rows) as u32, (g * cout_g) as u32);
            t.inputs.iter_mut().for_each(|r| *r += r0);
            t.outputs.iter_mut().for_each(|o| *o += o0);
            t.core = tiles.len();
            tiles.push(t);
        }
    }
    let plane = oh * ow;
    let out_len = cout * plane;
    let per_core = lim.neurons.max(1);
    let cores = out_len.div_ceil(per_core).max(tiles.len());
    let home = (0..out_len).map(|e| (e / per_core) as u32).collect();
    let mut use_ = vec![CoreUse::default(); cores];
    for t in &tiles {
        use_[t.core].rows = t.inputs.len();
        use_[t.core].outputs = t.outputs.len();
    }
    Ok(LayerPlan {
        node: idx,
        name: node.name.clone(),
        in_len: cin * h * w,
        out_len,
        bias: (0..out_len).map(|j| bias[j / plane]).collect(),
        tiles,
        cores: use_,
        home,
        shared: Some(SharedConv {
            input: [cin, h, w],
            output: [cout, oh, ow],
            kernel: [kh, kw],
            stride: *stride,
            padding: *padding,
            dilation: *dilation,
        }),
    })
}

/// Complete a plan: home cores (row block 0 of each output) and core use when not set, then
/// cut every tile into subarray tiles on the same core when the chip has subarrays (blocks
/// holding only zeros are not built).
fn finish(mut plan: LayerPlan, lim: Limits) -> LayerPlan {
    if plan.cores.is_empty() {
        plan.cores = plan
            .tiles
            .iter()
            .map(|t| CoreUse {
                rows: t.inputs.len(),
                outputs: t.outputs.len(),
                subarrays: 0,
            })
            .collect();
        let mut h = vec![u32::MAX; plan.out_len];
        for t in &plan.tiles {
            if t.row_block == 0 {
                for &j in &t.outputs {
                    h[j as usize] = t.core as u32;
                }
            }
        }
        plan.home = h;
    }
    let Some((sr, so)) = lim.subarray else {
        for t in &plan.tiles {
            plan.cores[t.core].subarrays += 1;
        }
        return plan;
    };
    let (sr, so) = (sr.max(1), so.max(1));
    let mut out = Vec::with_capacity(plan.tiles.len());
    for t in plan.tiles {
        let (n_out, n_in) = t.weights.dim();
        for o0 in (0..n_out).step_by(so) {
            let o1 = (o0 + so).min(n_out);
            for i0 in (0..n_in).step_by(sr) {
                let i1 = (i0 + sr).min(n_in);
                let wb = t.weights.slice(ndarray::s![o0..o1, i0..i1]);
                if wb.iter().all(|&v| v == 0.0) {
                    continue;
                }
                plan.cores[t.core].subarrays += 1;
                out.push(PlanTile {
                    inputs: t.inputs[i0..i1].to_vec(),
                    outputs: t.outputs[o0..o1].to_vec(),
                    weights: wb.to_owned(),
                    row_block: t.row_block,
                    core: t.core,
                });
            }
        }
    }
    plan.tiles = out;
    plan
}

/// Input coordinates (clipped to `0..n`) touched along one axis by outputs `o0..o1`.
fn axis_inputs(
    o0: usize,
    o1: usize,
    k: usize,
    stride: usize,
    dil: usize,
    pad: usize,
    n: usize,
) -> Vec<usize> {
    let mut v: Vec<usize> = (o0..o1)
        .flat_map(|o| (0..k).map(move |kk| (o * stride + kk * dil) as isize - pad as isize))
        .filter(|&i| i >= 0 && (i as usize) < n)
        .map(|i| i as usize)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn conv(
    node: &Node,
    idx: usize,
    lim: Limits,
    too_large: impl Fn(String) -> ChipError,
    unsupported: impl Fn(String) -> ChipError,
) -> Result<LayerPlan, ChipError> {
    let NodeKind::Conv2d {
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
    } = &node.kind
    else {
        unreachable!("conv called on a Conv2d node")
    };
    let (&[cin, h, w], &[cout, oh, ow]) = (&node.input_shape[..], &node.output_shape[..]) else {
        return Err(unsupported(format!(
            "Conv2d needs [C, H, W] shapes, got {:?} → {:?}",
            node.input_shape, node.output_shape
        )));
    };
    let s = weight.shape();
    let groups = *groups;
    if groups == 0
        || cin % groups != 0
        || cout % groups != 0
        || s[0] != cout
        || s[1] * groups != cin
        || bias.len() != cout
    {
        return Err(unsupported(
            "weights do not match the layer's shapes".into(),
        ));
    }
    let (cin_g, cout_g, kh, kw) = (cin / groups, cout / groups, s[2], s[3]);
    let [sh, sw] = *stride;
    let [dh, dw] = *dilation;
    let [ph_, pw_] = *padding;
    // Search the tile shape: output channels per tile × patch height × patch width.
    // (sort key, (output channels per tile, patch height, patch width, row blocks)).
    type Choice = ((usize, usize, usize), (usize, usize, usize, usize));
    let mut best: Option<Choice> = None;
    // Exact rows per input channel for patches of p outputs along an axis: the most distinct
    // in-image input coordinates any of the balanced blocks of that size touches.
    let spans =
        |n_out: usize, k: usize, s: usize, d: usize, pad: usize, n_in: usize| -> Vec<usize> {
            (1..=n_out)
                .map(|p| {
                    blocks(n_out, n_out.div_ceil(p))
                        .iter()
                        .map(|&(o0, o1)| axis_inputs(o0, o1, k, s, d, pad, n_in).len())
                        .max()
                        .unwrap_or(0)
                })
                .collect()
        };
    let spans_y = spans(oh, kh, sh, dh, ph_, h);
    let spans_x = spans(ow, kw, sw, dw, pw_, w);
    for ocpt in 1..=cout_g.min(lim.max_out) {
        for py in 1..=oh {
            if ocpt * py > lim.max_out {
                break;
            }
            for px in 1..=ow {
                if ocpt * py * px > lim.max_out {
                    break;
                }
                let per_ch = spans_y[py - 1] * spans_x[px - 1];
                if per_ch > lim.rows {
                    break;
                }
                let cpb = cin_g.min(lim.rows / per_ch);
                let nb = cin_g.div_ceil(cpb);
                let tiles = groups * cout_g.div_ceil(ocpt) * oh.div_ceil(py) * ow.div_ceil(px) * nb;
                // Fewest tiles, then fewest row blocks, then the squarest, largest patch.
                let key = (tiles, nb, usize::MAX - py * px);
                if best.is_none_or(|(k, _)| key < k) {
                    best = Some((key, (ocpt, py, px, nb)));
                }
            }
        }
    }
    let Some((_, (ocpt, py, px, nb))) = best else {
        let one = spans_y.first().copied().unwrap_or(0) * spans_x.first().copied().unwrap_or(0);
        return Err(too_large(format!(
            "one output's receptive field in one input channel needs {one} axons ({kh}×{kw} kernel), the core has {} rows",
            lim.rows
        )));
    };
    let w4 = weight.as_standard_layout();
    let mut tiles = Vec::new();
    let oc_blocks = blocks(cout_g, cout_g.div_ceil(ocpt));
    let y_blocks = blocks(oh, oh.div_ceil(py));
    let x_blocks = blocks(ow, ow.div_ceil(px));
    let c_blocks = blocks(cin_g, nb);
    let mut ypos = vec![usize::MAX; h];
    let mut xpos = vec![usize::MAX; w];
    for g in 0..groups {
        for &(oc0, oc1) in &oc_blocks {
            for &(y0, y1) in &y_blocks {
                let iys = axis_inputs(y0, y1, kh, sh, dh, ph_, h);
                for &(x0, x1) in &x_blocks {
                    let ixs = axis_inputs(x0, x1, kw, sw, dw, pw_, w);
                    ypos.fill(usize::MAX);
                    xpos.fill(usize::MAX);
                    for (p, &iy) in iys.iter().enumerate() {
                        ypos[iy] = p;
                    }
                    for (p, &ix) in ixs.iter().enumerate() {
                        xpos[ix] = p;
                    }
                    let mut outputs = Vec::new();
                    for oc in oc0..oc1 {
                        for oy in y0..y1 {
                            for ox in x0..x1 {
                                outputs.push((((g * cout_g + oc) * oh + oy) * ow + ox) as u32);
                            }
                        }
                    }
                    for (r, &(c0, c1)) in c_blocks.iter().enumerate() {
                        let mut inputs = Vec::new();
                        for ic in c0..c1 {
                            let c = g * cin_g + ic;
                            for &iy in &iys {
                                for &ix in &ixs {
                                    inputs.push(((c * h + iy) * w + ix) as u32);
                                }
                            }
                        }
                        let (ny, nx) = (iys.len(), ixs.len());
                        let mut wt = Array2::<f32>::zeros((outputs.len(), inputs.len()));
                        let mut o = 0;
                        for oc in oc0..oc1 {
                            for oy in y0..y1 {
                                for ox in x0..x1 {
                                    for ic in c0..c1 {
                                        for ky in 0..kh {
                                            let iy = (oy * sh + ky * dh) as isize - ph_ as isize;
                                            if iy < 0 || iy as usize >= h {
                                                continue;
                                            }
                                            let yp = ypos[iy as usize];
                                            for kx in 0..kw {
                                                let ix =
                                                    (ox * sw + kx * dw) as isize - pw_ as isize;
                                                if ix < 0 || ix as usize >= w {
                                                    continue;
                                                }
                                                let xp = xpos[ix as usize];
                                                let col = ((ic - c0) * ny + yp) * nx + xp;
                                                wt[[o, col]] += w4[[g * cout_g + oc, ic, ky, kx]];
                                            }
                                        }
                                    }
                                    o += 1;
                                }
                            }
                        }
                        tiles.push(PlanTile {
                            inputs,
                            outputs: outputs.clone(),
                            weights: wt,
                            row_block: r,
                            core: tiles.len(),
                        });
                    }
                }
            }
        }
    }
    let plane = oh * ow;
    Ok(LayerPlan {
        node: idx,
        name: node.name.clone(),
        in_len: cin * h * w,
        out_len: cout * plane,
        bias: (0..cout * plane).map(|j| bias[j / plane]).collect(),
        tiles,
        cores: Vec::new(),
        home: Vec::new(),
        shared: None,
    })
}

/// Where the values on a synaptic layer's inputs come from: for each input element, the
/// elements `(source, element)` it is computed from, where `source` 0 is the network input and
/// `k + 1` is the output of the k-th synaptic layer (in graph order). Neuron populations,
/// `Scale`, `Threshold`, `Flatten` and `Output` pass elements through; pooling gathers windows.
pub(crate) fn input_sources(
    graph: &Graph,
    idx: usize,
    layer_of_node: &[Option<usize>],
) -> Result<Vec<Vec<(u32, u32)>>, ChipError> {
    let node = &graph.nodes[idx];
    let n = numel(&node.input_shape);
    let mut out = vec![Vec::new(); n];
    // Work list: (node whose *output* element list we hold, per input element its elements).
    let preds: Vec<usize> = graph.predecessors(idx).filter(|&p| p < idx).collect();
    let identity: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    let mut stack: Vec<(usize, Vec<Vec<u32>>)> =
        preds.into_iter().map(|p| (p, identity.clone())).collect();
    let mut guard = 0usize;
    while let Some((p, map)) = stack.pop() {
        guard += 1;
        if guard > 10_000 {
            return Err(ChipError::Unsupported {
                layer: node.name.clone(),
                reason: "its input depends on too many paths through the graph".into(),
            });
        }
        let pn = &graph.nodes[p];
        let src = match (&pn.kind, layer_of_node[p]) {
            (NodeKind::Input, _) => Some(0u32),
            (_, Some(l)) => Some(l as u32 + 1),
            _ => None,
        };
        if let Some(src) = src {
            for (o, m) in out.iter_mut().zip(&map) {
                o.extend(m.iter().map(|&e| (src, e)));
            }
            continue;
        }
        let map = match &pn.kind {
            NodeKind::AvgPool2d {
                kernel,
                stride,
                padding,
            }
            | NodeKind::SumPool2d {
                kernel,
                stride,
                padding,
            } => {
                let (&[c, h, w], &[_, oh, ow]) = (&pn.input_shape[..], &pn.output_shape[..]) else {
                    return Err(ChipError::Unsupported {
                        layer: pn.name.clone(),
                        reason: "pooling needs [C, H, W] shapes".into(),
                    });
                };
                let window = |e: u32| -> Vec<u32> {
                    let e = e as usize;
                    let (ch, oy, ox) = (e / (oh * ow), (e / ow) % oh, e % ow);
                    let mut v = Vec::new();
                    for ky in 0..kernel[0] {
                        let iy = (oy * stride[0] + ky) as isize - padding[0] as isize;
                        if iy < 0 || iy as usize >= h {
                            continue;
                        }
                        for kx in 0..kernel[1] {
                            let ix = (ox * stride[1] + kx) as isize - padding[1] as isize;
                            if ix < 0 || ix as usize >= w {
                                continue;
                            }
                            v.push(((ch * h + iy as usize) * w + ix as usize) as u32);
                        }
                    }
                    let _ = c;
                    v
                };
                map.iter()
                    .map(|m| {
                        let mut v: Vec<u32> = m.iter().flat_map(|&e| window(e)).collect();
                        v.sort_unstable();
                        v.dedup();
                        v
                    })
                    .collect()
            }
            k if k.is_neuron()
                || matches!(
                    k,
                    NodeKind::Scale { .. }
                        | NodeKind::Threshold { .. }
                        | NodeKind::Flatten { .. }
                        | NodeKind::Output
                ) =>
            {
                map
            }
            k => {
                return Err(ChipError::Unsupported {
                    layer: node.name.clone(),
                    reason: format!("its input passes through a {} node", k.type_name()),
                });
            }
        };
        for q in graph.predecessors(p).filter(|&q| q < p) {
            stack.push((q, map.clone()));
        }
    }
    for o in &mut out {
        o.sort_unstable();
        o.dedup();
    }
    Ok(out)
}
