//! The `network` field of a RON netlist: a NIR file, or layers written inline with their
//! weights in `.npy` files.
//!
//! ```ron
//! network: Nir("model.nir"),
//! ```
//!
//! ```ron
//! network: Layers(
//!     input: [784],
//!     layers: [
//!         Affine(weight: "w1.npy", bias: Some("b1.npy")),
//!         Lif(tau: 1e-3, r: 10.0, v_threshold: 1.0),
//!         Affine(name: Some("readout"), weight: "w2.npy"),
//!         Lif(tau: "tau2.npy", recurrent: Some("w_rec.npy")),
//!     ],
//! ),
//! ```
//!
//! ```ron
//! network: Layers(
//!     input: [1, 28, 28],
//!     layers: [
//!         Conv2d(weight: "conv1.npy", stride: 1, padding: [1, 1]),
//!         If(v_threshold: 0.5),
//!         AvgPool2d(kernel: 2),
//!         Flatten(),
//!         Affine(weight: "fc.npy", bias: Some("fc_bias.npy")),
//!         Lif(tau: 5e-3),
//!     ],
//! ),
//! ```
//!
//! Layers are chained in order from the input; the last feeds the output. Every path is
//! resolved against the netlist file's folder ([`crate::config::resolve`]). A per-neuron
//! parameter is a number (the same for every neuron) or an `.npy` file with one value per
//! neuron (any shape, read in row-major order). `.npy` arrays may be float32 or float64.
//! A neuron layer's optional `recurrent` weight matrix (`[n, n]`) adds a `Linear` node
//! `<name>.w_rec` fed by the layer and feeding it back with one timestep of delay.
//! Layer names default to their index in the list (`"0"`, `"1"`, …), as NIR exporters write.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Array4, ArrayD, Ix2, Ix4};
use serde::{Deserialize, Serialize};

use super::error::NetworkError;
use super::graph::{Graph, Node, NodeKind, Shape};
use super::nir::load_nir;
use crate::config::resolve;

/// Where a netlist's network comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum NetworkSpec {
    /// A NIR file (path relative to the netlist's folder).
    Nir(PathBuf),
    /// Layers inline, chained from the input to the output.
    Layers {
        /// Per-sample input shape (e.g. `[784]` or `[1, 28, 28]`).
        input: Shape,
        /// The layers, in order.
        layers: Vec<LayerSpec>,
    },
}

/// A per-neuron (or per-element) parameter: one number for all, or an `.npy` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    /// The same value for every neuron.
    Value(f32),
    /// An `.npy` file with one value per neuron (path relative to the netlist's folder).
    File(PathBuf),
}

fn one() -> Param {
    Param::Value(1.0)
}
fn zero() -> Param {
    Param::Value(0.0)
}
fn ones2() -> Pair {
    Pair([1, 1])
}

/// A per-axis setting `[height, width]`: written `[a, b]`, or `a` for both axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "PairRepr", into = "Vec<usize>")]
pub struct Pair(pub [usize; 2]);

#[derive(Deserialize)]
#[serde(untagged)]
enum PairRepr {
    One(usize),
    Many(Vec<usize>),
}

impl TryFrom<PairRepr> for Pair {
    type Error = String;
    fn try_from(r: PairRepr) -> Result<Self, String> {
        match r {
            PairRepr::One(a) => Ok(Pair([a, a])),
            PairRepr::Many(v) => match v.as_slice() {
                [a] => Ok(Pair([*a, *a])),
                [a, b] => Ok(Pair([*a, *b])),
                _ => Err(format!(
                    "expected [height, width], found {} values",
                    v.len()
                )),
            },
        }
    }
}

impl From<Pair> for Vec<usize> {
    fn from(p: Pair) -> Self {
        p.0.to_vec()
    }
}
fn one_usize() -> usize {
    1
}
fn minus_one() -> i64 {
    -1
}

