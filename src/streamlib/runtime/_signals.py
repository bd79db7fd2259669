"""SIGINT and SIGTERM while ``Runtime.run()`` waits: stop in order, never cut finalizing short.

The first signal asks for an orderly stop (sources first, recordings
finalized). A second one only says that this is happening: a recording being
finalized must not be destroyed by an impatient Ctrl-C. A third forces the
exit, after saying that unfinished recordings may be lost.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

__all__ = ["signals_stop_run"]


@contextmanager
def signals_stop_run(
    request_stop: Callable[[], None], abandon: Callable[[], None]
) -> Iterator[None]:
    """Inside the block, SIGINT/SIGTERM call ``request_stop`` (then ``abandon`` and raise
    ``KeyboardInterrupt`` on the third); the previous handlers come back after it.

    Signal handlers belong to the main thread: elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    heard = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal heard
        heard += 1
        if heard == 1:
            request_stop()
        elif heard == 2:
            _say(
                "streamlib: still stopping in order (recordings are being finalized); "
                "send the signal again to force exit, which may leave them unplayable"
            )
        else:
            _say("streamlib: forcing exit; recordings not yet finalized may be unplayable")
            abandon()
            raise KeyboardInterrupt

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _say(message: str) -> None:
    """A line on stderr from a signal handler (``os.write``: print() is not reentrant)."""
    with suppress(OSError):  # no stderr to tell: the signal still does what it says
        os.write(2, (message + "\n").encode())
