"""Keep an encoder library from changing the scheduling of the thread that calls it.

SVT-AV1 raises the priority of the thread that opens it and feeds it frames:
run as root, that turned a streamlib worker (and, through fork, every process
it later started) into a SCHED_FIFO real-time thread. Scheduling is the
runtime's decision (a processor's priority hint), so calls into such encoders
are wrapped in :func:`keep_thread_scheduling`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["keep_thread_scheduling"]

_LINUX = sys.platform.startswith("linux")


@contextmanager
def keep_thread_scheduling() -> Iterator[None]:
    """Restore the calling thread's scheduling policy and priority if the body changed them."""
    if not _LINUX:
        yield
        return
    policy = os.sched_getscheduler(0)
    param = os.sched_getparam(0)
    try:
        yield
    finally:
        if os.sched_getscheduler(0) != policy or os.sched_getparam(0) != param:
            os.sched_setscheduler(0, policy, param)
