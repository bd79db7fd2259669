"""What a bulk load settles once, at the end: loops, and the profiles left to the graph.

Inside ``Graph.deferred_cycle_check`` every ``connect`` checks all but loops, and a
connection given no profile keeps its input's for now. When the block ends, one
topological sort finds whether the new edges closed a loop (and which edge closed
the first one), and one pass in that order gives ``lossless`` to the connections
that only sources able to wait feed (``_waiting_sources``): linear in any order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ._delivery import DeliveryProfile, default_capacity
from ._edge_index import EdgeIndex
from ._frame import Frame
from ._ids import PortRef, ProcessorId
from ._processor import Processor
from ._topological_ranks import first_loop_closer, kahn_order
from ._waiting_sources import which_are_fed_by_sources_that_wait

if TYPE_CHECKING:
    from ._graph import Edge

__all__ = ["CycleCheck", "settle_deferred"]


class CycleCheck:
    """What :meth:`Graph.deferred_cycle_check` found: ``closing_edge`` is the connection
    that closed the first loop (refused, with every later one), or ``None``."""

    __slots__ = ("closing_edge", "defaulted", "edges")

    def __init__(self) -> None:
        self.edges: list[Edge] = []  # connected inside the block, in order
        self.closing_edge: Edge | None = None
        # Edges whose profile was left to the graph (and whether a capacity was given):
        # settled once at the end, when everything upstream of them is known.
        self.defaulted: list[tuple[Edge, bool]] = []


def settle_deferred(
    check: CycleCheck,
    processors: Mapping[ProcessorId, Processor],
    edges: EdgeIndex,
    input_frame_class: Callable[[PortRef], type[Frame]],
) -> list[ProcessorId]:
    """Drop the edge made in the block that closed the first loop and every edge made
    after it (``check.closing_edge`` names it), settle the profiles left to the graph,
    and return the processors in a topological order of what remains."""
    order = kahn_order(processors, edges.by_id.values())
    if len(order) < len(processors):
        made = [edge for edge in check.edges if edges.by_id.get(edge.id) is edge]
        made_ids = {edge.id for edge in made}
        before = [edge for edge in edges.by_id.values() if edge.id not in made_ids]
        first = first_loop_closer(processors, before, made)
        check.closing_edge = made[first]
        for edge in made[first:]:
            edges.drop(edge)
        order = kahn_order(processors, edges.by_id.values())
    _settle_default_profiles(check.defaulted, order, processors, edges, input_frame_class)
    return order


def _settle_default_profiles(
    defaulted: list[tuple[Edge, bool]],
    order: list[ProcessorId],
    processors: Mapping[ProcessorId, Processor],
    edges: EdgeIndex,
    input_frame_class: Callable[[PortRef], type[Frame]],
) -> None:
    """Give lossless delivery to the edges left to the graph that only sources able to
    wait feed: one pass in graph order (what ``Graph.fed_by_sources_that_wait`` says
    of each, for all of them at once)."""
    if not defaulted:
        return

    def producers(pid: ProcessorId) -> list[ProcessorId]:
        return [edge.source.processor for edge in edges.incoming[pid].values()]

    waits = which_are_fed_by_sources_that_wait(order, processors, producers)
    for edge, capacity_given in defaulted:
        current = edges.by_id.get(edge.id)
        if current is not edge or not waits[edge.source.processor]:
            continue  # gone again (a loop), or not a file job
        if edge.profile is DeliveryProfile.LOSSLESS:
            continue
        capacity = edge.capacity
        if not capacity_given:
            capacity = default_capacity(DeliveryProfile.LOSSLESS, input_frame_class(edge.target))
        edges.replace(
            dataclasses.replace(edge, profile=DeliveryProfile.LOSSLESS, capacity=capacity)
        )
