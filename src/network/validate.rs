//! Network validation: structure checks, topological order, shape inference, parameter checks,
//! and the time-step plausibility check.
//!
//! Loaders build a [`Graph`] whose shapes are not yet known (only the `Input` node's
//! `output_shape` holds the declared input shape, and the `Output` node's `output_shape` the
//! declared output shape, or nothing) and hand it to [`Graph::validate`], which returns the
//! checked graph or a [`NetworkError`] naming the file, the node(s) and the reason.

use std::path::Path;

use ndarray::{Array1, ArrayViewD};

use super::error::NetworkError;
use super::graph::{Graph, Node, NodeKind, Shape, numel};

impl Graph {
    /// Check a freshly loaded graph and fill in every node's `input_shape` and `output_shape`.
    ///
    /// `source` is the file the graph came from (used in error messages only).
    ///
    /// Before validation, the `Input` node's `output_shape` must hold the declared per-sample
    /// input shape and the `Output` node's `output_shape` the declared output shape (or be
    /// empty when unknown); all other shapes are ignored. A leading batch dimension of size 1
    /// on the declared input (`[1, n]` or `[1, c, h, w]`) is dropped; a declared output shape
    /// is accepted when it equals the inferred one up to leading dimensions of size 1.
    ///
    /// Checks: unique node names; edges within range and not repeated; exactly one `Input` (no incoming edge)
    /// and one `Output` (at least one incoming edge, none outgoing); every node reachable from
    /// the input; shapes across every edge (nodes with several inputs sum them, so these must
    /// have equal shapes); weight ranks and sizes; per-neuron parameter lengths (length-1
    /// arrays are broadcast to the population); finite parameter values and positive time
    /// constants.
    ///
    /// The returned graph has its nodes in topological order of its forward edges, starting
    /// with the `Input` node: an edge `(u, v)` with `u >= v` closes a cycle (a recurrent
    /// connection), see [`Graph::is_recurrent_edge`]. Edges are re-indexed and sorted by
    /// `(source, target)`.
    pub fn validate(self, source: &Path) -> Result<Graph, NetworkError> {
        let mut v = Validator {
            path: source,
            graph: self,
        };
        v.check_structure()?;
        let order = v.topological_order()?;
        v.reorder(&order);
        v.infer_shapes()?;
        Ok(v.graph)
    }

    /// True when edge `e` (an index into [`Graph::edges`]) closes a cycle: in a validated
    /// graph (nodes in topological order) that is an edge `(u, v)` with `u >= v`. Engines
    /// feed such an edge with the value its source produced in the previous timestep.
    pub fn is_recurrent_edge(&self, e: usize) -> bool {
        let (u, v) = self.edges[e];
        u >= v
    }

    /// Indices (into [`Graph::edges`]) of the edges that close a cycle, see
    /// [`Graph::is_recurrent_edge`].
    pub fn recurrent_edges(&self) -> Vec<usize> {
        (0..self.edges.len())
            .filter(|&e| self.is_recurrent_edge(e))
            .collect()
    }

    /// Check that forward-Euler time stepping with step `dt` (s) is stable for every neuron
    /// population of the graph.
    ///
    /// The membrane (or synaptic) decay factor of a forward-Euler step is `1 − dt/τ`: a time
    /// constant τ shorter than `dt` makes it negative, and below `dt/2` its magnitude exceeds one
    /// and the state diverges. So τ < dt is an error ([`NetworkError::TimeStep`], naming the node,
    /// the parameter and the largest stable `dt`). A coarse step (dt > τ/2, decay factor below
    /// 0.5 where `exp(−dt/τ)` would differ notably) is returned as a warning that names the node
    /// and the fix. A `dt` that is not positive and finite is an error too.
    pub fn check_time_step(&self, dt: f32) -> Result<Vec<String>, NetworkError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(NetworkError::BadTimeStep { dt });
        }
        let mut warnings = Vec::new();
        for node in &self.nodes {
            let taus: Vec<(&str, &Array1<f32>)> = match &node.kind {
                NodeKind::Lif { tau, .. } | NodeKind::Li { tau, .. } => vec![("tau", tau)],
                NodeKind::CubaLif {
                    tau_syn, tau_mem, ..
                } => vec![("tau_mem", tau_mem), ("tau_syn", tau_syn)],
                _ => continue,
            };
            for (param, values) in taus {
                let Some(tau) = values.iter().copied().reduce(f32::min) else {
                    continue;
                };
                if tau < dt {
                    return Err(NetworkError::TimeStep {
                        node: node.name.clone(),
                        param: param.to_string(),
                        tau,
                        dt,
                    });
                }
                if dt > 0.5 * tau {
                    warnings.push(format!(
                        "node `{}`: {param} = {tau:e} s is less than twice the time step dt = {dt:e} s: \
                         the forward-Euler decay factor 1 - dt/tau = {:.3} is a coarse approximation of \
                         exp(-dt/tau) = {:.3} of the NIR ODE; if the network was trained in discrete time \
                         (snnTorch, Norse, Sinabs, Rockpool, Spyx) its framework's decay is what counts: give its \
                         --semantics and time step; to approximate the ODE instead, use a smaller --dt (e.g. {:e}) \
                         or --semantics nir-exact",
                        node.name,
                        1.0 - dt / tau,
                        (-dt / tau).exp(),
                        tau / 10.0
                    ));
                }
            }
        }
        Ok(warnings)
    }
}

