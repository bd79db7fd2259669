"""Reusable frame buffers: allocate once, reuse when no frame refers to a buffer any more."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ._buffer_lending import lender_of_this_thread
from ._errors import ConfigError

__all__ = ["BufferPool"]


def _own_references() -> int:
    """References a pooled buffer has inside ``acquire`` when nothing else holds it.

    Measured with the same code shape as ``acquire`` (a list entry, a loop
    variable, getrefcount's argument) rather than assumed, because CPython
    versions count borrowed references differently.
    """
    buffers = [np.empty(1)]
    for buffer in buffers:
        return sys.getrefcount(buffer)
    raise AssertionError("unreachable")


_OWN_REFERENCES = _own_references()


class BufferPool:
    """A few same-shaped numpy arrays, handed out again once every frame using one is gone.

    Sources use it to produce frames without allocating per frame::

        pool = BufferPool((480, 640, 3), np.uint8)
        buffer = pool.acquire()          # writable, contents are stale
        draw_into(buffer)
        output.write(VideoFrame(buffer, "rgb24"))

    A buffer is free when only the pool refers to it, so consumers that keep a
    frame (or a view of its array) simply keep that buffer out of the pool. When
    all ``max_buffers`` are in use, ``acquire`` allocates a fresh, unpooled array
    and counts it in ``misses``.

    In a worker process (``isolation="process"``) the runtime may lend the pool
    shared memory: when a processor's output goes straight to the channel back to
    the parent, ``acquire`` returns a loaned array of that channel first (counted
    in ``lent``), so the frame crosses without a copy. Nothing changes for the
    processor: the array is writable, has the pool's shape and dtype, and goes
    back when no frame refers to it; the pool never keeps it.
    """

    def __init__(self, shape: tuple[int, ...], dtype: Any, *, max_buffers: int = 8) -> None:
        if max_buffers < 1:
            raise ConfigError(f"max_buffers must be at least 1, got {max_buffers}")
        self.shape = tuple(map(int, shape))
        if any(n < 0 for n in self.shape):
            raise ConfigError(f"a buffer's shape has no negative sizes, got {self.shape}")
        self.dtype = np.dtype(dtype)
        self.max_buffers = max_buffers
        self._buffers: list[np.ndarray[Any, Any]] = []
        self.misses = 0
        self.lent = 0
        """Buffers a lender gave instead of the pool (shared memory in a worker process)."""

    def acquire(self) -> np.ndarray[Any, Any]:
        """A writable buffer that no live frame refers to."""
        lender = lender_of_this_thread()
        if lender is not None:
            loan = lender.lend(self.shape, self.dtype)
            if loan is not None:
                self.lent += 1
                return loan
        for buffer in self._buffers:
            if sys.getrefcount(buffer) <= _OWN_REFERENCES:
                buffer.flags.writeable = True  # fan-out may have frozen it
                return buffer
        fresh = np.empty(self.shape, self.dtype)
        if len(self._buffers) < self.max_buffers:
            self._buffers.append(fresh)
        else:
            self.misses += 1
        return fresh

    @property
    def allocated(self) -> int:
        """Buffers the pool owns."""
        return len(self._buffers)