/// One inline layer (NIR node types; parameters and units as in [`NodeKind`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LayerSpec {
    /// `y = W·x + b`.
    Affine {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// `.npy` weights `[out, in]`.
        weight: PathBuf,
        /// `.npy` bias `[out]` (default: zeros).
        #[serde(default)]
        bias: Option<PathBuf>,
    },
    /// `y = W·x`.
    Linear {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// `.npy` weights `[out, in]`.
        weight: PathBuf,
    },
    /// 2-D convolution over `[C, H, W]`.
    Conv2d {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// `.npy` weights `[out_channels, in_channels / groups, kh, kw]`.
        weight: PathBuf,
        /// `.npy` bias `[out_channels]` (default: zeros).
        #[serde(default)]
        bias: Option<PathBuf>,
        /// Stride (default `[1, 1]`).
        #[serde(default = "ones2")]
        stride: Pair,
        /// Zero padding on each side (default `[0, 0]`).
        #[serde(default)]
        padding: Pair,
        /// Dilation (default `[1, 1]`).
        #[serde(default = "ones2")]
        dilation: Pair,
        /// Channel groups (default 1).
        #[serde(default = "one_usize")]
        groups: usize,
    },
    /// Average pooling over `[C, H, W]`.
    AvgPool2d {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Kernel size.
        kernel: Pair,
        /// Stride (default: the kernel size).
        #[serde(default)]
        stride: Option<Pair>,
        /// Zero padding (default `[0, 0]`).
        #[serde(default)]
        padding: Pair,
    },
    /// Sum pooling over `[C, H, W]`.
    SumPool2d {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Kernel size.
        kernel: Pair,
        /// Stride (default: the kernel size).
        #[serde(default)]
        stride: Option<Pair>,
        /// Zero padding (default `[0, 0]`).
        #[serde(default)]
        padding: Pair,
    },
    /// Flatten dimensions `start_dim..=end_dim` of the per-sample shape.
    Flatten {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// First dimension (default 0).
        #[serde(default)]
        start_dim: i64,
        /// Last dimension, inclusive; negative counts from the end (default -1).
        #[serde(default = "minus_one")]
        end_dim: i64,
    },
    /// Leaky integrate-and-fire population.
    Lif {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Membrane time constant (s).
        tau: Param,
        /// Input resistance (default 1).
        #[serde(default = "one")]
        r: Param,
        /// Leak potential (default 0).
        #[serde(default = "zero")]
        v_leak: Param,
        /// Threshold (default 1).
        #[serde(default = "one")]
        v_threshold: Param,
        /// Reset potential (default 0).
        #[serde(default = "zero")]
        v_reset: Param,
        /// Optional `.npy` recurrent weights `[n, n]`.
        #[serde(default)]
        recurrent: Option<PathBuf>,
    },
    /// Integrate-and-fire population.
    If {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Input resistance (default 1).
        #[serde(default = "one")]
        r: Param,
        /// Threshold (default 1).
        #[serde(default = "one")]
        v_threshold: Param,
        /// Reset potential (default 0).
        #[serde(default = "zero")]
        v_reset: Param,
        /// Optional `.npy` recurrent weights `[n, n]`.
        #[serde(default)]
        recurrent: Option<PathBuf>,
    },
    /// Current-based LIF population.
    CubaLif {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Synaptic time constant (s).
        tau_syn: Param,
        /// Membrane time constant (s).
        tau_mem: Param,
        /// Input resistance (default 1).
        #[serde(default = "one")]
        r: Param,
        /// Leak potential (default 0).
        #[serde(default = "zero")]
        v_leak: Param,
        /// Threshold (default 1).
        #[serde(default = "one")]
        v_threshold: Param,
        /// Reset potential (default 0).
        #[serde(default = "zero")]
        v_reset: Param,
        /// Synaptic input weight (default 1).
        #[serde(default = "one")]
        w_in: Param,
        /// Optional `.npy` recurrent weights `[n, n]`.
        #[serde(default)]
        recurrent: Option<PathBuf>,
    },
    /// Leaky integrator (non-spiking readout).
    Li {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Time constant (s).
        tau: Param,
        /// Input resistance (default 1).
        #[serde(default = "one")]
        r: Param,
        /// Leak potential (default 0).
        #[serde(default = "zero")]
        v_leak: Param,
    },
    /// Integrator (non-spiking).
    Integrator {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Input resistance (default 1).
        #[serde(default = "one")]
        r: Param,
    },
    /// Elementwise scaling.
    Scale {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Scale factor(s).
        scale: Param,
    },
    /// Elementwise Heaviside step.
    Threshold {
        /// Layer name (default: its index).
        #[serde(default)]
        name: Option<String>,
        /// Threshold(s).
        threshold: Param,
    },
}

