"""A shorter GIL switch interval while real-time audio runs, shared and restored.

Native calls (PortAudio's callback returning, a CLAP plugin's ``process``)
release the GIL, but getting it back waits for whichever Python thread holds
it, for up to ``sys.getswitchinterval()`` (5 ms by default: a whole audio
block). Measured here: with one CPU-bound Python thread in the process, a
60 µs plugin call took 5.3 ms median to return; with ``sys.setswitchinterval(1e-4)``
about 220 µs. Audio device processors therefore hold a shorter interval while
they run::

    hold = hold_switch_interval(1e-4)      # in setup()
    ...
    hold.release()                         # in teardown(); the old interval is back

Holds are counted: the shortest interval asked for applies while any hold is
active, and the interval found before the first hold is restored after the
last. (The runtime is the natural owner of this; it lives here until it moves.)
"""

from __future__ import annotations

import sys
import threading

__all__ = ["SwitchIntervalHold", "hold_switch_interval", "switch_interval_holds"]

_lock = threading.Lock()
_active: list[SwitchIntervalHold] = []
_saved: list[float] = []  # the interval before the first active hold (one item at most)


class SwitchIntervalHold:
    """One request for a shorter switch interval; ``release()`` it (idempotent)."""

    __slots__ = ("interval_s", "released")

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.released = False

    def release(self) -> None:
        """Drop this request; restores the previous interval when it was the last."""
        with _lock:
            if self.released:
                return
            self.released = True
            _active.remove(self)
            if _active:
                sys.setswitchinterval(min(h.interval_s for h in _active))
            elif _saved:
                sys.setswitchinterval(_saved.pop())

    def __repr__(self) -> str:
        state = "released" if self.released else "held"
        return f"<SwitchIntervalHold {self.interval_s * 1e6:g} µs {state}>"


def hold_switch_interval(interval_s: float) -> SwitchIntervalHold:
    """Lower ``sys.setswitchinterval`` to ``interval_s`` (or keep a shorter one) until released."""
    if not interval_s > 0:
        raise ValueError(f"a switch interval must be positive, got {interval_s}")
    hold = SwitchIntervalHold(interval_s)
    with _lock:
        if not _active:
            _saved[:] = [sys.getswitchinterval()]
        _active.append(hold)
        sys.setswitchinterval(min(h.interval_s for h in _active))
    return hold


def switch_interval_holds() -> int:
    """How many holds are active (0: the interval is what it was before)."""
    with _lock:
        return len(_active)
