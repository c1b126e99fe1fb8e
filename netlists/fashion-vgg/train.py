#!/usr/bin/env python3
"""Train, export and record references for the bundled `fashion-vgg` network.

A VGG-style deep spiking CNN in snnTorch, trained on Fashion-MNIST (3x3 convolutions with
padding 1, average pooling only, a LIF population after every synaptic layer):

  Conv2d(1, 32, 3, p1) -> Leaky -> Conv2d(32, 32, 3, p1) -> Leaky -> AvgPool2d(2)
  -> Conv2d(32, 64, 3, p1) -> Leaky -> Conv2d(64, 64, 3, p1) -> Leaky -> AvgPool2d(2)
  -> Conv2d(64, 128, 3, p1) -> Leaky -> AvgPool2d(2) -> Flatten
  -> Linear(1152, 768) -> Leaky -> Linear(768, 10) -> Leaky
  (28x28 -> 32x28x28 -> 32x14x14 -> 64x14x14 -> 64x7x7 -> 128x7x7 -> 128x3x3 -> 768 -> 10)

5 convolutions + 2 fully connected layers, 1,030,944 weights + 1,098 biases, 82,314 neurons.
The semantics are those of the other bundled networks (see ../README.md):

* input: the image as ``pixel / 255`` (float32), presented unchanged at each of ``T`` steps
  (direct / analog input, no spike encoding);
* every step the layers are evaluated in order (no inter-layer delay);
* ``snn.Leaky`` neurons, ``beta = 0.9``, ``threshold = 1``, reset to zero:
  ``v[t] = beta * v[t-1] * (1 - s[t-1]) + I[t]``, ``s[t] = v[t] > 1``; state starts at zero;
* pooling is average pooling of the binary spikes (values 0, 0.25, ..., 1), no max pooling;
  the last pooling (7x7 -> 3x3) drops the last row and column, as PyTorch does;
* prediction: the output neuron with the most spikes over the run (ties: lowest index).

Training: a network this deep does not learn from snnTorch's default initialisation without
normalisation (the deeper layers are silent), so it is trained with a BatchNorm after every
synaptic layer except the last (batch statistics per step in training). After training, each
BatchNorm (its running statistics, eval mode) is folded into the weights and biases of the
layer before it: ``w' = w * g / sqrt(var + eps)``, ``b' = (b - mean) * g / sqrt(var + eps) + beta``.
The exported network is the plain Conv/Linear + Leaky ``nn.Sequential`` of ``build()`` holding
the folded parameters; the reference counts are that network's, run by snnTorch every step.

Outputs (written next to this script):
  model.nir                      the trained network, exported by snntorch.export_to_nir (nir 1.0.8),
                                 pooling kernel/stride/padding normalised to 2-element arrays
  data/test-*-idx*-ubyte.gz      the first 2,000 images of Fashion-MNIST t10k (gzip IDX, proper
                                 headers; the same bytes as ../fashion-cnn/data/)
  reference.json                 versions, semantics, training recipe, snnTorch's test accuracy
  snntorch_spike_counts.npy      int32 [2000, 10]: output spike counts per test image (file order)

Re-run from the repository root (about 20 minutes on one CPU thread of the shared, busy 2-core
machine: 16 minutes for the one training epoch over 25,000 images, then two evaluations):
  python3 netlists/fashion-vgg/train.py [--data-dir ../shared/data]
``--data-dir`` is the folder holding ``fashion-mnist/{train,t10k}-*-ubyte.gz``; the default
``../shared/data`` is resolved against the repository root. Then check the export with
  python3 netlists/verify_nir.py netlists/fashion-vgg
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

T = 10  # timesteps
BETA = 0.9
THRESHOLD = 1.0
DT = 1e-4  # the time step snntorch.export_to_nir assumes (tau = dt / (1 - beta))
SEED = 0
TRAIN_SAMPLES = 25000
EPOCHS = 1
BATCH = 64
LR = 3e-3
TEST_SAMPLES = 2000
EVAL_BATCH = 250

# (in, out, spatial size of the output) of the convolutions; pooling after those marked True.
CONVS = [(1, 32, 28, False), (32, 32, 28, True), (32, 64, 14, False), (64, 64, 14, True), (64, 128, 7, True)]
FC = [(128 * 3 * 3, 768), (768, 10)]


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


def build(batchnorm=False):
    """The network; with ``batchnorm`` a BatchNorm follows every synaptic layer but the last
    (training only; folded away before export)."""
    layers = []
    for c_in, c_out, size, pool in CONVS:
        layers.append(torch.nn.Conv2d(c_in, c_out, 3, padding=1))
        if batchnorm:
            layers.append(torch.nn.BatchNorm2d(c_out))
        layers.append(leaky((c_out, size, size)))
        if pool:
            layers.append(torch.nn.AvgPool2d(2))
    layers.append(torch.nn.Flatten())
    for k, (n_in, n_out) in enumerate(FC):
        last = k == len(FC) - 1
        layers.append(torch.nn.Linear(n_in, n_out))
        if batchnorm and not last:
            layers.append(torch.nn.BatchNorm1d(n_out))
        layers.append(leaky((n_out,), output=last))
    return torch.nn.Sequential(*layers)


def fold(trained):
    """The plain network of build() with every BatchNorm of ``trained`` folded into the
    synaptic layer before it (eval-mode statistics)."""
    net = build()
    plain = iter([m for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))])
    mods = list(trained)
    with torch.no_grad():
        for i, m in enumerate(mods):
            if not isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                continue
            target = next(plain)
            w, b = m.weight.double(), m.bias.double()
            nxt = mods[i + 1]
            if isinstance(nxt, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                g = nxt.weight.double() / torch.sqrt(nxt.running_var.double() + nxt.eps)
                w = w * g.reshape((-1,) + (1,) * (w.dim() - 1))
                b = (b - nxt.running_mean.double()) * g + nxt.bias.double()
            target.weight.copy_(w.float())
            target.bias.copy_(b.float())
    return net


def run(net, x):
    """snnTorch as a user runs it: the whole network once per step. Output spikes [T, batch, 10]."""
    snn_utils.reset(net)
    spikes = []
    for _ in range(T):
        spk, _mem = net(x)
        spikes.append(spk)
    return torch.stack(spikes)


def run_train(net, x):
    """Same computation as run(), but the first convolution (and its BatchNorm) of the
    constant input is done once (it is identical at every step) to make training cheaper."""
    snn_utils.reset(net)
    cur1 = net[1](net[0](x))
    spikes = []
    for _ in range(T):
        h = cur1
        for layer in net[2:]:
            h = layer(h)
        spikes.append(h[0])
    return torch.stack(spikes)


def evaluate(net, x):
    counts = []
    with torch.no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            counts.append(run(net, x[i : i + EVAL_BATCH]).sum(0))
    return torch.cat(counts).numpy()


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
    x_test = tensor(test_images)
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}")

    net_bn = build(batchnorm=True)
    opt = torch.optim.Adam(net_bn.parameters(), lr=LR)
    steps = EPOCHS * ((len(x_train) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.15)
    # Cross-entropy of the spike counts: count-based, like the readout.
    loss_fn = SF.ce_count_loss()
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(EPOCHS):
        net_bn.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(perm), BATCH):
            idx = perm[i : i + BATCH]
            spk = run_train(net_bn, x_train[idx])
            loss = loss_fn(spk, y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (spk.sum(0).argmax(1) == y_train[idx]).sum().item()
            total += len(idx)
            if (i // BATCH) % 25 == 0:
                print(f"  epoch {epoch + 1} batch {i // BATCH}/{steps}: running train acc {correct / total:.4f}, {time.time() - t0:.0f} s", flush=True)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {loss_sum / total:.4f}, train acc {correct / total:.4f}, {time.time() - t0:.0f} s", flush=True)
    train_seconds = time.time() - t0

    # The trained network with BatchNorm in eval mode, for the record.
    net_bn.eval()
    bn_acc = float((evaluate(net_bn, x_test).argmax(1) == test_labels).mean())
    print(f"with BatchNorm (eval mode): test accuracy {bn_acc:.4f}")

    # Reference run: snnTorch itself on the folded plain network (whole network every step),
    # batch of EVAL_BATCH, file order.
    net = fold(net_bn)
    net.eval()
    counts = evaluate(net, x_test)
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

    weights = sum(m.weight.numel() for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    biases = sum(m.bias.numel() for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    neurons = sum(m.beta.numel() for m in net if isinstance(m, snn.Leaky))
    reference = {
        "network": "fashion-vgg: Input(1x28x28) -> Conv2d(32,1,3x3,p1) -> LIF(32x28x28) -> Conv2d(32,32,3x3,p1) -> LIF(32x28x28) -> AvgPool2d(2)"
        " -> Conv2d(64,32,3x3,p1) -> LIF(64x14x14) -> Conv2d(64,64,3x3,p1) -> LIF(64x14x14) -> AvgPool2d(2)"
        " -> Conv2d(128,64,3x3,p1) -> LIF(128x7x7) -> AvgPool2d(2) -> Flatten -> Affine(768x1152) -> LIF(768) -> Affine(10x768) -> LIF(10) -> Output",
        "weights": int(weights),
        "biases": int(biases),
        "neurons": int(neurons),
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
            "normalisation": "BatchNorm after every synaptic layer but the last during training, folded into the weights and biases before export",
            "test_accuracy_with_batchnorm": round(bn_acc, 4),
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
