"""What ``streamlib run`` shows while a pipeline runs: progress, statistics, warnings.

On a terminal a live display (rich) redraws, every second, a progress bar for
each source that knows its length (percentage, speed as a multiple of real
time, time left) above the statistics table. Into a file or a pipe a plain line
is written every few seconds instead, so logs stay readable. Either way, a
connection that drops frames in a file job (fed only by sources that can wait,
where nothing should drop) is a warning on stderr, not only a counter.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from ..runtime import Runtime, RuntimeStatistics
from ._file_job_drops import FileJobDrops

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["LiveStats", "ProgressTracker", "render_stats", "summary_line"]

_SPEED_WINDOW_S = 5.0  # speed and time left from the progress of the last few seconds

_PROCESSOR_COLUMNS = ("processor", "state", "fps", "calls", "in", "out", "err", "p50 ms", "p99 ms")
_CONNECTION_COLUMNS = ("connection", "profile", "depth", "dropped", "age ms")
_PROCESS_COLUMNS = (
    "worker process", "pid", "cpu %", "rss MB", "hops in", "hops out", "lost", "gpu dl ms"
)  # fmt: skip


def _processor_rows(stats: RuntimeStatistics) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for pid, p in stats.processors.items():
        state = "ended" if p.ended and p.state in ("running", "stopped") else p.state
        rows.append(
            (
                pid,
                state,
                f"{p.fps:.1f}",
                str(p.calls),
                str(p.frames_in),
                str(p.frames_out),
                str(p.errors),
                "-" if p.process_ms_p50 is None else f"{p.process_ms_p50:.3f}",
                "-" if p.process_ms_p99 is None else f"{p.process_ms_p99:.3f}",
            )
        )
    return rows


def _connection_rows(stats: RuntimeStatistics) -> list[tuple[str, ...]]:
    return [
        (
            f"{c.source} -> {c.target}",
            c.profile,
            f"{c.depth}/{c.capacity}",
            str(c.dropped),
            "-" if c.newest_age_ms is None else f"{c.newest_age_ms:.1f}",
        )
        for c in stats.connections
    ]


def _process_rows(stats: RuntimeStatistics) -> list[tuple[str, ...]]:
    """One row per processor running in a worker process; a member of a named one
    (``process: dsp``) says so, beside the pid and usage it shares with the others."""
    rows: list[tuple[str, ...]] = []
    for pid, p in stats.processors.items():
        process = p.process
        if process is None:
            continue
        cpu, rss = process.get("cpu_percent"), process.get("rss_mb")
        name = process.get("name")
        rows.append(
            (
                pid if name is None else f"{pid} [{name}]",
                str(process.get("pid", "-")),
                "-" if cpu is None else f"{cpu:.1f}",
                "-" if rss is None else f"{rss:.1f}",
                str(process.get("hops_in", 0)),
                str(process.get("hops_out", 0)),
                # Dropped on the way, or with a worker that died: every frame counted.
                str(
                    process.get("hop_drops_in", 0)
                    + process.get("hop_drops_out", 0)
                    + process.get("lost_in_crashes", 0)
                ),
                # GPU frames downloaded to cross (textures stay in their process).
                f"{process['gpu_download_ms']:.1f}" if process.get("gpu_downloads") else "-",
            )
        )
    return rows


def render_stats(stats: RuntimeStatistics) -> list[str]:
    """The statistics as plain table lines: one per processor, then one per connection."""
    lines = [
        f"streamlib  {stats.state}  {stats.uptime_s:7.1f} s  {stats.workers} workers",
        "  {:<18} {:<11} {:>7} {:>8} {:>8} {:>8} {:>4} {:>8} {:>8}".format(*_PROCESSOR_COLUMNS),
    ]
    for row in _processor_rows(stats):
        pid, *rest = row
        lines.append(
            "  {:<18} {:<11} {:>7} {:>8} {:>8} {:>8} {:>4} {:>8} {:>8}".format(pid[:18], *rest)
        )
    if stats.connections:
        lines.append("  {:<40} {:<8} {:>9} {:>8} {:>8}".format(*_CONNECTION_COLUMNS))
    for name, *rest in _connection_rows(stats):
        lines.append("  {:<40} {:<8} {:>9} {:>8} {:>8}".format(name[:40], *rest))
    processes = _process_rows(stats)
    if processes:
        lines.append("  {:<18} {:>8} {:>6} {:>7} {:>8} {:>8} {:>6} {:>9}".format(*_PROCESS_COLUMNS))
    for name, *rest in processes:
        lines.append("  {:<18} {:>8} {:>6} {:>7} {:>8} {:>8} {:>6} {:>9}".format(name[:18], *rest))
    return lines


@dataclass(frozen=True, slots=True)
class SourceProgress:
    """One source's progress as shown: how far, how fast, how long still."""

    processor_id: str
    position_s: float
    duration_s: float | None
    speed: float | None  # content seconds per wall-clock second (x real time)
    eta_s: float | None

    @property
    def percent(self) -> float | None:
        if not self.duration_s:
            return None
        return min(100.0, 100.0 * self.position_s / self.duration_s)

    def describe(self) -> str:
        """``src 42.0% (1.80x real time, 0:14 left)``."""
        where = f"{self.percent:.1f}%" if self.percent is not None else f"{self.position_s:.1f} s"
        details = self.details()
        return f"{self.processor_id} {where}" + (f" {details}" if details else "")

    def details(self) -> str:
        """``(1.80x real time, 0:14 left)``, or what of it is known."""
        parts = []
        if self.speed is not None:
            parts.append(f"{self.speed:.2f}x real time")
        if self.eta_s is not None:
            parts.append(f"{_clock(self.eta_s)} left")
        return f"({', '.join(parts)})" if parts else ""


