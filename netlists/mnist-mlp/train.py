#!/usr/bin/env python3
"""Train, export and record references for the bundled `mnist-mlp` network.

A 784-128-10 spiking MLP in snnTorch, with exactly the semantics memsnn's ideal mode
reproduces (see ../README.md and ../../../shared/fixtures/README.md):

* input: the image as ``pixel / 255`` (float32), presented unchanged at each of ``T = 25`` steps
  (direct / analog input, no spike encoding);
* every step the layers are evaluated in order (no inter-layer delay);
* ``snn.Leaky`` neurons, ``beta = 0.9``, ``threshold = 1``, reset to zero:
  ``v[t] = beta * v[t-1] * (1 - s[t-1]) + I[t]``, ``s[t] = v[t] > 1``; state starts at zero;
* prediction: the output neuron with the most spikes over the run (ties: lowest index).

The hidden layer has 128 neurons so that, with a differential pair of columns per weight,
it still fits the 256 columns of one 256x256 crossbar core (784 inputs + bias span 4 row tiles).

Outputs (written next to this script):
  model.nir                      the trained network, exported by snntorch.export_to_nir (nir 1.0.8)
  data/test-*-idx*-ubyte.gz      the 2,000-image MNIST test split (copied byte for byte)
  reference.json                 versions, semantics, training recipe, snnTorch's test accuracy
  snntorch_spike_counts.npy      int32 [2000, 10]: output spike counts per test image (file order)

Re-run from the repository root (about 1-2 minutes on one CPU thread):
  python3 netlists/mnist-mlp/train.py [--data-dir ../shared/data]
``--data-dir`` is the folder holding ``mnist/{train,test}-*-ubyte.gz``; the default
``../shared/data`` is resolved against the repository root. Then check the export with
  python3 netlists/verify_nir.py netlists/mnist-mlp
"""

import argparse
import gzip
import json
import platform
import shutil
import struct
import sys
import time
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import snntorch.functional as SF
from snntorch import utils as snn_utils
import torch
from snntorch.export_nir import export_to_nir

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

T = 25  # timesteps
BETA = 0.9
THRESHOLD = 1.0
DT = 1e-4  # the time step snntorch.export_to_nir assumes (tau = dt / (1 - beta))
HIDDEN = 128
SEED = 0
EPOCHS = 12
BATCH = 100
LR = 2e-3
EVAL_BATCH = 500


