"""What the runtime tells the world: events on the bus, and warnings in the log too.

Every event carries the media clock's time. A warning (a priority the OS refused,
frames dropped at a stop) goes to the ``streamlib.runtime`` log and on the bus as
``RuntimeWarned``, so a program, the CLI and an MCP agent all hear it.
"""

from __future__ import annotations

import logging

from ..core import (
    ConnectionCreated,
    Edge,
    EventBus,
    MediaClock,
    ProcessorAdded,
    ProcessorId,
    ProcessorRemoved,
    RuntimePaused,
    RuntimeResumed,
    RuntimeStarted,
    RuntimeStopped,
    RuntimeWarned,
    WorkersRegrouped,
)

__all__ = ["Announcer"]

_log = logging.getLogger("streamlib.runtime")

# The events that carry nothing but the time: the lifecycle's moves.
StateEvent = type[RuntimeStarted | RuntimePaused | RuntimeResumed | RuntimeStopped]


class Announcer:
    """Publishes the runtime's events on ``events``, stamped by ``clock``."""

    __slots__ = ("_clock", "_events")

    def __init__(self, events: EventBus, clock: MediaClock) -> None:
        self._events = events
        self._clock = clock

    def warn(self, message: str, processor_id: ProcessorId | None = None) -> None:
        """A warning in the log and on the bus (``RuntimeWarned``)."""
        _log.warning(message)
        self._events.publish(
            RuntimeWarned(
                message=message, processor_id=processor_id, timestamp_ns=self._clock.now_ns()
            )
        )

    def workers_regrouped(self, reason: str, groups: list[tuple[ProcessorId, ...]]) -> None:
        """Measured fusion moved processors between workers (logged at info level)."""
        _log.info("regrouped workers: %s", reason)
        self._events.publish(
            WorkersRegrouped(
                reason=reason,
                groups=tuple(tuple(str(pid) for pid in group) for group in groups),
                timestamp_ns=self._clock.now_ns(),
            )
        )

    def state_changed(self, event: StateEvent) -> None:
        """The runtime started, paused, resumed or stopped."""
        self._events.publish(event(timestamp_ns=self._clock.now_ns()))

    def processor_added(self, processor_id: ProcessorId, type_name: str) -> None:
        self._events.publish(
            ProcessorAdded(
                processor_id=processor_id, type_name=type_name, timestamp_ns=self._clock.now_ns()
            )
        )

    def processor_removed(self, processor_id: ProcessorId) -> None:
        self._events.publish(
            ProcessorRemoved(processor_id=processor_id, timestamp_ns=self._clock.now_ns())
        )

    def connection_created(self, edge: Edge) -> None:
        self._events.publish(
            ConnectionCreated(
                connection_id=edge.id,
                source=str(edge.source),
                target=str(edge.target),
                profile=edge.profile.value,
                capacity=edge.capacity,
                timestamp_ns=self._clock.now_ns(),
            )
        )
