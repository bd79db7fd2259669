"""The live connections of a runtime: one per graph edge, bound to the workers that use them.

The graph says which ports are joined; :class:`Wiring` makes the
:class:`~streamlib.core.Connection` for each edge, attaches it to both ports,
points it at its consumer's wake-up (none inside a fused chain), holds it in a
pause, and gives up, counted, what is left queued when it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..core import (
    Connection,
    ConnectionId,
    ConnectionRemoved,
    Edge,
    EventBus,
    Graph,
    MediaClock,
    ProcessorId,
    ProcessorState,
    SchedulingMode,
)
from ._handle import ProcessorHandle
from ._worker import Worker

__all__ = ["NEVER_READS_AGAIN", "Wiring"]

NEVER_READS_AGAIN = frozenset({ProcessorState.FAILED, ProcessorState.QUARANTINED})
"""States of a consumer whose input is given up: writes for it are dropped and counted."""


class Wiring:
    """Every connection of ``graph``, by edge id."""

    def __init__(
        self,
        graph: Graph,
        handles: Mapping[ProcessorId, ProcessorHandle],
        events: EventBus,
        clock: MediaClock,
        warn: Callable[[str, ProcessorId | None], None],
    ) -> None:
        self._graph = graph
        self._handles = handles
        self._events = events
        self._clock = clock
        self._warn = warn
        self._connections: dict[ConnectionId, Connection[Any]] = {}

    def __getitem__(self, edge_id: ConnectionId) -> Connection[Any]:
        return self._connections[edge_id]

    def __iter__(self) -> Iterator[Connection[Any]]:
        return iter(list(self._connections.values()))

    def snapshot(self) -> list[Connection[Any]]:
        """The connections now, read without a lock (a dict copy is atomic)."""
        return list(self._connections.copy().values())

    def open(self, edge: Edge) -> Connection[Any]:
        """Make ``edge``'s connection and attach it to its two ports."""
        connection: Connection[Any] = Connection(
            edge.source, edge.target, edge.profile, edge.capacity
        )
        self._connections[edge.id] = connection
        source = self._graph.processor(edge.source.processor)
        target = self._graph.processor(edge.target.processor)
        produced = source.outputs[edge.source.port].spec.frame_type
        wanted = target.inputs[edge.target.port].spec.frame_type
        if produced.is_less_specific_than(wanted):  # only then is each frame checked
            connection.expected = wanted
        target.inputs[edge.target.port].attach(connection)
        source.outputs[edge.source.port].attach(connection)
        return connection

    def drop(self, edge: Edge) -> None:
        """Detach ``edge``'s connection from its ports; what was queued counts as dropped."""
        connection = self._connections.pop(edge.id)
        source = self._graph.processor(edge.source.processor)
        target = self._graph.processor(edge.target.processor)
        source.outputs[edge.source.port].detach(connection)  # no new frames first
        target.inputs[edge.target.port].detach()
        # Not closed: a write the producer already began may still reach this ring,
        # and a closed one would raise in that (untouched) producer. Emptying it gives
        # up the queued frames (counted as dropped) and frees a producer waiting there.
        connection.discard()
        self._events.publish(
            ConnectionRemoved(connection_id=edge.id, timestamp_ns=self._clock.now_ns())
        )

    def reopen_closed(self) -> None:
        """Replace the connections a stop closed (a new run starts with empty rings)."""
        for edge in self._graph.edges():
            if self._connections[edge.id].closed:
                self.drop(edge)
                self.open(edge)

    def bind(self, worker_of: Mapping[ProcessorId, Worker], *, paused: bool) -> None:
        """Point each connection at its consumer's wake-up (none inside a fused group)."""
        for connection in self._connections.values():
            producer = worker_of.get(connection.source.processor)
            consumer = worker_of.get(connection.target.processor)
            handle = self._handles.get(connection.target.processor)
            gone = handle is not None and handle.state in NEVER_READS_AGAIN
            # A failed consumer never drains, also not inline: the producer must see it.
            inline = consumer is not None and consumer is producer and not gone
            connection.inline_consumer = inline
            connection.consumer_wakeup = None if consumer is None or inline else consumer.wakeup
            connection.mark_consumer_gone(gone)
            producer_handle = self._handles.get(connection.source.processor)
            connection.producer_cannot_wait = (
                producer_handle is not None and producer_handle.mode is SchedulingMode.PULL
            )
            connection.on_hold = paused
            connection.pause_producer(paused and connection.producer_cannot_wait)

    def hold(self, paused: bool) -> None:
        """While paused, a lossless producer waiting for room waits without timing out,
        and a device callback's frames are given up (and counted) instead of queued."""
        for connection in self._connections.values():
            connection.on_hold = paused
            connection.pause_producer(paused and connection.producer_cannot_wait)

    def close_all(self, why: str) -> None:
        """Refuse further writes everywhere; count what is left queued as dropped, and say so."""
        for connection in self._connections.values():
            connection.close()
            given_up = connection.discard()
            if given_up:
                self._warn(
                    f"{given_up} frame(s) queued on {connection.id} were given up when {why}: "
                    f"{connection.target.processor} stopped taking them",
                    connection.target.processor,
                )
