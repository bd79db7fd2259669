"""The pipeline a face (MCP, web) works on: one runtime, shared by every client, one call at a time.

::

    host = PipelineHost(permissions=Permissions(capabilities=frozenset({"camera"})))
    host.call(lambda: host.runtime.add("TestPattern", id="src"))
    host.close()

Every operation runs through :meth:`PipelineHost.call`, which holds one lock, so
two clients never interleave the steps of their calls (a snapshot's probe is
never seen by another client, a pipeline file loads whole). The runtime is
created on a thread of its own that pumps its main-thread queue, so processors
that must run code on "the main thread" (window toolkits) work while the
server's event loop owns the real main thread.

A host may also serve a runtime someone else owns and runs (``streamlib run FILE --web``:
``PipelineHost(runtime=runtime)``); then it neither pumps nor closes that runtime.

The host also keeps the runtime's latest events (:meth:`PipelineHost.recent_events`):
errors, state changes and ends that happen between calls, for ``get_stats`` and the
``events://recent`` resource.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from ..core import Event, Registry, RuntimeStateError, Subscription
from ..runtime import Runtime
from ..runtime._worker_set import Fuse
from ._permissions import Permissions

__all__ = ["HostBusyError", "PipelineHost"]

T = TypeVar("T")

_PUMP_PERIOD_S = 0.25  # how soon the pump thread notices close(); queued calls wake it at once

EVENT_HISTORY = 256
"""How many of the runtime's latest events the host keeps for agents to read."""


class HostBusyError(Exception):
    """``PipelineHost.call(..., wait=False)`` found another call running."""


class PipelineHost:
    """Owns the runtime behind a face (the MCP server), its registry and the permissions granted.

    Args:
        registry: processor types agents may add (default: every registered type).
        permissions: what agents may reach outside the process (default: nothing).
        fuse: how the runtime puts processors on threads (see ``Runtime``;
            ``streamlib mcp --fuse``).
        runtime: a runtime its owner runs and closes (``streamlib run --web``); the host
            then uses it (and its registry) instead of creating one, and ``close()`` leaves
            it running.
    """

    def __init__(
        self,
        *,
        registry: Registry | None = None,
        permissions: Permissions | None = None,
        fuse: Fuse = "auto",
        runtime: Runtime | None = None,
    ) -> None:
        if runtime is not None:
            registry = runtime.registry
        self.registry = registry if registry is not None else Registry.default()
        self.permissions = permissions if permissions is not None else Permissions()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._ready = threading.Event()
        self._runtime: Runtime | None = None
        self._failure: BaseException | None = None
        self._events: deque[dict[str, Any]] = deque(maxlen=EVENT_HISTORY)
        self._events_seen = 0
        self._subscription: Subscription | None = None
        self._owned = runtime is None
        self._pump: threading.Thread | None = None
        if runtime is not None:
            self._runtime = runtime
            self._subscription = runtime.events.subscribe("*", self._record)
            return
        self._pump = pump = threading.Thread(
            target=self._pump_main, args=(fuse,), name="streamlib-host-main", daemon=True
        )
        pump.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    @property
    def runtime(self) -> Runtime:
        runtime = self._runtime
        if runtime is None:
            raise RuntimeStateError("the pipeline host is closed")
        return runtime

    def call(self, operation: Callable[[], T], *, wait: bool = True) -> T:
        """Run ``operation`` while no other call runs (operations use nothing else).

        With ``wait=False`` it raises :class:`HostBusyError` instead of waiting for a call
        in progress (for an event loop that would rather not block).
        """
        if not self._lock.acquire(blocking=wait):
            raise HostBusyError("another call is running on this host")
        try:
            if self._closed.is_set():
                raise RuntimeStateError("the server is shutting down; no more calls are taken")
            return operation()
        finally:
            self._lock.release()

    def recent_events(self, limit: int = EVENT_HISTORY) -> list[dict[str, Any]]:
        """The runtime's latest events (at most ``limit``), oldest first, each as its
        ``to_dict()`` plus ``seq``: a number that counts every event since the host began,
        so a reader sees how many it missed."""
        if limit <= 0:
            return []
        events = list(self._events)  # a copy: the delivery thread appends meanwhile
        return events[-limit:]

    def _record(self, event: Event) -> None:
        self._events_seen += 1  # only the subscription's one delivery thread writes these
        # Through JSON once, so a custom event's payload that JSON cannot hold shows as text.
        entry = json.loads(json.dumps(event.to_dict(), default=repr))
        self._events.append({"seq": self._events_seen, **entry})

    def close(self) -> None:
        """Stop the pipeline (teardown runs) and the pump thread; a runtime given to the host
        is left to its owner. No call is taken afterwards. Idempotent."""
        with self._lock:
            if self._closed.is_set():
                return
            try:
                if self._owned:
                    self.runtime.close()
            finally:
                self._closed.set()
                if self._subscription is not None:
                    self._subscription.close()
        if self._pump is not None:
            self._pump.join()

    def _pump_main(self, fuse: Fuse) -> None:
        try:
            # Created here, so this thread is the one its run_on_main calls go to.
            self._runtime = Runtime(registry=self.registry, fuse=fuse)
        except BaseException as error:
            self._failure = error
            self._ready.set()
            return
        self._subscription = self._runtime.events.subscribe("*", self._record)
        self._ready.set()
        runtime = self._runtime
        while not self._closed.is_set():
            runtime.pump_main(_PUMP_PERIOD_S)