def read_idx(path, magic):
    """Read a (gzip) IDX file; check its magic number and the size the header promises."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
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


def load(data_dir, split):
    images = read_idx(data_dir / f"{split}-images-idx3-ubyte.gz", 0x00000803)
    labels = read_idx(data_dir / f"{split}-labels-idx1-ubyte.gz", 0x00000801)
    if len(images) != len(labels):
        sys.exit(f"{data_dir}/{split}: {len(images)} images but {len(labels)} labels")
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0))
    return x, torch.from_numpy(labels.astype(np.int64))


def leaky(n, output=False):
    # Per-neuron beta/threshold tensors: export_to_nir then writes per-neuron LIF parameters
    # (scalars would give LIF nodes without a shape, which nir's type inference rejects).
    return snn.Leaky(
        beta=torch.full((n,), BETA),
        threshold=torch.full((n,), THRESHOLD),
        reset_mechanism="zero",
        init_hidden=True,
        output=output,
    )


def build():
    return torch.nn.Sequential(
        torch.nn.Linear(784, HIDDEN),
        leaky(HIDDEN),
        torch.nn.Linear(HIDDEN, 10),
        leaky(10, output=True),
    )


def run(net, x):
    """Run the network for T steps on direct input; return output spikes [T, batch, 10]."""
    snn_utils.reset(net)
    spikes = []
    for _ in range(T):
        spk, _mem = net(x)
        spikes.append(spk)
    return torch.stack(spikes)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="../shared/data", help="folder with mnist/ (relative to the repository root)")
    args = ap.parse_args()
    data_dir = (REPO / args.data_dir).resolve() / "mnist"

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    x_train, y_train = load(data_dir, "train")
    x_test, y_test = load(data_dir, "test")
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}")

    net = build()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    # Target 80 % firing for the true class, 5 % for the others: count-based, like the readout.
    loss_fn = SF.mse_count_loss(correct_rate=0.8, incorrect_rate=0.05)
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(EPOCHS):
        net.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(perm), BATCH):
            idx = perm[i : i + BATCH]
            spk = run(net, x_train[idx])
            loss = loss_fn(spk, y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (spk.sum(0).argmax(1) == y_train[idx]).sum().item()
            total += len(idx)
        sched.step()
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss_sum / total:.4f}, train acc {correct / total:.4f}, {time.time() - t0:.0f} s")
    train_seconds = time.time() - t0

    # Reference run: snnTorch itself, batch of EVAL_BATCH, float32, file order.
    net.eval()
    counts = []
    with torch.no_grad():
        for i in range(0, len(x_test), EVAL_BATCH):
            counts.append(run(net, x_test[i : i + EVAL_BATCH]).sum(0))
    counts = torch.cat(counts).numpy()
    assert np.all(counts == np.round(counts)) and counts.max() <= T
    counts = counts.astype(np.int32)
    pred = counts.argmax(1)  # numpy argmax: ties go to the lowest index
    acc = float((pred == y_test.numpy()).mean())
    top = np.sort(counts, axis=1)
    ties = int((top[:, -1] == top[:, -2]).sum())
    print(f"snnTorch test accuracy {acc:.4f} on {len(counts)} images ({ties} with a tied top count)")

    # Export with snnTorch's own NIR exporter (dims 0 = batch ignored).
    graph = export_to_nir(net.cpu(), torch.zeros(1, 784), ignore_dims=[0])
    nir.write(HERE / "model.nir", graph)
    np.save(HERE / "snntorch_spike_counts.npy", counts)
    (HERE / "data").mkdir(exist_ok=True)
    for name in ("test-images-idx3-ubyte.gz", "test-labels-idx1-ubyte.gz"):
        shutil.copyfile(data_dir / name, HERE / "data" / name)

    reference = {
        "network": "mnist-mlp: Input(784) -> Affine(128x784) -> LIF(128) -> Affine(10x128) -> LIF(10) -> Output",
        "framework": f"snntorch {snn.__version__}",
        "torch": torch.__version__,
        "nir": nir.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "exporter": "snntorch.export_nir.export_to_nir(net, torch.zeros(1, 784), ignore_dims=[0])",
        "dt": DT,
        "beta": BETA,
        "threshold": THRESHOLD,
        "threshold_comparison": "strictly greater (v > threshold)",
        "reset": "zero",
        "update": "v[t] = beta * v[t-1] * (1 - s[t-1]) + I[t]; s[t] = v[t] > threshold; v[0-] = 0",
        "layer_order": "all layers evaluated in order within one step (no inter-layer delay)",
        "encoding": "direct: pixel/255 (float32) presented unchanged at every step",
        "timesteps": T,
        "readout": "output spike counts over the run",
        "argmax_tie_break": "lowest class index (numpy argmax)",
        "test_data": "data/test-images-idx3-ubyte.gz, data/test-labels-idx1-ubyte.gz (file order)",
        "test_samples": int(len(counts)),
        "test_accuracy": round(acc, 4),
        "test_tied_top_counts": ties,
        "eval_batch": EVAL_BATCH,
        "training": {
            "data": "mnist/train-*-ubyte.gz (8,000 images)",
            "epochs": EPOCHS,
            "batch": BATCH,
            "optimizer": f"Adam lr={LR}, cosine annealing over {EPOCHS} epochs",
            "loss": "snntorch.functional.mse_count_loss(correct_rate=0.8, incorrect_rate=0.05)",
            "surrogate": "snnTorch default (atan)",
            "seed": SEED,
            "threads": 1,
            "final_train_accuracy": round(correct / total, 4),
            "seconds": round(train_seconds, 1),
        },
    }
    (HERE / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {HERE / 'model.nir'} ({(HERE / 'model.nir').stat().st_size} bytes), reference.json, snntorch_spike_counts.npy")


if __name__ == "__main__":
    main()
