#!/usr/bin/env python3
"""Time snnTorch inference against `memsnn emulate --ideal` on the same networks and inputs.

Networks (each rebuilt in torch from its NIR file: Affine -> nn.Linear, Conv2d -> nn.Conv2d,
AvgPool2d -> nn.AvgPool2d, Flatten -> nn.Flatten, LIF -> snn.Leaky with beta = 1 - dt/tau,
threshold v_threshold, reset to zero, per-neuron parameters):

  mnist-mlp    netlists/mnist-mlp    2,000 images, T = 25
  fashion-cnn  netlists/fashion-cnn  2,000 images, T = 20
  fashion-vgg  netlists/fashion-vgg  2,000 images, T = 10
  vgg-cifar    --cifar DIR (scripts/build_vgg_cifar.py --out DIR; default target/vgg-cifar),
               200 images, T = 25

snnTorch: torch.no_grad(), ``--threads`` torch threads (default 2) and then 1 thread
(``--torch-threads``: on a machine whose cores are busy with other jobs, torch's 2-thread
parallel regions wait for a descheduled thread at every small operation and can be many times
slower than one thread; both are timed so that this shows), the whole nn.Sequential
once per step (as snnTorch users run it, direct input pixel/255 at every step), batches of
1,000 (mnist-mlp), 500 (fashion-cnn), 250 (fashion-vgg) or 100 (vgg-cifar) images; one warm-up batch is run
first; the time is the wall time of the run over all images (encoding and the loop, not the
file reading). The rebuilt network's counts are compared with each folder's
snntorch_spike_counts.npy (a check of the rebuild, printed as "agree"; it is run with more
threads and other batches than the reference, so float rounding can flip a few spikes), and
so are memsnn's ("same counts").

memsnn: ``memsnn emulate --ideal --threads N`` as a subprocess (``--memsnn``, default
target/release/memsnn); the time is the run time memsnn itself prints on its `speed` line (the
experiment run, without process start, NIR and data reading); the process wall time is
shown too. Each side runs ``--repeat`` times (default 1); the best time is kept.

Usage (from the repository root):
  python3 scripts/bench_snntorch.py [--memsnn target/release/memsnn] [--cifar target/vgg-cifar] \
      [--threads 2] [--repeat 1] [--only mnist-mlp,fashion-cnn,...]
Takes about 15-25 minutes with --repeat 2 on the busy 2-core machine (the VGGs dominate).
"""

import argparse
import gzip
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import torch
from snntorch import utils as snn_utils

REPO = Path(__file__).resolve().parents[1]


def read_idx(path):
    raw = gzip.decompress(Path(path).read_bytes()) if str(path).endswith(".gz") else Path(path).read_bytes()
    (m,) = struct.unpack(">I", raw[:4])
    ndim = m & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def pair(v):
    v = np.asarray(v).astype(int).reshape(-1)
    return (int(v[0]), int(v[0])) if v.size == 1 else (int(v[0]), int(v[1]))


def chain(graph):
    """The node names from input to output (the bundled networks are chains)."""
    succ = {}
    for a, b in graph.edges:
        succ.setdefault(a, []).append(b)
    start = [n for n, node in graph.nodes.items() if isinstance(node, nir.Input)]
    assert len(start) == 1
    order = [start[0]]
    while not isinstance(graph.nodes[order[-1]], nir.Output):
        nxt = succ[order[-1]]
        assert len(nxt) == 1, f"{order[-1]}: not a chain"
        order.append(nxt[0])
    return order


