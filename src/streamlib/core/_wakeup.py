"""A one-permit wake-up signal between threads, cheaper than ``threading.Event``.

A worker parks when it has nothing to do; producers unpark it after a write.
The permit is a raw lock held while no wake-up is pending, so ``unpark()`` is a
release and ``park()`` an acquire, both in C, with no Condition, no per-wait
allocation and no lock that a slow party can hold.
"""

from __future__ import annotations

import _thread

__all__ = ["Wakeup"]


class Wakeup:
    """Binary-semaphore wake-up: many ``unpark()`` calls before a ``park()`` wake it once.

    >>> w = Wakeup()
    >>> w.unpark(); w.unpark()
    >>> w.park(0.0)     # consumes the pending wake-up
    True
    >>> w.park(0.0)     # nothing pending
    False
    """

    __slots__ = ("_permit",)

    def __init__(self) -> None:
        self._permit = _thread.allocate_lock()
        self._permit.acquire()  # held == no wake-up pending

    def unpark(self) -> None:
        """Leave a wake-up for the parked (or next parking) thread; never blocks."""
        permit = self._permit
        if permit.locked():
            try:  # noqa: SIM105 - contextlib.suppress costs a context manager per wake-up
                permit.release()
            except RuntimeError:  # another producer released it first: already pending
                pass

    def park(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a wake-up; True if one came."""
        if timeout <= 0:
            return self._permit.acquire(False)
        return self._permit.acquire(True, timeout)
