#!/usr/bin/env python3
"""Build the CIFAR-shaped VGG-style benchmark network (random, calibrated weights) in snnTorch.

The network (3x3 convolutions with padding 1, average pooling only, a LIF after every
synaptic layer):

  Input(3x32x32) -> Conv2d(3, 64) -> Leaky -> Conv2d(64, 64) -> Leaky -> AvgPool2d(2)
  -> Conv2d(64, 128) -> Leaky -> Conv2d(128, 128) -> Leaky -> AvgPool2d(2)
  -> Conv2d(128, 256) -> Leaky -> AvgPool2d(2) -> Flatten(256x4x4 = 4096)
  -> Linear(4096, 512) -> Leaky -> Linear(512, 10) -> Leaky

2,656,960 weights + 1,162 biases, 213,514 neurons, T = 25. Semantics as the bundled networks
(netlists/README.md): ``snn.Leaky`` beta 0.9, threshold 1, reset to zero, direct input
``pixel / 255`` at every step, all layers in order within a step, readout = output spike counts.

There is no CIFAR data on this machine, so the inputs are synthetic natural-looking images
(seeded): a 1/f-spectrum luminance field plus two smoother chroma fields mixed into RGB by a
random colour matrix, with a few soft-edged coloured ellipses on top.

Weights are random (seeded, Gaussian with std 1/sqrt(fan_in), biases uniform in
+-0.1/sqrt(fan_in)) and scaled layer by layer: each synaptic layer (weights and bias together)
gets a gain found by bisection on log(gain) so that the LIF after it spikes at ``--rate``
(default 0.2) of its (neuron, step) pairs over all the images, given the already calibrated
layers before it. A layer's input spike trains are computed once and its synaptic currents
once per layer (they are linear in the gain); each bisection step then only re-runs that
layer's snn.Leaky over the T steps. The final measurement runs the whole nn.Sequential every
step (as snnTorch users do) and records each Leaky's spike rate with forward hooks.

Writes to ``--out`` (default target/vgg-cifar, relative to the repository root):
  model.nir                  snntorch.export_nir.export_to_nir, AvgPool2d kernel/stride/padding as
                             2-element arrays (as the bundled networks), written with nir.write
  images.npy                 uint8 [200, 3, 32, 32] synthetic images
  labels.npy                 int64 [200], random 0..9 (the network is untrained: accuracy is chance)
  snntorch_spike_counts.npy  int32 [200, 10] output spike counts of the full snnTorch run
  rates.json                 per-layer measured spike rates, gains, sizes, versions

Takes about 7 minutes of CPU time on one thread, most of it the bisection steps of the two
64x32x32 layers (18 minutes wall time on the shared 2-core machine with other builds running).
Check with memsnn (ideal mode):
  target/release/memsnn emulate --network DIR/model.nir --data DIR/images.npy \
      --labels DIR/labels.npy --ideal --timesteps 25 --spike-counts counts.npy

Usage: python3 scripts/build_vgg_cifar.py [--out DIR] [--seed 0] [--rate 0.2] [--samples 200]
"""

import argparse
import json
import math
import platform
import time
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import torch
from snntorch import utils as snn_utils
from snntorch.export_nir import export_to_nir

REPO = Path(__file__).resolve().parents[1]

T = 25
BETA = 0.9
THRESHOLD = 1.0
DT = 1e-4  # the time step snntorch.export_to_nir assumes (tau = dt / (1 - beta))
EVAL_BATCH = 50


def leaky(shape, output=False):
    # Per-neuron beta/threshold tensors: export_to_nir then writes LIF parameters with the
    # population's shape.
    return snn.Leaky(
        beta=torch.full(shape, BETA),
        threshold=torch.full(shape, THRESHOLD),
        reset_mechanism="zero",
        init_hidden=True,
        output=output,
    )


def build():
    c = torch.nn.Conv2d
    return torch.nn.Sequential(
        c(3, 64, 3, padding=1), leaky((64, 32, 32)),
        c(64, 64, 3, padding=1), leaky((64, 32, 32)),
        torch.nn.AvgPool2d(2),
        c(64, 128, 3, padding=1), leaky((128, 16, 16)),
        c(128, 128, 3, padding=1), leaky((128, 16, 16)),
        torch.nn.AvgPool2d(2),
        c(128, 256, 3, padding=1), leaky((256, 8, 8)),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4096, 512), leaky((512,)),
        torch.nn.Linear(512, 10), leaky((10,), output=True),
    )  # fmt: skip


def smooth_field(rng, n, size, alpha):
    """n random fields [n, size, size] with a 1/f^alpha amplitude spectrum, unit std."""
    f = np.fft.fftfreq(size)
    radius = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    radius[0, 0] = 1.0 / size
    amplitude = radius**-alpha
    amplitude[0, 0] = 0.0
    spectrum = (rng.standard_normal((n, size, size)) + 1j * rng.standard_normal((n, size, size))) * amplitude
    field = np.fft.ifft2(spectrum).real
    field -= field.mean(axis=(1, 2), keepdims=True)
    return field / field.std(axis=(1, 2), keepdims=True)


