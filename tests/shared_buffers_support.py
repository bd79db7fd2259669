"""Processors for tests/test_shared_buffers.py, at module level so a worker process imports them.

Each makes its output in ``BufferPool`` buffers, as the built-in effects do, and
says in its frames' metadata whether a buffer was loaned shared memory.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.ipc import LoanedBuffer

SHAPE = (24, 32, 3)


def is_loan(array: np.ndarray[Any, Any]) -> bool:
    """Whether ``array`` is loaned shared memory (a publisher's, lent to a pool)."""
    return isinstance(array.base, LoanedBuffer)


def numbered(number: int) -> sl.VideoFrame:
    """Frame ``number``: every value ``number * 7 % 256``."""
    return sl.VideoFrame(np.full(SHAPE, number * 7 % 256, np.uint8), "rgb24", frame_number=number)


class NumberedConfig(sl.ProcessorConfig):
    frames: int = 20
    burst: int = 1
    """Frames written per ``process()`` call."""


class Numbered(sl.Processor[NumberedConfig]):
    """Writes ``frames`` numbered frames, ``burst`` per call, from fresh arrays; then ends."""

    video = sl.Output(sl.VideoFrame)

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.loop()

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._next = 0

    def process(self) -> None:
        for _ in range(self.config.burst):
            if self._next >= self.config.frames:
                break
            self.video.write(numbered(self._next))
            self._next += 1
        if self._next >= self.config.frames:
            self.end_outputs()


class PooledAddConfig(sl.ProcessorConfig):
    add: int = 1
    copies: int = 1
    """Output frames per input frame (each its own pool buffer)."""


class PooledAdd(sl.Processor[PooledAddConfig]):
    """Adds ``add`` (wrapping) into a ``BufferPool`` buffer, ``copies`` times per frame."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.pool = sl.BufferPool(SHAPE, np.uint8)
        self.threads: set[int] = set()

    def process(self) -> None:
        self.threads.add(threading.get_ident())
        for frame in self.video_in.read_all():
            for _ in range(self.config.copies):
                out = self.pool.acquire()
                np.add(frame.data, self.config.add, out=out)
                loan = is_loan(out)
                self.video_out.write(frame.replace(data=out, metadata={"loan": loan}))


class RunningSumConfig(sl.ProcessorConfig):
    keep: str = "array"
    """What of its last output it keeps: ``array``, ``view`` (a slice of it) or ``frame``."""


class RunningSum(sl.Processor[RunningSumConfig]):
    """Each output is its last output plus the new input (wrapping): a filter that keeps
    its previous output, as temporal filters do, and reads it again for the next."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._pool = sl.BufferPool(SHAPE, np.uint8)
        self._kept: Any = None

    def process(self) -> None:
        for frame in self.video_in.read_all():
            out = self._pool.acquire()
            last = self._last()
            # In two steps, as a blend often is: were ``out`` the memory ``last`` lies
            # in (a loan sent in place, given back and lent again), the first step
            # would overwrite what the second reads.
            np.copyto(out, frame.data)
            if last is not None:
                out += last
            written = frame.replace(data=out, metadata={"loan": is_loan(out)})
            keep = self.config.keep
            self._kept = out if keep == "array" else out[:] if keep == "view" else written
            self.video_out.write(written)

    def _last(self) -> np.ndarray[Any, Any] | None:
        kept = self._kept
        return kept.data if isinstance(kept, sl.VideoFrame) else kept


def running_sums(count: int) -> list[np.ndarray[Any, Any]]:
    """What ``RunningSum`` should write for ``count`` numbered frames."""
    sums: list[np.ndarray[Any, Any]] = []
    total = np.zeros(SHAPE, np.uint8)
    for number in range(count):
        total = total + numbered(number).data  # uint8 wraps, as the processor's does
        sums.append(total)
    return sums
