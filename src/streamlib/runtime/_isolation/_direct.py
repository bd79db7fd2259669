"""Channels straight from one worker process to another, bypassing the parent.

An edge ``a.out -> b.in`` *goes direct* when ``a`` and ``b`` are both processors
alone in a worker process (``isolation="process"`` without a process name) and
that connection is the only one on ``a.out``. Both stand-ins decide it alone, from
the graph as it stands (:meth:`DirectRoutes.qualifies` is a function of the edge
and its two ends, so they agree): ``a``'s worker publishes the output on the
channel (its outlet, so a pooled output still crosses in place), ``b``'s worker
subscribes its inlet to it, and the parent opens neither end. Its connection
``a -> b`` carries no frame; the stand-ins copy the workers' counts onto it.

The channel is named after the runtime and the connection object, so both ends
(and a restarted worker on either side) find it, and a new connection between the
same ports gets a channel of its own. A :class:`DirectLedger` per channel keeps
what ``a``'s workers sent into it and what ``b``'s took out (or the channel
dropped), over restarts, so frames lost when a worker dies or stops are counted.

``STREAMLIB_DIRECT_CHANNELS=0`` in the environment when the runtime is made routes
every edge through the parent as before (for comparisons).
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...core import Connection, ConnectionId

if TYPE_CHECKING:
    from ._proxy import IsolatedProcessor

__all__ = ["DirectLedger", "DirectPlan", "DirectRoutes"]


@dataclass(frozen=True)
class DirectPlan:
    """A member's ports that go straight to (inputs: from) another worker: by port
    name, the channel's spec (``channel``, ``profile``, ``capacity``)."""

    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


NO_DIRECT_PLAN = DirectPlan()


@dataclass
class DirectLedger:
    """What crossed one direct channel, over every worker on either end."""

    sent: int = 0
    """Frames the publishing workers' outlets sent into it."""
    received: int = 0
    """Frames the subscribing workers read from it, or that it dropped (fifo, latest)."""
    lost: int = 0
    """Of the rest, frames counted as lost (a worker died or stopped holding them)."""

    def settle(self) -> int:
        """Count what was sent and neither received nor counted yet as lost; the number."""
        lost = max(0, self.sent - self.received - self.lost)
        self.lost += lost
        return lost


class DirectRoutes:
    """A runtime's processors alone in a worker, and the channels of their direct edges."""

    def __init__(self) -> None:
        self.enabled = os.environ.get("STREAMLIB_DIRECT_CHANNELS", "1") != "0"
        self._token = secrets.token_hex(4)
        self._stand_ins: dict[str, IsolatedProcessor] = {}
        self._names: dict[ConnectionId, tuple[Connection[Any], str]] = {}
        self._ledgers: dict[str, DirectLedger] = {}
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def enrol(self, processor_id: str, stand_in: IsolatedProcessor) -> None:
        self._stand_ins[processor_id] = stand_in
        stand_in.direct_routes = self

    def leave(self, processor_id: str) -> None:
        self._stand_ins.pop(processor_id, None)

    def qualifies(self, connection: Connection[Any]) -> bool:
        """Whether ``connection`` goes straight from worker to worker: both ends are
        processors alone in a worker (different ones), and it is its output's only
        connection."""
        if not self.enabled:
            return False
        source = self._stand_ins.get(str(connection.source.processor))
        target = self._stand_ins.get(str(connection.target.processor))
        if source is None or target is None or source is target:
            return False
        if source.process_group is not None or target.process_group is not None:
            return False
        output = source.outputs.get(connection.source.port)
        if output is None or list(output.connections) != [connection]:
            return False
        port = target.inputs.get(connection.target.port)
        return port is not None and port.connection is connection

    def fan_out(self, connection: Connection[Any]) -> tuple[int, ...]:
        """The connections (as objects) on ``connection``'s output, when a processor
        alone makes it: a consumer's stand-in looks at these too, since a second
        consumer there changes its input's route."""
        source = self._stand_ins.get(str(connection.source.processor))
        output = None if source is None else source.outputs.get(connection.source.port)
        return () if output is None else tuple(map(id, output.connections))

    def plan_of(self, stand_in: IsolatedProcessor) -> DirectPlan:
        """``stand_in``'s direct ports as the graph stands now."""
        if not self.enabled or stand_in.process_group is not None:
            return NO_DIRECT_PLAN
        inputs = {
            name: self._spec(port.connection)
            for name, port in stand_in.inputs.items()
            if port.connection is not None and self.qualifies(port.connection)
        }
        outputs = {
            name: self._spec(output.connections[0])
            for name, output in stand_in.outputs.items()
            if len(output.connections) == 1 and self.qualifies(output.connections[0])
        }
        return DirectPlan(inputs, outputs) if inputs or outputs else NO_DIRECT_PLAN

    def ledger(self, channel: str) -> DirectLedger:
        with self._lock:
            return self._ledgers.setdefault(channel, DirectLedger())

    def _spec(self, connection: Connection[Any]) -> dict[str, Any]:
        with self._lock:
            known = self._names.get(connection.id)
            if known is None or known[0] is not connection:
                # A new connection between the same ports: a channel of its own, so it
                # never meets an end of the old one still closing (maybe another profile).
                known = (connection, f"sl-{self._token}/direct/{next(self._numbers)}")
                self._names[connection.id] = known
        return {
            "channel": known[1],
            "profile": connection.profile.value,
            "capacity": connection.capacity,
        }