impl LayerSpec {
    fn name(&self) -> Option<&str> {
        match self {
            LayerSpec::Affine { name, .. }
            | LayerSpec::Linear { name, .. }
            | LayerSpec::Conv2d { name, .. }
            | LayerSpec::AvgPool2d { name, .. }
            | LayerSpec::SumPool2d { name, .. }
            | LayerSpec::Flatten { name, .. }
            | LayerSpec::Lif { name, .. }
            | LayerSpec::If { name, .. }
            | LayerSpec::CubaLif { name, .. }
            | LayerSpec::Li { name, .. }
            | LayerSpec::Integrator { name, .. }
            | LayerSpec::Scale { name, .. }
            | LayerSpec::Threshold { name, .. } => name.as_deref(),
        }
    }
}

impl NetworkSpec {
    /// Load the network this spec names and validate it. `base_file` is the netlist file: relative
    /// paths resolve against its folder, and errors name it.
    pub fn load(&self, base_file: &Path) -> Result<Graph, NetworkError> {
        match self {
            NetworkSpec::Nir(p) => load_nir(&resolve(base_file, p)),
            NetworkSpec::Layers { input, layers } => {
                build_layers(input, layers, base_file)?.validate(base_file)
            }
        }
    }
}

impl NetworkSpec {
    /// The same spec with every relative path resolved against `base_file`'s folder, for
    /// writing the resolved configuration next to an output.
    pub fn resolved(&self, base_file: &Path) -> NetworkSpec {
        let r = |p: &PathBuf| resolve(base_file, p);
        let ro = |p: &Option<PathBuf>| p.as_ref().map(r);
        let rp = |p: &Param| match p {
            Param::Value(v) => Param::Value(*v),
            Param::File(f) => Param::File(r(f)),
        };
        match self {
            NetworkSpec::Nir(p) => NetworkSpec::Nir(r(p)),
            NetworkSpec::Layers { input, layers } => NetworkSpec::Layers {
                input: input.clone(),
                layers: layers
                    .iter()
                    .map(|l| {
                        let mut l = l.clone();
                        match &mut l {
                            LayerSpec::Affine { weight, bias, .. } => {
                                *weight = r(weight);
                                *bias = ro(bias);
                            }
                            LayerSpec::Linear { weight, .. } => *weight = r(weight),
                            LayerSpec::Conv2d { weight, bias, .. } => {
                                *weight = r(weight);
                                *bias = ro(bias);
                            }
                            LayerSpec::AvgPool2d { .. }
                            | LayerSpec::SumPool2d { .. }
                            | LayerSpec::Flatten { .. } => {}
                            LayerSpec::Lif {
                                tau,
                                r: res,
                                v_leak,
                                v_threshold,
                                v_reset,
                                recurrent,
                                ..
                            } => {
                                for p in [tau, res, v_leak, v_threshold, v_reset] {
                                    *p = rp(p);
                                }
                                *recurrent = ro(recurrent);
                            }
                            LayerSpec::If {
                                r: res,
                                v_threshold,
                                v_reset,
                                recurrent,
                                ..
                            } => {
                                for p in [res, v_threshold, v_reset] {
                                    *p = rp(p);
                                }
                                *recurrent = ro(recurrent);
                            }
                            LayerSpec::CubaLif {
                                tau_syn,
                                tau_mem,
                                r: res,
                                v_leak,
                                v_threshold,
                                v_reset,
                                w_in,
                                recurrent,
                                ..
                            } => {
                                for p in [tau_syn, tau_mem, res, v_leak, v_threshold, v_reset, w_in]
                                {
                                    *p = rp(p);
                                }
                                *recurrent = ro(recurrent);
                            }
                            LayerSpec::Li {
                                tau,
                                r: res,
                                v_leak,
                                ..
                            } => {
                                for p in [tau, res, v_leak] {
                                    *p = rp(p);
                                }
                            }
                            LayerSpec::Integrator { r: res, .. } => *res = rp(res),
                            LayerSpec::Scale { scale, .. } => *scale = rp(scale),
                            LayerSpec::Threshold { threshold, .. } => *threshold = rp(threshold),
                        }
                        l
                    })
                    .collect(),
            },
        }
    }
}

struct Loader<'a> {
    base: &'a Path,
    layer: String,
}

