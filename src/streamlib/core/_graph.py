"""The graph: the single source of truth about which processors exist and how they connect.

Every change is validated before anything changes, so a refused change leaves
the graph exactly as it was::

    graph = Graph()
    graph.add(TestPattern(width=640, height=480), "src")
    graph.add(NullSink(), "sink")
    graph.connect("src.video", "sink.video")
    graph.topological_order()        # ['src', 'sink']
    print(graph.to_mermaid())

The graph holds processor instances and connection *specs*; the runtime owns
the live rings and threads that realize them.

Every change costs time in proportion to what it touches, not to the graph's size,
so building a graph of *n* processors is linear: edges are indexed by the processor
at each end, and a rank per processor (a topological order kept up to date) answers
"would this close a loop?" at once for an edge that agrees with it, and by a search
of only the processors ranked between its ends otherwise (Pearce and Kelly, 2006).
A bulk load checks for loops once, at the end (:meth:`Graph.deferred_cycle_check`).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._delivery import DeliveryProfile, default_capacity
from ._errors import (
    CycleError,
    GraphError,
    PortBusyError,
    PortTypeError,
    UnknownPortError,
    UnknownProcessorError,
)
from ._ids import ConnectionId, PortRef, ProcessorId
from ._ports import PortSpec
from ._processor import Processor
from ._scheduling import SchedulingMode
from ._suggest import did_you_mean

__all__ = ["CycleCheck", "Edge", "Graph"]


@dataclass(frozen=True, slots=True)
class Edge:
    """One connection in the graph: output ``source`` feeds input ``target``."""

    source: PortRef
    target: PortRef
    profile: DeliveryProfile
    capacity: int
    frame_type: str

    @property
    def id(self) -> ConnectionId:
        return ConnectionId.between(self.source, self.target)

    def to_dict(self) -> dict[str, Any]:
        # Exactly a pipeline file's connection keys, so a graph's JSON loads back.
        return {
            "from": str(self.source),
            "to": str(self.target),
            "profile": self.profile.value,
            "capacity": self.capacity,
        }


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


class Graph:
    """Processors by id and the edges between their ports."""

    def __init__(self) -> None:
        self._processors: dict[ProcessorId, Processor] = {}
        self._instances: set[int] = set()  # id() of each processor: one instance, one entry
        self._edges: dict[ConnectionId, Edge] = {}
        self._producer_of: dict[PortRef, Edge] = {}  # input -> its one edge
        # Each processor's edges in and out, in the order they were made.
        self._edges_in: dict[ProcessorId, dict[ConnectionId, Edge]] = {}
        self._edges_out: dict[ProcessorId, dict[ConnectionId, Edge]] = {}
        self._edge_number: dict[ConnectionId, int] = {}  # for edges_of() in graph order
        self._edges_made = 0
        # A topological order: every edge goes from a lower rank to a higher one.
        self._rank: dict[ProcessorId, int] = {}
        self._next_rank = 0
        # The lowest "-n" suffix that may be free for each default id base.
        self._free_suffix: dict[str, int] = {}
        self._deferred: CycleCheck | None = None

    # -- changes ---------------------------------------------------------------------

    def add(self, processor: Processor, processor_id: str | None = None) -> ProcessorId:
        """Add ``processor`` under ``processor_id`` (default: its type name, numbered)."""
        if not isinstance(processor, Processor):
            raise GraphError(f"only Processor instances can be added, not {processor!r}")
        if id(processor) in self._instances:
            raise GraphError(f"{processor!r} is already in the graph; create a second instance")
        pid = ProcessorId(processor_id) if processor_id is not None else self._fresh_id(processor)
        if pid in self._processors:
            raise GraphError(
                f"a processor with id {str(pid)!r} already exists; "
                "choose another id or remove it first"
            )
        self._processors[pid] = processor
        self._instances.add(id(processor))
        self._edges_in[pid] = {}
        self._edges_out[pid] = {}
        self._rank[pid] = self._next_rank
        self._next_rank += 1
        return pid

    def remove(self, processor_id: str) -> list[Edge]:
        """Remove a processor and every edge touching it; returns those edges."""
        pid = self._known(processor_id)
        touching = self.edges_of(pid)
        for edge in touching:
            self._drop_edge(edge)
        processor = self._processors.pop(pid)
        self._instances.discard(id(processor))
        del self._edges_in[pid], self._edges_out[pid], self._rank[pid]
        base, _, suffix = pid.rpartition("-")
        if base in self._free_suffix and suffix.isdigit() and len(suffix) < 10:
            self._free_suffix[base] = max(2, min(int(suffix), self._free_suffix[base]))
        return touching

    def check_connect(
        self,
        source: str | PortRef,
        target: str | PortRef,
        *,
        profile: DeliveryProfile | str | None = None,
        capacity: int | None = None,
    ) -> Edge:
        """The edge ``connect`` would add, or the ``GraphError`` it would raise; changes nothing."""
        src = PortRef.parse(source)
        dst = PortRef.parse(target)
        out_spec = self._port(src, want_input=False)
        in_spec = self._port(dst, want_input=True)
        if not out_spec.frame_type.can_feed(in_spec.frame_type):
            raise PortTypeError(
                f"cannot connect {src} ({out_spec.frame_type}) to {dst} ({in_spec.frame_type}): "
                "the frame types differ; put a converter between them"
            )
        busy = self._producer_of.get(dst)
        if busy is not None:
            raise PortBusyError(
                f"{dst} is already fed by {busy.source}; an input has one producer. "
                f"Disconnect {busy.source} -> {dst} first"
            )
        if src.processor == dst.processor or (
            self._deferred is None and self._reaches(dst.processor, src.processor)
        ):
            raise _loop_error(src, dst)
        assert in_spec.profile is not None
        assert in_spec.capacity is not None
        if profile is not None:
            chosen = DeliveryProfile.parse(profile)
        elif self._deferred is not None:
            chosen = in_spec.profile  # for now: settled when the block ends
        elif self.fed_by_sources_that_wait(src.processor):
            chosen = DeliveryProfile.LOSSLESS  # a file job: the source waits, nothing drops
        else:
            chosen = in_spec.profile
        if capacity is not None and capacity < 1:
            raise GraphError(f"capacity of {src} -> {dst} must be at least 1, got {capacity}")
        if capacity is None:
            same_profile = chosen is in_spec.profile
            capacity = (
                in_spec.capacity
                if same_profile
                else default_capacity(chosen, in_spec.frame_type.frame_class)
            )
        return Edge(src, dst, chosen, capacity, str(out_spec.frame_type))

    def fed_by_sources_that_wait(self, processor_id: str) -> bool:
        """Whether ``processor_id``'s output comes, directly or through push processors,
        only from sources that can wait (``Processor.is_live()`` False: a file read as
        fast as it is consumed). Connections from there default to ``lossless``, as in
        GStreamer's non-live pipelines; anything live upstream keeps the input's profile.
        """
        found_source = False
        seen = {self._known(processor_id)}
        pending = [*seen]
        while pending:
            pid = pending.pop()
            processor = self._processors[pid]
            if processor.scheduling().mode is not SchedulingMode.PUSH:
                if processor.is_live():
                    return False
                found_source = True
                continue
            producers = self.predecessors(pid)
            if not producers:
                return False  # nothing feeds it yet: nothing says it can wait
            for producer in producers:
                if producer not in seen:
                    seen.add(producer)
                    pending.append(producer)
        return found_source

    def connect(
        self,
        source: str | PortRef,
        target: str | PortRef,
        *,
        profile: DeliveryProfile | str | None = None,
        capacity: int | None = None,
    ) -> Edge:
        """Connect an output to an input after validating types, producers and cycles."""
        edge = self.check_connect(source, target, profile=profile, capacity=capacity)
        self._add_edge(edge)
        if self._deferred is not None:
            self._deferred.edges.append(edge)
            if profile is None:
                self._deferred.defaulted.append((edge, capacity is not None))
        elif self._rank[edge.source.processor] > self._rank[edge.target.processor]:
            self._reorder(edge.source.processor, edge.target.processor)
        return edge

    @contextmanager
    def deferred_cycle_check(self) -> Iterator[CycleCheck]:
        """Connect many edges, checking for loops once at the end instead of at each one.

        Every other check still happens at each ``connect``. A loop costs a search per
        ``connect`` in the worst case; here it costs one pass over the graph at the end,
        so a bulk load stays linear in any order. If the edges made in the block close a
        loop, the one that closed the first loop (in the order made) and every edge
        made after it are removed again, exactly where ``connect`` one at a time would
        have stopped, and :class:`CycleError` is raised; the yielded
        :class:`CycleCheck` names that edge::

            with graph.deferred_cycle_check() as check:
                for source, target in links:
                    graph.connect(source, target)
        """
        if self._deferred is not None:  # nested: the outer block checks
            yield self._deferred
            return
        check = self._deferred = CycleCheck()
        try:
            yield check
        except BaseException:
            # Keep the graph acyclic, but let the error that ended the block through.
            self._deferred = None
            self._finish_deferred(check, raise_loop=False)
            raise
        self._deferred = None
        self._finish_deferred(check, raise_loop=True)

    def disconnect(self, source: str | PortRef, target: str | PortRef) -> Edge:
        """Remove the edge ``source -> target``."""
        edge = self.edge_between(source, target)
        self._drop_edge(edge)
        return edge

    def _add_edge(self, edge: Edge) -> None:
        self._edges[edge.id] = edge
        self._producer_of[edge.target] = edge
        self._edges_out[edge.source.processor][edge.id] = edge
        self._edges_in[edge.target.processor][edge.id] = edge
        self._edge_number[edge.id] = self._edges_made
        self._edges_made += 1

    def _drop_edge(self, edge: Edge) -> None:
        del self._edges[edge.id]
        del self._producer_of[edge.target]
        del self._edges_out[edge.source.processor][edge.id]
        del self._edges_in[edge.target.processor][edge.id]
        del self._edge_number[edge.id]

    # -- queries ---------------------------------------------------------------------

    def __contains__(self, processor_id: object) -> bool:
        return processor_id in self._processors

    def __len__(self) -> int:
        return len(self._processors)

    def __iter__(self) -> Iterator[ProcessorId]:
        return iter(self._processors)

    def processor(self, processor_id: str) -> Processor:
        return self._processors[self._known(processor_id)]

    def processors(self) -> dict[ProcessorId, Processor]:
        return dict(self._processors)

    def edges(self) -> list[Edge]:
        return list(self._edges.values())

    def edge_between(self, source: str | PortRef, target: str | PortRef) -> Edge:
        src, dst = PortRef.parse(source), PortRef.parse(target)
        edge = self._edges.get(ConnectionId.between(src, dst))
        if edge is None:
            existing = [str(e.id) for e in self._edges.values()]
            raise GraphError(
                f"there is no connection {src} -> {dst}; "
                + did_you_mean(f"{src}->{dst}", existing, what="connections")
            )
        return edge

    def edges_of(self, processor_id: str) -> list[Edge]:
        pid = self._known(processor_id)
        touching = {**self._edges_in[pid], **self._edges_out[pid]}
        return sorted(touching.values(), key=lambda edge: self._edge_number[edge.id])

    def producer_of(self, target: str | PortRef) -> Edge | None:
        """The edge feeding input ``target``, if any."""
        return self._producer_of.get(PortRef.parse(target))

    def sources(self) -> list[ProcessorId]:
        """Processors with no incoming edge."""
        return [pid for pid in self._processors if not self._edges_in[pid]]

    def sinks(self) -> list[ProcessorId]:
        """Processors with no outgoing edge."""
        return [pid for pid in self._processors if not self._edges_out[pid]]

    def successors(self, processor_id: str) -> list[ProcessorId]:
        pid = self._known(processor_id)
        return _unique(edge.target.processor for edge in self._edges_out[pid].values())

    def predecessors(self, processor_id: str) -> list[ProcessorId]:
        pid = self._known(processor_id)
        return _unique(edge.source.processor for edge in self._edges_in[pid].values())

    def upstream(self, processor_id: str) -> set[ProcessorId]:
        """Every processor whose output reaches ``processor_id``."""
        return self._reach(processor_id, self.predecessors)

    def downstream(self, processor_id: str) -> set[ProcessorId]:
        """Every processor that ``processor_id``'s output reaches."""
        return self._reach(processor_id, self.successors)

    def topological_order(self) -> list[ProcessorId]:
        """Processors so that every producer comes before its consumers (ties: insertion order)."""
        return self._kahn(self._edges.values())

    # -- export ----------------------------------------------------------------------

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dict(self) -> dict[str, Any]:
        """The graph in the pipeline-file shape (``processors`` mapping + ``connections``)."""
        return {
            "processors": {
                pid: {"type": p.type_name, "config": p.config.model_dump(mode="json")}
                for pid, p in self._processors.items()
            },
            "connections": [edge.to_dict() for edge in self._edges.values()],
        }

    def to_dot(self) -> str:
        """Graphviz DOT (``dot -Tsvg``)."""
        lines = ["digraph streamlib {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
        for pid, processor in self._processors.items():
            lines.append(f'  "{pid}" [label="{pid}\\n{processor.type_name}"];')
        for edge in self._edges.values():
            label = f"{edge.source.port} → {edge.target.port}\\n{edge.profile.value}"
            lines.append(
                f'  "{edge.source.processor}" -> "{edge.target.processor}" [label="{label}"];'
            )
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_mermaid(self) -> str:
        """A Mermaid flowchart (renders in GitHub Markdown)."""
        lines = ["flowchart LR"]
        for pid, processor in self._processors.items():
            lines.append(f'  {_mermaid_id(pid)}["{pid}<br/><i>{processor.type_name}</i>"]')
        for edge in self._edges.values():
            label = f"{edge.source.port} → {edge.target.port} ({edge.profile.value})"
            lines.append(
                f'  {_mermaid_id(edge.source.processor)} -->|"{label}"| '
                f"{_mermaid_id(edge.target.processor)}"
            )
        return "\n".join(lines) + "\n"

    # -- helpers ---------------------------------------------------------------------

    def _fresh_id(self, processor: Processor) -> ProcessorId:
        base = _snake(processor.type_name)
        if base not in self._processors:
            return ProcessorId(base)
        # The lowest free number, found from where the last search stopped.
        n = self._free_suffix.get(base, 2)
        while f"{base}-{n}" in self._processors:
            n += 1
        self._free_suffix[base] = n + 1
        return ProcessorId(f"{base}-{n}")

    def _known(self, processor_id: str) -> ProcessorId:
        if processor_id in self._processors:
            return ProcessorId(processor_id)
        raise UnknownProcessorError(
            f"no processor {str(processor_id)!r} in the graph; "
            + did_you_mean(str(processor_id), self._processors, what="processors")
        )

    def _port(self, ref: PortRef, *, want_input: bool) -> PortSpec:
        processor = self._processors.get(ref.processor)
        if processor is None:
            self._known(ref.processor)
        assert processor is not None
        # The instance's bound ports, not the class declarations: a processor may narrow
        # a port's type when it is constructed (ClapEffect: the plugin's channel count).
        port = (processor.inputs if want_input else processor.outputs).get(ref.port)
        if port is not None and port.spec.name == ref.port:
            return port.spec
        inputs = tuple(port.spec for port in processor.inputs.values())
        outputs = tuple(port.spec for port in processor.outputs.values())
        wanted = inputs if want_input else outputs
        other = outputs if want_input else inputs
        for spec in wanted:
            if spec.name == ref.port:
                return spec
        kind, other_kind = ("input", "output") if want_input else ("output", "input")
        names = [spec.name for spec in wanted]
        if any(spec.name == ref.port for spec in other):
            raise UnknownPortError(
                f"{ref} is an {other_kind}, but a connection goes from an output to an input; "
                f"{ref.processor}'s {kind}s: {', '.join(names) or '(none)'}"
            )
        raise UnknownPortError(
            f"{ref.processor} ({processor.type_name}) has no {kind} {ref.port!r}; "
            + processor.port_hint(ref.port, names, what=f"its {kind}s")
        )

    def _reaches(self, start: ProcessorId, goal: ProcessorId) -> bool:
        """Whether a path leads from ``start`` to ``goal``.

        Every edge climbs in rank, so only processors ranked up to ``goal`` can be
        on such a path: an edge that agrees with the ranks costs no search at all.
        """
        limit = self._rank[goal]
        return goal in self._ranked_reach(start, lambda rank: rank <= limit, forward=True)

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

    def _kahn(self, edges: Iterable[Edge]) -> list[ProcessorId]:
        """Kahn's topological order over ``edges`` (ties: insertion order); processors
        on or behind a loop are left out."""
        incoming = dict.fromkeys(self._processors, 0)
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

    def _finish_deferred(self, check: CycleCheck, *, raise_loop: bool) -> None:
        order = self._kahn(self._edges.values())
        if len(order) < len(self._processors):
            # The edge that closed the first loop: the end of the shortest looping prefix.
            made = [edge for edge in check.edges if self._edges.get(edge.id) is edge]
            made_ids = {edge.id for edge in made}
            before = [edge for edge in self._edges.values() if edge.id not in made_ids]
            low, high = 0, len(made) - 1  # made[: high + 1] closes a loop
            while low < high:
                middle = (low + high) // 2
                if len(self._kahn([*before, *made[: middle + 1]])) < len(self._processors):
                    high = middle
                else:
                    low = middle + 1
            check.closing_edge = made[low]
            for edge in made[low:]:
                self._drop_edge(edge)
            order = self._kahn(self._edges.values())
        self._rank = {pid: rank for rank, pid in enumerate(order)}
        self._next_rank = len(order)
        self._settle_default_profiles(check.defaulted, order)
        closing = check.closing_edge
        if closing is not None and raise_loop:
            raise _loop_error(closing.source, closing.target)

    def _settle_default_profiles(
        self, defaulted: list[tuple[Edge, bool]], order: list[ProcessorId]
    ) -> None:
        """Give lossless delivery to the edges left to the graph that only sources able to
        wait feed: one pass in graph order (what ``fed_by_sources_that_wait`` says of
        each, for all of them at once)."""
        if not defaulted:
            return
        waits: dict[ProcessorId, bool] = {}
        for pid in order:
            processor = self._processors[pid]
            if processor.scheduling().mode is not SchedulingMode.PUSH:
                waits[pid] = not processor.is_live()
            else:
                producers = self._edges_in[pid].values()
                waits[pid] = bool(producers) and all(
                    waits[edge.source.processor] for edge in producers
                )
        for edge, capacity_given in defaulted:
            current = self._edges.get(edge.id)
            if current is not edge or not waits[edge.source.processor]:
                continue  # gone again (a loop), or not a file job
            if edge.profile is DeliveryProfile.LOSSLESS:
                continue
            capacity = edge.capacity
            if not capacity_given:
                frame_class = self._port(edge.target, want_input=True).frame_type.frame_class
                capacity = default_capacity(DeliveryProfile.LOSSLESS, frame_class)
            settled = Edge(
                edge.source, edge.target, DeliveryProfile.LOSSLESS, capacity, edge.frame_type
            )
            self._edges[edge.id] = settled  # same place in every index: order unchanged
            self._producer_of[edge.target] = settled
            self._edges_out[edge.source.processor][edge.id] = settled
            self._edges_in[edge.target.processor][edge.id] = settled

    def _reach(self, start: str, step: Any) -> set[ProcessorId]:
        seen: set[ProcessorId] = set()
        frontier = list(step(start))
        while frontier:
            pid = frontier.pop()
            if pid not in seen:
                seen.add(pid)
                frontier.extend(step(pid))
        return seen


def _loop_error(source: PortRef, target: PortRef) -> CycleError:
    return CycleError(
        f"connecting {source} -> {target} would close a loop "
        f"({target.processor} already feeds {source.processor}); graphs must be acyclic"
    )


def _unique(items: Iterable[ProcessorId]) -> list[ProcessorId]:
    return list(dict.fromkeys(items))


def _snake(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _mermaid_id(pid: str) -> str:
    # Mermaid ids cannot hold "-"; escape "_" too, so "a-b" and "a_b" stay two nodes.
    return "p_" + pid.replace("_", "__").replace("-", "_h")
