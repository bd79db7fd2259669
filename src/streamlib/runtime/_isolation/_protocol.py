"""The control messages between the stand-ins and a worker process: one JSON object a line.

Parent to worker (its stdin): ``start`` (its members: what to run and on which
channels, and the connections between members), ``config`` (a member's live field
changes), ``remove`` (a member left the parent's graph), ``pause``, ``resume``,
``stop``. Worker to parent (its stdout; the worker's own prints go to stderr):
``ready``, ``event`` (a processor's ``CustomEvent``), ``error`` (a member failed,
with its ``id``: the worker stops after saying so), ``ended`` (a member ended its
stream), ``stats`` (each member's counters and those of the connections between
members).
"""

from __future__ import annotations

import json
import threading
from typing import IO, Any

__all__ = ["MessageWriter", "read_message"]


class MessageWriter:
    """Writes messages to a stream, one JSON line each, from any thread."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, kind: str, **fields: Any) -> bool:
        """Write one message; False when the other end is gone."""
        line = json.dumps({"kind": kind, **fields}, default=str) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):  # closed, or the peer died
                return False
        return True


def read_message(stream: IO[str]) -> dict[str, Any] | None:
    """The next message, or None at the end of the stream (the other end is gone)."""
    while True:
        try:
            line = stream.readline()
        except (OSError, ValueError):
            return None
        if not line:
            return None
        line = line.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue  # not ours (a library printing to the protocol stream): skip it
        if isinstance(message, dict) and isinstance(message.get("kind"), str):
            return message
