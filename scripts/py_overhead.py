#!/usr/bin/env python3
"""Time `memsnn.emulate` against `memsnn emulate` on the same job (bundled MLP, 2,000 images,
T = 25, direct input): the median wall time of each over several runs.

    target/py-venv/bin/python scripts/py_overhead.py [--repeat 15] [--bin target/release/memsnn]

The CLI's time includes starting the process and reading the IDX and NIR files; the Python
call's includes serialising the nir.NIRGraph (`nir.write`) and copying the arrays.
"""

import argparse
import gzip
import statistics
import subprocess
import time
from pathlib import Path

import nir
import numpy as np

import memsnn

ROOT = Path(__file__).resolve().parents[1]
MLP = ROOT / "netlists" / "mnist-mlp"
IMAGES, LABELS = MLP / "data" / "test-images-idx3-ubyte.gz", MLP / "data" / "test-labels-idx1-ubyte.gz"
COMMON = dict(timesteps=25, dt=1e-4, reset="zero", encoding="direct", semantics="snntorch")


def read_idx(path):
    raw = gzip.decompress(path.read_bytes())
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def median_seconds(f, repeat):
    f()  # warm caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "memsnn"))
    args = ap.parse_args()
    graph = nir.read(str(MLP / "model.nir"))
    images, labels = read_idx(IMAGES), read_idx(LABELS)
    jobs = {
        "ideal": ([], {}),
        "chip (loihi, pcm, 1 trial, 1 s)": (
            ["--chip", "loihi", "--device", "pcm", "--trials", "1", "--time", "1s"],
            dict(chip="loihi", device="pcm", trials=1, times=["1s"]),
        ),
    }
    for name, (flags, kw) in jobs.items():
        mode = flags or ["--ideal"]
        cmd = [args.bin, "emulate", *mode, "--network", str(MLP / "model.nir"), "--data",
               str(IMAGES), "--labels", str(LABELS), "--timesteps", "25"]
        cli = median_seconds(lambda: subprocess.run(cmd, check=True, capture_output=True), args.repeat)
        for net_name, net in (("nir.NIRGraph", graph), ("NIR path", str(MLP / "model.nir"))):
            py = median_seconds(lambda: memsnn.emulate(net, images, labels, **kw, **COMMON), args.repeat)
            print(f"{name}, network as {net_name}: CLI {cli * 1e3:.1f} ms, Python {py * 1e3:.1f} ms, "
                  f"Python − CLI = {100 * (py - cli) / cli:+.1f} % of the CLI's time")


if __name__ == "__main__":
    main()
