"""The parent's side of one worker process: start it, talk to it, notice its death.

Two threads per worker: one reads its control messages (stdout), one keeps the
last lines it logged (stderr) for the error that reports its death. What the
worker's processors publish comes back as events; a failure (and which member
it was), each member's end and the worker's death are kept for the stand-ins to
act on, and each wakes them (``on_news``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from ...core import StreamError
from ._protocol import MessageWriter, read_message

__all__ = ["ProcessUsage", "WorkerDiedError", "WorkerProcess"]

_LOG_LINES = 20  # the worker's last stderr lines kept for an error message
_READER_JOIN_S = 1.0  # how long stop and kill wait for each pipe reader to finish
_USAGE_INTERVAL_S = 0.5
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class WorkerDiedError(StreamError):
    """The worker process ended without being asked to (or reported a failure)."""


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    """What a worker process costs: its pid, CPU share since the last look, and memory."""

    pid: int
    cpu_percent: float
    rss_mb: float

    def to_dict(self) -> dict[str, Any]:
        return {"pid": self.pid, "cpu_percent": self.cpu_percent, "rss_mb": self.rss_mb}


class WorkerProcess:
    """One worker process running the processors ``members`` (one, or a named group's).

    ``name`` names its threads and log lines; ``label`` starts its error messages
    ("the worker process for fx").
    """

    def __init__(
        self, name: str, label: str, members: Sequence[str], on_news: Callable[[], None]
    ) -> None:
        self.name = name
        self.label = label
        self.members = tuple(members)
        self._on_news = on_news
        self._popen = subprocess.Popen(
            [sys.executable, "-m", "streamlib.runtime._isolation._child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._popen.stdin is not None
        assert self._popen.stdout is not None
        self.pid = self._popen.pid
        self._writer = MessageWriter(self._popen.stdin)
        self._log: collections.deque[str] = collections.deque(maxlen=_LOG_LINES)
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.events: collections.deque[dict[str, Any]] = collections.deque()
        self.failure: str | None = None  # what the worker reported, or how it died
        self.failed_member: str | None = None  # the member whose error that was, if one
        self.ended: set[str] = set()  # the members that ended their streams
        self.stats: dict[str, dict[str, Any]] = {}  # each member's, as its runtime counts
        self.connections: list[dict[str, Any]] = []  # the connections between members
        self.stats_taken_ns = 0  # when the last stats arrived (time.monotonic_ns)
        self._stopping = False
        self._cpu_seen: tuple[float, float] | None = None
        self._usage: ProcessUsage | None = None
        self._reader = threading.Thread(
            target=self._read_messages, name=f"streamlib-worker-{name}-messages", daemon=True
        )
        self._log_reader = threading.Thread(
            target=self._read_log, name=f"streamlib-worker-{name}-log", daemon=True
        )
        self._reader.start()
        self._log_reader.start()

    # -- talking to it ---------------------------------------------------------------

    def send(self, kind: str, **fields: Any) -> None:
        self._writer.send(kind, **fields)

    def wait_ready(self, timeout_s: float) -> None:
        """Wait for the worker to say it runs; ``WorkerDiedError`` when it could not."""
        deadline = time.monotonic() + timeout_s
        while not self._ready.wait(0.05):
            if self.failure is not None:
                raise WorkerDiedError(self.failure)
            if time.monotonic() >= deadline:
                # Failed for everyone waiting on it (a named process's other members).
                self.failure = (
                    f"{self.label} (pid {self.pid}) did not start within "
                    f"{timeout_s:g} s{self._last_lines()}"
                )
                self.kill()
                raise WorkerDiedError(self.failure)
        if self.failure is not None:
            raise WorkerDiedError(self.failure)

    @property
    def alive(self) -> bool:
        return self._popen.poll() is None

    def wait_gone(self, timeout_s: float) -> bool:
        """Wait until the process exited and every message it sent was read (its last
        statistics included); False if it still runs after ``timeout_s``."""
        if self._reader is not threading.current_thread():
            self._reader.join(timeout_s)
        return not self._reader.is_alive()

    def usage(self) -> ProcessUsage | None:
        """CPU share since the last look and resident memory, from ``/proc`` (Linux).

        Looked at most every ``_USAGE_INTERVAL_S``: the members of a group each ask,
        and a CPU share over a few microseconds would say nothing.
        """
        seen = self._cpu_seen
        if seen is not None and time.monotonic() - seen[0] < _USAGE_INTERVAL_S:
            return self._usage
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        cpu_s = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime
        rss_mb = int(fields[21]) * _PAGE_BYTES / 2**20
        now = time.monotonic()
        self._cpu_seen = (now, cpu_s)
        percent = 0.0
        if seen is not None and now > seen[0]:
            percent = 100.0 * (cpu_s - seen[1]) / (now - seen[0])
        self._usage = ProcessUsage(self.pid, round(percent, 1), round(rss_mb, 1))
        return self._usage

    # -- ending it -------------------------------------------------------------------

    def stop(self, timeout_s: float) -> None:
        """Ask it to stop in order (it finishes what it holds); kill it after ``timeout_s``."""
        self._stopping = True
        self.send("stop")
        try:
            self._popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        self._stopping = True
        if self._popen.poll() is None:
            self._popen.kill()
            self._popen.wait()
        self._close_pipes()

    # -- threads ---------------------------------------------------------------------

    def _read_messages(self) -> None:
        stdout = self._popen.stdout
        assert stdout is not None
        with stdout:  # closed at the end, or every worker leaks its pipe
            self._take_messages(stdout)
        code = self._popen.wait()
        # A worker whose processors all ended their streams exits by itself, with status 0.
        finished = code == 0 and self.ended.issuperset(self.members)
        if not self._stopping and not finished and self.failure is None:
            self.failure = self._death(code)
        self._on_news()

    def _take_messages(self, stdout: IO[str]) -> None:
        while (message := read_message(stdout)) is not None:
            kind = message["kind"]
            if kind == "ready":
                self._ready.set()
            elif kind == "event":
                self.events.append(message)
            elif kind == "error" and self.failure is None:  # the first says what happened
                self.failed_member = message.get("id")
                self.failure = (
                    f"{message.get('error_type', 'Error')} in {message.get('phase', 'process')}: "
                    f"{message.get('message', '')}"
                )
            elif kind == "ended":
                self.ended.add(message["id"])
            elif kind == "stats":
                self.stats = message.get("processors", {})
                self.connections = message.get("connections", [])
                self.stats_taken_ns = time.monotonic_ns()
            self._on_news()

    def _read_log(self) -> None:
        stderr = self._popen.stderr
        assert stderr is not None
        with stderr, contextlib.suppress(OSError, ValueError):
            for line in stderr:
                self._log.append(line.rstrip())
                sys.stderr.write(f"[{self.name} pid {self.pid}] {line}")

    def _death(self, code: int) -> str:
        if code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        self._log_reader.join(1.0)  # its last lines, if it wrote any before dying
        return f"{self.label} (pid {self.pid}) {how}{self._last_lines()}"

    def _last_lines(self) -> str:
        lines = [line for line in self._log if line.strip()][-5:]
        return "; its last log lines: " + " | ".join(lines) if lines else ""

    def _close_pipes(self) -> None:
        """Close stdin; the readers close stdout and stderr at their end, which follows
        the process's exit at once (unless a child of its own still holds them)."""
        if self._popen.stdin is not None:
            with contextlib.suppress(OSError):
                self._popen.stdin.close()
        for reader in (self._reader, self._log_reader):
            if reader is not threading.current_thread():
                reader.join(_READER_JOIN_S)
