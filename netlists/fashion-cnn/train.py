#!/usr/bin/env python3
"""Train, export and record references for the bundled `fashion-cnn` network.

A small convolutional SNN in snnTorch, trained on Fashion-MNIST:

  Conv2d(1, 8, 5) -> Leaky -> AvgPool2d(2) -> Conv2d(8, 16, 5) -> Leaky -> AvgPool2d(2)
  -> Flatten -> Linear(256, 10) -> Leaky            (28x28 -> 8x24x24 -> 8x12x12 -> 16x8x8 -> 16x4x4 -> 10)

with the same semantics as the bundled `mnist-mlp` (see ../README.md):

* input: the image as ``pixel / 255`` (float32), presented unchanged at each of ``T`` steps
  (direct / analog input, no spike encoding);
* every step the layers are evaluated in order (no inter-layer delay);
* ``snn.Leaky`` neurons, ``beta = 0.9``, ``threshold = 1``, reset to zero:
  ``v[t] = beta * v[t-1] * (1 - s[t-1]) + I[t]``, ``s[t] = v[t] > 1``; state starts at zero;
* pooling is average pooling of the binary spikes (values 0, 0.25, ..., 1), no max pooling;
* prediction: the output neuron with the most spikes over the run (ties: lowest index).

Outputs (written next to this script):
  model.nir                      the trained network, exported by snntorch.export_to_nir (nir 1.0.8),
                                 pooling kernel/stride normalised to 2-element arrays
  data/test-*-idx*-ubyte.gz      the first 2,000 images of Fashion-MNIST t10k (gzip IDX, proper headers)
  reference.json                 versions, semantics, training recipe, snnTorch's test accuracy
  snntorch_spike_counts.npy      int32 [2000, 10]: output spike counts per test image (file order)

Re-run from the repository root (about 10 minutes on one idle CPU thread; 23 minutes on a
busy machine):
  python3 netlists/fashion-cnn/train.py [--data-dir ../shared/data]
``--data-dir`` is the folder holding ``fashion-mnist/{train,t10k}-*-ubyte.gz``; the default
``../shared/data`` is resolved against the repository root. Then check the export with
  python3 netlists/verify_nir.py netlists/fashion-cnn
"""

import argparse
import gzip
import json
import platform
import struct
import sys
import time
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import snntorch.functional as SF
import torch
from snntorch import utils as snn_utils
from snntorch.export_nir import export_to_nir

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

T = 20  # timesteps
BETA = 0.9
THRESHOLD = 1.0
DT = 1e-4  # the time step snntorch.export_to_nir assumes (tau = dt / (1 - beta))
SEED = 0
TRAIN_SAMPLES = 60000
EPOCHS = 4
BATCH = 128
LR = 5e-3
TEST_SAMPLES = 2000
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


def write_idx(path, array, magic):
    """Write a gzip IDX file (big-endian magic, then the dimensions, then the u8 values)."""
    assert array.dtype == np.uint8 and array.ndim == (magic & 0xFF)
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(header + array.tobytes())


def leaky(shape, output=False):
    # Per-neuron beta/threshold tensors: export_to_nir then writes LIF parameters with the
    # population's shape (scalars would give LIF nodes without a shape).
    return snn.Leaky(
        beta=torch.full(shape, BETA),
        threshold=torch.full(shape, THRESHOLD),
        reset_mechanism="zero",
        init_hidden=True,
        output=output,
    )


def build():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5),
        leaky((8, 24, 24)),
        torch.nn.AvgPool2d(2),
        torch.nn.Conv2d(8, 16, 5),
        leaky((16, 8, 8)),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(256, 10),
        leaky((10,), output=True),
    )


def run(net, x):
    """snnTorch as a user runs it: the whole network once per step. Output spikes [T, batch, 10]."""
    snn_utils.reset(net)
    spikes = []
    for _ in range(T):
        spk, _mem = net(x)
        spikes.append(spk)
    return torch.stack(spikes)


