"""Server-Sent Events: the runtime's events as they happen, and statistics at a chosen rate.

::

    GET /api/events                      event: processor_added
                                         data: {"kind": "processor_added", ..., "dropped": 0}

    GET /api/stats/stream?interval_ms=500
                                         event: stats
                                         data: {"state": "running", "processors": {...}, ...}

A slow client never holds up the runtime: the bus hands each event to this client's
listener, which only appends it to a bounded queue of the client's own; when the queue is
full the event is dropped and counted, and every event sent carries ``dropped``, the count
so far, so a client sees that it missed some. A comment line every few seconds keeps idle
streams open through proxies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..control import PipelineHost, call_operation, call_operation_now
from ..core import Event, RuntimeStateError

__all__ = ["ClientQueue", "SharedSnapshot", "event_stream", "stats_stream"]

CLIENT_QUEUE_SIZE = 256
"""How many events wait for one slow client before further ones are dropped (and counted)."""

MIN_INTERVAL_MS = 100
MAX_INTERVAL_MS = 10_000
DEFAULT_INTERVAL_MS = 1_000
_KEEPALIVE_S = 15.0
_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
_STATS_ARGUMENTS = {"events": 0}  # events have a stream of their own


class SharedSnapshot:
    """One ``get_stats`` snapshot shared by every stats stream of a host.

    Taking a snapshot takes the GIL for as long as it walks every processor and
    connection; five pages at 10 Hz would take five a tick. Streams that ask within
    ``max_age_s`` of the last one get that one, and concurrent askers wait for one.
    """

    def __init__(self, host: PipelineHost) -> None:
        self._host = host
        self._lock: asyncio.Lock | None = None  # made on the event loop that uses it
        self._taken = float("-inf")
        self._last: tuple[str, str] | None = None
        self.taken = 0  # snapshots actually made (for tests and statistics)

    async def take(self, *, max_age_s: float) -> tuple[str, str]:
        """``(kind, SSE text)`` of a snapshot no older than ``max_age_s``."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._last is not None and time.monotonic() - self._taken <= max_age_s:
                return self._last
            # On the loop when the host is free (a fraction of a millisecond): a hop to a
            # worker thread and back would wake two threads each tick. Behind a long
            # operation, on a worker thread, so the loop never waits for it.
            outcome = call_operation_now(self._host, "get_stats", _STATS_ARGUMENTS)
            if outcome is None:
                outcome = await anyio.to_thread.run_sync(
                    partial(call_operation, self._host, "get_stats", _STATS_ARGUMENTS)
                )
            kind = "error" if outcome.is_error else "stats"
            self._last = (kind, sse(kind, outcome.structured))
            self._taken = time.monotonic()
            self.taken += 1
            return self._last


_shared_snapshots: weakref.WeakKeyDictionary[PipelineHost, SharedSnapshot] = (
    weakref.WeakKeyDictionary()
)


class ClientQueue:
    """Events waiting for one client: filled by the bus's delivery thread, emptied by the
    client's stream on the event loop; never blocks the filler, drops (and counts) when full."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int = CLIENT_QUEUE_SIZE) -> None:
        self._loop = loop
        self._size = size
        self._lock = threading.Lock()
        self._events: deque[Event] = deque()
        self._ready = asyncio.Event()
        self.dropped = 0

    def put(self, event: Event) -> None:
        """Called on the bus's delivery thread for every event."""
        with self._lock:
            if len(self._events) >= self._size:
                self.dropped += 1
                return
            self._events.append(event)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody reads this queue
            self._loop.call_soon_threadsafe(self._ready.set)

    async def take(self, timeout_s: float) -> list[Event]:
        """Every queued event (waiting up to ``timeout_s`` for one; ``[]`` if none came)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        except TimeoutError:
            return []
        self._ready.clear()
        with self._lock:
            taken = list(self._events)
            self._events.clear()
        return taken


def sse(kind: str, data: Any) -> str:
    """One Server-Sent Event: ``event: kind`` and ``data`` as one line of JSON."""
    return f"event: {kind}\ndata: {json.dumps(data, default=repr)}\n\n"


async def event_stream(host: PipelineHost, request: Request) -> Response:
    """``GET /api/events``: every runtime event from now on, named by its kind."""
    queue = ClientQueue(asyncio.get_running_loop())
    try:
        subscription = host.runtime.events.subscribe("*", queue.put)
    except RuntimeStateError as error:
        return JSONResponse({"error": "RuntimeStateError", "message": str(error)}, 400)

    async def events() -> AsyncIterator[str]:
        try:
            yield ": streamlib events\n\n"  # the headers and a first line go out at once
            while True:
                taken = await queue.take(_KEEPALIVE_S)
                if not taken:
                    yield ": keep-alive\n\n"
                for event in taken:
                    yield sse(event.kind, {**event.to_dict(), "dropped": queue.dropped})
        finally:
            subscription.close()

    return StreamingResponse(events(), media_type="text/event-stream", headers=_HEADERS)


async def stats_stream(host: PipelineHost, request: Request) -> Response:
    """``GET /api/stats/stream?interval_ms=N``: ``get_stats`` (without events: they have a
    stream of their own) every N ms, 100..10000, 1000 by default; ends if the host closes.
    Every stream of a host shares one snapshot up to half its interval old (SharedSnapshot),
    and streams at one rate tick together."""
    text = request.query_params.get("interval_ms", str(DEFAULT_INTERVAL_MS))
    try:
        interval_ms = int(text)
    except ValueError:
        interval_ms = -1
    if not MIN_INTERVAL_MS <= interval_ms <= MAX_INTERVAL_MS:
        message = (
            f"interval_ms={text} is not a rate this stream sends at: use an integer "
            f"{MIN_INTERVAL_MS}..{MAX_INTERVAL_MS} (milliseconds between snapshots)"
        )
        return JSONResponse({"error": "ConfigError", "message": message}, 400)

    shared = _shared_snapshots.setdefault(host, SharedSnapshot(host))

    async def snapshots() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        interval_s = interval_ms / 1000
        while True:
            kind, text = await shared.take(max_age_s=interval_s / 2)
            yield text
            if kind == "error":
                return
            # On the loop clock's grid of the interval: streams at one rate (or at its
            # multiples) wake together and share one snapshot and one wake-up of the
            # server, which each takes the GIL from the pipeline for a moment.
            await asyncio.sleep(interval_s - loop.time() % interval_s)

    return StreamingResponse(snapshots(), media_type="text/event-stream", headers=_HEADERS)
