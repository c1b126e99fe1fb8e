#!/usr/bin/env python3
"""Generate the spiking ResNet-style test network of tests/data/resnet/ and its reference
spike counts, computed here independently of memsnn (numpy, float64).

Run from anywhere (development time only; the Rust tests never run Python):

    python3 tests/data/resnet/make_resnet.py

Needs numpy and h5py. Writes, next to this script:

- model.nir: input [1, 4, 4] -> convA (1->2, 3x3, pad 1) -> lifA
      lifA -> convB (2->2, 3x3, pad 1) --+
      lifA -> skip (Scale 0.5, identity) --+-> lifB        (block 1: identity shortcut)
      lifB -> convC (2->2, 3x3, pad 1) --+
      lifB -> proj (Conv 1x1, 2->2) -----+-> lifC          (block 2: projection shortcut)
      lifC -> flat (Flatten) -> fc (Affine 32->3) -> lifD -> output
  The skip edges are listed before the main edges into lifB and lifC: a chip mapper that
  locates lifB by its first predecessor follows the identity skip to lifA (wrong: lifB's
  neurons are where convB's outputs are summed); for lifC both inputs are synaptic layers.
- images.npy (float32 [8, 1, 4, 4], values in {0, 1/4, 1/2, 3/4, 1}), labels.npy (uint8 [8]);
- expected.json: per sample the output spike counts over T steps, per population the total
  spikes, and the smallest distance of any membrane value to the threshold (so that rounding
  of a few ulp cannot flip a spike).

Semantics (memsnn's `snntorch` preset, README "Semantics"): each step t, in topological order,
v[t] = beta * (0 if s[t-1] else v[t-1]) + I[t]; s[t] = v[t] > 1 + 1/128, with beta = 1 - dt/tau = 1/2
and the input gain R*dt/tau = 1 (tau = 2^-12 s, r = 2, dt = 2^-13 s: every number is a dyadic
rational, so float32 and float64 arithmetic agree exactly). Direct input: the image at every
step. Weights are multiples of 1/8.
"""

import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
STR = h5py.string_dtype()
T = 12
N = 8
TAU = 2.0**-12
DT = 2.0**-13
THRESHOLD = 1.0078125  # 1 + 1/128: off the 1/64 grid of the first steps' membranes


def dyadic(rng, shape, scale):
    """Multiples of 1/8 in [-1, 1] times `scale` (a power of two)."""
    return (rng.integers(-8, 9, size=shape) / 8.0 * scale).astype(np.float32)


def conv2d(x, w, b, pad):
    """Cross-correlation (PyTorch conv2d), stride 1: x [C, H, W], w [O, C, kh, kw]."""
    c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.zeros((c, h + 2 * pad, wd + 2 * pad))
    xp[:, pad : pad + h, pad : pad + wd] = x
    out = np.zeros((o, h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1))
    for oc in range(o):
        for y in range(out.shape[1]):
            for xx in range(out.shape[2]):
                out[oc, y, xx] = np.sum(xp[:, y : y + kh, xx : xx + kw] * w[oc]) + b[oc]
    return out


def lif_params(shape):
    return {
        "type": "LIF",
        "tau": np.full(shape, TAU, np.float32),
        "r": np.full(shape, TAU / DT, np.float32),
        "v_leak": np.zeros(shape, np.float32),
        "v_threshold": np.full(shape, THRESHOLD, np.float32),
        "v_reset": np.zeros(shape, np.float32),
    }


def conv_params(w, b, pad):
    return {
        "type": "Conv2d",
        "weight": w,
        "bias": b,
        "stride": np.array([1, 1]),
        "padding": np.array([pad, pad]),
        "dilation": np.array([1, 1]),
        "groups": np.int64(1),
        "input_shape": np.array([4, 4]),
    }


def simulate(p, images):
    """Reference run: output spike counts [N, 3], spikes per population, smallest margin."""
    counts = np.zeros((len(images), 3), np.int64)
    totals = {"lifA": 0, "lifB": 0, "lifC": 0, "lifD": 0}
    margin = np.inf
    for n, img in enumerate(images):
        state = {k: None for k in totals}
        spikes = {k: None for k in totals}

        def lif(name, current):
            nonlocal margin
            v, s = state[name], spikes[name]
            if v is None:
                v = np.zeros_like(current)
                s = np.zeros_like(current, dtype=bool)
            v = 0.5 * np.where(s, 0.0, v) + current
            margin = min(margin, float(np.min(np.abs(v - THRESHOLD))))
            s = v > THRESHOLD
            state[name], spikes[name] = v, s
            totals[name] += int(s.sum())
            return s.astype(np.float64)

        for _ in range(T):
            a = lif("lifA", conv2d(img, p["wA"], p["bA"], 1))
            b = lif("lifB", conv2d(a, p["wB"], p["bB"], 1) + 0.5 * a)
            c = lif("lifC", conv2d(b, p["wC"], p["bC"], 1) + conv2d(b, p["wP"], p["bP"], 0))
            d = lif("lifD", p["wF"] @ c.reshape(-1) + p["bF"])
            counts[n] += d.astype(np.int64)
    return counts, totals, margin


