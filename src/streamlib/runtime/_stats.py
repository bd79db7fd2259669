"""Per-processor counters kept by workers, and the immutable snapshots users read."""

from __future__ import annotations

import bisect
import dataclasses
import json
import time
from array import array
from dataclasses import dataclass
from typing import Any

from ..core import ConnectionStatistics, Progress

__all__ = ["CallTimings", "ProcessorStatistics", "RuntimeStatistics"]

_WINDOW = 256  # recent calls kept for fps and process-time percentiles
_RATE_WINDOW_NS = 1_000_000_000  # fps is the rate over the last second


class CallTimings:
    """The start time and duration of the last ``_WINDOW`` calls, in preallocated arrays."""

    __slots__ = ("_durations", "_starts", "calls")

    def __init__(self) -> None:
        self._starts = array("q", bytes(8 * _WINDOW))
        self._durations = array("q", bytes(8 * _WINDOW))
        self.calls = 0

    def record(self, start_ns: int, duration_ns: int) -> None:
        slot = self.calls % _WINDOW
        self._starts[slot] = start_ns
        self._durations[slot] = duration_ns
        self.calls += 1

    def summary(self, now_ns: int) -> tuple[float, float | None, float | None]:
        """``(calls per second over the last second, p50 ms, p99 ms)`` of recent calls."""
        calls = self.calls
        n = min(calls, _WINDOW)
        if n == 0:
            return 0.0, None, None
        # Plain Python on purpose. A statistics snapshot walks every processor, and pages
        # may ask ten times a second, from a thread of the pipeline's own process: numpy
        # lets go of the GIL inside its calls, the pipeline's thread takes it each time,
        # and each hand-over back and forth costs the pipeline more than sorting these
        # 256 numbers with the GIL held (a fused 12-processor chain with one stats page
        # open at 10 Hz: 151 GIL waits a second with numpy here, 42 without).
        durations = sorted(self._durations[:n])
        low, high = (n - 1) // 2, min(n - 1, round(0.99 * (n - 1)))
        # The starts need no sorting: the ring holds them in call order from its oldest
        # slot on, so it is two sorted runs, [oldest, n) then [0, oldest).
        starts, oldest = self._starts, calls % _WINDOW if calls > _WINDOW else 0
        cutoff = now_ns - _RATE_WINDOW_NS
        recent = (n - bisect.bisect_left(starts, cutoff, oldest, n)) + (
            oldest - bisect.bisect_left(starts, cutoff, 0, oldest)
        )
        if recent < n:  # the calls of the last second (a stalled processor reads 0 soon)
            fps = float(recent)
        else:  # every call kept is from the last second: the rate over their span
            span_ns = max(now_ns, starts[(calls - 1) % _WINDOW]) - starts[oldest]
            fps = (n - 1) / (span_ns / 1e9) if n > 1 and span_ns > 0 else 0.0
        return fps, durations[low] / 1e6, durations[high] / 1e6

    def busy_fraction(self, now_ns: int, window_ns: int = _RATE_WINDOW_NS) -> float:
        """The share of the last ``window_ns`` spent in calls (0..1, from the calls kept).

        What a processor costs its thread: its cost per call times its call rate.
        When fewer calls are kept than the window saw, the kept ones stand for it.
        """
        n = min(self.calls, _WINDOW)
        if n == 0:
            return 0.0
        cutoff = now_ns - window_ns
        busy = 0
        oldest = now_ns
        for slot in range(n):
            start = self._starts[slot]
            if start + self._durations[slot] > cutoff:
                busy += self._durations[slot] - max(0, cutoff - start)
                oldest = min(oldest, start)
        if busy == 0:
            return 0.0
        covered = now_ns - max(cutoff, oldest) if n == _WINDOW else window_ns
        return min(1.0, busy / max(covered, 1))


@dataclass(frozen=True, slots=True)
class ProcessorStatistics:
    """An immutable snapshot of one processor's counters."""

    id: str
    type: str
    state: str
    calls: int
    frames_in: int
    frames_out: int
    errors: int
    restarts: int
    fps: float
    process_ms_p50: float | None
    process_ms_p99: float | None
    worker: str | None
    last_error: str | None
    ended: bool = False
    """The processor ended its stream (ran out, or all its inputs ended)."""
    progress: Progress | None = None
    """Position and length of a source that knows them (a file, a limited generator)."""
    process: dict[str, Any] | None = None
    """For a processor in a worker process (``isolation="process"``): its ``pid``,
    ``cpu_percent``, ``rss_mb``, and ``hops_in``/``hops_out`` (frames that crossed)."""

    def with_worker(self, worker: dict[str, Any] | None) -> ProcessorStatistics:
        """These statistics with a worker process's: its usage, and its processor's own
        calls and costs in place of the proxy's (which only forwards)."""
        if worker is None:
            return self
        remote = worker.get("processor") or {}
        return dataclasses.replace(
            self,
            process=worker["process"],
            calls=remote.get("calls", self.calls),
            fps=remote.get("fps", self.fps),
            process_ms_p50=remote.get("process_ms_p50", self.process_ms_p50),
            process_ms_p99=remote.get("process_ms_p99", self.process_ms_p99),
        )

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "state": self.state,
            "ended": self.ended,
            "progress": None if self.progress is None else self.progress.to_dict(),
            "calls": self.calls,
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "errors": self.errors,
            "restarts": self.restarts,
            "fps": round(self.fps, 2),
            "process_ms_p50": _round(self.process_ms_p50),
            "process_ms_p99": _round(self.process_ms_p99),
            "worker": self.worker,
            "last_error": self.last_error,
            **({} if self.process is None else {"process": self.process}),
        }


@dataclass(frozen=True, slots=True)
class RuntimeStatistics:
    """A snapshot of the whole runtime: every processor and connection."""

    state: str
    uptime_s: float
    processors: dict[str, ProcessorStatistics]
    connections: list[ConnectionStatistics]
    workers: int
    events_skipped: int

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dict(self) -> dict[str, Any]:
        """``{"state", "uptime_s", "processors": {id: {...}}, "connections": [{...}], ...}``."""
        return {
            "state": self.state,
            "uptime_s": round(self.uptime_s, 3),
            "workers": self.workers,
            "events_skipped": self.events_skipped,
            "processors": {pid: stats.to_dict() for pid, stats in self.processors.items()},
            "connections": [c.to_dict() for c in self.connections],
            "taken_at_monotonic_ns": time.monotonic_ns(),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
