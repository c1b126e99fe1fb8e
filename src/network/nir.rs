//! Loading NIR files (Neuromorphic Intermediate Representation, HDF5) into a [`Graph`].
//!
//! Layout read (NIR 0.1 … 1.x): `node/nodes/<name>/{type, parameters…}`, `node/edges`
//! (an `[n, 2]` array of node names), `version`. Parameters may be stored as scalars (broadcast
//! to the population) or as multi-dimensional arrays (flattened in row-major order). Node order
//! in the file is irrelevant: the topology comes from the edge list only.
//!
//! Tolerated quirks of files in the wild: a batch dimension of size 1 in `Input`/`Output`
//! shapes, a missing `v_reset` (→ 0), a missing `w_in` (→ 1), `I` as the type name of the
//! integrator, `input_type`/`output_type` instead of `shape`, and integer-valued
//! parameters stored as floats.
//!
//! Nested subgraphs (nodes of type `NIRGraph`) are inlined with dotted names
//! (`<subgraph>.<node>`), as the flat exports of the same networks name them.

use std::collections::HashMap;
use std::path::Path;

use hdf5_pure::{DType, File, Group};
use ndarray::{Array1, Array2, Array4};

use super::error::NetworkError;
use super::graph::{Graph, Node, NodeKind, Shape};

/// A loaded and validated NIR file.
#[derive(Debug, Clone, PartialEq)]
pub struct NirFile {
    /// The NIR format version the file declares (e.g. `"1.0.8"`), if any.
    pub version: Option<String>,
    /// The validated graph (see [`Graph::validate`]).
    pub graph: Graph,
}

/// Load a NIR file and validate it into a [`Graph`] (nodes in topological order, every
/// node's shapes filled in). See [`read_nir`] for the format version too.
pub fn load_nir(path: &Path) -> Result<Graph, NetworkError> {
    Ok(read_nir(path)?.graph)
}

/// Load a NIR file: parse it, validate it, and return the graph with the file's format version.
///
/// Budgets: a file larger than [`MAX_NIR_BYTES`](crate::budget::MAX_NIR_BYTES) is refused
/// before it is read (and a stream such as `/dev/zero` after its first bytes, which are not
/// HDF5); the datasets of the file may declare at most
/// [`nir_number_budget`](crate::budget::nir_number_budget) numbers together, checked from each
/// dataset's shape in the metadata before its data is read.
pub fn read_nir(path: &Path) -> Result<NirFile, NetworkError> {
    use std::io::Read;
    let io = |source| NetworkError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Check the signature on the first bytes, so a device or pipe of zeros is not read whole.
    let mut head = Vec::with_capacity(8);
    std::fs::File::open(path)
        .and_then(|f| f.take(8).read_to_end(&mut head))
        .map_err(io)?;
    if !hdf5_pure::is_hdf5_bytes(&head) {
        return Err(NetworkError::NotHdf5 {
            path: path.to_path_buf(),
            reason: format!(
                "not an HDF5 file (no HDF5 signature in its first {} bytes); NIR files are HDF5",
                head.len()
            ),
        });
    }
    let bytes =
        crate::budget::read_capped(path, crate::budget::MAX_NIR_BYTES).map_err(|e| match e {
            crate::budget::ReadCapError::Io(e) => io(e),
            e => NetworkError::NotHdf5 {
                path: path.to_path_buf(),
                reason: e.to_string(),
            },
        })?;
    parse_nir_bytes(bytes, path)
}

/// Parse and validate NIR file contents already in memory (`path` is used in messages only).
pub fn parse_nir_bytes(bytes: Vec<u8>, path: &Path) -> Result<NirFile, NetworkError> {
    let not_hdf5 = |reason: String| NetworkError::NotHdf5 {
        path: path.to_path_buf(),
        reason,
    };
    if !hdf5_pure::is_hdf5_bytes(&bytes) {
        return Err(not_hdf5(format!(
            "not an HDF5 file (no HDF5 signature in its {} bytes); NIR files are HDF5",
            bytes.len()
        )));
    }
    let file_len = bytes.len() as u64;
    let file = File::from_bytes(bytes)
        .map_err(|e| not_hdf5(format!("truncated or corrupt HDF5 file: {e}")))?;
    let reader = Reader {
        path,
        file: &file,
        budget: std::cell::Cell::new(crate::budget::nir_number_budget(file_len)),
        file_len,
    };
    let root = file.root();
    let version = if reader.has_dataset(&root, "", "version")? {
        Some(reader.string(&root, "version")?)
    } else {
        None
    };
    let (graph, hints) = reader.top_graph()?;
    let graph = graph.validate(path)?;
    check_hints(&graph, &hints, path)?;
    Ok(NirFile { version, graph })
}

