"""Live statistics on the terminal while a pipeline runs."""

from __future__ import annotations

import threading
from typing import TextIO

from ..runtime import Runtime, RuntimeStatistics

__all__ = ["LiveStats", "render_stats"]


def render_stats(stats: RuntimeStatistics) -> list[str]:
    """The statistics as table lines: one per processor, then one per connection."""
    lines = [
        f"streamlib  {stats.state}  {stats.uptime_s:7.1f} s  {stats.workers} workers",
        f"  {'processor':<18} {'state':<11} {'fps':>7} {'calls':>8} {'in':>8} {'out':>8} "
        f"{'err':>4} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for pid, p in stats.processors.items():
        p50 = "-" if p.process_ms_p50 is None else f"{p.process_ms_p50:.3f}"
        p99 = "-" if p.process_ms_p99 is None else f"{p.process_ms_p99:.3f}"
        lines.append(
            f"  {pid[:18]:<18} {p.state:<11} {p.fps:>7.1f} {p.calls:>8} {p.frames_in:>8} "
            f"{p.frames_out:>8} {p.errors:>4} {p50:>8} {p99:>8}"
        )
    if stats.connections:
        lines.append(
            f"  {'connection':<40} {'profile':<8} {'depth':>9} {'dropped':>8} {'age ms':>8}"
        )
    for c in stats.connections:
        age = "-" if c.newest_age_ms is None else f"{c.newest_age_ms:.1f}"
        name = f"{c.source} -> {c.target}"
        depth = f"{c.depth}/{c.capacity}"
        lines.append(f"  {name[:40]:<40} {c.profile:<8} {depth:>9} {c.dropped:>8} {age:>8}")
    return lines


class LiveStats:
    """Redraws the statistics table every ``interval_s`` on a terminal.

    On a terminal the table is redrawn in place; into a file or pipe a short
    summary line is written instead, so logs stay readable.
    """

    def __init__(self, runtime: Runtime, stream: TextIO, *, interval_s: float = 1.0) -> None:
        self._runtime = runtime
        self._stream = stream
        self._interval_s = interval_s
        self._done = threading.Event()
        self._drawn = 0
        self._thread = threading.Thread(target=self._loop, name="streamlib-live-stats", daemon=True)

    def __enter__(self) -> LiveStats:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(timeout=2.0)

    def _loop(self) -> None:
        while not self._done.wait(self._interval_s):
            stats = self._runtime.statistics()
            if self._stream.isatty():
                self._redraw(render_stats(stats))
            else:
                self._stream.write(summary_line(stats) + "\n")
                self._stream.flush()

    def _redraw(self, lines: list[str]) -> None:
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        self._stream.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
        self._stream.flush()
        self._drawn = len(lines)


def summary_line(stats: RuntimeStatistics) -> str:
    """One line: uptime, each processor's fps, total drops and errors."""
    rates = " ".join(f"{pid}={p.fps:.0f}fps" for pid, p in stats.processors.items())
    dropped = sum(c.dropped for c in stats.connections)
    errors = sum(p.errors for p in stats.processors.values())
    return f"[{stats.uptime_s:6.1f} s] {rates} dropped={dropped} errors={errors}"