def synthetic_images(n, seed):
    """uint8 [n, 3, 32, 32]: textured, coloured, with a few blobs; seeded."""
    rng = np.random.default_rng(seed)
    size = 32
    lum = smooth_field(rng, n, size, alpha=rng.uniform(1.6, 2.4))
    chroma = smooth_field(rng, 2 * n, size, alpha=2.6).reshape(n, 2, size, size)
    fields = np.concatenate([lum[:, None], 0.5 * chroma], axis=1)  # [n, 3, H, W]
    # Random colour mixing per image: luminance mostly grey, chroma along two random axes.
    mix = np.empty((n, 3, 3))
    mix[:, :, 0] = 1.0 + 0.2 * rng.standard_normal((n, 3))
    mix[:, :, 1:] = rng.standard_normal((n, 3, 2)) * 0.6
    rgb = np.einsum("nck,nkhw->nchw", mix, fields)
    contrast = rng.uniform(0.12, 0.25, (n, 1, 1, 1))
    base = rng.uniform(0.25, 0.65, (n, 3, 1, 1))
    img = base + contrast * rgb
    # A few soft ellipses ("objects") of random colour.
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for i in range(n):
        for _ in range(rng.integers(1, 5)):
            cy, cx = rng.uniform(4, 28, 2)
            ry, rx = rng.uniform(2.5, 10, 2)
            theta = rng.uniform(0, math.pi)
            dy, dx = yy - cy, xx - cx
            u = (dx * math.cos(theta) + dy * math.sin(theta)) / rx
            v = (-dx * math.sin(theta) + dy * math.cos(theta)) / ry
            mask = 1.0 / (1.0 + np.exp((np.sqrt(u**2 + v**2) - 1.0) * rng.uniform(4, 12)))
            colour = rng.uniform(0, 1, (3, 1, 1))
            shade = 1.0 + 0.15 * lum[i] * rng.uniform(0, 1)
            img[i] = img[i] * (1 - mask) + colour * shade * mask
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)


def random_init(net, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net:
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) / math.sqrt(fan_in))
                m.bias.copy_((torch.rand(m.bias.shape, generator=gen) * 2 - 1) * 0.1 / math.sqrt(fan_in))


def lif_spikes(lif, current, gain=1.0):
    """Run an snn.Leaky over currents ``gain * current`` [T, B, ...]; boolean spikes [T, B, ...]."""
    lif.reset_mem()  # (snntorch.utils.reset only resets Leaky modules it finds as children)
    out = torch.empty(current.shape, dtype=torch.bool)
    for t in range(current.shape[0]):
        s = lif(current[t] * gain if gain != 1.0 else current[t])
        if isinstance(s, tuple):
            s = s[0]
        out[t] = s > 0
    return out


def currents(m, spikes, mods, i, x):
    """Synaptic currents [T, B, ...] of module i (at its present weights) for the given input."""
    if spikes is None:
        c = m(x)
        return c.unsqueeze(0).expand((T,) + tuple(c.shape))
    return torch.stack([m(_stage_input(spikes, t, mods, i, x)) for t in range(T)])


def calibrate(net, x, rate, log):
    """Scale each synaptic layer in turn so the LIF after it spikes at `rate` on `x`."""
    mods = list(net)
    gains = []
    spikes = None  # spike trains of the last calibrated LIF; None = the constant images
    with torch.no_grad():
        for i, m in enumerate(mods):
            if not isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                continue
            lif = mods[i + 1]
            assert isinstance(lif, snn.Leaky)
            cur = currents(m, spikes, mods, i, x)
            lo, hi = math.log(1e-2), math.log(1e2)
            while hi - lo > 1e-3:
                mid = 0.5 * (lo + hi)
                if lif_spikes(lif, cur, math.exp(mid)).float().mean().item() < rate:
                    lo = mid
                else:
                    hi = mid
            g = math.exp(0.5 * (lo + hi))
            del cur
            m.weight.mul_(g)
            m.bias.mul_(g)
            # The next layer's input: this layer's spikes at its scaled weights.
            spikes = lif_spikes(lif, currents(m, spikes, mods, i, x))
            gains.append(g)
            log(f"  layer {i} {type(m).__name__}: gain {g:.4g}, rate {spikes.float().mean().item():.4f}")
    return gains


