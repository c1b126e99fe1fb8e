"""Shared fixtures: the bundled snnTorch MLP and its MNIST test images, and the memsnn CLI."""

import gzip
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MLP = ROOT / "netlists" / "mnist-mlp"
NIR_FILE = MLP / "model.nir"
IMAGES_IDX = MLP / "data" / "test-images-idx3-ubyte.gz"
LABELS_IDX = MLP / "data" / "test-labels-idx1-ubyte.gz"


def read_idx(path):
    """An IDX file (gzip) as a NumPy array: magic 0x0000 08 <dims>, big-endian sizes."""
    raw = gzip.decompress(path.read_bytes())
    assert raw[:3] == b"\x00\x00\x08", path
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


@pytest.fixture(scope="session")
def mnist():
    """The bundled 2,000 MNIST test images (uint8 [2000, 28, 28]) and labels (uint8 [2000])."""
    return read_idx(IMAGES_IDX), read_idx(LABELS_IDX)


@pytest.fixture(scope="session")
def cli():
    """A function running the memsnn CLI (built by cargo if needed): (returncode, stdout,
    stderr)."""
    exe = os.environ.get("MEMSNN_BIN")
    if not exe:
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "--bin", "memsnn"],
            cwd=ROOT,
            check=True,
        )
        exe = str(ROOT / "target" / "release" / "memsnn")

    def run(*args):
        p = subprocess.run(
            [exe, *map(str, args)], cwd=ROOT, capture_output=True, text=True
        )
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture
def cli_error(cli):
    """The message the CLI prints after `error: ` for a failing command."""

    def run(*args):
        code, _, err = cli(*args)
        assert code == 1, err
        line = err.strip().splitlines()[-1]
        assert line.startswith("error: "), err
        return line[len("error: ") :]

    return run


SNNTORCH = dict(timesteps=25, dt=1e-4, reset="zero", encoding="direct", semantics="snntorch")
"""The bundled MLP's semantics (netlists/mnist-mlp/netlist.ron)."""
