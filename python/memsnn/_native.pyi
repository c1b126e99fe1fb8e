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
