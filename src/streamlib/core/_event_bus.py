"""The event bus: topics, weakly held listeners, and publishers that never wait.

``publish`` only appends to each matching listener's bounded inbox; one
dispatcher thread per bus calls the listeners. A listener too slow to keep up
finds its inbox full, and further events for it are skipped and counted; the
publisher (often a processor's worker) is never held up::

    bus = EventBus()
    subscription = bus.subscribe("processor:*", lambda event: print(event.to_json()))
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


class Subscription:
    """A listener's handle. Keep it referenced: the bus holds it only weakly."""

    __slots__ = (
        "__weakref__",
        "_bus",
        "_inbox",
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
        self.delivered = 0
        self.skipped = 0
        self.errors = 0

    def matches(self, topic: str) -> bool:
        pattern = self.pattern
        return pattern in (topic, "*") or fnmatch.fnmatchcase(topic, pattern)

    def close(self) -> None:
        """Stop receiving events."""
        bus = self._bus()
        if bus is not None:
            bus._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class EventBus:
    """One bus per runtime. Topic patterns may use ``*`` (``processor:*``, or ``*`` for all)."""

    def __init__(self, *, inbox_size: int = DEFAULT_INBOX_SIZE) -> None:
        self._inbox_size = inbox_size
        self._subscriptions: tuple[weakref.ref[Subscription], ...] = ()
        self._lock = threading.Lock()  # guards subscribe/unsubscribe only
        self._wakeup = Wakeup()
        self._dispatcher: threading.Thread | None = None
        self._closed = False
        self._dispatching = False
        self.published = 0

    def subscribe(self, pattern: str, callback: Callable[[Event], object]) -> Subscription:
        """Call ``callback(event)`` for each event whose topic matches ``pattern``."""
        subscription = Subscription(self, pattern, callback)
        with self._lock:
            self._subscriptions = (*self._subscriptions, weakref.ref(subscription))
            if self._dispatcher is None and not self._closed:
                self._dispatcher = threading.Thread(
                    target=self._dispatch, name="streamlib-events", daemon=True
                )
                self._dispatcher.start()
        return subscription

    def publish(self, event: Event) -> None:
        """Queue ``event`` for every matching listener; never blocks."""
        self.published += 1
        topic = event.topic
        queued = False
        for ref in self._subscriptions:
            subscription = ref()
            if subscription is None or not subscription.matches(topic):
                continue
            if len(subscription._inbox) >= self._inbox_size:
                subscription.skipped += 1
                continue
            subscription._inbox.append(event)
            queued = True
        if queued:
            self._wakeup.unpark()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was handed to its listener; False on timeout."""
        deadline = time.monotonic() + timeout
        # Inboxes first: the dispatcher raises _dispatching before it takes an event,
        # so an empty inbox followed by a lowered flag means every callback returned.
        while any(s._inbox for s in self._live()) or self._dispatching:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def close(self) -> None:
        """Stop the dispatcher thread; queued events are dropped."""
        self._closed = True
        self._wakeup.unpark()
        dispatcher = self._dispatcher
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join(timeout=2.0)

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
        subscription._inbox.clear()

    def _dispatch(self) -> None:
        while not self._closed:
            self._wakeup.park(0.5)
            self._dispatching = True
            while not self._closed and self._deliver_one_round():
                pass
            self._dispatching = False
            # drop refs of collected listeners
            if any(ref() is None for ref in self._subscriptions):
                with self._lock:
                    self._subscriptions = tuple(r for r in self._subscriptions if r() is not None)

    def _deliver_one_round(self) -> bool:
        """Hand each listener its oldest queued event; False when none was queued.

        A method of its own so that no local variable outlives the round: a parked
        dispatcher holding the last listener would keep a dropped subscription alive.
        """
        busy = False
        for subscription in self._live():
            try:
                event = subscription._inbox.popleft()
            except IndexError:
                continue
            busy = True
            try:
                subscription.callback(event)
                subscription.delivered += 1
            except Exception:
                subscription.errors += 1
                _log.exception("event listener %r failed", subscription.callback)
        return busy
