#!/usr/bin/env python3
"""Training speed of memsnn vs BindsNET on the same Diehl & Cook configuration, back to back.

Configuration (both sides): 784 Poisson inputs (max 63.75 Hz), 100 excitatory + 100 inhibitory
neurons, dt = 0.5 ms, 350 ms per image (700 steps), pair STDP nu = (1e-4, 1e-2), weight
normalisation 78.4, CPU only, 2 threads. BindsNET 0.3.4 (`bindsnet.models.DiehlAndCook2015`,
PoissonEncoder, `network.run` + `reset_state_variables` per image, as its eth_mnist example);
memsnn: `memsnn learn netlists/diehl-cook/bindsnet-100.ron` (the same network with BindsNET's
current synapses and neuron parameters), training images per second from its report.

Usage (from the repository root, after `cargo build --release`):
    python3 scripts/bindsnet_speed.py [--images 100] [--memsnn-images 2000]
Needs `pip install bindsnet` (torch CPU). Prints one JSON object.
"""
import argparse
import gzip
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np


def mnist_images(path, n):
    with gzip.open(path, "rb") as f:
        data = f.read()
    count = int.from_bytes(data[4:8], "big")
    n = min(n, count)
    return np.frombuffer(data, np.uint8, count=n * 784, offset=16).reshape(n, 784)


def bindsnet_rate(images, threads):
    import torch
    from bindsnet.encoding import PoissonEncoder
    from bindsnet.models import DiehlAndCook2015

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = DiehlAndCook2015(
        n_inpt=784, n_neurons=100, exc=22.5, inh=17.5, dt=0.5, norm=78.4,
        nu=(1e-4, 1e-2), theta_plus=0.05, inpt_shape=(1, 28, 28),
    )
    enc = PoissonEncoder(time=350, dt=0.5)
    x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0 * 63.75

    def one(k):
        spikes = enc(x[k])
        net.run(inputs={"X": spikes.unsqueeze(1)}, time=350)
        net.reset_state_variables()

    one(0)  # warm-up
    t0 = time.perf_counter()
    for k in range(1, len(images)):
        one(k)
    return (len(images) - 1) / (time.perf_counter() - t0)


def memsnn_rate(n, threads, binary):
    with tempfile.TemporaryDirectory() as d:
        rep = Path(d) / "r.json"
        subprocess.run(
            [binary, "learn", "netlists/diehl-cook/bindsnet-100.ron", "--train", str(n),
             "--test", "10", "--assign", "10", "--threads", str(threads),
             "--out", str(Path(d) / "out"), "--report", str(rep)],
            check=True, stdout=subprocess.DEVNULL,
        )
        return json.loads(rep.read_text())["train_images_per_second"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=100, help="BindsNET training images")
    ap.add_argument("--memsnn-images", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--binary", default="target/release/memsnn")
    a = ap.parse_args()
    imgs = mnist_images("../shared/data/mnist/train-images-idx3-ubyte.gz", a.images + 1)
    m1 = memsnn_rate(a.memsnn_images, a.threads, a.binary)
    b = bindsnet_rate(imgs, a.threads)
    m2 = memsnn_rate(a.memsnn_images, a.threads, a.binary)
    import bindsnet
    import torch
    print(json.dumps({
        "bindsnet_version": getattr(bindsnet, "__version__", "0.3.4"),
        "torch_version": torch.__version__,
        "threads": a.threads,
        "bindsnet_images_per_second": b,
        "memsnn_images_per_second_before": m1,
        "memsnn_images_per_second_after": m2,
        "speedup": min(m1, m2) / b,
    }, indent=2))


if __name__ == "__main__":
    main()
