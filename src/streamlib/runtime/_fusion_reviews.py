"""The thread that asks for a measured-fusion review while the runtime runs.

Once per ``interval_s`` it calls ``review`` (the lifecycle's, which takes the
control-plane lock, skips while paused or mid-change, and regroups when the
measured costs say so). It exists only with ``fuse="auto"`` and only between
``start`` and ``stop``; at one wake-up a second it costs nothing measurable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["FusionReviews"]

_log = logging.getLogger("streamlib.runtime")


class FusionReviews:
    """Calls ``review`` every ``interval_s`` on a daemon thread, between start and stop."""

    def __init__(self, review: Callable[[], None], *, interval_s: float) -> None:
        self._review = review
        self.interval_s = interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name="streamlib-fusion-reviews", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a review under way finishes first); safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        if thread is not threading.current_thread():
            thread.join()

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval_s):
            try:
                self._review()
            except Exception:  # a review must never end the reviews
                _log.exception("measured fusion review failed; the plan stays as it is")
