#!/usr/bin/env python3
"""Write the hostile NIR files of tests/data/hostile/ (development time only; the Rust tests
never run Python). Needs numpy and h5py:

    python3 tests/data/hostile/make_hostile.py

- `huge_chunked_weight.nir`: a valid-looking NIR graph (Input → Affine → LIF → Output) whose
  Affine weight declares shape [16, 40000000] float32 as a chunked, gzip-compressed dataset with
  a single chunk written. The file is tens of KB; reading the dataset would need 2.56 GB as
  float32 (5.1 GB as f64). memsnn must refuse it from the dataset's metadata.
- `huge_edges.nir`: the same graph whose `node/edges` string dataset declares [2e9, 2] entries
  (chunked, nothing written).
"""

import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
STR = h5py.string_dtype()


def graph(f, weight_writer, edges_writer=None):
    g = f.create_group("node")
    g.create_dataset("type", data="NIRGraph", dtype=STR)
    nodes = g.create_group("nodes")
    i = nodes.create_group("input")
    i.create_dataset("type", data="Input", dtype=STR)
    i.create_dataset("shape", data=np.array([40_000_000]))
    a = nodes.create_group("fc")
    a.create_dataset("type", data="Affine", dtype=STR)
    weight_writer(a)
    a.create_dataset("bias", data=np.zeros(16, dtype=np.float32))
    lif = nodes.create_group("lif")
    lif.create_dataset("type", data="LIF", dtype=STR)
    for k, v in [("tau", 0.01), ("r", 1.0), ("v_leak", 0.0), ("v_threshold", 1.0)]:
        lif.create_dataset(k, data=np.full(16, v, dtype=np.float32))
    o = nodes.create_group("output")
    o.create_dataset("type", data="Output", dtype=STR)
    o.create_dataset("shape", data=np.array([16]))
    edges = [("input", "fc"), ("fc", "lif"), ("lif", "output")]
    if edges_writer is None:
        g.create_dataset("edges", data=np.array(edges, dtype=object), dtype=STR)
    else:
        edges_writer(g)
    f.create_dataset("version", data="1.0.8", dtype=STR)


def huge_weight(a):
    d = a.create_dataset(
        "weight",
        shape=(16, 40_000_000),
        dtype=np.float32,
        chunks=(16, 1024),
        compression="gzip",
    )
    d[:, :1024] = np.random.default_rng(1).standard_normal((16, 1024)).astype(np.float32)


def small_weight(a):
    a.create_dataset("weight", data=np.zeros((16, 4), dtype=np.float32))


def huge_edges(g):
    g.create_dataset("edges", shape=(2_000_000_000, 2), dtype=STR, chunks=(1024, 2))


with h5py.File(os.path.join(HERE, "huge_chunked_weight.nir"), "w") as f:
    graph(f, huge_weight)
with h5py.File(os.path.join(HERE, "huge_edges.nir"), "w") as f:
    graph(f, small_weight, huge_edges)
for name in ["huge_chunked_weight.nir", "huge_edges.nir"]:
    print(name, os.path.getsize(os.path.join(HERE, name)), "bytes")
