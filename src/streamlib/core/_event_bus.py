"""The event bus: topics, weakly held listeners, and publishers that never wait.

``publish`` only appends to each matching listener's bounded inbox; each
subscription's own delivery thread calls its listener. A listener too slow to
keep up finds its inbox full, and further events for it are skipped and
counted; the publisher (often a processor's worker) and the other listeners
are never held up::

    bus = EventBus()
    subscription = bus.subscribe("processor:*", lambda event: print(event.to_dict()))
    ...
    subscription.close()   # or just drop the subscription: it is held weakly
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable

from ._events import Event
from ._wakeup import Wakeup

__all__ = ["EventBus", "Subscription"]

_log = logging.getLogger("streamlib.events")

DEFAULT_INBOX_SIZE = 1024
_IDLE_CHECK_S = 0.5  # how often an idle delivery thread checks its subscription still exists


class Subscription:
    """A listener's handle. Keep it referenced: the bus holds it only weakly.

    Each subscription has its own delivery thread, so a slow listener delays
    only itself: its inbox fills and further events for it are skipped (and
    counted in ``skipped``), while other listeners keep receiving theirs.
    """

    __slots__ = (
        "__weakref__",
        "_bus",
        "_closed",
        "_delivering",
        "_inbox",
        "_thread",
        "_wakeup",
        "callback",
        "delivered",
        "errors",
        "pattern",
        "skipped",
    )

    def __init__(self, bus: EventBus, pattern: str, callback: Callable[[Event], object]) -> None:
        self._bus = weakref.ref(bus)
        self.pattern = pattern
        self.callback = callback
        self._inbox: deque[Event] = deque()
        self._wakeup = Wakeup()
        self._closed = False
        self._delivering = False
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.skipped = 0
        self.errors = 0

    def matches(self, topic: str) -> bool:
        pattern = self.pattern
        return pattern in (topic, "*") or fnmatch.fnmatchcase(topic, pattern)

    def close(self) -> None:
        """Stop receiving events; events still queued for this listener are dropped."""
        bus = self._bus()
        if bus is not None:
            bus._remove(self)
        self._stop()

    @property
    def is_idle(self) -> bool:
        """Nothing queued and no callback running."""
        return not self._inbox and not self._delivering

    def _start(self) -> None:
        # The thread holds the subscription only weakly: dropping the handle ends it.
        self._thread = threading.Thread(
            target=_deliver,
            args=(weakref.ref(self), self._inbox, self._wakeup),
            name=f"streamlib-events:{self.pattern}",
            daemon=True,
        )
        self._thread.start()

    def _stop(self) -> None:
        self._closed = True
        self._inbox.clear()
        self._wakeup.unpark()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _deliver(ref: weakref.ref[Subscription], inbox: deque[Event], wakeup: Wakeup) -> None:
    """A subscription's delivery thread: call the listener for each queued event."""
    while True:
        wakeup.park(_IDLE_CHECK_S)
        while True:
            subscription = ref()
            if subscription is None or subscription._closed:
                return
            subscription._delivering = True  # before the pop, so flush() never misses it
            try:
                event = inbox.popleft()
            except IndexError:
                subscription._delivering = False
                break
            try:
                subscription.callback(event)
                subscription.delivered += 1
            except BaseException:  # SystemExit too: it would end this thread without a word
                subscription.errors += 1
                _log.exception("event listener %r failed", subscription.callback)
            finally:
                subscription._delivering = False
            del subscription, event  # hold nothing while parked: the handle may be dropped
        del subscription


class EventBus:
    """One bus per runtime. Topic patterns may use ``*`` (``processor:*``, or ``*`` for all)."""

    def __init__(self, *, inbox_size: int = DEFAULT_INBOX_SIZE) -> None:
        self._inbox_size = inbox_size
        self._subscriptions: tuple[weakref.ref[Subscription], ...] = ()
        self._lock = threading.Lock()  # guards subscribe/unsubscribe only
        self._closed = False
        self.published = 0

    def subscribe(self, pattern: str, callback: Callable[[Event], object]) -> Subscription:
        """Call ``callback(event)`` for each event whose topic matches ``pattern``.

        The callback runs on the subscription's own thread, one event at a time.
        """
        subscription = Subscription(self, pattern, callback)
        with self._lock:
            if self._closed:
                subscription._closed = True
                return subscription
            self._subscriptions = (
                *(ref for ref in self._subscriptions if ref() is not None),
                weakref.ref(subscription),
            )
        subscription._start()
        return subscription

    def publish(self, event: Event) -> None:
        """Queue ``event`` for every matching listener; never blocks."""
        self.published += 1
        topic = event.topic
        for ref in self._subscriptions:
            subscription = ref()
            if subscription is None or not subscription.matches(topic):
                continue
            if len(subscription._inbox) >= self._inbox_size:
                subscription.skipped += 1
                continue
            subscription._inbox.append(event)
            subscription._wakeup.unpark()

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every queued event was handed to its listener; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while not all(s.is_idle for s in self._live()):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def close(self) -> None:
        """Stop every delivery thread; queued events are dropped."""
        with self._lock:
            self._closed = True
            live = self._live()
            self._subscriptions = ()
        for subscription in live:
            subscription._stop()
        current = threading.current_thread()
        for subscription in live:
            thread = subscription._thread
            if thread is not None and thread is not current:
                thread.join(timeout=2.0)

    @property
    def skipped(self) -> int:
        """Events skipped because a listener was too slow, over all live listeners."""
        return sum(s.skipped for s in self._live())

    def _live(self) -> list[Subscription]:
        return [s for s in (ref() for ref in self._subscriptions) if s is not None]

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions = tuple(
                ref for ref in self._subscriptions if ref() not in (None, subscription)
            )