def write_nir(path, p):
    nodes = {
        "input": {"type": "Input", "shape": np.array([1, 4, 4])},
        "convA": conv_params(p["wA"], p["bA"], 1),
        "lifA": lif_params((2, 4, 4)),
        "convB": conv_params(p["wB"], p["bB"], 1),
        "skip": {"type": "Scale", "scale": np.full((2, 4, 4), 0.5, np.float32)},
        "lifB": lif_params((2, 4, 4)),
        "convC": conv_params(p["wC"], p["bC"], 1),
        "proj": conv_params(p["wP"], p["bP"], 0),
        "lifC": lif_params((2, 4, 4)),
        "flat": {"type": "Flatten", "start_dim": np.int64(0), "end_dim": np.int64(-1)},
        "fc": {"type": "Affine", "weight": p["wF"], "bias": p["bF"]},
        "lifD": lif_params((3,)),
        "output": {"type": "Output", "shape": np.array([3])},
    }
    edges = [
        ("input", "convA"),
        ("convA", "lifA"),
        ("lifA", "skip"),
        ("lifA", "convB"),
        ("skip", "lifB"),
        ("convB", "lifB"),
        ("lifB", "proj"),
        ("lifB", "convC"),
        ("proj", "lifC"),
        ("convC", "lifC"),
        ("lifC", "flat"),
        ("flat", "fc"),
        ("fc", "lifD"),
        ("lifD", "output"),
    ]
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.8", dtype=STR)
        g = f.create_group("node")
        g.create_dataset("type", data="NIRGraph", dtype=STR)
        ng = g.create_group("nodes")
        for name, params in nodes.items():
            n = ng.create_group(name)
            for k, v in params.items():
                if isinstance(v, str):
                    n.create_dataset(k, data=v, dtype=STR)
                else:
                    n.create_dataset(k, data=np.asarray(v))
        g.create_dataset("edges", data=np.array(edges, dtype=object), dtype=STR)


def main():
    rng = np.random.default_rng(20261202)
    images = (rng.integers(0, 5, size=(N, 1, 4, 4)) / 4.0).astype(np.float32)
    labels = rng.integers(0, 3, size=N).astype(np.uint8)
    # Draw weights until every population spikes, none saturates, and no membrane value comes
    # within 1e-4 of the threshold (about 800 float32 ulp).
    for attempt in range(1000):
        p = {
            "wA": dyadic(rng, (2, 1, 3, 3), 1.0),
            "bA": dyadic(rng, (2,), 0.5),
            "wB": dyadic(rng, (2, 2, 3, 3), 0.5),
            "bB": dyadic(rng, (2,), 0.5),
            "wC": dyadic(rng, (2, 2, 3, 3), 0.5),
            "bC": dyadic(rng, (2,), 0.5),
            "wP": dyadic(rng, (2, 2, 1, 1), 1.0),
            "bP": np.zeros(2, np.float32),
            "wF": dyadic(rng, (3, 32), 0.5),
            "bF": dyadic(rng, (3,), 0.5),
        }
        counts, totals, margin = simulate(p, images)
        busy = {k: v / (N * T * (3 if k == "lifD" else 32)) for k, v in totals.items()}
        if margin >= 1e-4 and all(0.05 < r < 0.6 for r in busy.values()) and len(
            {tuple(c) for c in counts}
        ) > 2:
            break
    else:
        raise SystemExit("no weights found")
    write_nir(os.path.join(HERE, "model.nir"), p)
    np.save(os.path.join(HERE, "images.npy"), images)
    np.save(os.path.join(HERE, "labels.npy"), labels)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(
            {
                "timesteps": T,
                "dt": DT,
                "attempt": attempt,
                "output_spike_counts": counts.tolist(),
                "population_spikes": totals,
                "min_margin_to_threshold": margin,
            },
            f,
            indent=1,
        )
        f.write("\n")
    print("attempt", attempt, "spikes", totals, "margin", margin)
    print(counts.tolist())


if __name__ == "__main__":
    main()