/// Shapes a file states redundantly (Conv2d `input_shape`, Flatten `input_type`), checked
/// against the inferred shapes after validation.
struct Hint {
    node: String,
    what: &'static str,
    shape: Shape,
}

fn check_hints(graph: &Graph, hints: &[Hint], path: &Path) -> Result<(), NetworkError> {
    for h in hints {
        let Some(i) = graph.index_of(&h.node) else {
            continue; // a subgraph's own Input node, removed when it was inlined
        };
        let node = &graph.nodes[i];
        let actual: &[usize] = match node.kind {
            // Conv2d `input_shape` is [H, W] (or [C, H, W]).
            NodeKind::Conv2d { .. } if h.shape.len() == 2 => &node.input_shape[1..],
            _ => &node.input_shape,
        };
        if squeeze(&h.shape) != squeeze(actual) {
            let from = graph
                .predecessors(i)
                .next()
                .map(|p| graph.nodes[p].name.clone())
                .unwrap_or_default();
            return Err(NetworkError::ShapeMismatch {
                path: path.to_path_buf(),
                from,
                to: h.node.clone(),
                from_shape: node.input_shape.clone(),
                expected: format!(
                    "({}) expects {:?} (its `{}`)",
                    node.kind.type_name(),
                    h.shape,
                    h.what
                ),
            });
        }
    }
    Ok(())
}

fn squeeze(s: &[usize]) -> &[usize] {
    let mut s = s;
    while s.len() > 1 && s[0] == 1 {
        s = &s[1..];
    }
    s
}

/// Compare node names so that numeric names sort by value ("2" before "10").
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// Nodes, edges (by node name) and shape hints of one stored graph.
type ParsedGraph = (Vec<Node>, Vec<(String, String)>, Vec<Hint>);

struct Reader<'a> {
    path: &'a Path,
    file: &'a File,
    /// Numbers the datasets not yet read may still declare (see `nir_number_budget`).
    budget: std::cell::Cell<u64>,
    /// Size of the file in bytes.
    file_len: u64,
}

/// A numeric dataset: values (as f64) and shape.
struct Numeric {
    values: Vec<f64>,
    shape: Vec<usize>,
}

