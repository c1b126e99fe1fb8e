"""memsnn: run trained spiking neural networks the way a memristor-crossbar chip would.

The Python face of memsnn's experiment stage (the same code the ``memsnn`` command runs):
NIR graphs in memory, NumPy arrays in and out.

>>> import memsnn, nir, numpy as np                                  # doctest: +SKIP
>>> graph = nir.read("netlists/mnist-mlp/model.nir")                 # doctest: +SKIP
>>> r = memsnn.emulate(graph, images, labels, timesteps=25, dt=1e-4,  # doctest: +SKIP
...                    reset="zero", encoding="direct", semantics="snntorch",
...                    chip="loihi", device="pcm", times=["1s", "1d", "1y"], trials=3)
>>> r.accuracy.mean(axis=0)                                          # doctest: +SKIP

Every invalid input raises :class:`memsnn.Error` (a ``ValueError``) with the message the
CLI prints; runs release the GIL and stop on Ctrl-C (``KeyboardInterrupt``).
"""

from ._native import Error, __version__
from ._emulate import Result, emulate
from ._tools import IvLoop, device_stats, iv, map, sweep

__all__ = [
    "Error", "IvLoop", "Result", "device_stats", "emulate", "iv", "map", "sweep", "__version__",
]