class ProgressTracker:
    """Turns successive statistics into speed and time left for each source with progress."""

    def __init__(self) -> None:
        self._history: dict[str, deque[tuple[float, float]]] = {}

    def update(self, stats: RuntimeStatistics, now: float | None = None) -> list[SourceProgress]:
        wall = time.monotonic() if now is None else now
        found = []
        for pid, p in stats.processors.items():
            progress = p.progress
            if progress is None:
                continue
            history = self._history.setdefault(pid, deque())
            history.append((wall, progress.position_s))
            while len(history) > 2 and wall - history[0][0] > _SPEED_WINDOW_S:
                history.popleft()
            speed = eta = None
            (t0, p0), (t1, p1) = history[0], history[-1]
            if t1 > t0:
                speed = max(0.0, (p1 - p0) / (t1 - t0))
            if speed and progress.duration_s is not None:
                eta = max(0.0, progress.duration_s - progress.position_s) / speed
            found.append(SourceProgress(pid, progress.position_s, progress.duration_s, speed, eta))
        return found


def summary_line(stats: RuntimeStatistics, progress: list[SourceProgress] | None = None) -> str:
    """One line: uptime, progress, each processor's fps, total drops and errors."""
    rates = " ".join(f"{pid}={p.fps:.0f}fps" for pid, p in stats.processors.items())
    dropped = sum(c.dropped for c in stats.connections)
    errors = sum(p.errors for p in stats.processors.values())
    where = "".join(f" {item.describe()};" for item in progress or [])
    return f"[{stats.uptime_s:6.1f} s]{where} {rates} dropped={dropped} errors={errors}"


class LiveStats:
    """Shows progress and statistics while ``runtime`` runs, and warns of file-job drops.

    ``show=False`` (``--quiet``) keeps only the warnings.
    """

    def __init__(
        self,
        runtime: Runtime,
        stream: TextIO,
        *,
        interval_s: float = 1.0,
        plain_interval_s: float = 2.0,
        show: bool = True,
    ) -> None:
        self._runtime = runtime
        self._stream = stream
        self._interval_s = interval_s
        self._plain_interval_s = plain_interval_s
        self._show = show
        self._done = threading.Event()
        self._tracker = ProgressTracker()
        self._drops = FileJobDrops(runtime)
        self._thread = threading.Thread(target=self._loop, name="streamlib-live-stats", daemon=True)

    def __enter__(self) -> LiveStats:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(timeout=2.0)

    def _loop(self) -> None:
        self._tracker.update(self._runtime.statistics())  # where the speed is measured from
        if self._show and self._stream.isatty():
            self._loop_live()
        else:
            self._loop_plain()

    def _loop_plain(self) -> None:
        last_line = time.monotonic() - self._plain_interval_s  # the first line comes early
        while not self._done.wait(self._interval_s):
            stats = self._runtime.statistics()
            progress = self._tracker.update(stats)
            self._warn(stats)
            if self._show and time.monotonic() - last_line >= self._plain_interval_s:
                last_line = time.monotonic()
                self._stream.write(summary_line(stats, progress) + "\n")
                self._stream.flush()

    def _loop_live(self) -> None:
        from rich.console import Console
        from rich.live import Live

        console = Console(file=self._stream)
        view = _LiveView()
        with Live(console=console, refresh_per_second=4, transient=True) as live:
            while not self._done.wait(self._interval_s):
                stats = self._runtime.statistics()
                progress = self._tracker.update(stats)
                self._warn(stats)
                live.update(view.render(stats, progress))

    def _warn(self, stats: RuntimeStatistics) -> None:
        for message in self._drops.new_drops(stats):
            self._stream.write(f"streamlib: warning: {message}\n")
            self._stream.flush()


class _LiveView:
    """The rich renderable: progress bars above the statistics table."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, Progress, TaskID, TextColumn

        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TextColumn("{task.fields[detail]}"),
        )
        self._tasks: dict[str, TaskID] = {}

    def render(self, stats: RuntimeStatistics, progress: list[SourceProgress]) -> RenderableType:
        from rich.console import Group
        from rich.table import Table

        for item in progress:
            detail = item.details()
            total = item.duration_s or max(item.position_s, 1e-9)
            task = self._tasks.get(item.processor_id)
            if task is None:
                task = self._bars.add_task(item.processor_id, total=total, detail=detail)
                self._tasks[item.processor_id] = task
            self._bars.update(task, completed=item.position_s, total=total, detail=detail)
        table = Table(
            title=f"streamlib  {stats.state}  {stats.uptime_s:.1f} s  {stats.workers} workers",
            title_justify="left",
            box=None,
        )
        for index, name in enumerate(_PROCESSOR_COLUMNS):
            table.add_column(name, justify="left" if index < 2 else "right")
        for row in _processor_rows(stats):
            table.add_row(*row)
        parts: list[RenderableType] = [self._bars, table] if self._tasks else [table]
        if stats.connections:
            links = Table(box=None)
            for index, name in enumerate(_CONNECTION_COLUMNS):
                links.add_column(name, justify="left" if index < 2 else "right")
            for row in _connection_rows(stats):
                links.add_row(*row)
            parts.append(links)
        processes = _process_rows(stats)
        if processes:
            owned = Table(box=None)
            for index, name in enumerate(_PROCESS_COLUMNS):
                owned.add_column(name, justify="left" if index == 0 else "right")
            for row in processes:
                owned.add_row(*row)
            parts.append(owned)
        return Group(*parts)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
