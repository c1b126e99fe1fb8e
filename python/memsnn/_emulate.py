"""``memsnn.emulate`` and its :class:`Result`: argument normalisation and result views over
the native module (``memsnn._native``)."""

import io
import json
import os
import sys
import time
import warnings

import numpy as np

from . import _native
from ._native import Error


def _network(network):
    """The network as the native module takes it: NIR file bytes or a path."""
    if isinstance(network, (bytes, bytearray, memoryview)):
        return bytes(network)
    if isinstance(network, (str, os.PathLike)):
        return os.fspath(network)
    if hasattr(network, "nodes") and hasattr(network, "edges"):
        import nir

        buf = io.BytesIO()
        nir.write(buf, network)
        return buf.getvalue()
    raise Error(
        f"network: expected an nir.NIRGraph, the bytes of a NIR file or a path, "
        f"got {type(network).__name__}"
    )


def _array(a, name):
    """``a`` as a NumPy array in native byte order (any layout; the native side copies it)."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.byteorder not in ("=", "|"):
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def _named(x, what):
    """A chip or device card: a name or path, or the fields of its RON file as a dict."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {"json": json.dumps(x)}
    if isinstance(x, (str, os.PathLike)):
        return {"name": os.fspath(x)}
    raise Error(f"{what}: expected a name, a path or a dict, got {type(x).__name__}")


def _times(times):
    if times is None:
        return None
    if isinstance(times, (str, int, float)):
        times = [t for t in str(times).split(",")] if isinstance(times, str) else [times]
    return [t if isinstance(t, str) else float(t) for t in times]


class _Progress:
    """Progress on stderr: a line at most every half second, and a last one."""

    def __init__(self):
        self.last = 0.0

    def __call__(self, done, total):
        now = time.monotonic()
        if now - self.last >= 0.5 and total:
            self.last = now
            print(
                f"\rmemsnn: {done}/{total} sample runs ({100 * done / total:.0f} %)",
                end="",
                file=sys.stderr,
                flush=True,
            )


def emulate(
    network,
    images,
    labels=None,
    *,
    timesteps,
    dt,
    reset,
    encoding,
    semantics,
    chip=None,
    device=None,
    times=None,
    trials=1,
    compensation=None,
    attribution=False,
    seed=0,
    threads=None,
    progress=False,
    neurons=None,
    levels=None,
    adc_bits=None,
    r_wire=None,
):
    """Run a spiking network on images, in ideal (software) mode or on a chip.

    The same run as ``memsnn emulate`` (``--ideal`` when ``chip`` is None), on arrays in
    memory.

    Args:
        network: an ``nir.NIRGraph`` (serialised with ``nir.write``), the bytes of a NIR
            file, or the path of one.
        images: array ``[N, ...]``; ``uint8`` is divided by 255, ``float32``/``float64`` is
            used as it is. Each sample must have as many values as the network's input.
        labels: integer array ``[N]`` of classes, or None (then no accuracy is reported).
        timesteps: timesteps per sample.
        dt: time step in seconds.
        reset: ``"zero"`` or ``"subtract"``.
        encoding: ``"direct"``, ``"poisson"``, ``"bernoulli"`` or ``"latency"``, or a dict
            such as ``{"Poisson": {"max_rate": 500.0}}``.
        semantics: the training framework's discrete-time semantics: ``"snntorch"``,
            ``"norse"``, ``"sinabs"``, ``"rockpool"``, ``"spyx"``, ``"nir"`` or ``"nir-exact"``.
        chip: None (ideal mode), a built-in chip (``"loihi"``, ``"truenorth"``), the path of
            a chip RON file, or a dict of the RON file's fields.
        device: device card: a built-in name (``"pcm"``, ``"rram-wan"``, ``"ideal"``, ...),
            a card file, or a dict of the card's fields (chip mode; default ``"ideal"``).
        times: times after programming (chip mode): a list such as ``["1s", "1d", "1y"]``
            (units s, min, h, d, y) or of seconds, or one comma-separated string. Default 1 s.
        trials: independently programmed chips (chip mode).
        compensation: drift compensation ``"none"``, ``"global"`` or ``"column"`` (chip mode).
        attribution: also run the cumulative non-ideality stages at the last time.
        seed: seed of random encoders, programming and read noise.
        threads: worker threads (default: all cores); results do not depend on it.
        progress: True prints progress on stderr; a callable gets ``(done, total)`` sample
            runs about every 50 ms.
        neurons: ``"float"`` or ``"loihi-fixed"`` neuron arithmetic (default: the chip's).
        levels: uniform conductance levels replacing the card's (chip mode).
        adc_bits: ADC bits of every core, replacing the chip's (chip mode).
        r_wire: wire resistance between adjacent crossbar cells in ohm (chip mode).

    Returns:
        A :class:`Result`.

    Raises:
        memsnn.Error: invalid network, arrays, options, chip or card (the CLI's message).
        KeyboardInterrupt: Ctrl-C during the run (it stops at its next chunk of samples).
    """
    options = {
        "timesteps": timesteps,
        "dt": dt,
        "reset": reset,
        "encoding": encoding,
        "semantics": semantics,
        "chip": _named(chip, "chip"),
        "device": _named(device, "device"),
        "times": _times(times),
        "trials": trials,
        "compensation": compensation,
        "attribution": bool(attribution),
        "seed": seed,
        "threads": threads,
        "neurons": neurons,
        "levels": levels,
        "adc_bits": adc_bits,
        "r_wire": r_wire,
    }
    try:
        text = json.dumps(options)
    except (TypeError, ValueError) as e:
        raise Error(f"bad option value: {e}") from None
    callback = _Progress() if progress is True else (progress or None)
    report, counts, notes = _native.emulate(
        _network(network), _array(images, "images"), _array(labels, "labels"), text, callback
    )
    if isinstance(callback, _Progress):
        print(file=sys.stderr)
    for w in notes:
        warnings.warn(w, stacklevel=2)
    return Result(json.loads(report), counts, labels is not None)


