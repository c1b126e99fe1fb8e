"""memsnn: run trained spiking neural networks the way a memristor-crossbar chip would."""

import os
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

class Error(ValueError):
    """An invalid network, data set, configuration or device, with the CLI's message."""

Network = Union[Any, bytes, str, "os.PathLike[str]"]
"""An ``nir.NIRGraph``, the bytes of a NIR file, or its path."""
Spec = Union[str, "os.PathLike[str]", Mapping[str, Any]]
"""A built-in name, a RON file, or a dict of the RON file's fields."""

class Result:
    """The outcome of :func:`emulate`: the report and the output arrays."""

    report: Dict[str, Any]
    """A dict equal to the JSON report ``memsnn emulate --report`` writes."""
    spike_counts: Optional[npt.NDArray[np.int32]]
    """int32 ``[N, classes]`` (ideal) or ``[trials, times, N, classes]`` (chip)."""

    def __init__(
        self,
        report: Dict[str, Any],
        spike_counts: Optional[npt.NDArray[np.int32]],
        labelled: bool = ...,
    ) -> None: ...
    @property
    def mode(self) -> str:
        """``"ideal"`` or ``"chip"``."""
    @property
    def samples(self) -> int:
        """Samples run."""
    @property
    def times(self) -> Optional[List[str]]:
        """Labels of the times after programming (chip mode)."""
    @property
    def predictions(self) -> Optional[npt.NDArray[np.int64]]:
        """``[N]`` (ideal) or ``[trials, times, N]`` (chip) predicted classes."""
    @property
    def accuracy(self) -> Union[None, float, npt.NDArray[np.float64]]:
        """A float (ideal) or ``[trials, times]`` per-trial accuracies (chip); None unlabelled."""
    @property
    def ideal_accuracy(self) -> Optional[float]:
        """Accuracy of the ideal (software) network."""
    @property
    def attribution(self) -> Optional[Dict[str, npt.NDArray[np.float64]]]:
        """Per cumulative stage, the per-trial accuracies at the last time."""
    @property
    def energy(self) -> Optional[float]:
        """Energy per inference (J), chip mode."""
    @property
    def energy_breakdown(self) -> Optional[Dict[str, float]]:
        """Energy per inference by event kind (J), chip mode."""
    @property
    def latency(self) -> Optional[float]:
        """Latency per inference (s), chip mode."""
    @property
    def counters(self) -> Optional[Dict[str, int]]:
        """Event counters over all samples (chip mode)."""
    @property
    def layers(self) -> Optional[List[Dict[str, Any]]]:
        """Per-layer activity (ideal mode)."""
    @property
    def workload(self) -> Optional[Dict[str, Any]]:
        """NeuroBench-style workload metrics when the report carries them."""

def emulate(
    network: Network,
    images: npt.ArrayLike,
    labels: Optional[npt.ArrayLike] = None,
    *,
    timesteps: int,
    dt: float,
    reset: str,
    encoding: Union[str, Mapping[str, Any]],
    semantics: str,
    chip: Optional[Spec] = None,
    device: Optional[Spec] = None,
    times: Union[None, str, Sequence[Union[str, float]]] = None,
    trials: int = 1,
    compensation: Optional[str] = None,
    attribution: bool = False,
    seed: int = 0,
    threads: Optional[int] = None,
    progress: Union[bool, Callable[[int, int], object]] = False,
    neurons: Optional[str] = None,
    levels: Optional[int] = None,
    adc_bits: Optional[int] = None,
    r_wire: Optional[float] = None,
) -> Result:
    """Run a spiking network on images, in ideal mode (``chip=None``) or on a chip.

    Raises ``memsnn.Error`` (the CLI's message) on invalid input and ``KeyboardInterrupt``
    on Ctrl-C.
    """

class IvLoop(NamedTuple):
    """One frequency of :func:`iv`: the samples and the last period's loop measures."""

    freq_hz: float
    t: npt.NDArray[np.float64]
    v: npt.NDArray[np.float64]
    i: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    loop_area: float
    r_min: float
    r_max: float
    pinch_ratio: float

def iv(
    device: Spec,
    *,
    waveform: Optional[str] = None,
    amplitude: Optional[float] = None,
    frequencies: Union[None, float, Sequence[float]] = None,
    cycles: Optional[int] = None,
) -> List[IvLoop]:
    """Simulate a memristor's I–V loops, one per frequency (``memsnn iv``)."""

def device_stats(
    device: Spec,
    targets: Union[float, Sequence[float]],
    times: Union[float, Sequence[float]],
    *,
    n: int = 200_000,
    seed: int = 0,
) -> Dict[str, Any]:
    """Monte-Carlo statistics of a device card (``memsnn device stats``), as a dict."""

def map(network: Network, chip: Spec = "loihi", *, timesteps: int = 25) -> Dict[str, Any]:
    """Partition, place and route a network on a chip (``memsnn map``): chip, resources,
    latency."""

def sweep(
    spec: Union[str, "os.PathLike[str]", Mapping[str, Any]],
    *,
    out: Union[None, str, "os.PathLike[str]"] = None,
    params: Optional[Mapping[str, Sequence[Any]]] = None,
    set: Optional[Mapping[str, Any]] = None,
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    samples: Optional[int] = None,
    shard: Optional[str] = None,
    threads: Optional[int] = None,
    progress: Union[bool, Callable[[int, int], None]] = False,
) -> Dict[str, Union[npt.NDArray[Any], List[Any]]]:
    """Run a parameter sweep (``memsnn sweep``) and return its results table as columns:
    ``point``, ``trial``, ``seed``, ``samples``, ``accuracy`` and one per swept path."""
