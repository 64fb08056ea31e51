"""Callbox media kernels: G.711, mixer, jitter buffer, DTMF detection, tones and the stereo recorder.

Each kernel is a compiled Cython module (`cython_ext.g711`, ...) with a pure-Python twin of the same
API in `cython_ext.reference` (slow, readable, and what the tests check the compiled one against).
"""

from __future__ import annotations

import importlib
from types import ModuleType

KERNELS = ("g711", "mixer", "jitter", "dtmf", "tones", "recorder")


def kernel(name: str, implementation: str = "c") -> ModuleType:
    """The compiled (`"c"`) or reference (`"py"`) module of one kernel."""
    if name not in KERNELS:
        raise ValueError(f"unknown media kernel {name!r}")
    if implementation == "c":
        return importlib.import_module(f"cython_ext.{name}")
    if implementation == "py":
        return importlib.import_module(f"cython_ext.reference.{name}")
    raise ValueError(f"implementation must be 'c' or 'py', not {implementation!r}")