impl Loader<'_> {
    fn npy(&self, rel: &Path) -> Result<ArrayD<f32>, NetworkError> {
        let path = resolve(self.base, rel);
        let err = |reason: String| NetworkError::Npy {
            path: self.base.to_path_buf(),
            layer: self.layer.clone(),
            npy: path.clone(),
            reason,
        };
        // Header checked (shape against file size and limits) before anything is allocated.
        crate::npy::read_npy_f32(&path).map_err(|e| err(e.0))
    }

    fn matrix(&self, rel: &Path) -> Result<Array2<f32>, NetworkError> {
        let a = self.npy(rel)?;
        let shape = a.shape().to_vec();
        a.into_dimensionality::<Ix2>()
            .map_err(|_| self.rank_error(rel, "a 2-D [out, in] matrix", &shape))
    }

    fn rank_error(&self, rel: &Path, expected: &str, shape: &[usize]) -> NetworkError {
        NetworkError::Npy {
            path: self.base.to_path_buf(),
            layer: self.layer.clone(),
            npy: resolve(self.base, rel),
            reason: format!("expected {expected}, found shape {shape:?}"),
        }
    }

    fn vector(&self, rel: &Path) -> Result<Array1<f32>, NetworkError> {
        Ok(self.npy(rel)?.iter().copied().collect())
    }

    fn param(&self, p: &Param) -> Result<Array1<f32>, NetworkError> {
        match p {
            Param::Value(v) => Ok(Array1::from_elem(1, *v)),
            Param::File(rel) => self.vector(rel),
        }
    }
}

fn node(name: String, kind: NodeKind) -> Node {
    Node {
        name,
        kind,
        input_shape: Vec::new(),
        output_shape: Vec::new(),
    }
}

