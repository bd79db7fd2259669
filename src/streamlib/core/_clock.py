"""Media clocks: where timestamps come from.

Every media timestamp in streamlib is an ``int`` of nanoseconds read from a
:class:`MediaClock`. The default, :class:`MonotonicClock`, reads
``time.monotonic_ns()``: it never jumps when the wall clock is set, so the
distance between two timestamps is always real elapsed time. Tests that depend on
time use :class:`ManualClock` and move it by hand.
"""

from __future__ import annotations

import threading
import time
from typing import Final, Protocol, runtime_checkable

__all__ = ["NS_PER_S", "ManualClock", "MediaClock", "MonotonicClock"]

NS_PER_S: Final = 1_000_000_000
"""Nanoseconds per second: the one factor between media timestamps and seconds."""


@runtime_checkable
class MediaClock(Protocol):
    """Anything that tells the current media time in integer nanoseconds.

    The value must never decrease. Its origin is arbitrary: only differences
    between two readings of the same clock mean anything.
    """

    def now_ns(self) -> int:
        """Return the current time in nanoseconds."""
        ...


class MonotonicClock:
    """The default clock: ``time.monotonic_ns()``, never the wall clock.

    Example::

        clock = MonotonicClock()
        start = clock.now_ns()
        ...
        elapsed_ms = (clock.now_ns() - start) / 1e6
    """

    __slots__ = ()

    def now_ns(self) -> int:
        """Return ``time.monotonic_ns()``."""
        return time.monotonic_ns()

    def __repr__(self) -> str:
        return "MonotonicClock()"


class ManualClock:
    """A clock that moves only when told to, for tests that depend on time.

    It never goes backwards: :meth:`advance` refuses a negative step and
    :meth:`set` refuses an earlier time, so code under test sees the same
    guarantee a :class:`MonotonicClock` gives.

    Example::

        clock = ManualClock(start_ns=1_000)
        clock.advance(33_333_333)       # one frame at 30 fps
        assert clock.now_ns() == 33_334_333
    """

    __slots__ = ("_lock", "_now_ns")

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = start_ns
        # Readers need no lock (reading an int attribute is atomic); the lock only
        # keeps two writers from losing a step or letting ``set`` move backwards.
        self._lock = threading.Lock()

    def now_ns(self) -> int:
        """Return the current time in nanoseconds."""
        return self._now_ns

    def advance(self, ns: int) -> None:
        """Move the clock forward by ``ns`` nanoseconds (``0`` is allowed).

        Raises:
            ValueError: ``ns`` is negative; a media clock cannot go backwards.
        """
        if ns < 0:
            raise ValueError(
                f"cannot advance a ManualClock by {ns} ns: clocks never go backwards; "
                "pass a step of 0 or more"
            )
        with self._lock:
            self._now_ns += ns

    def set(self, ns: int) -> None:
        """Jump the clock to ``ns`` nanoseconds, which must not be earlier than now.

        Raises:
            ValueError: ``ns`` is earlier than the current time.
        """
        with self._lock:
            if ns < self._now_ns:
                raise ValueError(
                    f"cannot set a ManualClock back from {self._now_ns} ns to {ns} ns: "
                    "clocks never go backwards; make a new ManualClock to start over"
                )
            self._now_ns = ns

    def __repr__(self) -> str:
        return f"ManualClock(now_ns={self._now_ns})"
