"""``memsnn.iv``, ``memsnn.device_stats`` and ``memsnn.map``: the device and mapping jobs of
the CLI (``memsnn iv``, ``memsnn device stats``, ``memsnn map``) on in-memory arguments."""

import json
import sys
from typing import NamedTuple

import numpy as np

from . import _native
from ._emulate import _named, _network
from ._native import Error


class IvLoop(NamedTuple):
    """One frequency of :func:`iv`: every sample of every period, and the last period's
    loop measures (as the table of ``memsnn iv``)."""

    freq_hz: float
    """Drive frequency (Hz)."""
    t: np.ndarray
    """Time (s)."""
    v: np.ndarray
    """Voltage (V)."""
    i: np.ndarray
    """Current (A)."""
    x: np.ndarray
    """Device state (1 = ON, lowest resistance)."""
    loop_area: float
    """Sum of the two lobes' |∮ i dv| over the last period (V·A)."""
    r_min: float
    """Smallest small-signal resistance (Ω)."""
    r_max: float
    """Largest small-signal resistance (Ω)."""
    pinch_ratio: float
    """|i(v=0)| / max|i| over the last period (≈ 0 for a loop pinched at the origin)."""


def _card(device):
    if device is None:
        raise Error("device: a card name, path or dict is required")
    return json.dumps(_named(device, "device"))


def iv(device, *, waveform=None, amplitude=None, frequencies=None, cycles=None):
    """Simulate a memristor's I–V loops, one per frequency (``memsnn iv``).

    Args:
        device: a card with a dynamic model: built-in name (``"hp-tio2"``, ``"vteam"``,
            ``"yakopcic"``), card file, or dict of the card's fields.
        waveform: ``"sine"`` or ``"triangle"`` (default: the card's).
        amplitude: peak voltage in volts (default: the card's).
        frequencies: drive frequencies in hertz (default: the card's).
        cycles: periods per frequency (default: the card's).

    Returns:
        A list of :class:`IvLoop`, one per frequency.
    """
    freqs = None if frequencies is None else [float(f) for f in np.atleast_1d(frequencies)]
    loops = _native.iv(_card(device), waveform, amplitude, freqs, cycles)
    return [IvLoop(*l) for l in loops]


def device_stats(device, targets, times, *, n=200_000, seed=0):
    """Monte-Carlo statistics of a device card (``memsnn device stats``): per conductance
    target, the programmed conductance, ν and stuck fraction, and per time the read
    conductance. Returns the dict the CLI prints as JSON."""
    t = [float(v) for v in np.atleast_1d(targets)]
    s = [float(v) for v in np.atleast_1d(times)]
    return json.loads(_native.device_stats(_card(device), t, s, n, seed))


def map(network, chip="loihi", *, timesteps=25):
    """Partition, place and route a network on a chip as a chip run does (``memsnn map``).

    Returns a dict: ``chip`` (name), ``resources`` (cores, mesh, utilisations, tiles per
    layer: the chip report's ``resources``) and ``latency`` (seconds per inference of
    ``timesteps`` steps)."""
    spec = _named(chip, "chip")
    if spec is None:
        raise Error("chip: a chip name, path or dict is required")
    return json.loads(_native.map(_network(network), json.dumps(spec), timesteps))


def sweep(spec, *, out=None, params=None, set=None, trials=None, seed=None, samples=None,
          shard=None, threads=None, progress=False):
    """Run a parameter sweep (``memsnn sweep``) and return its results table.

    Args:
        spec: a sweep spec file (RON, as in ``netlists/sweeps/``) or a dict of its fields
            (``netlist`` relative to the working directory, ``set``, ``grid``, ``points``,
            ``trials``, ``seed``).
        out: output folder (``sweep.json``, ``results.jsonl``, ``results.csv``); running again
            with the same folder resumes it. Default: a temporary folder, removed afterwards.
        params: ``{path: [values]}``, grid axes added after the spec's (``memsnn sweep
            --param``).
        set: ``{path: value}``, fixed overrides added after the spec's (``--set``).
        trials, seed, samples: instead of the spec's trials and seed and the netlist's samples.
        shard: ``"i/n"``: only the points ``k`` with ``k mod n == i``.
        threads: worker threads (default: all cores); results do not depend on it.
        progress: True prints progress on stderr; a callable gets ``(done, total)`` units.

    Returns:
        A dict of equal-length columns, one row per point × trial, ordered by point then trial:
        ``point``, ``trial``, ``seed`` and ``samples`` (integer arrays), ``accuracy`` (float64),
        and one entry per swept path (a float64 array when every value is a number, else a
        list of the values). The values equal ``results.csv`` of ``memsnn sweep`` with the same
        spec and options.
    """
    from ._emulate import _Progress

    if isinstance(spec, dict):
        spec_arg = json.dumps(spec)
    else:
        spec_arg = str(spec)
    options = {
        "out": None if out is None else str(out),
        "set": [[k, v] for k, v in (set or {}).items()],
        "grid": [[k, list(v)] for k, v in (params or {}).items()],
        "trials": trials,
        "seed": seed,
        "samples": samples,
        "shard": shard,
        "threads": threads,
    }
    callback = _Progress() if progress is True else (progress or None)
    table = json.loads(_native.sweep(spec_arg, json.dumps(options), callback))
    if isinstance(callback, _Progress):
        print(file=sys.stderr)
    rows = table["rows"]
    result = {
        "point": np.array([r["point"] for r in rows], dtype=np.int64),
        "trial": np.array([r["trial"] for r in rows], dtype=np.int64),
        "seed": np.array([r["seed"] for r in rows], dtype=np.uint64),
        "samples": np.array([r["samples"] for r in rows], dtype=np.int64),
        "accuracy": np.array([r["accuracy"] for r in rows], dtype=np.float64),
    }
    for col in table["columns"]:
        values = [r["params"].get(col) for r in rows]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        result[col] = np.array(values, dtype=np.float64) if numeric else values
    return result