impl NodeKind {
    /// The node's numeric arrays with their NIR names (`weight`, `bias`, `tau`, `r`, …), in a
    /// fixed order; integer settings (stride, padding, …) are not included.
    pub fn arrays(&self) -> Vec<(&'static str, ArrayViewD<'_, f32>)> {
        match self {
            NodeKind::Affine { weight, bias } => vec![
                ("weight", weight.view().into_dyn()),
                ("bias", bias.view().into_dyn()),
            ],
            NodeKind::Linear { weight } => vec![("weight", weight.view().into_dyn())],
            NodeKind::Conv2d { weight, bias, .. } => vec![
                ("weight", weight.view().into_dyn()),
                ("bias", bias.view().into_dyn()),
            ],
            kind => elementwise_params(kind)
                .into_iter()
                .map(|(n, a)| (n, a.view().into_dyn()))
                .collect(),
        }
    }
}

/// Largest number of elements of the input tensor (per sample).
const MAX_ELEMENTS: usize = 1 << 32;
/// Largest kernel size, stride, padding or dilation (guards the size arithmetic).
const MAX_SETTING: usize = 1 << 20;

struct Validator<'a> {
    path: &'a Path,
    graph: Graph,
}

fn fmt_shape(s: &[usize]) -> String {
    format!("{s:?}")
}

/// Drop leading dimensions of size 1 (keeping at least one dimension).
fn squeeze_leading(s: &[usize]) -> &[usize] {
    let mut s = s;
    while s.len() > 1 && s[0] == 1 {
        s = &s[1..];
    }
    s
}

