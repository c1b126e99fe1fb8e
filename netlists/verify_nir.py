#!/usr/bin/env python3
"""Independent check of a bundled network: re-simulate its NIR file with plain numpy.

Reads ``<dir>/model.nir`` with h5py only (no torch, snnTorch or nir library), checks the
graph (node types, parameter shapes, the edge list as the only source of topology, shapes
matching across every edge), then simulates the 2,000 test images of ``<dir>/data/`` with the
discrete-time semantics stated in ``<dir>/reference.json`` (direct input pixel/255 every step,
layers in order within a step, LIF with reset to zero, ``s = v > v_threshold``) and compares
the output spike counts with ``<dir>/snntorch_spike_counts.npy``.

LIF parameters are turned into discrete ones as memsnn does: ``beta = 1 - dt/tau`` and input
scale ``r * dt / tau``, computed in float64 from the stored float32 values and rounded to float32
(for snnTorch exports this gives back beta = 0.9 and scale = 1 exactly).

Usage (from the repository root):
  python3 netlists/verify_nir.py netlists/mnist-mlp [--record]
``--record`` stores the result under "independent_numpy_check" in reference.json.
"""

import argparse
import gzip
import json
import struct
import sys
from pathlib import Path

import h5py
import numpy as np

SUPPORTED = {"Input", "Output", "Affine", "Linear", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten", "LIF"}


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    (m,) = struct.unpack(">I", raw[:4])
    if m != magic:
        sys.exit(f"{path}: magic 0x{m:08x}, expected 0x{magic:08x}")
    ndim = m & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        sys.exit(f"{path}: header promises {dims}, file holds {body.size} values")
    return body.reshape(dims)


def pair(v):
    v = np.asarray(v).astype(int)
    return (int(v), int(v)) if v.ndim == 0 else (int(v[0]), int(v[1]))


def load_graph(path):
    """Return (nodes: name -> dict of arrays, order: topologically sorted names)."""
    f = h5py.File(path, "r")
    g = f["node"]
    assert g["type"][()].decode() == "NIRGraph", "top node is not a NIRGraph"
    nodes = {}
    for name, grp in g["nodes"].items():
        d = {k: grp[k][()] for k in grp.keys()}
        d["type"] = d["type"].decode()
        if d["type"] not in SUPPORTED:
            sys.exit(f"{path}: node {name}: unsupported type {d['type']}")
        nodes[name] = d
    edges = [(a.decode(), b.decode()) for a, b in g["edges"][()]]
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a}->{b} names a missing node"
    # Topology from the edge list only (node order in the file is alphabetical).
    succ = {n: [] for n in nodes}
    pred = {n: [] for n in nodes}
    for a, b in edges:
        succ[a].append(b)
        pred[b].append(a)
    inputs = [n for n, d in nodes.items() if d["type"] == "Input"]
    assert len(inputs) == 1, "expected exactly one Input node"
    order, cur = [], inputs[0]
    while True:
        order.append(cur)
        if nodes[cur]["type"] == "Output":
            break
        assert len(succ[cur]) == 1, f"node {cur}: expected a chain, has successors {succ[cur]}"
        cur = succ[cur][0]
        assert pred[cur] == [order[-1]], f"node {cur}: expected one predecessor"
    assert len(order) == len(nodes), "nodes not on the input->output chain"
    return f.attrs, f["version"][()].decode(), nodes, order, edges