def _stage_input(spikes, t, mods, i, x):
    """Input of synaptic module i at step t, from the previous LIF's spikes (pooling applied)."""
    if spikes is None:
        return x
    h = spikes[t].float()
    j = i - 1
    between = []
    while not isinstance(mods[j], snn.Leaky):
        between.append(mods[j])
        j -= 1
    for p in reversed(between):
        h = p(h)
    return h


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="target/vgg-cifar", help="output folder (relative to the repository root)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rate", type=float, default=0.2, help="target spike rate per (neuron, step) of every LIF layer")
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args()
    out = REPO / args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    t0 = time.time()

    def log(msg):
        print(f"{msg}  [{time.time() - t0:.0f} s]", flush=True)

    images = synthetic_images(args.samples, args.seed)
    labels = np.random.default_rng(args.seed + 1).integers(0, 10, args.samples).astype(np.int64)
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0))
    log(f"images {images.shape}, mean {images.mean():.1f}, std {images.std():.1f}")

    net = build()
    random_init(net, args.seed)
    weights = sum(m.weight.numel() for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    biases = sum(m.bias.numel() for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    neurons = sum(m.beta.numel() for m in net if isinstance(m, snn.Leaky))
    log(f"network: {weights} weights, {biases} biases, {neurons} neurons; calibrating to rate {args.rate}")
    gains = calibrate(net, x, args.rate, log)

    # The reference run: the whole nn.Sequential every step; hooks count each Leaky's spikes.
    lifs = [(i, m) for i, m in enumerate(net) if isinstance(m, snn.Leaky)]
    totals = {i: 0.0 for i, _ in lifs}

    def hook(idx):
        def f(_mod, _inp, output):
            s = output[0] if isinstance(output, tuple) else output
            totals[idx] += float(s.sum())

        return f

    handles = [m.register_forward_hook(hook(i)) for i, m in lifs]
    counts = []
    with torch.no_grad():
        for b in range(0, len(x), EVAL_BATCH):
            snn_utils.reset(net)
            acc = 0
            for _ in range(T):
                spk, _mem = net(x[b : b + EVAL_BATCH])
                acc = acc + spk
            counts.append(acc)
    for h in handles:
        h.remove()
    counts = torch.cat(counts).numpy()
    assert np.all(counts == np.round(counts)) and counts.max() <= T
    counts = counts.astype(np.int32)
    layers = []
    for k, (i, m) in enumerate(lifs):
        n = m.beta.numel()
        layers.append(
            {
                "module": i,
                "synaptic_layer": type(net[i - 1]).__name__,
                "shape": list(m.beta.shape),
                "neurons": int(n),
                "gain": gains[k],
                "spikes": int(totals[i]),
                "rate": totals[i] / (n * T * len(x)),
            }
        )
        log(f"  LIF {i} {list(m.beta.shape)}: rate {layers[-1]['rate']:.4f}")
    pred = counts.argmax(1)
    log(f"output counts: mean {counts.mean():.2f}, predictions per class {np.bincount(pred, minlength=10).tolist()}")

    graph = export_to_nir(net.cpu(), torch.zeros(1, 3, 32, 32), ignore_dims=[0])
    for node in graph.nodes.values():
        if isinstance(node, nir.AvgPool2d):
            node.kernel_size = np.array(np.broadcast_to(node.kernel_size, (2,)), dtype=np.int64)
            node.stride = np.array(np.broadcast_to(node.stride, (2,)), dtype=np.int64)
            node.padding = np.array(np.broadcast_to(node.padding, (2,)), dtype=np.int64)
    nir.write(out / "model.nir", graph)
    np.save(out / "images.npy", images)
    np.save(out / "labels.npy", labels)
    np.save(out / "snntorch_spike_counts.npy", counts)
    info = {
        "network": "vgg-cifar: Input(3x32x32) -> Conv2d(64,3,3x3,p1) -> LIF -> Conv2d(64,64) -> LIF -> AvgPool2d(2) -> Conv2d(128,64) -> LIF"
        " -> Conv2d(128,128) -> LIF -> AvgPool2d(2) -> Conv2d(256,128) -> LIF -> AvgPool2d(2) -> Flatten(4096) -> Affine(512x4096) -> LIF"
        " -> Affine(10x512) -> LIF -> Output",
        "weights": int(weights),
        "biases": int(biases),
        "neurons": int(neurons),
        "timesteps": T,
        "dt": DT,
        "beta": BETA,
        "threshold": THRESHOLD,
        "reset": "zero",
        "encoding": "direct: pixel/255 (float32) presented unchanged at every step",
        "seed": args.seed,
        "target_rate": args.rate,
        "samples": int(len(x)),
        "images": "synthetic (1/f luminance + chroma fields, random colour mixing, soft ellipses), uint8 [N, 3, 32, 32]",
        "labels": "random 0..9 (untrained network)",
        "rate_definition": "spikes / (neurons x steps x images), whole nn.Sequential run every step",
        "layers": layers,
        "accuracy_on_random_labels": float((pred == labels).mean()),
        "framework": f"snntorch {snn.__version__}",
        "torch": torch.__version__,
        "nir": nir.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "seconds": round(time.time() - t0, 1),
    }
    (out / "rates.json").write_text(json.dumps(info, indent=1) + "\n")
    log(f"wrote {out}/model.nir ({(out / 'model.nir').stat().st_size} bytes), images.npy, labels.npy, snntorch_spike_counts.npy, rates.json")


if __name__ == "__main__":
    main()
