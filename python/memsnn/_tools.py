"""``memsnn.iv``, ``memsnn.device_stats`` and ``memsnn.map``: the device and mapping jobs of
the CLI (``memsnn iv``, ``memsnn device stats``, ``memsnn map``) on in-memory arguments."""

import json
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
