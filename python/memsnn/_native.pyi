"""Type stubs of the native module (internal: use the functions of ``memsnn``)."""

from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

class Error(ValueError):
    """An invalid network, data set, configuration or device, with the CLI's message."""

def emulate(
    network: Union[bytes, str],
    images: npt.NDArray[Any],
    labels: Optional[npt.NDArray[Any]],
    options: str,
    progress: Optional[Callable[[int, int], object]] = None,
) -> Tuple[str, Optional[npt.NDArray[np.int32]], List[str]]:
    """Run one experiment: (report JSON, spike counts, warnings)."""

def iv(
    device: str,
    waveform: Optional[str] = None,
    amplitude: Optional[float] = None,
    frequencies: Optional[List[float]] = None,
    cycles: Optional[int] = None,
) -> List[Tuple[Any, ...]]:
    """Per frequency: (freq_hz, t, v, i, x, loop_area, r_min, r_max, pinch_ratio)."""

def device_stats(device: str, targets: List[float], times: List[float], n: int = ..., seed: int = ...) -> str:
    """The JSON ``memsnn device stats`` prints."""

def map(network: Union[bytes, str], chip: str, timesteps: int = ...) -> str:
    """JSON {chip, resources, latency}."""

def sweep(spec: str, options: str, progress: Optional[Callable[[int, int], None]] = ...) -> str:
    """Run a sweep; returns the results table as JSON."""