def _unlabelled(report):
    """Drop the accuracies of a run without labels (they were computed against zeros)."""
    if report.get("mode") == "chip":
        report["ideal_accuracy"] = None
        for r in report.get("results", []):
            r["accuracy"] = None
        for s in report.get("attribution") or []:
            s["accuracy"] = None
    else:
        report["accuracy"] = None


class Result:
    """The outcome of :func:`emulate`: the report and the output arrays.

    Attributes:
        report: a dict equal to the JSON report ``memsnn emulate --report`` writes.
        spike_counts: int32 output spike counts, ``[N, classes]`` in ideal mode and
            ``[trials, times, N, classes]`` on a chip (as ``--spike-counts``), or None when
            the output is read as membrane values.
    """

    def __init__(self, report, spike_counts, labelled=True):
        if not labelled:
            _unlabelled(report)
        self.report = report
        self.spike_counts = spike_counts

    @property
    def mode(self):
        """``"ideal"`` or ``"chip"``."""
        return self.report["mode"]

    @property
    def samples(self):
        """Samples run."""
        return self.report["samples"]

    @property
    def times(self):
        """Labels of the times after programming (chip mode), e.g. ``["1s", "1d"]``."""
        if self.mode != "chip":
            return None
        return [r["time"]["label"] for r in self.report["results"]]

    @property
    def predictions(self):
        """Predicted classes: ``[N]`` in ideal mode, ``[trials, times, N]`` on a chip
        (argmax of the spike counts, ties to the lowest index)."""
        if self.mode != "chip":
            return np.asarray(self.report["predictions"], dtype=np.int64)
        if self.spike_counts is None:
            return None
        return self.spike_counts.argmax(axis=-1)

    @property
    def accuracy(self):
        """Accuracy: a float in ideal mode; ``[trials, times]`` per-trial accuracies on a chip.
        None without labels."""
        if self.mode != "chip":
            return self.report["accuracy"]
        res = self.report["results"]
        if not res or res[0]["accuracy"] is None:
            return None
        return np.array([r["accuracy"]["trials"] for r in res]).T

    @property
    def ideal_accuracy(self):
        """Accuracy of the ideal (software) network (None without labels)."""
        if self.mode != "chip":
            return self.report["accuracy"]
        return self.report["ideal_accuracy"]

    @property
    def attribution(self):
        """Per cumulative stage (``"ideal"``, ``"levels"``, ..., ``"chip timing"``), the
        per-trial accuracies at the last time, as a dict in stage order; None unless asked."""
        stages = self.report.get("attribution")
        if not stages or stages[0]["accuracy"] is None:
            return None
        return {s["stage"]: np.array(s["accuracy"]["trials"]) for s in stages}

    @property
    def energy(self):
        """Energy per inference in joules (chip mode)."""
        pi = self.report.get("per_inference")
        return None if pi is None else pi["energy"]

    @property
    def energy_breakdown(self):
        """Energy per inference by event kind in joules (chip mode)."""
        return self.report.get("energy_breakdown")

    @property
    def latency(self):
        """Latency per inference in seconds (chip mode)."""
        pi = self.report.get("per_inference")
        return None if pi is None else pi["latency"]

    @property
    def counters(self):
        """Event counters over all samples (chip mode: trial 0 at the first time), a dict."""
        return self.report.get("counters")

    @property
    def layers(self):
        """Per-layer activity (ideal mode), a list of dicts."""
        return self.report.get("layers")

    @property
    def workload(self):
        """NeuroBench-style workload metrics when the report carries them, else None."""
        return self.report.get("workload")

    def __repr__(self):
        if self.mode == "chip":
            acc = self.accuracy
            txt = "unlabelled" if acc is None else ", ".join(
                f"{t}: {m:.4f}" for t, m in zip(self.times, acc.mean(axis=0))
            )
            return f"<memsnn.Result chip, {self.samples} samples, accuracy {txt}>"
        acc = self.accuracy
        txt = "unlabelled" if acc is None else f"accuracy {acc:.4f}"
        return f"<memsnn.Result ideal, {self.samples} samples, {txt}>"
