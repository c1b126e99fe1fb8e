#!/usr/bin/env python3
"""Generate the NIR test files of tests/data/nir/ and their reference values.

Run from anywhere (development time only; the Rust tests never run Python):

    python3 tests/data/nir/make_fixtures.py

Needs numpy, h5py and torch. Writes, next to this script:

- edge-case and bad NIR files (written with h5py in NIR's layout: node/nodes/<name>/{type,
  params}, node/edges, version), each described in DESCRIPTIONS below;
- `expected.json`: reference values computed here independently of memsnn:
  * for every NIR file in fixtures/ and for the generated good files: each node's parameter
    datasets as h5py reads them (shape, sum, and an order-sensitive checksum
    sum(v_i * ((i % 7) + 1)) over the row-major flattened values);
  * per-node output shapes and synapse counts obtained by running PyTorch's own conv2d,
    avg_pool2d / sum pooling (avg_pool2d * k*k, divisor override) and flatten on the file's
    parameters. Synapse count of a convolution = sum of the output of conv2d(ones input,
    ones weight, groups) = number of (output, input) connections not on zero padding.
"""

import json
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
STR = h5py.string_dtype()
RNG = np.random.default_rng(20261122)


def write_graph(g, nodes, edges, write_edges=True):
    g.create_dataset("type", data="NIRGraph", dtype=STR)
    ng = g.create_group("nodes")
    for name, params in nodes.items():
        n = ng.create_group(name)
        if params.get("type") == "NIRGraph":  # nested subgraph
            write_graph(n, params["nodes"], params["edges"])
            continue
        for k, v in params.items():
            if isinstance(v, dict):  # NIR 1.x type dictionaries: {"input": shape}
                sub = n.create_group(k)
                for kk, vv in v.items():
                    sub.create_dataset(kk, data=np.asarray(vv))
            elif isinstance(v, str):
                n.create_dataset(k, data=v, dtype=STR)
            else:
                n.create_dataset(k, data=np.asarray(v))
    if write_edges:
        g.create_dataset("edges", data=np.array(edges, dtype=object), dtype=STR)


def write_nir(path, nodes, edges, version="1.0.8", write_edges=True):
    """nodes: {name: {"type": str, param: array-like or str}} (a "NIRGraph" node holds
    "nodes" and "edges"); edges: [(a, b)]."""
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data=version, dtype=STR)
        write_graph(f.create_group("node"), nodes, edges, write_edges)


