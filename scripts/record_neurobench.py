"""Record NeuroBench's workload metrics of the snnTorch fixture MLP, for memsnn's test.

Runs NeuroBench 2.x's harness (`Benchmark` with static metrics and the workload metrics
`SynapticOperations`, `ActivationSparsity`, `ClassificationAccuracy`) on the 784-128-10 LIF MLP
of `tests/data/nir/fixtures/mlp.nir`, rebuilt in snnTorch from the NIR weights, over the 2,000
test images of the project's MNIST split, T = 25 steps of direct input (pixel / 255 at every
step), reset to zero, beta = 0.9, threshold 1 -- the settings of the fixture (see
`../shared/fixtures/README.md`). Writes `tests/data/nir/fixtures/mlp_neurobench.json`.

Run it with `bash scripts/record_neurobench.sh` (makes a virtualenv and installs NeuroBench,
snnTorch, torch and nir from PyPI), or inside such an environment:
`python scripts/record_neurobench.py`.
"""

import json
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import mnist_common as mc  # noqa: E402

import neurobench  # noqa: E402
import nir  # noqa: E402
import snntorch as snn  # noqa: E402
from neurobench.benchmarks import Benchmark  # noqa: E402
from neurobench.metrics.static import (  # noqa: E402
    ConnectionSparsity,
    Footprint,
    ParameterCount,
)
from neurobench.metrics.workload import (  # noqa: E402
    ActivationSparsity,
    ClassificationAccuracy,
    SynapticOperations,
)
from neurobench.models import SNNTorchModel  # noqa: E402
from neurobench.processors.postprocessors import ChooseMaxCount  # noqa: E402

T, BETA, BATCH = 25, 0.9, 250
NIR_FILE = ROOT / "tests" / "data" / "nir" / "fixtures" / "mlp.nir"
OUT = NIR_FILE.with_name("mlp_neurobench.json")


def build_net(graph):
    """The fixture MLP as an snnTorch network (hidden states inside the layers, as NeuroBench's
    SNNTorchModel wrapper expects: the last layer returns (spikes, membrane))."""
    w1, w2 = graph.nodes["0"], graph.nodes["2"]
    for lif in (graph.nodes["1"], graph.nodes["3"]):
        assert np.allclose(lif.v_threshold, 1.0)
    fc1 = torch.nn.Linear(784, 128)
    fc2 = torch.nn.Linear(128, 10)
    with torch.no_grad():
        fc1.weight.copy_(torch.from_numpy(np.asarray(w1.weight, dtype=np.float32)))
        fc1.bias.copy_(torch.from_numpy(np.asarray(w1.bias, dtype=np.float32)))
        fc2.weight.copy_(torch.from_numpy(np.asarray(w2.weight, dtype=np.float32)))
        fc2.bias.copy_(torch.from_numpy(np.asarray(w2.bias, dtype=np.float32)))
    lif = dict(beta=BETA, threshold=1.0, reset_mechanism="zero", init_hidden=True)
    return torch.nn.Sequential(
        fc1, snn.Leaky(**lif), fc2, snn.Leaky(**lif, output=True)
    )


def main():
    graph = nir.read(str(NIR_FILE))
    net = build_net(graph)
    x, y = mc.load("test")
    assert len(x) == 2000, len(x)
    xs = torch.from_numpy(x).unsqueeze(1).repeat(1, T, 1)  # [N, T, 784], direct input
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(xs, torch.from_numpy(y)),
        batch_size=BATCH,
        shuffle=False,
    )
    model = SNNTorchModel(net)

    # Sanity check: the rebuilt network reproduces snnTorch's recorded spike counts.
    with torch.no_grad():
        counts = torch.cat([model(b).sum(1) for b, _ in loader]).numpy().astype(np.int32)
    ref_file = ROOT.parent / "shared" / "fixtures" / "snntorch-mnist-mlp" / "snntorch_spike_counts.npy"
    same = None
    if ref_file.exists():
        ref = np.load(ref_file)
        same = int((counts == ref).all(axis=1).sum())
        print(f"identical count vectors vs snntorch_spike_counts.npy: {same}/2000")

    bench = Benchmark(
        model,
        loader,
        [],
        [ChooseMaxCount()],
        [
            [Footprint, ConnectionSparsity, ParameterCount],
            [ClassificationAccuracy, ActivationSparsity, SynapticOperations],
        ],
    )
    with torch.no_grad():
        res = bench.run(quiet=True)
    print(res)
    syn = res["SynapticOperations"]
    out = {
        "neurobench": neurobench.__version__ if hasattr(neurobench, "__version__") else "2.x",
        "snntorch": snn.__version__,
        "torch": torch.__version__,
        "nir": getattr(nir, "__version__", "unknown"),
        "network": "tests/data/nir/fixtures/mlp.nir",
        "data": "../shared/data/mnist/test-*: 2000 images, pixel/255",
        "timesteps": T,
        "encoding": "direct: the image at every step",
        "reset": "zero",
        "batch_size": BATCH,
        "samples": len(x),
        "identical_count_vectors": same,
        "Effective_MACs": float(syn["Effective_MACs"]),
        "Effective_ACs": float(syn["Effective_ACs"]),
        "Dense": float(syn["Dense"]),
        "ActivationSparsity": float(res["ActivationSparsity"]),
        "ClassificationAccuracy": float(res["ClassificationAccuracy"]),
        "Footprint": int(res["Footprint"]),
        "ConnectionSparsity": float(res["ConnectionSparsity"]),
        "ParameterCount": int(res["ParameterCount"]),
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
