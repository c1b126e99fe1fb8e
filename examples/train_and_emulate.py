#!/usr/bin/env python3
"""Train an snnTorch MLP for one epoch, then ask memsnn what a Loihi-style chip with PCM
synapses keeps of it over time.

The loop a notebook runs: train, export to NIR in memory (no files), call ``memsnn.emulate``
with the NumPy images, print the accuracy against time since programming (the drift table),
with and without global drift compensation.

Data: the 2,000 bundled MNIST test images (``netlists/mnist-mlp/data``): the first 1,500
train the network, the last 500 are emulated. Needs ``pip install . torch snntorch``; runs in
well under a minute on two cores.

    python3 examples/train_and_emulate.py [--epochs 1] [--trials 3]
"""

import argparse
import gzip
import time
from pathlib import Path

import numpy as np
import snntorch as snn
import snntorch.functional as SF
import torch
from snntorch import utils as snn_utils
from snntorch.export_nir import export_to_nir

import memsnn

DATA = Path(__file__).resolve().parents[1] / "netlists" / "mnist-mlp" / "data"
T, BETA, DT = 25, 0.9, 1e-4  # snnTorch's exporter writes tau = DT / (1 - BETA)


def read_idx(path):
    """A gzip IDX file as a uint8 array."""
    raw = gzip.decompress(path.read_bytes())
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def leaky(n, output=False):
    # Per-neuron parameters, so the exported LIF nodes carry their shape.
    return snn.Leaky(beta=torch.full((n,), BETA), threshold=torch.full((n,), 1.0),
                     reset_mechanism="zero", init_hidden=True, output=output)


def spikes(net, x):
    """Output spikes [T, batch, 10] on direct input."""
    snn_utils.reset(net)
    return torch.stack([net(x)[0] for _ in range(T)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--trials", type=int, default=3)
    args = ap.parse_args()

    images = read_idx(DATA / "test-images-idx3-ubyte.gz")
    labels = read_idx(DATA / "test-labels-idx1-ubyte.gz")
    train_x = torch.from_numpy(images[:1500].reshape(-1, 784).astype(np.float32) / 255)
    train_y = torch.from_numpy(labels[:1500].astype(np.int64))
    test_images, test_labels = images[1500:], labels[1500:]

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), leaky(128),
                              torch.nn.Linear(128, 10), leaky(10, output=True))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = SF.mse_count_loss(correct_rate=0.8, incorrect_rate=0.05)
    t0 = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(train_x))
        for i in range(0, len(perm), 50):
            idx = perm[i : i + 50]
            loss = loss_fn(spikes(net, train_x[idx]), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f} ({time.time() - t0:.1f} s)")

    # Export in memory: memsnn takes the nir.NIRGraph itself.
    graph = export_to_nir(net, torch.zeros(1, 784), ignore_dims=[0])
    common = dict(timesteps=T, dt=DT, reset="zero", encoding="direct", semantics="snntorch")
    with torch.no_grad():
        x = torch.from_numpy(test_images.reshape(-1, 784).astype(np.float32) / 255)
        torch_counts = spikes(net, x).sum(0).numpy().astype(np.int32)
    ideal = memsnn.emulate(graph, test_images, test_labels, **common)
    same = (ideal.spike_counts == torch_counts).all(axis=1).mean()
    print(f"ideal (software) accuracy {ideal.accuracy:.4f}; spike counts equal snnTorch's "
          f"on {100 * same:.1f} % of {len(test_images)} images")

    times = ["1s", "1h", "1d", "1y"]
    print(f"\nLoihi-style chip, PCM synapses, {args.trials} programmed chips, 1 Ω wires:")
    print(f"{'compensation':<14}" + "".join(f"{t:>17}" for t in times))
    for comp in ("none", "global"):
        r = memsnn.emulate(graph, test_images, test_labels, chip="loihi", device="pcm",
                           times=times, trials=args.trials, compensation=comp, r_wire=1.0,
                           seed=0, **common)
        acc = r.accuracy  # [trials, times]
        print(f"{comp:<14}" + "".join(
            f"{m:>10.4f} ± {s:.3f}" for m, s in zip(acc.mean(0), acc.std(0, ddof=1))))
    print(f"\ncores {r.report['resources']['cores']}, energy {r.energy * 1e9:.1f} nJ and "
          f"latency {r.latency * 1e6:.1f} µs per inference")


if __name__ == "__main__":
    main()