def torch_from_nir(path, dt=1e-4):
    """An nn.Sequential of torch layers and snn.Leaky populations equal to the NIR graph."""
    graph = nir.read(path)
    order = chain(graph)
    layers = []
    lif_names = [n for n in order if isinstance(graph.nodes[n], nir.LIF)]
    input_shape = tuple(int(s) for s in np.asarray(graph.nodes[order[0]].input_type["input"]).reshape(-1))
    for name in order[1:-1]:
        node = graph.nodes[name]
        if isinstance(node, nir.Affine):
            w = torch.from_numpy(np.asarray(node.weight, dtype=np.float32))
            m = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                m.weight.copy_(w)
                m.bias.copy_(torch.from_numpy(np.asarray(node.bias, dtype=np.float32)))
        elif isinstance(node, nir.Linear):
            w = torch.from_numpy(np.asarray(node.weight, dtype=np.float32))
            m = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
            with torch.no_grad():
                m.weight.copy_(w)
        elif isinstance(node, nir.Conv2d):
            w = torch.from_numpy(np.asarray(node.weight, dtype=np.float32))
            padding = node.padding if isinstance(node.padding, str) else pair(node.padding)
            m = torch.nn.Conv2d(
                w.shape[1] * int(node.groups), w.shape[0], tuple(w.shape[2:]),
                stride=pair(node.stride), padding=padding, dilation=pair(node.dilation), groups=int(node.groups),
            )  # fmt: skip
            with torch.no_grad():
                m.weight.copy_(w)
                m.bias.copy_(torch.from_numpy(np.asarray(node.bias, dtype=np.float32)))
        elif isinstance(node, nir.AvgPool2d):
            m = torch.nn.AvgPool2d(pair(node.kernel_size), stride=pair(node.stride), padding=pair(node.padding))
        elif isinstance(node, nir.Flatten):
            m = torch.nn.Flatten(int(node.start_dim) + 1, int(node.end_dim) if int(node.end_dim) < 0 else int(node.end_dim) + 1)
        elif isinstance(node, nir.LIF):
            tau = np.asarray(node.tau, dtype=np.float64)
            assert np.all(np.asarray(node.v_leak) == 0) and np.all(np.asarray(node.v_reset) == 0)
            assert np.allclose(np.asarray(node.r, dtype=np.float64) * dt / tau, 1.0), "r * dt / tau must be 1 (snnTorch export)"
            m = snn.Leaky(
                beta=torch.from_numpy((1.0 - dt / tau).astype(np.float32)),
                threshold=torch.from_numpy(np.asarray(node.v_threshold, dtype=np.float32)),
                reset_mechanism="zero",
                init_hidden=True,
                output=name == lif_names[-1],
            )
        else:
            sys.exit(f"{path}: node {name}: {type(node).__name__} is not supported here")
        layers.append(m)
    return torch.nn.Sequential(*layers), input_shape


def snntorch_run(net, x, timesteps, batch):
    counts = []
    with torch.no_grad():
        for b in range(0, len(x), batch):
            xb = x[b : b + batch]
            snn_utils.reset(net)
            acc = 0
            for _ in range(timesteps):
                spk, _mem = net(xb)
                acc = acc + spk
            counts.append(acc)
    return torch.cat(counts).numpy().astype(np.int32)


SPEED = re.compile(r"speed\s+([0-9.]+) images/s \((\d+) samples × (\d+) steps in ([0-9.]+) s, (\d+) threads\)")