impl Reader<'_> {
    fn corrupt(&self, object: &str, e: impl std::fmt::Display) -> NetworkError {
        NetworkError::NotHdf5 {
            path: self.path.to_path_buf(),
            reason: format!("truncated or corrupt HDF5 file: cannot read `{object}`: {e}"),
        }
    }

    fn missing(&self, what: &'static str, object: String) -> NetworkError {
        NetworkError::Missing {
            path: self.path.to_path_buf(),
            what,
            object,
        }
    }

    /// Take `shape`'s element count from the file's budget, before the dataset is read: a
    /// shape that overflows or exceeds what is left is refused from the metadata alone.
    fn charge(&self, object: &str, shape: &[u64]) -> Result<(), NetworkError> {
        let count = shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .unwrap_or(u64::MAX);
        let left = self.budget.get();
        if count > left {
            return Err(NetworkError::NotHdf5 {
                path: self.path.to_path_buf(),
                reason: format!(
                    "dataset `{object}` declares shape {shape:?} = {} values, more than a {}-byte file can plausibly hold \
                     (limit {} values for the whole file, {} left; refused before reading it)",
                    if count == u64::MAX {
                        "an overflowing number of".to_string()
                    } else {
                        count.to_string()
                    },
                    self.file_len,
                    crate::budget::nir_number_budget(self.file_len),
                    left
                ),
            });
        }
        self.budget.set(left - count);
        Ok(())
    }

    fn join(prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        }
    }

    fn group(&self, gpath: &str) -> Result<Group, NetworkError> {
        // Walk component by component so a missing group is reported as missing, not corrupt.
        let mut current = String::new();
        let mut group = self.file.root();
        for part in gpath.split('/') {
            let children = group.groups().map_err(|e| self.corrupt(&current, e))?;
            current = Self::join(&current, part);
            if !children.iter().any(|c| c == part) {
                return Err(self.missing("group", current));
            }
            group = group.group(part).map_err(|e| self.corrupt(&current, e))?;
        }
        Ok(group)
    }

    fn has_dataset(&self, g: &Group, gpath: &str, name: &str) -> Result<bool, NetworkError> {
        let names = g.datasets().map_err(|e| self.corrupt(gpath, e))?;
        Ok(names.iter().any(|n| n == name))
    }

    fn has_group(&self, g: &Group, gpath: &str, name: &str) -> Result<bool, NetworkError> {
        let names = g.groups().map_err(|e| self.corrupt(gpath, e))?;
        Ok(names.iter().any(|n| n == name))
    }

    /// A scalar (or one-element) string dataset.
    fn string(&self, g: &Group, name: &str) -> Result<String, NetworkError> {
        let ds = g.dataset(name).map_err(|e| self.corrupt(name, e))?;
        let shape = ds.shape().map_err(|e| self.corrupt(name, e))?;
        self.charge(name, &shape)?;
        let v = ds.read_string().map_err(|e| self.corrupt(name, e))?;
        v.into_iter()
            .next()
            .map(|s| s.trim_end_matches('\0').to_string())
            .ok_or_else(|| self.corrupt(name, "empty string dataset"))
    }

    /// The graph stored in group `gpath`, with node names prefixed by `prefix`: nodes, edges
    /// (by full name) and shape hints. A nested subgraph (a node of type `NIRGraph`) is inlined:
    /// its nodes are named `<subgraph>.<node>`, and its Input and Output nodes are removed, edges
    /// into the subgraph going to the successors of its Input node, edges out of it leaving from
    /// the predecessors of its Output node (NIR's semantics of edges to a subgraph).
    fn graph(&self, gpath: &str, prefix: &str, depth: usize) -> Result<ParsedGraph, NetworkError> {
        let bad_graph = |reason: String| NetworkError::BadGraph {
            path: self.path.to_path_buf(),
            reason,
        };
        if depth > 16 {
            return Err(bad_graph(format!(
                "`{gpath}`: subgraphs nested more than 16 levels deep"
            )));
        }
        let nodes_path = Self::join(gpath, "nodes");
        let nodes_group = self.group(&nodes_path)?;
        let mut names = nodes_group
            .groups()
            .map_err(|e| self.corrupt(&nodes_path, e))?;
        names.sort_by(|a, b| natural_cmp(a, b));
        let mut nodes = Vec::with_capacity(names.len());
        let mut edges: Vec<(String, String)> = Vec::new();
        let mut hints = Vec::new();
        // Subgraph name -> (successors of its Input node, predecessors of its Output node).
        let mut aliases: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
        for name in &names {
            let npath = Self::join(&nodes_path, name);
            let full = format!("{prefix}{name}");
            let g = nodes_group
                .group(name)
                .map_err(|e| self.corrupt(&npath, e))?;
            let is_subgraph = if self.has_dataset(&g, &npath, "type")? {
                self.string(&g, "type")? == "NIRGraph"
            } else {
                self.has_group(&g, &npath, "nodes")?
            };
            if is_subgraph {
                let (sub_nodes, sub_edges, sub_hints) =
                    self.graph(&npath, &format!("{full}."), depth + 1)?;
                let ends = |want_input: bool| -> Vec<&Node> {
                    sub_nodes
                        .iter()
                        .filter(|n| {
                            if want_input {
                                matches!(n.kind, NodeKind::Input)
                            } else {
                                matches!(n.kind, NodeKind::Output)
                            }
                        })
                        .collect()
                };
                let (ins, outs) = (ends(true), ends(false));
                if ins.len() != 1 || outs.len() != 1 {
                    return Err(bad_graph(format!(
                        "subgraph `{full}` must have exactly one Input and one Output node, found {} and {}",
                        ins.len(),
                        outs.len()
                    )));
                }
                let (x_in, x_out) = (ins[0].name.clone(), outs[0].name.clone());
                let in_shape = ins[0].output_shape.clone();
                let succ_in: Vec<String> = sub_edges
                    .iter()
                    .filter(|e| e.0 == x_in)
                    .map(|e| e.1.clone())
                    .collect();
                let pred_out: Vec<String> = sub_edges
                    .iter()
                    .filter(|e| e.1 == x_out)
                    .map(|e| e.0.clone())
                    .collect();
                if succ_in.contains(&x_out) {
                    return Err(bad_graph(format!(
                        "subgraph `{full}` connects its Input directly to its Output"
                    )));
                }
                for s in &succ_in {
                    hints.push(Hint {
                        node: s.clone(),
                        what: "subgraph input shape",
                        shape: in_shape.clone(),
                    });
                }
                nodes.extend(
                    sub_nodes
                        .into_iter()
                        .filter(|n| n.name != x_in && n.name != x_out),
                );
                edges.extend(
                    sub_edges
                        .into_iter()
                        .filter(|e| e.0 != x_in && e.1 != x_out),
                );
                hints.extend(sub_hints);
                aliases.insert(full, (succ_in, pred_out));
                continue;
            }
            let node = NodeReader {
                r: self,
                g: &g,
                gpath: &npath,
                name: &full,
            };
            let (kind, declared, hint) = node.read()?;
            if let Some((what, shape)) = hint {
                hints.push(Hint {
                    node: full.clone(),
                    what,
                    shape,
                });
            }
            nodes.push(Node {
                name: full,
                kind,
                input_shape: Vec::new(),
                output_shape: declared,
            });
        }

        let gr = self.group(gpath)?;
        let epath = Self::join(gpath, "edges");
        if !self.has_dataset(&gr, gpath, "edges")? {
            return Err(self.missing("dataset", epath));
        }
        let ds = gr.dataset("edges").map_err(|e| self.corrupt(&epath, e))?;
        let shape = ds.shape().map_err(|e| self.corrupt(&epath, e))?;
        self.charge(&epath, &shape)?;
        let flat = if shape.contains(&0) {
            Vec::new()
        } else {
            ds.read_string().map_err(|e| self.corrupt(&epath, e))?
        };
        let well_formed = shape.len() == 2 && shape[1] == 2 && flat.len() as u64 == 2 * shape[0];
        if !(well_formed || flat.is_empty()) {
            return Err(bad_graph(format!(
                "`{epath}` must be an [n, 2] array of node names, found shape {shape:?}"
            )));
        }
        for pair in flat.chunks_exact(2) {
            let a = format!("{prefix}{}", pair[0].trim_end_matches('\0'));
            let b = format!("{prefix}{}", pair[1].trim_end_matches('\0'));
            let sources = match aliases.get(&a) {
                Some((_, pred_out)) => pred_out.clone(),
                None => vec![a],
            };
            let targets = match aliases.get(&b) {
                Some((succ_in, _)) => succ_in.clone(),
                None => vec![b],
            };
            for s in &sources {
                for t in &targets {
                    edges.push((s.clone(), t.clone()));
                }
            }
        }
        Ok((nodes, edges, hints))
    }

    /// The whole file's graph with edges as node indices.
    fn top_graph(&self) -> Result<(Graph, Vec<Hint>), NetworkError> {
        let (mut nodes, named_edges, hints) = self.graph("node", "", 0)?;
        nodes.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        let index: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut edges = Vec::with_capacity(named_edges.len());
        for (a, b) in &named_edges {
            let find = |n: &str| {
                index.get(n).copied().ok_or_else(|| NetworkError::BadGraph {
                    path: self.path.to_path_buf(),
                    reason: format!(
                        "edge `{a}` -> `{b}` refers to node `{n}`, which the file does not define"
                    ),
                })
            };
            edges.push((find(a)?, find(b)?));
        }
        Ok((Graph { nodes, edges }, hints))
    }
}