/// Build the (unvalidated) chain `input → layers… → output`.
fn build_layers(input: &Shape, layers: &[LayerSpec], base: &Path) -> Result<Graph, NetworkError> {
    let mut nodes = vec![Node {
        output_shape: input.clone(),
        ..node("input".into(), NodeKind::Input)
    }];
    let mut edges = Vec::new();
    let mut prev = 0;
    for (i, layer) in layers.iter().enumerate() {
        let name = layer.name().map_or_else(|| i.to_string(), str::to_string);
        let l = Loader {
            base,
            layer: name.clone(),
        };
        let mut recurrent_weight = None;
        let kind = match layer {
            LayerSpec::Affine { weight, bias, .. } => {
                let weight = l.matrix(weight)?;
                let bias = match bias {
                    Some(b) => l.vector(b)?,
                    None => Array1::zeros(weight.nrows()),
                };
                NodeKind::Affine { weight, bias }
            }
            LayerSpec::Linear { weight, .. } => NodeKind::Linear {
                weight: l.matrix(weight)?,
            },
            LayerSpec::Conv2d {
                weight,
                bias,
                stride,
                padding,
                dilation,
                groups,
                ..
            } => {
                let w = l.npy(weight)?;
                let shape = w.shape().to_vec();
                let w: Array4<f32> = w.into_dimensionality::<Ix4>().map_err(|_| {
                    l.rank_error(weight, "a 4-D [out, in/groups, kh, kw] array", &shape)
                })?;
                let bias = match bias {
                    Some(b) => l.vector(b)?,
                    None => Array1::zeros(w.dim().0),
                };
                NodeKind::Conv2d {
                    weight: w,
                    bias,
                    stride: stride.0,
                    padding: padding.0,
                    dilation: dilation.0,
                    groups: *groups,
                }
            }
            LayerSpec::AvgPool2d {
                kernel,
                stride,
                padding,
                ..
            } => NodeKind::AvgPool2d {
                kernel: kernel.0,
                stride: stride.unwrap_or(*kernel).0,
                padding: padding.0,
            },
            LayerSpec::SumPool2d {
                kernel,
                stride,
                padding,
                ..
            } => NodeKind::SumPool2d {
                kernel: kernel.0,
                stride: stride.unwrap_or(*kernel).0,
                padding: padding.0,
            },
            LayerSpec::Flatten {
                start_dim, end_dim, ..
            } => NodeKind::Flatten {
                start_dim: *start_dim,
                end_dim: *end_dim,
            },
            LayerSpec::Lif {
                tau,
                r,
                v_leak,
                v_threshold,
                v_reset,
                recurrent,
                ..
            } => {
                recurrent_weight = recurrent.as_ref();
                NodeKind::Lif {
                    tau: l.param(tau)?,
                    r: l.param(r)?,
                    v_leak: l.param(v_leak)?,
                    v_threshold: l.param(v_threshold)?,
                    v_reset: l.param(v_reset)?,
                }
            }
            LayerSpec::If {
                r,
                v_threshold,
                v_reset,
                recurrent,
                ..
            } => {
                recurrent_weight = recurrent.as_ref();
                NodeKind::If {
                    r: l.param(r)?,
                    v_threshold: l.param(v_threshold)?,
                    v_reset: l.param(v_reset)?,
                }
            }
            LayerSpec::CubaLif {
                tau_syn,
                tau_mem,
                r,
                v_leak,
                v_threshold,
                v_reset,
                w_in,
                recurrent,
                ..
            } => {
                recurrent_weight = recurrent.as_ref();
                NodeKind::CubaLif {
                    tau_syn: l.param(tau_syn)?,
                    tau_mem: l.param(tau_mem)?,
                    r: l.param(r)?,
                    v_leak: l.param(v_leak)?,
                    v_threshold: l.param(v_threshold)?,
                    v_reset: l.param(v_reset)?,
                    w_in: l.param(w_in)?,
                }
            }
            LayerSpec::Li { tau, r, v_leak, .. } => NodeKind::Li {
                tau: l.param(tau)?,
                r: l.param(r)?,
                v_leak: l.param(v_leak)?,
            },
            LayerSpec::Integrator { r, .. } => NodeKind::Integrator { r: l.param(r)? },
            LayerSpec::Scale { scale, .. } => NodeKind::Scale {
                scale: l.param(scale)?,
            },
            LayerSpec::Threshold { threshold, .. } => NodeKind::Threshold {
                threshold: l.param(threshold)?,
            },
        };
        let this = nodes.len();
        nodes.push(node(name.clone(), kind));
        edges.push((prev, this));
        prev = this;
        if let Some(rel) = recurrent_weight {
            let w_name = format!("{name}.w_rec");
            let w = Loader {
                base,
                layer: w_name.clone(),
            }
            .matrix(rel)?;
            nodes.push(node(w_name, NodeKind::Linear { weight: w }));
            edges.push((this, this + 1));
            edges.push((this + 1, this));
        }
    }
    let out = nodes.len();
    nodes.push(node("output".into(), NodeKind::Output));
    edges.push((prev, out));
    Ok(Graph { nodes, edges })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_ron;

    #[test]
    fn nir_variant_and_param_forms_parse() {
        let s: NetworkSpec = parse_ron(r#"Nir("model.nir")"#, Path::new("n.ron")).unwrap();
        assert_eq!(s, NetworkSpec::Nir("model.nir".into()));
        let s: NetworkSpec = parse_ron(
            r#"Layers(input: [4], layers: [Lif(tau: 1e-3, r: "r.npy")])"#,
            Path::new("n.ron"),
        )
        .unwrap();
        let NetworkSpec::Layers { layers, .. } = s else {
            panic!("layers")
        };
        match &layers[0] {
            LayerSpec::Lif {
                tau,
                r,
                v_threshold,
                ..
            } => {
                assert_eq!(*tau, Param::Value(1e-3));
                assert_eq!(*r, Param::File("r.npy".into()));
                assert_eq!(*v_threshold, Param::Value(1.0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pairs_accept_one_or_two_values() {
        let s: LayerSpec = parse_ron(
            "Conv2d(weight: \"k.npy\", stride: 2, padding: [1, 0], dilation: [3])",
            Path::new("n.ron"),
        )
        .unwrap();
        let LayerSpec::Conv2d {
            stride,
            padding,
            dilation,
            groups,
            ..
        } = s
        else {
            panic!()
        };
        assert_eq!(
            (stride, padding, dilation, groups),
            (Pair([2, 2]), Pair([1, 0]), Pair([3, 3]), 1)
        );
        let e = parse_ron::<LayerSpec>("SumPool2d(kernel: [2, 2, 2])", Path::new("n.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("found 3 values"), "{e}");
    }

    #[test]
    fn unknown_layer_field_is_rejected_with_its_name() {
        let err = parse_ron::<NetworkSpec>(
            r#"Layers(input: [4], layers: [Lif(tau: 1e-3, tua: 2.0)])"#,
            Path::new("n.ron"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("tua"), "{err}");
        assert!(err.starts_with("n.ron:"), "{err}");
    }
}
