"""The parent's connections that carry no frame, showing the worker's counts.

A connection between two members of a named process runs inside their worker, and
one that goes straight from one worker to another runs between them: the parent's
connection object stays in the graph (for the graph, the statistics, the page) but
no frame passes through it. :class:`ConnectionMirror` copies onto it what the
workers report with each statistics message: delivered, dropped, the age of the
newest frame, and for an output read only there its frames written; each count
continues from where the session found it, as a restarted worker counts from zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...core import ConnectionId

if TYPE_CHECKING:
    from ._direct import DirectLedger
    from ._proxy import IsolatedProcessor
    from ._session import WorkerSession

__all__ = ["ConnectionMirror"]


class ConnectionMirror:
    """The counts of ``session``'s connections that carry no frame in the parent."""

    def __init__(self, session: WorkerSession, stand_ins: Mapping[str, IsolatedProcessor]) -> None:
        self._session = session
        self._stand_ins = stand_ins
        # Where each count stood when this session began (it counts on from there).
        self._connection_base: dict[ConnectionId, tuple[int, int]] = {}
        self._output_base: dict[ConnectionId, int] = {}
        self._mirrored_at: dict[str, int] = {}  # per member: the stats last mirrored
        # Per direct channel and count: where its ledger stood when this worker began.
        self._ledger_base: dict[tuple[str, str], int] = {}

    def mirror(self, processor_id: str, stand_in: IsolatedProcessor) -> None:
        """Show the worker's counts on ``stand_in``'s connections that stay inside or go
        straight to another worker (no frame crosses them in the parent): delivered and
        dropped as the worker counts them (frames still queued there count as not yet
        written), and for an output read only there, its frames written."""
        session = self._session
        if session.internal or session.channels[processor_id].ever_direct:
            self._mirror(processor_id, stand_in)

    def _mirror(self, processor_id: str, stand_in: IsolatedProcessor) -> None:
        worker = self._session.worker
        if self._mirrored_at.get(processor_id) == worker.stats_taken_ns:
            return
        self._mirrored_at[processor_id] = worker.stats_taken_ns
        self._mirror_direct(processor_id, stand_in)
        if not self._session.internal:
            return
        remote = {c["id"]: c for c in worker.connections}
        for port in stand_in.inputs.values():
            connection = port.connection
            if connection is None or connection.id not in self._session.internal:
                continue
            counts = remote.get(str(connection.id))
            if counts is None:
                continue
            written, delivered = self._connection_base.setdefault(
                connection.id, (connection.written, connection.delivered)
            )
            connection.delivered = delivered + counts["delivered"]
            connection.written = written + counts["delivered"] + counts["dropped"]
            age_ms = counts.get("newest_age_ms")
            if age_ms is not None:
                connection.last_write_ns = self._session.worker.stats_taken_ns - int(age_ms * 1e6)
        for output in stand_in.outputs.values():
            inside = [c for c in output.connections if c.id in self._session.internal]
            if inside and len(inside) == len(output.connections):
                counts = remote.get(str(inside[0].id))
                if counts is not None:
                    base = self._output_base.setdefault(inside[0].id, output.frames_out)
                    output.frames_out = base + counts["written"]

    def _mirror_direct(self, processor_id: str, stand_in: IsolatedProcessor) -> None:
        """The direct ports: an input's connection gets the counts of the worker's inlet
        -> member connection (and the channel's drops), an output its frames written
        from the outlet's sends; both count on the channel's ledger."""
        channels = self._session.channels[processor_id]
        if not channels.direct_inputs and not channels.direct_outputs:
            return
        stats = self._session.worker.stats.get(processor_id, {})
        taken_in = 0
        for port, counts in stats.get("direct_in", {}).items():
            channel = channels.direct_inputs.get(port)
            connection = stand_in.inputs[port].connection if port in stand_in.inputs else None
            if channel is None:
                continue
            received = counts["delivered"] + counts["dropped"] + counts["channel_dropped"]
            self._count(processor_id, channel, "received", received)
            taken_in += counts["delivered"]
            if connection is None:
                continue
            written, delivered = self._connection_base.setdefault(
                connection.id, (connection.written, connection.delivered)
            )
            connection.delivered = delivered + counts["delivered"]
            connection.written = written + received
            age_ms = counts.get("newest_age_ms")
            if age_ms is not None:
                connection.last_write_ns = self._session.worker.stats_taken_ns - int(age_ms * 1e6)
        sent_out = 0
        for port, sent in stats.get("direct_out", {}).items():
            channel = channels.direct_outputs.get(port)
            if channel is None:
                continue
            self._count(processor_id, channel, "sent", sent)
            sent_out += sent
            output = stand_in.outputs.get(port)
            if output is not None and output.connections:
                base = self._output_base.setdefault(output.connections[0].id, output.frames_out)
                output.frames_out = base + sent
        before_in, before_out = channels.direct_before
        channels.hops_in_direct = before_in + taken_in
        channels.hops_out_direct = before_out + sent_out

    def ledger(self, processor_id: str, channel: str) -> DirectLedger:
        """The ledger of a direct channel of ``processor_id``'s (its stand-in keeps it)."""
        routes = self._stand_ins[processor_id].direct_routes
        assert routes is not None  # a member with a direct port has them
        return routes.ledger(channel)

    def _count(self, processor_id: str, channel: str, which: str, now: int) -> None:
        """Set the ledger's ``which`` to what this session found there plus ``now``."""
        ledger = self.ledger(processor_id, channel)
        base = self._ledger_base.setdefault((channel, which), getattr(ledger, which))
        setattr(ledger, which, base + now)
