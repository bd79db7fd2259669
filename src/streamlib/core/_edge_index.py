"""The graph's edges, indexed so that every question about them costs what it touches.

By id, by the input each one feeds (an input has one producer), and by the
processor at each end in the order they were made; so connecting, disconnecting
and removing a processor never scan the whole graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._ids import ConnectionId, PortRef, ProcessorId

if TYPE_CHECKING:
    from ._graph import Edge

__all__ = ["EdgeIndex"]


class EdgeIndex:
    """Every edge of a graph under each of its keys.

    Read the mappings; change them only through the methods, which keep them in step.
    """

    __slots__ = ("_edge_number", "_edges_made", "by_id", "incoming", "outgoing", "producer_of")

    def __init__(self) -> None:
        self.by_id: dict[ConnectionId, Edge] = {}
        self.producer_of: dict[PortRef, Edge] = {}  # input -> its one edge
        # Each processor's edges in and out, in the order they were made.
        self.incoming: dict[ProcessorId, dict[ConnectionId, Edge]] = {}
        self.outgoing: dict[ProcessorId, dict[ConnectionId, Edge]] = {}
        self._edge_number: dict[ConnectionId, int] = {}  # for touching() in graph order
        self._edges_made = 0

    def add_processor(self, processor_id: ProcessorId) -> None:
        self.incoming[processor_id] = {}
        self.outgoing[processor_id] = {}

    def remove_processor(self, processor_id: ProcessorId) -> None:
        """Forget a processor whose edges were all dropped already."""
        del self.incoming[processor_id], self.outgoing[processor_id]

    def add(self, edge: Edge) -> None:
        self.by_id[edge.id] = edge
        self.producer_of[edge.target] = edge
        self.outgoing[edge.source.processor][edge.id] = edge
        self.incoming[edge.target.processor][edge.id] = edge
        self._edge_number[edge.id] = self._edges_made
        self._edges_made += 1

    def drop(self, edge: Edge) -> None:
        del self.by_id[edge.id]
        del self.producer_of[edge.target]
        del self.outgoing[edge.source.processor][edge.id]
        del self.incoming[edge.target.processor][edge.id]
        del self._edge_number[edge.id]

    def replace(self, edge: Edge) -> None:
        """Put ``edge`` where the edge with its id was, in every index (order unchanged)."""
        self.by_id[edge.id] = edge
        self.producer_of[edge.target] = edge
        self.outgoing[edge.source.processor][edge.id] = edge
        self.incoming[edge.target.processor][edge.id] = edge

    def touching(self, processor_id: ProcessorId) -> list[Edge]:
        """The edges into and out of ``processor_id``, in the order they were made."""
        touching = {**self.incoming[processor_id], **self.outgoing[processor_id]}
        return sorted(touching.values(), key=lambda edge: self._edge_number[edge.id])