def run_train(net, x):
    """Same computation as run(), but the first convolution of the constant input is done once
    (it is identical at every step) to make training cheaper."""
    snn_utils.reset(net)
    cur1 = net[0](x)
    spikes = []
    for _ in range(T):
        h = cur1
        for layer in net[1:]:
            h = layer(h)
        spikes.append(h[0])
    return torch.stack(spikes)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="../shared/data", help="folder with fashion-mnist/ (relative to the repository root)")
    args = ap.parse_args()
    data_dir = (REPO / args.data_dir).resolve() / "fashion-mnist"

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    train_images = read_idx(data_dir / "train-images-idx3-ubyte.gz", 0x00000803)[:TRAIN_SAMPLES]
    train_labels = read_idx(data_dir / "train-labels-idx1-ubyte.gz", 0x00000801)[:TRAIN_SAMPLES]
    test_images = read_idx(data_dir / "t10k-images-idx3-ubyte.gz", 0x00000803)[:TEST_SAMPLES]
    test_labels = read_idx(data_dir / "t10k-labels-idx1-ubyte.gz", 0x00000801)[:TEST_SAMPLES]
    assert len(train_images) == len(train_labels) and len(test_images) == len(test_labels) == TEST_SAMPLES

    def tensor(images):
        return torch.from_numpy(images.astype(np.float32)[:, None] / np.float32(255.0))

    x_train, y_train = tensor(train_images), torch.from_numpy(train_labels.astype(np.int64))
    x_test, y_test = tensor(test_images), torch.from_numpy(test_labels.astype(np.int64))
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}")

    net = build()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    steps = EPOCHS * ((len(x_train) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.15)
    # Cross-entropy of the spike counts: count-based, like the readout.
    loss_fn = SF.ce_count_loss()
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(EPOCHS):
        net.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(perm), BATCH):
            idx = perm[i : i + BATCH]
            spk = run_train(net, x_train[idx])
            loss = loss_fn(spk, y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (spk.sum(0).argmax(1) == y_train[idx]).sum().item()
            total += len(idx)
            if (i // BATCH) % 50 == 0:
                print(f"  epoch {epoch + 1} batch {i // BATCH}: running train acc {correct / total:.4f}, {time.time() - t0:.0f} s", flush=True)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss_sum / total:.4f}, train acc {correct / total:.4f}, {time.time() - t0:.0f} s", flush=True)
    train_seconds = time.time() - t0

    # Reference run: snnTorch itself (whole network every step), batch of EVAL_BATCH, file order.
    net.eval()
    counts = []
    with torch.no_grad():
        for i in range(0, len(x_test), EVAL_BATCH):
            counts.append(run(net, x_test[i : i + EVAL_BATCH]).sum(0))
    counts = torch.cat(counts).numpy()
    assert np.all(counts == np.round(counts)) and counts.max() <= T
    counts = counts.astype(np.int32)
    pred = counts.argmax(1)  # numpy argmax: ties go to the lowest index
    acc = float((pred == test_labels).mean())
    top = np.sort(counts, axis=1)
    ties = int((top[:, -1] == top[:, -2]).sum())
    print(f"snnTorch test accuracy {acc:.4f} on {len(counts)} images ({ties} with a tied top count)")

    # Export with snnTorch's own NIR exporter (dim 0 = batch ignored). It writes the pooling
    # kernel and stride as the module holds them (the int 2); NIR and other exporters (Sinabs)
    # write 2-element arrays, so normalise them.
    graph = export_to_nir(net.cpu(), torch.zeros(1, 1, 28, 28), ignore_dims=[0])
    for node in graph.nodes.values():
        if isinstance(node, nir.AvgPool2d):
            node.kernel_size = np.array(np.broadcast_to(node.kernel_size, (2,)), dtype=np.int64)
            node.stride = np.array(np.broadcast_to(node.stride, (2,)), dtype=np.int64)
            node.padding = np.array(np.broadcast_to(node.padding, (2,)), dtype=np.int64)
    nir.write(HERE / "model.nir", graph)
    np.save(HERE / "snntorch_spike_counts.npy", counts)
    (HERE / "data").mkdir(exist_ok=True)
    write_idx(HERE / "data/test-images-idx3-ubyte.gz", test_images, 0x00000803)
    write_idx(HERE / "data/test-labels-idx1-ubyte.gz", test_labels, 0x00000801)

    reference = {
        "network": "fashion-cnn: Input(1x28x28) -> Conv2d(8,1,5x5) -> LIF(8x24x24) -> AvgPool2d(2) -> Conv2d(16,8,5x5) -> LIF(16x8x8) -> AvgPool2d(2) -> Flatten -> Affine(10x256) -> LIF(10) -> Output",
        "framework": f"snntorch {snn.__version__}",
        "torch": torch.__version__,
        "nir": nir.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "exporter": "snntorch.export_nir.export_to_nir(net, torch.zeros(1, 1, 28, 28), ignore_dims=[0]); AvgPool2d kernel_size/stride/padding normalised to int64[2]",
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
        "test_data": "data/test-images-idx3-ubyte.gz, data/test-labels-idx1-ubyte.gz = first 2,000 of Fashion-MNIST t10k (file order)",
        "test_samples": int(len(counts)),
        "test_accuracy": round(acc, 4),
        "test_tied_top_counts": ties,
        "eval_batch": EVAL_BATCH,
        "training": {
            "data": f"fashion-mnist/train-*-ubyte.gz (first {len(x_train)} of 60,000 images)",
            "epochs": EPOCHS,
            "batch": BATCH,
            "optimizer": f"Adam, one-cycle schedule, max lr={LR}",
            "loss": "snntorch.functional.ce_count_loss() (cross-entropy of the output spike counts)",
            "surrogate": "snnTorch default (atan)",
            "seed": SEED,
            "threads": 1,
            "final_epoch_train_accuracy": round(correct / total, 4),
            "seconds": round(train_seconds, 1),
        },
    }
    (HERE / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {HERE / 'model.nir'} ({(HERE / 'model.nir').stat().st_size} bytes), reference.json, snntorch_spike_counts.npy")


if __name__ == "__main__":
    main()
