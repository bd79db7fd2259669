"""A preallocated ring of audio samples: write blocks of any size, read any count.

Used where block sizes differ on both sides (a device callback, a rechunker):
nothing is allocated after construction.

>>> fifo = SampleFifo(1024, 2)
>>> fifo.write(np.ones((300, 2), np.float32)); fifo.available
300
>>> out = np.empty((256, 2), np.float32); fifo.read_into(out); fifo.available
44
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SampleFifo"]


class SampleFifo:
    """Up to ``capacity`` samples of ``channels`` channels; the oldest are dropped when full."""

    __slots__ = ("_buffer", "_read", "available", "capacity", "channels", "dropped")

    def __init__(self, capacity: int, channels: int) -> None:
        if capacity < 1 or channels < 1:
            raise ValueError(f"capacity and channels must be positive, got {capacity}, {channels}")
        self.capacity = capacity
        self.channels = channels
        self._buffer = np.zeros((capacity, channels), np.float32)
        self._read = 0
        self.available = 0
        self.dropped = 0  # samples lost because the ring was full

    def write(self, data: np.ndarray[Any, Any]) -> None:
        """Append ``(n, channels)`` samples, dropping the oldest ones that no longer fit."""
        n = data.shape[0]
        if n >= self.capacity:  # only the newest capacity samples can stay
            self.dropped += self.available + n - self.capacity
            data = data[n - self.capacity :]
            n = self.capacity
            self._read = 0
            self.available = 0
        overflow = self.available + n - self.capacity
        if overflow > 0:
            self._read = (self._read + overflow) % self.capacity
            self.available -= overflow
            self.dropped += overflow
        start = (self._read + self.available) % self.capacity
        first = min(n, self.capacity - start)
        self._buffer[start : start + first] = data[:first]
        if first < n:
            self._buffer[: n - first] = data[first:]
        self.available += n

    def read_into(self, out: np.ndarray[Any, Any], count: int | None = None) -> int:
        """Move up to ``count`` (default ``len(out)``) samples into ``out``; returns how many."""
        n = min(out.shape[0] if count is None else count, self.available)
        first = min(n, self.capacity - self._read)
        out[:first] = self._buffer[self._read : self._read + first]
        if first < n:
            out[first:n] = self._buffer[: n - first]
        self._read = (self._read + n) % self.capacity
        self.available -= n
        return n

    def discard(self, count: int) -> int:
        """Drop up to ``count`` of the oldest samples (counted in ``dropped``); returns how many."""
        n = min(count, self.available)
        self._read = (self._read + n) % self.capacity
        self.available -= n
        self.dropped += n
        return n

    def resized(self, capacity: int) -> SampleFifo:
        """A new FIFO of ``capacity`` with the samples waiting here (the newest if fewer fit)."""
        bigger = SampleFifo(capacity, self.channels)
        waiting = np.empty((self.available, self.channels), np.float32)
        self.read_into(waiting)
        bigger.write(waiting)
        bigger.dropped = self.dropped
        return bigger

    def clear(self) -> None:
        self._read = 0
        self.available = 0