impl Validator<'_> {
    fn bad_graph(&self, reason: impl Into<String>) -> NetworkError {
        NetworkError::BadGraph {
            path: self.path.to_path_buf(),
            reason: reason.into(),
        }
    }

    fn bad_param(&self, node: usize, param: &str, reason: impl Into<String>) -> NetworkError {
        NetworkError::BadParameter {
            path: self.path.to_path_buf(),
            node: self.graph.nodes[node].name.clone(),
            param: param.to_string(),
            reason: reason.into(),
        }
    }

    fn mismatch(
        &self,
        from: usize,
        to: usize,
        from_shape: &[usize],
        expected: String,
    ) -> NetworkError {
        NetworkError::ShapeMismatch {
            path: self.path.to_path_buf(),
            from: self.graph.nodes[from].name.clone(),
            to: self.graph.nodes[to].name.clone(),
            from_shape: from_shape.to_vec(),
            expected,
        }
    }

    fn check_structure(&self) -> Result<(), NetworkError> {
        let g = &self.graph;
        let n = g.nodes.len();
        let mut names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(self.bad_graph(format!("two nodes are named `{}`", w[0])));
        }
        for &(u, v) in &g.edges {
            if u >= n || v >= n {
                return Err(self.bad_graph(format!(
                    "edge ({u}, {v}) refers to a node index beyond the {n} nodes"
                )));
            }
        }
        let mut sorted = g.edges.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(self.bad_graph(format!(
                "the edge `{}` -> `{}` is listed twice",
                g.nodes[w[0].0].name, g.nodes[w[0].1].name
            )));
        }
        let inputs: Vec<usize> = (0..n)
            .filter(|&i| matches!(g.nodes[i].kind, NodeKind::Input))
            .collect();
        let outputs: Vec<usize> = (0..n)
            .filter(|&i| matches!(g.nodes[i].kind, NodeKind::Output))
            .collect();
        let names_of = |ix: &[usize]| {
            ix.iter()
                .map(|&i| format!("`{}`", g.nodes[i].name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if inputs.len() != 1 {
            return Err(self.bad_graph(format!(
                "a network needs exactly one Input node, found {} ({})",
                inputs.len(),
                names_of(&inputs)
            )));
        }
        if outputs.len() != 1 {
            return Err(self.bad_graph(format!(
                "a network needs exactly one Output node, found {} ({})",
                outputs.len(),
                names_of(&outputs)
            )));
        }
        let (input, output) = (inputs[0], outputs[0]);
        if let Some(p) = g.predecessors(input).next() {
            return Err(self.bad_graph(format!(
                "the Input node `{}` has an incoming edge from `{}`",
                g.nodes[input].name, g.nodes[p].name
            )));
        }
        if let Some(s) = g.successors(output).next() {
            return Err(self.bad_graph(format!(
                "the Output node `{}` has an outgoing edge to `{}`",
                g.nodes[output].name, g.nodes[s].name
            )));
        }
        if g.predecessors(output).next().is_none() {
            return Err(self.bad_graph(format!(
                "the Output node `{}` has no incoming edge",
                g.nodes[output].name
            )));
        }
        Ok(())
    }

    /// Depth-first search from the input; back edges close cycles.
    /// Returns the nodes in reverse post-order, which is a topological order of the forward edges.
    fn topological_order(&self) -> Result<Vec<usize>, NetworkError> {
        let g = &self.graph;
        let n = g.nodes.len();
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
        // Successors are visited last-listed first, so that in the reverse post-order the
        // successors of a node appear in their edge-list order.
        for &(u, v) in g.edges.iter().rev() {
            succ[u].push(v);
        }
        let input = g.input().expect("checked");
        let mut visited = vec![false; n];
        let mut post = Vec::with_capacity(n);
        // Iterative DFS: (node, index of the next successor to visit).
        let mut stack = vec![(input, 0usize)];
        visited[input] = true;
        while let Some(top) = stack.last_mut() {
            let (u, k) = *top;
            if k < succ[u].len() {
                top.1 += 1;
                let v = succ[u][k];
                if !visited[v] {
                    visited[v] = true;
                    stack.push((v, 0));
                }
            } else {
                post.push(u);
                stack.pop();
            }
        }
        if let Some(i) = (0..n).find(|&i| !visited[i]) {
            return Err(self.bad_graph(format!(
                "node `{}` ({}) is not reachable from the Input node `{}`",
                g.nodes[i].name,
                g.nodes[i].kind.type_name(),
                g.nodes[input].name
            )));
        }
        post.reverse();
        // The Output node has no successors: placing it last keeps the order topological.
        let output = g.output().expect("checked");
        post.retain(|&i| i != output);
        post.push(output);
        Ok(post)
    }

    fn reorder(&mut self, order: &[usize]) {
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut old_nodes: Vec<Option<Node>> = std::mem::take(&mut self.graph.nodes)
            .into_iter()
            .map(Some)
            .collect();
        self.graph.nodes = order
            .iter()
            .map(|&old| old_nodes[old].take().expect("permutation"))
            .collect();
        for e in &mut self.graph.edges {
            *e = (new_index[e.0], new_index[e.1]);
        }
        // Canonical edge order, independent of the file's order.
        self.graph.edges.sort_unstable();
    }

    fn infer_shapes(&mut self) -> Result<(), NetworkError> {
        let n = self.graph.nodes.len();
        for i in 0..n {
            self.check_finite(i)?;
            let input_shape = if matches!(self.graph.nodes[i].kind, NodeKind::Input) {
                let mut s = self.graph.nodes[i].output_shape.clone();
                if (s.len() == 2 || s.len() == 4) && s[0] == 1 {
                    s.remove(0);
                }
                if s.is_empty() || s.contains(&0) {
                    return Err(self.bad_param(
                        i,
                        "shape",
                        format!(
                            "the input shape {} must have at least one dimension and no zero dimension",
                            fmt_shape(&s)
                        ),
                    ));
                }
                let fits = s
                    .iter()
                    .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                    .is_some_and(|n| n <= MAX_ELEMENTS);
                if !fits {
                    return Err(self.bad_param(
                        i,
                        "shape",
                        format!(
                            "the input shape {} has more than {MAX_ELEMENTS} elements",
                            fmt_shape(&s)
                        ),
                    ));
                }
                s
            } else {
                // Forward predecessors only: recurrent inputs are checked afterwards.
                let preds: Vec<usize> = self.graph.predecessors(i).filter(|&p| p < i).collect();
                let first = preds[0]; // exists: DFS reached i through a forward edge
                let s = self.graph.nodes[first].output_shape.clone();
                for &p in &preds[1..] {
                    let ps = &self.graph.nodes[p].output_shape;
                    if *ps != s {
                        return Err(self.mismatch(
                            p,
                            i,
                            ps,
                            format!(
                                "also receives {} from `{}` (inputs of a node are summed and must have equal shapes)",
                                fmt_shape(&s),
                                self.graph.nodes[first].name
                            ),
                        ));
                    }
                }
                s
            };
            let output_shape = self.node_output(i, &input_shape)?;
            let size = output_shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d));
            if size.is_none_or(|n| n > MAX_ELEMENTS) {
                return Err(self.bad_graph(format!(
                    "node `{}` ({}) would output {} values per sample (shape {}), more than {MAX_ELEMENTS}",
                    self.graph.nodes[i].name,
                    self.graph.nodes[i].kind.type_name(),
                    size.map_or_else(|| "too many".to_string(), |n| n.to_string()),
                    fmt_shape(&output_shape)
                )));
            }
            let node = &mut self.graph.nodes[i];
            node.input_shape = input_shape;
            node.output_shape = output_shape;
        }
        // Recurrent edges: the source's output must fit the target's (already inferred) input.
        for e in self.graph.recurrent_edges() {
            let (u, v) = self.graph.edges[e];
            let (us, vs) = (
                &self.graph.nodes[u].output_shape,
                &self.graph.nodes[v].input_shape,
            );
            if us != vs {
                return Err(self.mismatch(
                    u,
                    v,
                    us,
                    format!(
                        "({}, recurrent edge) receives {} from its other inputs",
                        self.graph.nodes[v].kind.type_name(),
                        fmt_shape(vs)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The first forward predecessor of `i` (for naming the edge in a mismatch).
    fn pred(&self, i: usize) -> usize {
        self.graph
            .predecessors(i)
            .find(|&p| p < i)
            .expect("non-input nodes have a forward predecessor")
    }

    fn node_output(&mut self, i: usize, input: &[usize]) -> Result<Shape, NetworkError> {
        let type_name = self.graph.nodes[i].kind.type_name();
        let expects = |what: String| -> String { format!("({type_name}) expects {what}") };
        match &self.graph.nodes[i].kind {
            NodeKind::Input => Ok(input.to_vec()),
            NodeKind::Output => {
                let declared = &self.graph.nodes[i].output_shape;
                if !declared.is_empty() && squeeze_leading(declared) != squeeze_leading(input) {
                    return Err(self.mismatch(
                        self.pred(i),
                        i,
                        input,
                        expects(format!("{} (its declared shape)", fmt_shape(declared))),
                    ));
                }
                Ok(input.to_vec())
            }
            NodeKind::Affine { weight, .. } | NodeKind::Linear { weight } => {
                let (out, inn) = weight.dim();
                if squeeze_leading(input) != [inn] {
                    return Err(self.mismatch(
                        self.pred(i),
                        i,
                        input,
                        expects(format!(
                            "[{inn}] (its weight is [{out}, {inn}]{})",
                            if input.len() > 1 {
                                "; add a Flatten"
                            } else {
                                ""
                            }
                        )),
                    ));
                }
                if out == 0 || inn == 0 {
                    return Err(self.bad_param(i, "weight", "the weight matrix is empty"));
                }
                if let NodeKind::Affine { bias, .. } = &mut self.graph.nodes[i].kind {
                    broadcast(bias, out).map_err(|len| NetworkError::BadParameter {
                        path: self.path.to_path_buf(),
                        node: self.graph.nodes[i].name.clone(),
                        param: "bias".into(),
                        reason: format!("has {len} values but the layer has {out} outputs"),
                    })?;
                }
                Ok(vec![out])
            }
            NodeKind::Conv2d {
                weight,
                stride,
                padding,
                dilation,
                groups,
                ..
            } => {
                let (oc, icg, kh, kw) = weight.dim();
                let (stride, padding, dilation, groups) = (*stride, *padding, *dilation, *groups);
                let inp = input;
                if inp.len() != 3 {
                    return Err(self.mismatch(
                        self.pred(i),
                        i,
                        input,
                        expects(format!(
                            "a [channels, height, width] input with {} channels",
                            icg * groups
                        )),
                    ));
                }
                if groups == 0 || oc == 0 || kh == 0 || kw == 0 || icg == 0 {
                    return Err(self.bad_param(
                        i,
                        "weight",
                        format!("weight shape [{oc}, {icg}, {kh}, {kw}] with groups = {groups} has a zero dimension"),
                    ));
                }
                if oc % groups != 0 {
                    return Err(self.bad_param(
                        i,
                        "groups",
                        format!("{oc} output channels are not divisible by groups = {groups}"),
                    ));
                }
                if [stride, padding, dilation, [kh, kw]]
                    .iter()
                    .flatten()
                    .any(|&x| x > MAX_SETTING)
                {
                    return Err(self.bad_param(
                        i,
                        "stride",
                        format!(
                            "kernel, stride, padding and dilation must be at most {MAX_SETTING}, \
                             found kernel [{kh}, {kw}], stride {stride:?}, padding {padding:?}, dilation {dilation:?}"
                        ),
                    ));
                }
                for (name, v) in [("stride", stride), ("dilation", dilation)] {
                    if v.contains(&0) {
                        return Err(self.bad_param(
                            i,
                            name,
                            format!("{name} {v:?} must be at least 1 on both axes"),
                        ));
                    }
                }
                if inp[0] != icg * groups {
                    return Err(self.mismatch(
                        self.pred(i),
                        i,
                        input,
                        expects(format!(
                            "{} input channels (weight [{oc}, {icg}, {kh}, {kw}], groups = {groups})",
                            icg * groups
                        )),
                    ));
                }
                let mut out = vec![oc, 0, 0];
                for (a, k) in [(0usize, kh), (1, kw)] {
                    let size = inp[1 + a] + 2 * padding[a];
                    let span = dilation[a] * (k - 1) + 1;
                    if size < span {
                        return Err(self.mismatch(
                            self.pred(i),
                            i,
                            input,
                            expects(format!(
                                "a spatial size of at least {} along axis {a} (kernel {k}, dilation {}, padding {})",
                                span.saturating_sub(2 * padding[a]),
                                dilation[a],
                                padding[a]
                            )),
                        ));
                    }
                    out[1 + a] = (size - span) / stride[a] + 1;
                }
                if let NodeKind::Conv2d { bias, .. } = &mut self.graph.nodes[i].kind {
                    broadcast(bias, oc).map_err(|len| NetworkError::BadParameter {
                        path: self.path.to_path_buf(),
                        node: self.graph.nodes[i].name.clone(),
                        param: "bias".into(),
                        reason: format!("has {len} values but the layer has {oc} output channels"),
                    })?;
                }
                Ok(out)
            }
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
                let (kernel, stride, padding) = (*kernel, *stride, *padding);
                let inp = input;
                if inp.len() != 3 {
                    return Err(self.mismatch(
                        self.pred(i),
                        i,
                        input,
                        expects("a [channels, height, width] input".into()),
                    ));
                }
                if [kernel, stride, padding]
                    .iter()
                    .flatten()
                    .any(|&x| x > MAX_SETTING)
                {
                    return Err(self.bad_param(
                        i,
                        "kernel_size",
                        format!(
                            "kernel, stride and padding must be at most {MAX_SETTING}, \
                             found {kernel:?}, {stride:?}, {padding:?}"
                        ),
                    ));
                }
                if kernel.contains(&0) || stride.contains(&0) {
                    return Err(self.bad_param(
                        i,
                        "kernel_size",
                        "kernel size and stride must be at least 1",
                    ));
                }
                let mut out = vec![inp[0], 0, 0];
                for a in 0..2 {
                    let size = inp[1 + a] + 2 * padding[a];
                    if size < kernel[a] {
                        return Err(self.mismatch(
                            self.pred(i),
                            i,
                            input,
                            expects(format!(
                                "a spatial size of at least {} along axis {a} (kernel {}, padding {})",
                                kernel[a].saturating_sub(2 * padding[a]),
                                kernel[a],
                                padding[a]
                            )),
                        ));
                    }
                    out[1 + a] = (size - kernel[a]) / stride[a] + 1;
                }
                Ok(out)
            }
            NodeKind::Flatten { start_dim, end_dim } => {
                let r = input.len() as i64;
                let norm = |d: i64| if d < 0 { d + r } else { d };
                let (s, e) = (norm(*start_dim), norm(*end_dim));
                if s < 0 || e >= r || s > e {
                    return Err(self.mismatch(
                        self.pred(i),
                        i,
                        input,
                        expects(format!(
                            "an input whose dimensions {start_dim}..={end_dim} exist (start_dim = {start_dim}, end_dim = {end_dim})"
                        )),
                    ));
                }
                let (s, e) = (s as usize, e as usize);
                let mut out = input[..s].to_vec();
                out.push(numel(&input[s..=e]));
                out.extend_from_slice(&input[e + 1..]);
                Ok(out)
            }
            _ => {
                // Elementwise nodes: neuron populations, Scale, Threshold.
                let size = numel(input);
                let node_name = self.graph.nodes[i].name.clone();
                let path = self.path.to_path_buf();
                for (param, values) in elementwise_params_mut(&mut self.graph.nodes[i].kind) {
                    broadcast(values, size).map_err(|len| NetworkError::BadParameter {
                        path: path.clone(),
                        node: node_name.clone(),
                        param: param.to_string(),
                        reason: format!(
                            "has {len} values but the population receives {size} inputs (shape {})",
                            fmt_shape(input)
                        ),
                    })?;
                }
                self.check_time_constants(i)?;
                Ok(input.to_vec())
            }
        }
    }

    fn check_time_constants(&self, i: usize) -> Result<(), NetworkError> {
        let taus: Vec<(&str, &Array1<f32>)> = match &self.graph.nodes[i].kind {
            NodeKind::Lif { tau, .. } | NodeKind::Li { tau, .. } => vec![("tau", tau)],
            NodeKind::CubaLif {
                tau_syn, tau_mem, ..
            } => vec![("tau_syn", tau_syn), ("tau_mem", tau_mem)],
            _ => vec![],
        };
        for (param, values) in taus {
            if let Some((k, t)) = values.iter().enumerate().find(|(_, t)| **t <= 0.0) {
                return Err(self.bad_param(
                    i,
                    param,
                    format!("time constant of neuron {k} is {t} s; time constants must be > 0 s"),
                ));
            }
        }
        Ok(())
    }

    fn check_finite(&self, i: usize) -> Result<(), NetworkError> {
        for (name, values) in self.graph.nodes[i].kind.arrays() {
            if let Some((k, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(self.bad_param(
                    i,
                    name,
                    format!("value {k} (flat index) is {v}; parameters must be finite numbers"),
                ));
            }
        }
        Ok(())
    }
}

/// Broadcast a length-1 array to `n` entries; `Err(len)` when the length is neither 1 nor `n`.
fn broadcast(a: &mut Array1<f32>, n: usize) -> Result<(), usize> {
    if a.len() == n {
        Ok(())
    } else if a.len() == 1 {
        *a = Array1::from_elem(n, a[0]);
        Ok(())
    } else {
        Err(a.len())
    }
}

/// The per-element parameter arrays of an elementwise node, with their NIR names.
pub(crate) fn elementwise_params(kind: &NodeKind) -> Vec<(&'static str, &Array1<f32>)> {
    match kind {
        NodeKind::Lif {
            tau,
            r,
            v_leak,
            v_threshold,
            v_reset,
        } => vec![
            ("tau", tau),
            ("r", r),
            ("v_leak", v_leak),
            ("v_threshold", v_threshold),
            ("v_reset", v_reset),
        ],
        NodeKind::If {
            r,
            v_threshold,
            v_reset,
        } => vec![("r", r), ("v_threshold", v_threshold), ("v_reset", v_reset)],
        NodeKind::CubaLif {
            tau_syn,
            tau_mem,
            r,
            v_leak,
            v_threshold,
            v_reset,
            w_in,
        } => vec![
            ("tau_syn", tau_syn),
            ("tau_mem", tau_mem),
            ("r", r),
            ("v_leak", v_leak),
            ("v_threshold", v_threshold),
            ("v_reset", v_reset),
            ("w_in", w_in),
        ],
        NodeKind::Li { tau, r, v_leak } => vec![("tau", tau), ("r", r), ("v_leak", v_leak)],
        NodeKind::Integrator { r } => vec![("r", r)],
        NodeKind::Scale { scale } => vec![("scale", scale)],
        NodeKind::Threshold { threshold } => vec![("threshold", threshold)],
        _ => vec![],
    }
}

fn elementwise_params_mut(kind: &mut NodeKind) -> Vec<(&'static str, &mut Array1<f32>)> {
    match kind {
        NodeKind::Lif {
            tau,
            r,
            v_leak,
            v_threshold,
            v_reset,
        } => vec![
            ("tau", tau),
            ("r", r),
            ("v_leak", v_leak),
            ("v_threshold", v_threshold),
            ("v_reset", v_reset),
        ],
        NodeKind::If {
            r,
            v_threshold,
            v_reset,
        } => vec![("r", r), ("v_threshold", v_threshold), ("v_reset", v_reset)],
        NodeKind::CubaLif {
            tau_syn,
            tau_mem,
            r,
            v_leak,
            v_threshold,
            v_reset,
            w_in,
        } => vec![
            ("tau_syn", tau_syn),
            ("tau_mem", tau_mem),
            ("r", r),
            ("v_leak", v_leak),
            ("v_threshold", v_threshold),
            ("v_reset", v_reset),
            ("w_in", w_in),
        ],
        NodeKind::Li { tau, r, v_leak } => vec![("tau", tau), ("r", r), ("v_leak", v_leak)],
        NodeKind::Integrator { r } => vec![("r", r)],
        NodeKind::Scale { scale } => vec![("scale", scale)],
        NodeKind::Threshold { threshold } => vec![("threshold", threshold)],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array4};

    fn n(name: &str, kind: NodeKind) -> Node {
        Node {
            name: name.into(),
            kind,
            input_shape: Vec::new(),
            output_shape: Vec::new(),
        }
    }
    fn input(shape: &[usize]) -> Node {
        Node {
            output_shape: shape.to_vec(),
            ..n("in", NodeKind::Input)
        }
    }
    fn output() -> Node {
        n("out", NodeKind::Output)
    }
    fn linear(name: &str, out: usize, inn: usize) -> Node {
        n(
            name,
            NodeKind::Linear {
                weight: Array2::from_elem((out, inn), 0.5),
            },
        )
    }
    fn lif(name: &str, size: usize, tau: f32) -> Node {
        let a = |v: f32| Array1::from_elem(size, v);
        n(
            name,
            NodeKind::Lif {
                tau: a(tau),
                r: a(1.0),
                v_leak: a(0.0),
                v_threshold: a(1.0),
                v_reset: a(0.0),
            },
        )
    }
    fn conv(
        name: &str,
        oc: usize,
        icg: usize,
        k: usize,
        stride: usize,
        pad: usize,
        groups: usize,
    ) -> Node {
        n(
            name,
            NodeKind::Conv2d {
                weight: Array4::zeros((oc, icg, k, k)),
                bias: Array1::zeros(1),
                stride: [stride; 2],
                padding: [pad; 2],
                dilation: [1, 1],
                groups,
            },
        )
    }
    fn graph(nodes: Vec<Node>, edges: &[(usize, usize)]) -> Graph {
        Graph {
            nodes,
            edges: edges.to_vec(),
        }
    }
    fn check(g: Graph) -> Result<Graph, NetworkError> {
        g.validate(Path::new("g.nir"))
    }
    fn msg(g: Graph) -> String {
        check(g).unwrap_err().to_string()
    }

    #[test]
    fn recurrent_edge_is_detected_and_nodes_are_ordered() {
        // Stored out of order: out, rec, lif, lin, in.
        let g = graph(
            vec![
                output(),
                linear("rec", 3, 3),
                lif("lif", 3, 1e-3),
                linear("lin", 3, 4),
                input(&[4]),
            ],
            &[(4, 3), (3, 2), (2, 1), (1, 2), (2, 0)],
        );
        let g = check(g).unwrap();
        let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["in", "lin", "lif", "rec", "out"]);
        let rec = g.recurrent_edges();
        assert_eq!(rec.len(), 1);
        assert_eq!(g.edges[rec[0]], (3, 2));
        assert_eq!(g.nodes[2].input_shape, [3]);
        // Self-loop is recurrent too.
        let g = graph(
            vec![input(&[2]), lif("l", 2, 1e-3), output()],
            &[(0, 1), (1, 1), (1, 2)],
        );
        let g = check(g).unwrap();
        assert_eq!(g.recurrent_edges(), [1]);
    }

    #[test]
    fn structural_errors_are_named() {
        let base = || vec![input(&[3]), lif("a", 3, 1e-3), output()];
        assert!(msg(graph(base(), &[(0, 1)])).contains("`out` has no incoming edge"));
        assert!(msg(graph(base(), &[(0, 1), (1, 2), (2, 1)])).contains("outgoing edge to `a`"));
        assert!(msg(graph(base(), &[(0, 1), (1, 2), (1, 0)])).contains("incoming edge from `a`"));
        assert!(msg(graph(base(), &[(0, 1), (1, 2), (1, 2)])).contains("listed twice"));
        assert!(msg(graph(base(), &[(0, 1), (1, 7)])).contains("beyond the 3 nodes"));
        let mut dup = base();
        dup[1].name = "out".into();
        assert!(msg(graph(dup, &[(0, 1), (1, 2)])).contains("two nodes are named `out`"));
        let mut extra = base();
        extra.push(lif("island", 3, 1e-3));
        assert!(msg(graph(extra, &[(0, 1), (1, 2)])).contains("`island` (LIF) is not reachable"));
        let no_out = vec![input(&[3]), lif("a", 3, 1e-3)];
        assert!(msg(graph(no_out, &[(0, 1)])).contains("exactly one Output node, found 0"));
    }

    #[test]
    fn fan_in_and_recurrent_shape_mismatches_name_both_nodes() {
        // Two forward inputs of different sizes into one population.
        let g = graph(
            vec![
                input(&[4]),
                linear("a", 3, 4),
                linear("b", 5, 4),
                lif("p", 3, 1e-3),
                output(),
            ],
            &[(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)],
        );
        let m = msg(g);
        let ab =
            m.contains("edge `a` -> `p`: `a` outputs [3]") && m.contains("receives [5] from `b`");
        let ba =
            m.contains("edge `b` -> `p`: `b` outputs [5]") && m.contains("receives [3] from `a`");
        assert!(ab || ba, "{m}");
        // Recurrent weights of the wrong size.
        let g = graph(
            vec![
                input(&[4]),
                linear("a", 3, 4),
                lif("p", 3, 1e-3),
                linear("rec", 2, 3),
                output(),
            ],
            &[(0, 1), (1, 2), (2, 3), (3, 2), (2, 4)],
        );
        let m = msg(g);
        assert!(m.contains("edge `rec` -> `p`: `rec` outputs [2]"), "{m}");
        assert!(m.contains("recurrent edge"), "{m}");
        // Declared output shape that does not match.
        let mut out = output();
        out.output_shape = vec![1, 4];
        let m = msg(graph(
            vec![input(&[3]), lif("a", 3, 1e-3), out],
            &[(0, 1), (1, 2)],
        ));
        assert!(
            m.contains("`a` outputs [3] but `out` (Output) expects [1, 4]"),
            "{m}"
        );
    }

    #[test]
    fn conv_pool_and_flatten_shapes_and_errors() {
        // [1, 2, 9, 9] input: batch dim dropped; conv k3 s2 p1 -> 5x5; groups 2.
        let g = graph(
            vec![
                input(&[1, 2, 9, 9]),
                conv("c", 4, 1, 3, 2, 1, 2),
                n(
                    "p",
                    NodeKind::AvgPool2d {
                        kernel: [2, 2],
                        stride: [2, 2],
                        padding: [1, 1],
                    },
                ),
                n(
                    "f",
                    NodeKind::Flatten {
                        start_dim: 1,
                        end_dim: -1,
                    },
                ),
                output(),
            ],
            &[(0, 1), (1, 2), (2, 3), (3, 4)],
        );
        let g = check(g).unwrap();
        assert_eq!(g.nodes[0].output_shape, [2, 9, 9]);
        assert_eq!(g.nodes[1].output_shape, [4, 5, 5]);
        // (5 + 2 - 2) / 2 + 1 = 3
        assert_eq!(g.nodes[2].output_shape, [4, 3, 3]);
        assert_eq!(g.nodes[3].output_shape, [4, 9]);
        // A [1, 28, 28] input is a one-channel image, not a batch dimension.
        let g = graph(
            vec![input(&[1, 28, 28]), conv("c", 2, 1, 5, 1, 0, 1), output()],
            &[(0, 1), (1, 2)],
        );
        assert_eq!(check(g).unwrap().nodes[1].output_shape, [2, 24, 24]);

        let chain =
            |c: Node, shape: &[usize]| graph(vec![input(shape), c, output()], &[(0, 1), (1, 2)]);
        assert!(
            msg(chain(conv("c", 4, 3, 3, 1, 0, 1), &[2, 8, 8]))
                .contains("expects 3 input channels")
        );
        assert!(
            msg(chain(conv("c", 4, 1, 3, 1, 0, 3), &[3, 8, 8]))
                .contains("not divisible by groups = 3")
        );
        assert!(
            msg(chain(conv("c", 4, 2, 5, 1, 0, 1), &[2, 3, 3]))
                .contains("spatial size of at least 5")
        );
        assert!(
            msg(chain(conv("c", 4, 2, 3, 1, 0, 1), &[18])).contains("[channels, height, width]")
        );
        let flat = n(
            "f",
            NodeKind::Flatten {
                start_dim: 0,
                end_dim: 3,
            },
        );
        assert!(msg(chain(flat, &[2, 3, 4])).contains("dimensions 0..=3 exist"));
        let m = msg(chain(linear("fc", 3, 12), &[3, 4]));
        assert!(
            m.contains("expects [12]") && m.contains("add a Flatten"),
            "{m}"
        );
    }

    #[test]
    fn parameter_errors_name_node_and_parameter() {
        let chain = |p: Node| graph(vec![input(&[3]), p, output()], &[(0, 1), (1, 2)]);
        let m = msg(chain(lif("l", 3, 0.0)));
        assert!(
            m.contains("node `l`: parameter `tau`") && m.contains("must be > 0"),
            "{m}"
        );
        let mut bad = lif("l", 3, 1e-3);
        if let NodeKind::Lif { v_threshold, .. } = &mut bad.kind {
            v_threshold[2] = f32::INFINITY;
        }
        let m = msg(chain(bad));
        assert!(
            m.contains("parameter `v_threshold`: value 2 (flat index) is inf"),
            "{m}"
        );
        let m = msg(chain(lif("l", 4, 1e-3)));
        assert!(
            m.contains("has 4 values but the population receives 3 inputs"),
            "{m}"
        );
        // Scalars broadcast.
        let g = check(chain(lif("l", 1, 1e-3))).unwrap();
        let NodeKind::Lif { tau, .. } = &g.nodes[1].kind else {
            panic!()
        };
        assert_eq!(tau.to_vec(), [1e-3; 3]);
    }

    #[test]
    fn time_step_check_errors_below_tau_and_warns_when_coarse() {
        let g = check(graph(
            vec![input(&[2]), lif("fast", 2, 1e-3), output()],
            &[(0, 1), (1, 2)],
        ))
        .unwrap();
        assert_eq!(g.check_time_step(1e-4).unwrap(), Vec::<String>::new());
        assert_eq!(g.check_time_step(5e-4).unwrap(), Vec::<String>::new());
        let w = g.check_time_step(6e-4).unwrap();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("node `fast`") && w[0].contains("smaller --dt"),
            "{}",
            w[0]
        );
        assert_eq!(
            g.check_time_step(1e-3).unwrap().len(),
            1,
            "dt = tau is stable but coarse"
        );
        let e = g.check_time_step(1.5e-3).unwrap_err();
        assert!(
            matches!(&e, NetworkError::TimeStep { node, param, .. } if node == "fast" && param == "tau")
        );
        assert!(e.to_string().contains("--dt 1e-3"), "{e}");
        for dt in [0.0, -1e-3, f32::NAN, f32::INFINITY] {
            assert!(matches!(
                g.check_time_step(dt),
                Err(NetworkError::BadTimeStep { .. })
            ));
        }
    }

    /// Random small graphs (chains plus random extra edges, random layer sizes): validation never
    /// panics, and every graph it accepts is consistent: topological order, recurrent edges
    /// exactly the backward ones, equal shapes across every edge, parameters sized to their
    /// population, and validating again changes nothing.
    #[test]
    fn random_graphs_validate_consistently_or_fail_cleanly() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut accepted = 0;
        let mut with_cycles = 0;
        for case in 0..3000 {
            let mid = rng.random_range(1..6usize);
            let rank = rng.random_range(1..4usize);
            let in_shape: Vec<usize> = (0..rank).map(|_| rng.random_range(1..6)).collect();
            let mut nodes = vec![input(&in_shape)];
            for k in 0..mid {
                let name = format!("n{k}");
                let small = |rng: &mut rand_chacha::ChaCha8Rng| rng.random_range(1..5usize);
                let node = match rng.random_range(0..7) {
                    0 => linear(&name, small(&mut rng), small(&mut rng)),
                    1 | 2 => lif(&name, if rng.random() { 1 } else { small(&mut rng) }, 1e-3),
                    3 => n(
                        &name,
                        NodeKind::Flatten {
                            start_dim: rng.random_range(-2..2),
                            end_dim: rng.random_range(-2..3),
                        },
                    ),
                    4 => n(
                        &name,
                        NodeKind::SumPool2d {
                            kernel: [rng.random_range(1..3), rng.random_range(1..3)],
                            stride: [rng.random_range(1..3), 1],
                            padding: [rng.random_range(0..2), 0],
                        },
                    ),
                    5 => conv(
                        &name,
                        rng.random_range(1..3) * 2,
                        rng.random_range(1..3),
                        rng.random_range(1..3),
                        rng.random_range(1..3),
                        rng.random_range(0..2),
                        rng.random_range(1..3),
                    ),
                    _ => n(
                        &name,
                        NodeKind::Scale {
                            scale: Array1::from_elem(small(&mut rng), 2.0),
                        },
                    ),
                };
                nodes.push(node);
            }
            nodes.push(output());
            let count = nodes.len();
            let mut edges: Vec<(usize, usize)> = (0..count - 1).map(|i| (i, i + 1)).collect();
            for _ in 0..rng.random_range(0..3) {
                let e = (
                    rng.random_range(1..count - 1),
                    rng.random_range(1..count - 1),
                );
                if !edges.contains(&e) {
                    edges.push(e);
                }
            }
            // Shuffle the storage order so validation has to find the order itself.
            let mut perm: Vec<usize> = (0..count).collect();
            for i in (1..count).rev() {
                perm.swap(i, rng.random_range(0..=i));
            }
            let mut shuffled: Vec<Option<Node>> = vec![None; count];
            for (old, node) in nodes.into_iter().enumerate() {
                shuffled[perm[old]] = Some(node);
            }
            let g = Graph {
                nodes: shuffled.into_iter().map(|n| n.unwrap()).collect(),
                edges: edges.iter().map(|&(u, v)| (perm[u], perm[v])).collect(),
            };
            let Ok(g) = check(g) else { continue };
            accepted += 1;
            assert!(matches!(g.nodes[0].kind, NodeKind::Input), "case {case}");
            assert!(
                matches!(g.nodes[count - 1].kind, NodeKind::Output),
                "case {case}"
            );
            if !g.recurrent_edges().is_empty() {
                with_cycles += 1;
            }
            for (e, &(u, v)) in g.edges.iter().enumerate() {
                assert_eq!(g.is_recurrent_edge(e), u >= v);
                assert_eq!(
                    g.nodes[u].output_shape, g.nodes[v].input_shape,
                    "case {case}"
                );
            }
            for node in &g.nodes {
                assert!(!node.output_shape.is_empty() && !node.output_shape.contains(&0));
                for (_, a) in elementwise_params(&node.kind) {
                    assert_eq!(a.len(), numel(&node.output_shape), "case {case}");
                }
            }
            assert_eq!(check(g.clone()).unwrap(), g, "case {case}: not idempotent");
        }
        assert!(accepted >= 200, "only {accepted} random graphs were valid");
        assert!(
            with_cycles >= 30,
            "only {with_cycles} valid graphs had cycles"
        );
    }
}