def memsnn_run(binary, args, threads, out):
    cmd = [str(binary), "emulate", *args, "--ideal", "--threads", str(threads), "--spike-counts", str(out)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    m = SPEED.search(p.stdout)
    if not m:
        sys.exit(f"{' '.join(cmd)}: no speed line in\n{p.stdout}")
    return float(m.group(4)), wall, np.load(out), " ".join(cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memsnn", default="target/release/memsnn", help="memsnn binary (relative to the repository root)")
    ap.add_argument("--cifar", default="target/vgg-cifar", help="output folder of scripts/build_vgg_cifar.py")
    ap.add_argument("--threads", type=int, default=2, help="memsnn's --threads and the first torch thread count")
    ap.add_argument("--torch-threads", default=None, help="comma-separated torch thread counts to time (default: --threads, then 1)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", default=None, help="comma-separated subset of the networks")
    args = ap.parse_args()
    torch_threads = [int(t) for t in args.torch_threads.split(",")] if args.torch_threads else list(dict.fromkeys([args.threads, 1]))
    binary = (REPO / args.memsnn).resolve()
    cifar = (REPO / args.cifar).resolve()
    nets = REPO / "netlists"

    def idx_data(folder):
        return read_idx(folder / "data/test-images-idx3-ubyte.gz")

    jobs = [
        ("mnist-mlp", nets / "mnist-mlp/model.nir", lambda: idx_data(nets / "mnist-mlp"), 25, 1000,
         [str(nets / "mnist-mlp/netlist.ron")], nets / "mnist-mlp/snntorch_spike_counts.npy"),
        ("fashion-cnn", nets / "fashion-cnn/model.nir", lambda: idx_data(nets / "fashion-cnn"), 20, 500,
         [str(nets / "fashion-cnn/netlist.ron")], nets / "fashion-cnn/snntorch_spike_counts.npy"),
        ("fashion-vgg", nets / "fashion-vgg/model.nir", lambda: idx_data(nets / "fashion-vgg"), 10, 250,
         [str(nets / "fashion-vgg/netlist.ron")], nets / "fashion-vgg/snntorch_spike_counts.npy"),
        ("vgg-cifar", cifar / "model.nir", lambda: np.load(cifar / "images.npy"), 25, 100,
         ["--network", str(cifar / "model.nir"), "--data", str(cifar / "images.npy"), "--labels", str(cifar / "labels.npy"),
          "--timesteps", "25"], cifar / "snntorch_spike_counts.npy"),
    ]  # fmt: skip
    if args.only:
        keep = set(args.only.split(","))
        jobs = [j for j in jobs if j[0] in keep]
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, nir_path, load, timesteps, batch, margs, ref_path in jobs:
            if not nir_path.exists():
                print(f"{name}: {nir_path} missing, skipped", file=sys.stderr)
                continue
            net, shape = torch_from_nir(nir_path)
            images = load()
            x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0)).reshape((len(images),) + shape)
            torch_s = {}
            for th in torch_threads:
                torch.set_num_threads(th)
                snntorch_run(net, x[:batch], timesteps, batch)  # warm-up
                best = float("inf")
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    counts = snntorch_run(net, x, timesteps, batch)
                    best = min(best, time.perf_counter() - t0)
                torch_s[th] = best
            ref = np.load(ref_path)
            agree = float(np.all(counts == ref, axis=1).mean())
            m_best, m_wall = float("inf"), float("inf")
            for _ in range(args.repeat):
                secs, wall, m_counts, cmd = memsnn_run(binary, margs, args.threads, Path(tmp) / f"{name}.npy")
                m_best, m_wall = min(m_best, secs), min(m_wall, wall)
            same = float(np.all(m_counts == ref, axis=1).mean())
            same_pred = float((m_counts.argmax(1) == ref.argmax(1)).mean())
            row = dict(name=name, n=len(images), T=timesteps, batch=batch, torch_s=torch_s, memsnn_s=m_best, memsnn_wall=m_wall,
                       agree=agree, same=same, same_pred=same_pred)  # fmt: skip
            rows.append(row)
            times = ", ".join(f"{v:.2f} s with {k} thread(s)" for k, v in torch_s.items())
            print(f"{name}: snnTorch {times} (agree with reference {agree:.4f}); {cmd}: {m_best:.2f} s run, {m_wall:.2f} s wall; "
                  f"identical counts {same:.4f}, predictions {same_pred:.4f}", flush=True)  # fmt: skip

    print()
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min) before {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, "
          f"after {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    print(f"torch {torch.__version__}, snntorch {snn.__version__}; memsnn with {args.threads} threads, its printed run time "
          f"(from the process wall time in brackets)")  # fmt: skip
    cols = "".join(f" {f'snnTorch {th}t img/s':>17}" for th in torch_threads)
    head = (f"{'network':<12} {'images':>6} {'T':>3} {'batch':>5}{cols} {f'memsnn {args.threads}t img/s':>21} "
            f"{f'ratio/{torch_threads[0]}t':>9} {'ratio/best':>10} {'same counts':>11}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in rows:
        t_ips = {th: r["n"] / secs for th, secs in r["torch_s"].items()}
        m_ips, w_ips = r["n"] / r["memsnn_s"], r["n"] / r["memsnn_wall"]
        vals = "".join(f" {t_ips[th]:>17.1f}" for th in torch_threads)
        print(f"{r['name']:<12} {r['n']:>6} {r['T']:>3} {r['batch']:>5}{vals} {m_ips:>10.1f} ({w_ips:>8.1f}) "
              f"{m_ips / t_ips[torch_threads[0]]:>9.2f} {m_ips / max(t_ips.values()):>10.2f} {r['same']:>11.4f}")  # fmt: skip
    print(f"ratio = memsnn images/s (its printed run time) / snnTorch images/s with {torch_threads[0]} thread(s), or with "
          "its fastest thread count; same counts = fraction of images whose memsnn count vector equals "
          "snntorch_spike_counts.npy (the folder's reference)")


if __name__ == "__main__":
    main()
