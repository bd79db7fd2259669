"""Keep the host's floating-point mode when native plugin code is loaded.

A shared library built with ``-ffast-math`` sets flush-to-zero and
denormals-are-zero on the thread that loads it (GCC's ``crtfastmath``
constructor), and some plugins do the same in ``init``. That mode then stays
with the loading thread: numpy, Python's own float arithmetic, and every other
processor on it quietly round tiny numbers to zero. The host saves the thread's
floating-point environment before it loads a plugin and puts it back after::

    with kept_float_mode():
        library = ctypes.CDLL(path)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["kept_float_mode"]

_FENV_BYTES = 64  # larger than fenv_t on every platform glibc and macOS support


def _libm() -> Any:
    if sys.platform == "win32":
        return None  # the MSVC runtime keeps no such state per library load
    name = ctypes.util.find_library("m")
    try:
        return ctypes.CDLL(name) if name else ctypes.CDLL(None)
    except OSError:
        return None


_LIBM = _libm()


@contextmanager
def kept_float_mode() -> Iterator[None]:
    """Run the block, then restore this thread's floating-point environment."""
    if _LIBM is None:
        yield
        return
    saved = ctypes.create_string_buffer(_FENV_BYTES)
    if _LIBM.fegetenv(saved) != 0:
        yield
        return
    try:
        yield
    finally:
        _LIBM.fesetenv(saved)