def rand(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


DESCRIPTIONS = {}


def gen_bad_and_quirky():
    # Not HDF5 at all.
    with open(os.path.join(HERE, "not_hdf5.nir"), "w") as f:
        f.write("this is a text file, not an HDF5 file\n" * 4)
    DESCRIPTIONS["not_hdf5.nir"] = "plain text named .nir"

    # Truncated: the first 40 % of the snnTorch MLP.
    data = open(os.path.join(FIXTURES, "mlp.nir"), "rb").read()
    open(os.path.join(HERE, "truncated.nir"), "wb").write(data[: len(data) * 2 // 5])
    DESCRIPTIONS["truncated.nir"] = "mlp.nir cut to its first 40 % of bytes"

    lif = lambda n: {  # noqa: E731
        "type": "LIF",
        "tau": np.full(n, 1e-3, np.float32),
        "r": np.ones(n, np.float32),
        "v_leak": np.zeros(n, np.float32),
        "v_threshold": np.ones(n, np.float32),
        "v_reset": np.zeros(n, np.float32),
    }

    # Unsupported node type (Delay) in the middle of a chain.
    write_nir(
        os.path.join(HERE, "unsupported.nir"),
        {
            "input": {"type": "Input", "shape": np.array([3])},
            "delay0": {"type": "Delay", "delay": np.ones(3, np.float32)},
            "output": {"type": "Output", "shape": np.array([3])},
        },
        [("input", "delay0"), ("delay0", "output")],
    )
    DESCRIPTIONS["unsupported.nir"] = "a Delay node named delay0"

    # Shape mismatch: Input [784] into an Affine expecting 100 inputs.
    write_nir(
        os.path.join(HERE, "shape_mismatch.nir"),
        {
            "input": {"type": "Input", "shape": np.array([784])},
            "fc1": {"type": "Affine", "weight": rand(128, 100), "bias": rand(128)},
            "lif1": lif(128),
            "output": {"type": "Output", "shape": np.array([128])},
        },
        [("input", "fc1"), ("fc1", "lif1"), ("lif1", "output")],
    )
    DESCRIPTIONS["shape_mismatch.nir"] = "Input [784] -> Affine fc1 with weight [128, 100]"

    good_chain = {
        "input": {"type": "Input", "shape": np.array([4])},
        "fc": {"type": "Affine", "weight": rand(2, 4), "bias": rand(2)},
        "lif": lif(2),
        "output": {"type": "Output", "shape": np.array([2])},
    }
    chain_edges = [("input", "fc"), ("fc", "lif"), ("lif", "output")]

    write_nir(os.path.join(HERE, "missing_edges.nir"), good_chain, chain_edges, write_edges=False)
    DESCRIPTIONS["missing_edges.nir"] = "no node/edges dataset"

    no_tau = {k: dict(v) for k, v in good_chain.items()}
    del no_tau["lif"]["tau"]
    write_nir(os.path.join(HERE, "missing_param.nir"), no_tau, chain_edges)
    DESCRIPTIONS["missing_param.nir"] = "LIF node lif without tau"

    write_nir(
        os.path.join(HERE, "dangling_edge.nir"),
        good_chain,
        chain_edges + [("lif", "nowhere")],
    )
    DESCRIPTIONS["dangling_edge.nir"] = "edge lif -> nowhere (no such node)"

    nan_w = {k: dict(v) for k, v in good_chain.items()}
    w = rand(2, 4)
    w[1, 2] = np.nan
    nan_w["fc"]["weight"] = w
    write_nir(os.path.join(HERE, "nan_weight.nir"), nan_w, chain_edges)
    DESCRIPTIONS["nan_weight.nir"] = "Affine fc weight[1, 2] = NaN (flat index 6)"

    bad_len = {k: dict(v) for k, v in good_chain.items()}
    bad_len["lif"]["v_threshold"] = np.ones(3, np.float32)
    write_nir(os.path.join(HERE, "param_length.nir"), bad_len, chain_edges)
    DESCRIPTIONS["param_length.nir"] = "LIF lif (2 neurons) with 3 thresholds"

    two_in = {k: dict(v) for k, v in good_chain.items()}
    two_in["input2"] = {"type": "Input", "shape": np.array([4])}
    write_nir(os.path.join(HERE, "two_inputs.nir"), two_in, chain_edges + [("input2", "fc")])
    DESCRIPTIONS["two_inputs.nir"] = "two Input nodes"

    # Quirks: old version, batch dimension in Input/Output, scalar and multi-dimensional
    # parameters, no v_reset / w_in, integrator typed "I", node names whose alphabetical
    # order is not the topological order.
    write_nir(
        os.path.join(HERE, "quirks.nir"),
        {
            "input": {"type": "Input", "input_type": {"input": np.array([1, 6])}},
            "z_aff": {"type": "Affine", "weight": rand(4, 6), "bias": rand(4)},
            "y_lif": {
                "type": "LIF",
                "tau": np.float32(2e-3),  # scalar
                "r": np.array([1.5], np.float32),  # length 1
                "v_leak": np.zeros((2, 2), np.float32),  # multi-dimensional
                "v_threshold": np.arange(1, 5, dtype=np.float64).reshape(2, 2),  # float64
            },  # no v_reset
            "x_scale": {"type": "Scale", "scale": np.array([0.5, 1, 2, 4], np.float32)},
            "w_cuba": {
                "type": "CubaLIF",
                "tau_syn": np.float64(5e-4),
                "tau_mem": np.float64(1e-3),
                "r": np.float64(2.0),
                "v_leak": np.float64(0.0),
                "v_threshold": np.float64(0.75),
            },  # no v_reset, no w_in
            "v_thr": {"type": "Threshold", "threshold": np.float32(0.25)},
            "u_lin": {"type": "Linear", "weight": rand(3, 4)},
            "t_li": {"type": "LI", "tau": np.float32(4e-3), "r": np.float32(1), "v_leak": np.float32(0)},
            "s_int": {"type": "I", "r": np.full(3, 0.5, np.float32)},
            "output": {"type": "Output", "shape": np.array([1, 3])},
        },
        [
            ("input", "z_aff"),
            ("z_aff", "y_lif"),
            ("y_lif", "x_scale"),
            ("x_scale", "w_cuba"),
            ("w_cuba", "v_thr"),
            ("v_thr", "u_lin"),
            ("u_lin", "t_li"),
            ("t_li", "s_int"),
            ("s_int", "output"),
        ],
        version="0.1.0",
    )
    DESCRIPTIONS["quirks.nir"] = "version 0.1.0 with batch dims (Input as an input_type group), scalar/multi-dim params, no v_reset/w_in, type I"


def gen_conv_zoo():
    """Convolutions and pooling with stride, padding, dilation, groups, 'same' padding."""
    nodes = {
        "input": {"type": "Input", "shape": np.array([3, 17, 15])},
        "c1": {
            "type": "Conv2d",
            "weight": rand(6, 1, 3, 3),
            "bias": rand(6),
            "stride": np.array([2, 1]),
            "padding": np.array([1, 2]),
            "dilation": np.array([1, 2]),
            "groups": np.int64(3),
            "input_shape": np.array([17, 15]),
        },
        "p1": {
            "type": "AvgPool2d",
            "kernel_size": np.array([3, 2]),
            "stride": np.array([2, 2]),
            "padding": np.array([1, 0]),
        },
        "n1": {"type": "IF", "r": np.ones((6, 5, 7), np.float32), "v_threshold": np.full((6, 5, 7), 0.5, np.float32)},
        "c2": {
            "type": "Conv2d",
            "weight": rand(4, 6, 3, 3),
            "bias": rand(4),
            "stride": np.int64(1),
            "padding": "same",
            "dilation": np.int64(1),
            "groups": np.int64(1),
        },
        "p2": {"type": "SumPool2d", "kernel_size": np.array([2, 2]), "stride": np.array([1, 2]), "padding": np.array([0, 0])},
        "f1": {"type": "Flatten", "start_dim": np.int64(1), "end_dim": np.int64(2), "input_type": np.array([4, 4, 3])},
        "f2": {"type": "Flatten", "start_dim": np.int64(0), "end_dim": np.int64(-1)},
        "fc": {"type": "Affine", "weight": rand(5, 48), "bias": rand(5)},
        "out_lif": {
            "type": "LIF",
            "tau": np.full(5, 1e-3, np.float32),
            "r": np.ones(5, np.float32),
            "v_leak": np.zeros(5, np.float32),
            "v_threshold": np.ones(5, np.float32),
        },
        "output": {"type": "Output", "shape": np.array([5])},
    }
    edges = [
        ("input", "c1"),
        ("c1", "p1"),
        ("p1", "n1"),
        ("n1", "c2"),
        ("c2", "p2"),
        ("p2", "f1"),
        ("f1", "f2"),
        ("f2", "fc"),
        ("fc", "out_lif"),
        ("out_lif", "output"),
    ]
    write_nir(os.path.join(HERE, "conv_zoo.nir"), nodes, edges)
    DESCRIPTIONS["conv_zoo.nir"] = "Conv2d (stride, padding, dilation, groups, 'same'), AvgPool2d with padding, SumPool2d, two Flattens"


def gen_nested():
    """A recurrent LIF layer stored as a nested NIR subgraph (as snnTorch's RLeaky exports)."""
    lif3 = {
        "type": "LIF",
        "tau": np.full(3, 2e-3, np.float32),
        "r": np.ones(3, np.float32),
        "v_leak": np.zeros(3, np.float32),
        "v_threshold": np.ones(3, np.float32),
        "v_reset": np.zeros(3, np.float32),
    }
    rnn = {
        "type": "NIRGraph",
        "nodes": {
            "input": {"type": "Input", "shape": np.array([3])},
            "lif": lif3,
            "w_rec": {"type": "Linear", "weight": rand(3, 3)},
            "output": {"type": "Output", "shape": np.array([3])},
        },
        "edges": [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    }
    path = os.path.join(HERE, "nested.nir")
    write_nir(
        path,
        {
            "input": {"type": "Input", "shape": np.array([4])},
            "fc": {"type": "Affine", "weight": rand(3, 4), "bias": rand(3)},
            "rnn": rnn,
            "readout": {"type": "Linear", "weight": rand(2, 3)},
            "output": {"type": "Output", "shape": np.array([2])},
        },
        [("input", "fc"), ("fc", "rnn"), ("rnn", "readout"), ("readout", "output")],
    )
    # The reference NIR library reads it back (structure check).
    import nir

    g = nir.read(path)
    assert isinstance(g.nodes["rnn"], nir.NIRGraph)
    DESCRIPTIONS["nested.nir"] = "Affine -> subgraph rnn {LIF lif with recurrent Linear w_rec} -> Linear"


def gen_flatten_batch():
    """Flatten whose input_type carries a batch dimension (dims count the batch)."""
    write_nir(
        os.path.join(HERE, "flatten_batch.nir"),
        {
            "input": {"type": "Input", "shape": np.array([1, 2, 3, 4])},
            "flat": {"type": "Flatten", "start_dim": np.int64(1), "end_dim": np.int64(3), "input_type": np.array([1, 2, 3, 4])},
            "fc": {"type": "Affine", "weight": rand(5, 24), "bias": rand(5)},
            "output": {"type": "Output", "shape": np.array([1, 5])},
        },
        [("input", "flat"), ("flat", "fc"), ("fc", "output")],
    )
    DESCRIPTIONS["flatten_batch.nir"] = "Flatten(start_dim 1, end_dim 3) of input_type [1, 2, 3, 4]"


def pair(v):
    v = np.asarray(v).reshape(-1)
    return (int(v[0]), int(v[-1]))


def torch_reference(path):
    """Run every node with PyTorch on a zero input (shapes) and count conv synapses."""
    with h5py.File(path, "r") as f:
        nodes = f["node/nodes"]
        edges = [(a.decode(), b.decode()) for a, b in f["node/edges"][()]]
        succ = {}
        for a, b in edges:
            succ.setdefault(a, []).append(b)
        shapes, synapses = {}, {}
        # Forward chain/DAG walk from the input (the graphs used here have no cycles, except
        # recurrent self-loops that preserve shape, which are skipped once visited).
        start = [n for n in nodes if nodes[n]["type"][()].decode() == "Input"][0]
        sg = nodes[start]
        shape = [int(x) for x in (sg["shape"][()] if "shape" in sg else sg["input_type"]["input"][()])]
        if len(shape) in (2, 4) and shape[0] == 1:
            shape = shape[1:]
        shapes[start] = shape
        queue = [start]
        while queue:
            u = queue.pop(0)
            for v in succ.get(u, []):
                if v in shapes:
                    continue
                g = nodes[v]
                t = g["type"][()].decode()
                x = torch.zeros([1] + shapes[u])
                if t == "Conv2d":
                    w = torch.tensor(g["weight"][()])
                    stride, dilation = pair(g["stride"][()]), pair(g["dilation"][()])
                    pad = g["padding"][()]
                    pad = pad.decode() if isinstance(pad, bytes) else pair(pad)
                    groups = int(g["groups"][()])
                    y = F.conv2d(x, w, None, stride, pad, dilation, groups)
                    ones = F.conv2d(torch.ones_like(x), torch.ones_like(w), None, stride, pad, dilation, groups)
                    synapses[v] = int(ones.sum().round().item())
                elif t in ("AvgPool2d", "SumPool2d"):
                    k, s, p = pair(g["kernel_size"][()]), pair(g["stride"][()]), pair(g["padding"][()])
                    y = F.avg_pool2d(x, k, s, p)
                elif t == "Flatten":
                    y = torch.flatten(x, int(g["start_dim"][()]) + 1, int(g["end_dim"][()]) + (1 if int(g["end_dim"][()]) >= 0 else 0))
                elif t in ("Affine", "Linear"):
                    w = g["weight"][()]
                    y = torch.zeros(1, w.shape[0])
                    synapses[v] = int(w.size)
                else:
                    y = x
                shapes[v] = list(y.shape[1:])
                queue.append(v)
    return shapes, synapses


def param_reference(path):
    out = {}
    with h5py.File(path, "r") as f:
        for name, g in f["node/nodes"].items():
            node = {"type": g["type"][()].decode(), "params": {}}
            for k, d in g.items():
                if k == "type" or isinstance(d, h5py.Group) or d.dtype.kind in "OSU":
                    continue
                v = np.asarray(d[()], dtype=np.float64).reshape(-1)
                w = (np.arange(v.size) % 7) + 1
                node["params"][k] = {
                    "shape": list(d.shape),
                    "sum": float(v.sum()),
                    "checksum": float((v * w).sum()),
                }
            out[name] = node
    return out


def main():
    gen_bad_and_quirky()
    gen_conv_zoo()
    gen_nested()
    gen_flatten_batch()
    expected = {"descriptions": DESCRIPTIONS, "files": {}}
    files = [os.path.join("fixtures", f) for f in sorted(os.listdir(FIXTURES)) if f.endswith(".nir")]
    files += ["quirks.nir", "conv_zoo.nir"]
    for rel in files:
        path = os.path.join(HERE, rel)
        shapes, synapses = torch_reference(path)
        expected["files"][rel] = {
            "output_shapes": shapes,
            "synapses": synapses,
            "nodes": param_reference(path),
        }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