def out_shape(d, shape):
    """Shape a node produces from its input shape (per sample, no batch); checks parameters."""
    t = d["type"]
    if t == "Input":
        return tuple(int(s) for s in d["shape"])
    if t == "Output":
        assert tuple(d["shape"]) == shape, f"Output shape {tuple(d['shape'])} != {shape}"
        return shape
    if t in ("Affine", "Linear"):
        w = d["weight"]
        assert shape == (w.shape[1],), f"{t} weight {w.shape} on input {shape}"
        if t == "Affine":
            assert d["bias"].shape == (w.shape[0],)
        return (w.shape[0],)
    if t == "Conv2d":
        w = d["weight"]
        c_out, c_in_g, kh, kw = w.shape
        groups = int(d["groups"])
        assert len(shape) == 3 and shape[0] == c_in_g * groups, f"Conv2d weight {w.shape} on {shape}"
        assert tuple(d["input_shape"]) == shape[1:], f"Conv2d input_shape {d['input_shape']} != {shape[1:]}"
        (sh, sw), (ph, pw), (dh, dw) = pair(d["stride"]), pair(d["padding"]), pair(d["dilation"])
        h = (shape[1] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        wd = (shape[2] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        assert d["bias"].shape == (c_out,)
        return (c_out, h, wd)
    if t in ("AvgPool2d", "SumPool2d"):
        (kh, kw), (sh, sw), (ph, pw) = pair(d["kernel_size"]), pair(d["stride"]), pair(d["padding"])
        return (shape[0], (shape[1] + 2 * ph - kh) // sh + 1, (shape[2] + 2 * pw - kw) // sw + 1)
    if t == "Flatten":
        assert tuple(d["input_type"]) == shape, f"Flatten input_type {d['input_type']} != {shape}"
        s, e = int(d["start_dim"]), int(d["end_dim"])
        e = e % len(shape)
        return shape[:s] + (int(np.prod(shape[s : e + 1])),) + shape[e + 1 :]
    if t == "LIF":
        for k in ("tau", "r", "v_leak", "v_threshold", "v_reset"):
            assert d[k].shape == shape, f"LIF {k} shape {d[k].shape} != {shape}"
        assert np.all(d["v_leak"] == 0) and np.all(d["v_reset"] == 0), "only v_leak = v_reset = 0 simulated here"
        return shape
    raise AssertionError(t)


def conv2d(x, d):
    """x [B, C, H, W] float32 -> [B, O, H', W'] by explicit im2col and one matrix product."""
    w, b = d["weight"].astype(np.float32), d["bias"].astype(np.float32)
    c_out, c_in_g, kh, kw = w.shape
    groups = int(d["groups"])
    (sh, sw), (ph, pw), (dh, dw) = pair(d["stride"]), pair(d["padding"]), pair(d["dilation"])
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    bsz, c, hh, ww = x.shape
    oh = (hh - dh * (kh - 1) - 1) // sh + 1
    ow = (ww - dw * (kw - 1) - 1) // sw + 1
    outs = []
    og = c_out // groups
    for g in range(groups):
        xg = x[:, g * c_in_g : (g + 1) * c_in_g]
        cols = np.empty((bsz, oh, ow, c_in_g, kh, kw), dtype=np.float32)
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw]
                cols[:, :, :, :, i, j] = patch.transpose(0, 2, 3, 1)
        wg = w[g * og : (g + 1) * og].reshape(og, -1)
        y = cols.reshape(bsz * oh * ow, -1) @ wg.T + b[g * og : (g + 1) * og]
        outs.append(y.reshape(bsz, oh, ow, og).transpose(0, 3, 1, 2))
    return np.concatenate(outs, axis=1)


def pool(x, d, average):
    (kh, kw), (sh, sw), (ph, pw) = pair(d["kernel_size"]), pair(d["stride"]), pair(d["padding"])
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    acc = np.zeros(x.shape[:2] + (oh, ow), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            acc += x[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
    return acc / np.float32(kh * kw) if average else acc


def simulate(nodes, order, images, timesteps, dt):
    x0 = images.astype(np.float32) / np.float32(255.0)
    bsz = len(x0)
    x0 = x0.reshape((bsz,) + tuple(int(s) for s in nodes[order[0]]["shape"]))
    lif = {}
    for n in order:
        d = nodes[n]
        if d["type"] == "LIF":
            tau = d["tau"].astype(np.float64)
            lif[n] = dict(
                beta=(1.0 - dt / tau).astype(np.float32),
                scale=(d["r"].astype(np.float64) * dt / tau).astype(np.float32),
                thr=d["v_threshold"].astype(np.float32),
                v=np.zeros((bsz,) + tau.shape, dtype=np.float32),
                s=np.zeros((bsz,) + tau.shape, dtype=np.float32),
            )
    counts = None
    for _ in range(timesteps):
        x = x0
        for n in order[1:]:
            d = nodes[n]
            t = d["type"]
            if t == "Affine":
                x = x @ d["weight"].astype(np.float32).T + d["bias"].astype(np.float32)
            elif t == "Linear":
                x = x @ d["weight"].astype(np.float32).T
            elif t == "Conv2d":
                x = conv2d(x, d)
            elif t in ("AvgPool2d", "SumPool2d"):
                x = pool(x, d, t == "AvgPool2d")
            elif t == "Flatten":
                s, e = int(d["start_dim"]) + 1, int(d["end_dim"])
                e = e % (x.ndim - 1) + 1
                x = x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])
            elif t == "LIF":
                p = lif[n]
                p["v"] = p["beta"] * (p["v"] * (np.float32(1) - p["s"])) + p["scale"] * x
                p["s"] = (p["v"] > p["thr"]).astype(np.float32)
                x = p["s"]
            elif t == "Output":
                counts = x if counts is None else counts + x
    return counts.astype(np.int32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--batch", type=int, default=250)
    args = ap.parse_args()
    ref_path = args.dir / "reference.json"
    ref = json.loads(ref_path.read_text())
    _attrs, version, nodes, order, edges = load_graph(args.dir / "model.nir")
    shape = None
    print(f"{args.dir / 'model.nir'}: NIR {version}, {len(nodes)} nodes, {len(edges)} edges")
    for n in order:
        shape = out_shape(nodes[n], shape)
        d = nodes[n]
        params = ", ".join(f"{k} {tuple(v.shape)}" for k, v in d.items() if k != "type" and hasattr(v, "shape") and v.ndim)
        print(f"  {n:>6} {d['type']:<9} -> {shape}  {params}")
    images = read_idx(args.dir / "data/test-images-idx3-ubyte.gz", 0x00000803)
    labels = read_idx(args.dir / "data/test-labels-idx1-ubyte.gz", 0x00000801)
    assert len(images) == len(labels) == ref["test_samples"]
    counts = np.concatenate(
        [simulate(nodes, order, images[i : i + args.batch], ref["timesteps"], ref["dt"]) for i in range(0, len(images), args.batch)]
    )
    torch_counts = np.load(args.dir / "snntorch_spike_counts.npy")
    assert torch_counts.dtype == np.int32 and torch_counts.shape == counts.shape
    same_counts = float(np.all(counts == torch_counts, axis=1).mean())
    same_pred = float((counts.argmax(1) == torch_counts.argmax(1)).mean())
    acc = float((counts.argmax(1) == labels).mean())
    print(f"identical count vectors {same_counts:.4f}, identical predictions {same_pred:.4f}")
    print(f"numpy accuracy {acc:.4f}, snnTorch accuracy {ref['test_accuracy']:.4f}")
    if args.record:
        ref["independent_numpy_check"] = {
            "script": "netlists/verify_nir.py (h5py + numpy only)",
            "identical_count_vectors": round(same_counts, 4),
            "identical_predictions": round(same_pred, 4),
            "accuracy": round(acc, 4),
        }
        ref_path.write_text(json.dumps(ref, indent=1) + "\n")


if __name__ == "__main__":
    main()