struct NodeReader<'a> {
    r: &'a Reader<'a>,
    g: &'a Group,
    gpath: &'a str,
    name: &'a str,
}

type NodeRead = (NodeKind, Shape, Option<(&'static str, Shape)>);

impl NodeReader<'_> {
    fn bad(&self, param: &str, reason: impl Into<String>) -> NetworkError {
        NetworkError::BadParameter {
            path: self.r.path.to_path_buf(),
            node: self.name.to_string(),
            param: param.to_string(),
            reason: reason.into(),
        }
    }

    fn has(&self, name: &str) -> Result<bool, NetworkError> {
        self.r.has_dataset(self.g, self.gpath, name)
    }

    fn numeric(&self, name: &str) -> Result<Option<Numeric>, NetworkError> {
        if !self.has(name)? {
            return Ok(None);
        }
        let object = Reader::join(self.gpath, name);
        let ds = self
            .g
            .dataset(name)
            .map_err(|e| self.r.corrupt(&object, e))?;
        let dtype = ds.dtype().map_err(|e| self.r.corrupt(&object, e))?;
        let numeric = matches!(
            dtype,
            DType::F32
                | DType::F64
                | DType::I8
                | DType::I16
                | DType::I32
                | DType::I64
                | DType::U8
                | DType::U16
                | DType::U32
                | DType::U64
        );
        if !numeric {
            return Err(self.bad(name, format!("stored as {dtype}, expected numbers")));
        }
        let shape64 = ds.shape().map_err(|e| self.r.corrupt(&object, e))?;
        self.r.charge(&object, &shape64)?;
        let shape: Vec<usize> = shape64.into_iter().map(|d| d as usize).collect();
        let values = ds.read_f64().map_err(|e| self.r.corrupt(&object, e))?;
        if values.len() as u64 != shape.iter().map(|&d| d as u64).product::<u64>() {
            return Err(self.r.corrupt(
                &object,
                format!("shape {shape:?} but {} values", values.len()),
            ));
        }
        Ok(Some(Numeric { values, shape }))
    }

    fn required(&self, name: &str) -> Result<Numeric, NetworkError> {
        self.numeric(name)?
            .ok_or_else(|| self.r.missing("parameter", Reader::join(self.gpath, name)))
    }

    /// A per-neuron parameter, flattened (row-major), as f32.
    fn array(&self, name: &str) -> Result<Array1<f32>, NetworkError> {
        Ok(to_f32(self.required(name)?.values))
    }

    fn array_or(&self, name: &str, default: f32) -> Result<Array1<f32>, NetworkError> {
        Ok(match self.numeric(name)? {
            Some(n) => to_f32(n.values),
            None => Array1::from_elem(1, default),
        })
    }

    fn weight2(&self) -> Result<Array2<f32>, NetworkError> {
        let w = self.required("weight")?;
        if w.shape.len() != 2 {
            return Err(self.bad(
                "weight",
                format!("expected a 2-D [out, in] matrix, found shape {:?}", w.shape),
            ));
        }
        Array2::from_shape_vec(
            (w.shape[0], w.shape[1]),
            w.values.iter().map(|&x| x as f32).collect(),
        )
        .map_err(|e| self.bad("weight", e.to_string()))
    }

    /// Non-negative integers, as stored (any rank flattened).
    fn ints(&self, name: &str) -> Result<Option<Vec<usize>>, NetworkError> {
        let Some(n) = self.numeric(name)? else {
            return Ok(None);
        };
        n.values
            .iter()
            .map(|&v| {
                if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e12 {
                    Ok(v as usize)
                } else {
                    Err(self.bad(name, format!("value {v} is not a non-negative integer")))
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn int_signed(&self, name: &str, default: i64) -> Result<i64, NetworkError> {
        match self.numeric(name)? {
            None => Ok(default),
            Some(n) => match n.values.as_slice() {
                [v] if v.fract() == 0.0 && v.abs() < 1e12 => Ok(*v as i64),
                _ => Err(self.bad(name, format!("expected one integer, found {:?}", n.values))),
            },
        }
    }

    /// A 2-vector parameter (`[a, b]` or a scalar broadcast to both axes).
    fn pair(&self, name: &str, default: Option<[usize; 2]>) -> Result<[usize; 2], NetworkError> {
        match self.ints(name)? {
            None => {
                default.ok_or_else(|| self.r.missing("parameter", Reader::join(self.gpath, name)))
            }
            Some(v) => match v.as_slice() {
                [a] => Ok([*a, *a]),
                [a, b] => Ok([*a, *b]),
                _ => Err(self.bad(name, format!("expected 1 or 2 values, found {}", v.len()))),
            },
        }
    }

    /// A shape stored as a dataset `name`, or as a group `name` holding one dataset
    /// (NIR 1.x `input_type` / `output_type` dictionaries).
    fn shape_param(&self, names: &[&str]) -> Result<Option<Shape>, NetworkError> {
        for &name in names {
            if let Some(v) = self.ints(name)? {
                return Ok(Some(v));
            }
            if self.r.has_group(self.g, self.gpath, name)? {
                let gpath = Reader::join(self.gpath, name);
                let sub = self.g.group(name).map_err(|e| self.r.corrupt(&gpath, e))?;
                let inner = sub.datasets().map_err(|e| self.r.corrupt(&gpath, e))?;
                if let Some(first) = inner.first() {
                    let nr = NodeReader {
                        r: self.r,
                        g: &sub,
                        gpath: &gpath,
                        name: self.name,
                    };
                    return nr.ints(first);
                }
            }
        }
        Ok(None)
    }

    fn read(&self) -> Result<NodeRead, NetworkError> {
        if !self.has("type")? {
            return Err(self.r.missing("dataset", Reader::join(self.gpath, "type")));
        }
        let type_name = self.r.string(self.g, "type")?;
        let mut declared = Vec::new();
        let mut hint = None;
        let kind = match type_name.as_str() {
            "Input" => {
                declared = self.shape_param(&["shape", "input_type"])?.ok_or_else(|| {
                    self.r
                        .missing("parameter", Reader::join(self.gpath, "shape"))
                })?;
                NodeKind::Input
            }
            "Output" => {
                declared = self
                    .shape_param(&["shape", "output_type"])?
                    .unwrap_or_default();
                NodeKind::Output
            }
            "Affine" => {
                let weight = self.weight2()?;
                let bias = self.array_or("bias", 0.0)?;
                NodeKind::Affine { weight, bias }
            }
            "Linear" => NodeKind::Linear {
                weight: self.weight2()?,
            },
            "Conv2d" => {
                let w = self.required("weight")?;
                if w.shape.len() != 4 {
                    return Err(self.bad(
                        "weight",
                        format!(
                            "expected a 4-D [out_channels, in_channels/groups, kh, kw] array, found shape {:?}",
                            w.shape
                        ),
                    ));
                }
                let weight = Array4::from_shape_vec(
                    (w.shape[0], w.shape[1], w.shape[2], w.shape[3]),
                    w.values.iter().map(|&x| x as f32).collect(),
                )
                .map_err(|e| self.bad("weight", e.to_string()))?;
                let kernel = [w.shape[2], w.shape[3]];
                let dilation = self.pair("dilation", Some([1, 1]))?;
                let padding = self.conv_padding(kernel, dilation)?;
                let groups = match self.ints("groups")? {
                    None => 1,
                    Some(v) if v.len() == 1 => v[0],
                    Some(v) => {
                        return Err(
                            self.bad("groups", format!("expected one integer, found {v:?}"))
                        );
                    }
                };
                if let Some(s) = self.ints("input_shape")? {
                    hint = Some(("input_shape", s));
                }
                NodeKind::Conv2d {
                    bias: self.array_or("bias", 0.0)?,
                    weight,
                    stride: self.pair("stride", Some([1, 1]))?,
                    padding,
                    dilation,
                    groups,
                }
            }
            "AvgPool2d" | "SumPool2d" => {
                let kernel = self.pair("kernel_size", None)?;
                let stride = self.pair("stride", Some(kernel))?;
                let padding = self.pair("padding", Some([0, 0]))?;
                if type_name == "AvgPool2d" {
                    NodeKind::AvgPool2d {
                        kernel,
                        stride,
                        padding,
                    }
                } else {
                    NodeKind::SumPool2d {
                        kernel,
                        stride,
                        padding,
                    }
                }
            }
            "Flatten" => {
                let mut start_dim = self.int_signed("start_dim", 1)?;
                let mut end_dim = self.int_signed("end_dim", -1)?;
                if let Some(mut s) = self.shape_param(&["input_type"])? {
                    // `input_type` with a batch dimension ([1, n] or [1, c, h, w], as for
                    // Input): its dimension indices count the batch, so shift them.
                    if (s.len() == 2 || s.len() == 4) && s[0] == 1 {
                        s.remove(0);
                        start_dim -= i64::from(start_dim > 0);
                        end_dim -= i64::from(end_dim > 0);
                    }
                    hint = Some(("input_type", s));
                }
                NodeKind::Flatten { start_dim, end_dim }
            }
            "LIF" => NodeKind::Lif {
                tau: self.array("tau")?,
                r: self.array("r")?,
                v_leak: self.array("v_leak")?,
                v_threshold: self.array("v_threshold")?,
                v_reset: self.array_or("v_reset", 0.0)?,
            },
            "IF" => NodeKind::If {
                r: self.array("r")?,
                v_threshold: self.array("v_threshold")?,
                v_reset: self.array_or("v_reset", 0.0)?,
            },
            "CubaLIF" => NodeKind::CubaLif {
                tau_syn: self.array("tau_syn")?,
                tau_mem: self.array("tau_mem")?,
                r: self.array("r")?,
                v_leak: self.array("v_leak")?,
                v_threshold: self.array("v_threshold")?,
                v_reset: self.array_or("v_reset", 0.0)?,
                w_in: self.array_or("w_in", 1.0)?,
            },
            "LI" => NodeKind::Li {
                tau: self.array("tau")?,
                r: self.array("r")?,
                v_leak: self.array("v_leak")?,
            },
            "I" | "Integrator" => NodeKind::Integrator {
                r: self.array("r")?,
            },
            "Scale" => NodeKind::Scale {
                scale: self.array("scale")?,
            },
            "Threshold" => NodeKind::Threshold {
                threshold: self.array("threshold")?,
            },
            other => {
                return Err(NetworkError::UnsupportedNode {
                    path: self.r.path.to_path_buf(),
                    node: self.name.to_string(),
                    type_name: other.to_string(),
                });
            }
        };
        Ok((kind, declared, hint))
    }

    /// Conv2d padding: integers, or the strings `"valid"` / `"same"` (NIR 1.x).
    fn conv_padding(
        &self,
        kernel: [usize; 2],
        dilation: [usize; 2],
    ) -> Result<[usize; 2], NetworkError> {
        if self.has("padding")? {
            let object = Reader::join(self.gpath, "padding");
            let ds = self
                .g
                .dataset("padding")
                .map_err(|e| self.r.corrupt(&object, e))?;
            let dtype = ds.dtype().map_err(|e| self.r.corrupt(&object, e))?;
            if matches!(dtype, DType::String | DType::VariableLengthString) {
                let mode = self.r.string(self.g, "padding")?;
                return match mode.as_str() {
                    "valid" => Ok([0, 0]),
                    "same" => {
                        let mut p = [0, 0];
                        for a in 0..2 {
                            let total = dilation[a] * (kernel[a] - 1);
                            if !total.is_multiple_of(2) {
                                return Err(self.bad(
                                    "padding",
                                    format!(
                                        "\"same\" padding with kernel {} and dilation {} needs asymmetric padding, which is not supported",
                                        kernel[a], dilation[a]
                                    ),
                                ));
                            }
                            p[a] = total / 2;
                        }
                        Ok(p)
                    }
                    other => Err(self.bad(
                        "padding",
                        format!("unknown padding mode \"{other}\" (expected integers, \"valid\" or \"same\")"),
                    )),
                };
            }
        }
        self.pair("padding", Some([0, 0]))
    }
}

fn to_f32(values: Vec<f64>) -> Array1<f32> {
    values.into_iter().map(|v| v as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_node_names_sort_by_value() {
        let mut v = vec!["10", "output", "2", "input", "0", "1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["0", "1", "2", "10", "input", "output"]);
    }

    #[test]
    fn squeeze_drops_only_leading_ones() {
        assert_eq!(squeeze(&[1, 1, 1]), [1]);
        assert_eq!(squeeze(&[1, 784]), [784]);
        assert_eq!(squeeze(&[2, 1, 3]), [2, 1, 3]);
    }
}
