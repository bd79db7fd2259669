"""A ``streamlib`` command that serves over HTTP, run as a real process for the tests.

``streamlib mcp --http``, ``streamlib serve`` and ``streamlib run --web`` each announce
their URL on stderr; :class:`ServingProcess` waits for that line, keeps every line (for
failure messages) and stops the process with SIGTERM, as a service manager would.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

WAIT_S = 15.0
"""Generous limit for correctness waits (never a performance bound)."""


class ServingProcess:
    """``streamlib ARGS`` in a subprocess; its stderr is drained (and kept) by a thread
    until the line matching ``announces`` (whose group 1 is the URL) comes."""

    def __init__(self, args: Sequence[str], *, announces: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlib", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._announces = re.compile(announces)
        self.lines: list[str] = []
        self.url = ""
        self._announced = threading.Event()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            for line in self.process.stderr:
                self.lines.append(line)
                found = self._announces.search(line)
                if found:
                    self.url = found.group(1)
                    self._announced.set()
        self._announced.set()  # exited without announcing: wait_ready reports it

    def wait_ready(self) -> str:
        if not self._announced.wait(WAIT_S) or not self.url:
            self.stop()
            raise AssertionError(f"the server did not start: {''.join(self.lines)}")
        return self.url

    def stop(self) -> int:
        """SIGTERM, as a service manager would; returns the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        status = self.process.wait(WAIT_S)
        self._reader.join(WAIT_S)
        return status


@contextmanager
def serving(server: ServingProcess) -> Iterator[ServingProcess]:
    """``server`` once it announced its URL; stopped after, and it must exit with 0."""
    try:
        server.wait_ready()
        yield server
    finally:
        status = server.stop()
        assert status == 0, f"the server exited with {status}: {''.join(server.lines)}"
