"""The seam by which a transport lends its own memory to the buffer pools of one thread.

:class:`~streamlib.BufferPool` asks the lender installed on the calling thread for
a buffer first, and takes one of its own when there is no lender or it says no.
The process transport installs one on the thread that runs a producer together
with the end of the channel that producer feeds (``streamlib.ipc.PoolLender``), so
the producer makes its frames in shared memory and they cross to the other
process without a copy. The core knows only this protocol: it imports nothing of
the transports above it.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import numpy as np

__all__ = ["BufferLender", "lend_on_this_thread", "lender_of_this_thread"]


class BufferLender(Protocol):
    """Something that can hand out writable arrays living outside the pool."""

    def lend(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray[Any, Any] | None:
        """A writable array of ``shape`` and ``dtype`` (stale contents), or None to
        let the pool use its own buffer. Never raises for want of memory."""
        ...


class _ThreadLender(threading.local):
    lender: BufferLender | None = None


_this_thread = _ThreadLender()


def lend_on_this_thread(lender: BufferLender | None) -> BufferLender | None:
    """Make ``lender`` the calling thread's (None removes it); the one it replaces."""
    previous = _this_thread.lender
    _this_thread.lender = lender
    return previous


def lender_of_this_thread() -> BufferLender | None:
    """The lender installed on the calling thread, if any."""
    return _this_thread.lender
