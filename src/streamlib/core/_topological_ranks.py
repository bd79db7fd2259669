"""A topological order of the graph's processors, kept up to date edge by edge.

Every processor holds a rank, and every edge goes from a lower rank to a higher
one. "Would ``a -> b`` close a loop?" then costs nothing for an edge that agrees
with the ranks, and a search of only the processors ranked between its ends
otherwise; after an edge against the ranks, only those processors trade ranks
among themselves (Pearce and Kelly, 2006). So building a graph of *n*
processors stays linear.

A bulk load checks for loops once, at the end (``Graph.deferred_cycle_check``):
Kahn's algorithm orders the whole graph (:func:`kahn_order`) and, if a loop is
left, :func:`first_loop_closer` finds the edge that closed it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Protocol

from ._ids import ConnectionId, PortRef, ProcessorId

__all__ = ["Link", "TopologicalRanks", "first_loop_closer", "kahn_order"]


class Link(Protocol):
    """What ordering needs of an edge: the ports at its two ends."""

    @property
    def source(self) -> PortRef: ...

    @property
    def target(self) -> PortRef: ...


Adjacency = Mapping[ProcessorId, Mapping[ConnectionId, Link]]


class TopologicalRanks:
    """A rank per processor such that every edge climbs from a lower rank to a higher one.

    Reads the graph's own indexes of edges out of and into each processor (kept by
    the graph, never changed here).
    """

    __slots__ = ("_edges_in", "_edges_out", "_next_rank", "_rank")

    def __init__(self, edges_out: Adjacency, edges_in: Adjacency) -> None:
        self._edges_out = edges_out
        self._edges_in = edges_in
        self._rank: dict[ProcessorId, int] = {}
        self._next_rank = 0

    def add(self, processor_id: ProcessorId) -> None:
        """A new processor, ranked after every other (it has no edges yet)."""
        self._rank[processor_id] = self._next_rank
        self._next_rank += 1

    def remove(self, processor_id: ProcessorId) -> None:
        del self._rank[processor_id]

    def reset(self, order: Sequence[ProcessorId]) -> None:
        """Rank the processors afresh in ``order`` (a whole topological order)."""
        self._rank = {pid: rank for rank, pid in enumerate(order)}
        self._next_rank = len(order)

    def reaches(self, start: ProcessorId, goal: ProcessorId) -> bool:
        """Whether a path leads from ``start`` to ``goal``.

        Every edge climbs in rank, so only processors ranked up to ``goal`` can be
        on such a path: an edge that agrees with the ranks costs no search at all.
        """
        limit = self._rank[goal]
        return goal in self._ranked_reach(start, lambda rank: rank <= limit, forward=True)

    def follow(self, source: ProcessorId, target: ProcessorId) -> None:
        """Keep the ranks true after a new edge ``source -> target`` (that closes no loop)."""
        if self._rank[source] > self._rank[target]:
            self._reorder(source, target)

    def _ranked_reach(
        self, start: ProcessorId, within: Callable[[int], bool], *, forward: bool
    ) -> set[ProcessorId]:
        """``start`` and the processors reachable from it (or reaching it, when not
        ``forward``) through processors whose rank is ``within`` bounds."""
        adjacent = self._edges_out if forward else self._edges_in
        seen = {start} if within(self._rank[start]) else set()
        frontier = list(seen)
        while frontier:
            pid = frontier.pop()
            for edge in adjacent[pid].values():
                nxt = edge.target.processor if forward else edge.source.processor
                if nxt not in seen and within(self._rank[nxt]):
                    seen.add(nxt)
                    frontier.append(nxt)
        return seen

    def _reorder(self, source: ProcessorId, target: ProcessorId) -> None:
        """Restore the ranks after an edge ``source -> target`` that goes against them:
        ``source`` and what feeds it move before ``target`` and what it feeds, within
        the ranks they already hold (so no other processor moves)."""
        low, high = self._rank[target], self._rank[source]
        after = self._ranked_reach(target, lambda rank: rank < high, forward=True)
        before = self._ranked_reach(source, lambda rank: rank > low, forward=False)
        moved = sorted(before, key=self._rank.__getitem__)
        moved += sorted(after, key=self._rank.__getitem__)
        for pid, rank in zip(moved, sorted(self._rank[pid] for pid in moved), strict=True):
            self._rank[pid] = rank


def kahn_order(processors: Iterable[ProcessorId], edges: Iterable[Link]) -> list[ProcessorId]:
    """Kahn's topological order of ``processors`` over ``edges`` (ties: the order of
    ``processors``); processors on or behind a loop are left out."""
    incoming = dict.fromkeys(processors, 0)
    successors: dict[ProcessorId, list[ProcessorId]] = {}
    pairs: set[tuple[ProcessorId, ProcessorId]] = set()
    for edge in edges:
        pair = (edge.source.processor, edge.target.processor)
        if pair not in pairs:  # two edges between the same processors count once
            pairs.add(pair)
            successors.setdefault(pair[0], []).append(pair[1])
            incoming[pair[1]] += 1
    ready = deque(pid for pid, count in incoming.items() if count == 0)
    order: list[ProcessorId] = []
    while ready:
        pid = ready.popleft()
        order.append(pid)
        for nxt in successors.get(pid, ()):
            incoming[nxt] -= 1
            if incoming[nxt] == 0:
                ready.append(nxt)
    return order


def first_loop_closer(
    processors: Collection[ProcessorId], before: Sequence[Link], made: Sequence[Link]
) -> int:
    """Where in ``made`` the first loop closes: the end of the shortest prefix of ``made``
    that, added to the acyclic ``before``, leaves a loop (``made`` as a whole does)."""
    low, high = 0, len(made) - 1  # made[: high + 1] closes a loop
    while low < high:
        middle = (low + high) // 2
        if len(kahn_order(processors, [*before, *made[: middle + 1]])) < len(processors):
            high = middle
        else:
            low = middle + 1
    return low
