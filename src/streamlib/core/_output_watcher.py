"""Watch what an output writes without becoming a consumer in the graph.

A tap or a snapshot wants to *see* frames, not to take part: a consumer in the graph
would change the pipeline it looks at (one more input to feed, a fused chain split onto
two threads). An :class:`OutputWatcher` hangs on the output port itself instead::

    watcher = OutputWatcher.on_demand()      # a preview: one frame each time it asks
    port.watch(watcher)                      # from now on write() offers it each frame
    frames = watcher.take(timeout_s=1.0)     # on any thread: the next frame written
    port.unwatch(watcher)
    watcher.close()

``write()`` offers each frame by reference (no copy) on the producer's thread. A frame
the watcher keeps costs an append to a bounded deque and a wake-up, no lock, never a
wait; one it does not want (an on-demand watcher whose reader has not asked) costs a
counter. Frames the reader never took are counted in :attr:`OutputWatcher.missed`. A
kept frame's array is made read-only first, as fan-out does, so the watcher's reader and
the real consumers cannot change what the other sees.

The graph, its connections and their statistics, fusion and end of stream are untouched:
a watcher is not a connection.
"""

from __future__ import annotations

import time
from collections import deque

from ._errors import ConfigError
from ._frame import ArrayFrame, Frame
from ._wakeup import Wakeup

__all__ = ["OutputWatcher"]


class OutputWatcher:
    """Frames an output wrote, kept for a reader on another thread (one reader each).

    Two kinds, by what the reader needs:

    - :meth:`on_demand` keeps one frame per :meth:`take`: the first written after the
      reader asked (every take asks for the next one, whether it found a frame or not;
      a frame that comes after a take gave up waits for the next take). A preview that
      asks five times a second costs the producer five kept frames a second; every
      other write only counts itself (``missed``).
    - :meth:`every_frame` keeps every frame, the newest ``keep`` until the reader takes
      them (audio levels need every block).
    """

    __slots__ = ("_arrived", "_closed", "_kept", "_on_demand", "_wanted", "offered", "taken")

    def __init__(self, keep: int, *, on_demand: bool) -> None:
        if keep < 1:
            raise ConfigError(f"a watcher keeps at least 1 frame, got keep={keep}")
        # deque.append and popleft are atomic under the GIL: the producer and the reader
        # share no lock, and a full deque drops its oldest frame inside append.
        self._kept: deque[Frame] = deque(maxlen=keep)
        self._arrived = Wakeup()
        self._closed = False
        self._on_demand = on_demand
        self._wanted = not on_demand  # read by the producer; set by take(), cleared by offer()
        self.offered = 0  # written by the producer only
        self.taken = 0  # written by the reader only

    @classmethod
    def on_demand(cls) -> OutputWatcher:
        """One frame per :meth:`take`: the first one written after it asked."""
        return cls(1, on_demand=True)

    @classmethod
    def every_frame(cls, keep: int) -> OutputWatcher:
        """Every frame written; the newest ``keep`` wait for the reader, older ones are
        counted in ``missed``."""
        return cls(keep, on_demand=False)

    @property
    def keep(self) -> int:
        maxlen = self._kept.maxlen
        assert maxlen is not None
        return maxlen

    def offer(self, frame: Frame) -> None:
        """The output's ``write`` calls this on the producer's thread, before any consumer
        sees ``frame``; it never blocks. A kept frame's array is made read-only, as fan-out
        does, because the reader shares it with the consumers."""
        self.offered += 1
        if not self._wanted or self._closed:
            return
        if isinstance(frame, ArrayFrame):
            frame.freeze()
        self._kept.append(frame)
        if self._on_demand:
            self._wanted = False
        self._arrived.unpark()

    def take(self, timeout_s: float = 0.0) -> list[Frame]:
        """What was kept since the last take, oldest first, waiting up to ``timeout_s`` for
        something; ``[]`` when nothing came in time or the watcher is closed."""
        deadline = time.monotonic() + timeout_s
        while True:
            taken = self._take_now()
            if self._on_demand and not self._closed:
                self._wanted = True  # ask for the next frame written (kept if none comes now)
            if taken or self._closed:
                return taken
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return taken
            # A wake-up left by a frame already taken returns at once; the loop re-checks.
            self._arrived.park(remaining)

    def _take_now(self) -> list[Frame]:
        kept = self._kept
        taken: list[Frame] = []
        # popleft one by one: the producer may append meanwhile, and each frame is taken
        # exactly once (a copy and clear would lose a frame appended between them).
        while True:
            try:
                taken.append(kept.popleft())
            except IndexError:
                break
        self.taken += len(taken)
        return taken

    @property
    def missed(self) -> int:
        """Frames written while watched that the reader never took: not asked for (on
        demand) or pushed out by newer ones (every frame)."""
        # Read without a lock: while frames arrive it may be off by one for a moment.
        return max(0, self.offered - self.taken - len(self._kept))

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Keep nothing more and wake a reader waiting in :meth:`take` (idempotent).
        Unwatch it from its port too: a closed watcher only counts what it is offered."""
        self._closed = True
        self._kept.clear()
        self._arrived.unpark()

    def __repr__(self) -> str:
        kind = "on_demand" if self._on_demand else f"every_frame, keep={self.keep}"
        state = "closed" if self._closed else f"{len(self._kept)} kept"
        return f"OutputWatcher({kind}, {state}, missed={self.missed})"
