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
at each end (``_edge_index``), and a rank per processor (``_topological_ranks``)
answers "would this close a loop?" at once for an edge that agrees with the ranks.
A bulk load checks for loops once, at the end (:meth:`Graph.deferred_cycle_check`,
``_deferred_checks``). Which connections default to lossless: ``_waiting_sources``;
the export formats: ``_graph_export``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._deferred_checks import CycleCheck, settle_deferred
from ._delivery import DeliveryProfile, default_capacity
from ._edge_index import EdgeIndex
from ._errors import (
    CycleError,
    GraphError,
    PortBusyError,
    PortTypeError,
    UnknownPortError,
    UnknownProcessorError,
)
from ._frame import Frame
from ._graph_export import graph_to_dict, graph_to_dot, graph_to_mermaid
from ._ids import ConnectionId, PortRef, ProcessorId
from ._ports import PortSpec
from ._processor import Processor
from ._suggest import did_you_mean
from ._topological_ranks import TopologicalRanks, kahn_order
from ._waiting_sources import fed_by_sources_that_wait

__all__ = ["Edge", "Graph"]


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


class Graph:
    """Processors by id and the edges between their ports."""

    def __init__(self) -> None:
        self._processors: dict[ProcessorId, Processor] = {}
        self._instances: set[int] = set()  # id() of each processor: one instance, one entry
        self._edges = EdgeIndex()
        self._ranks = TopologicalRanks(self._edges.outgoing, self._edges.incoming)
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
        self._edges.add_processor(pid)
        self._ranks.add(pid)
        return pid

    def remove(self, processor_id: str) -> list[Edge]:
        """Remove a processor and every edge touching it; returns those edges."""
        pid = self._known(processor_id)
        touching = self.edges_of(pid)
        for edge in touching:
            self._edges.drop(edge)
        processor = self._processors.pop(pid)
        self._instances.discard(id(processor))
        self._edges.remove_processor(pid)
        self._ranks.remove(pid)
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
        busy = self._edges.producer_of.get(dst)
        if busy is not None:
            raise PortBusyError(
                f"{dst} is already fed by {busy.source}; an input has one producer. "
                f"Disconnect {busy.source} -> {dst} first"
            )
        if src.processor == dst.processor or (
            self._deferred is None and self._ranks.reaches(dst.processor, src.processor)
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
        pid = self._known(processor_id)
        return fed_by_sources_that_wait(pid, self._processors, self.predecessors)

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
        self._edges.add(edge)
        if self._deferred is not None:
            self._deferred.edges.append(edge)
            if profile is None:
                self._deferred.defaulted.append((edge, capacity is not None))
        else:
            self._ranks.follow(edge.source.processor, edge.target.processor)
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
        self._edges.drop(edge)
        return edge

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
        return list(self._edges.by_id.values())

    def edge_between(self, source: str | PortRef, target: str | PortRef) -> Edge:
        src, dst = PortRef.parse(source), PortRef.parse(target)
        edge = self._edges.by_id.get(ConnectionId.between(src, dst))
        if edge is None:
            existing = [str(e.id) for e in self._edges.by_id.values()]
            raise GraphError(
                f"there is no connection {src} -> {dst}; "
                + did_you_mean(f"{src}->{dst}", existing, what="connections")
            )
        return edge

    def edges_of(self, processor_id: str) -> list[Edge]:
        return self._edges.touching(self._known(processor_id))

    def producer_of(self, target: str | PortRef) -> Edge | None:
        """The edge feeding input ``target``, if any."""
        return self._edges.producer_of.get(PortRef.parse(target))

    def sources(self) -> list[ProcessorId]:
        """Processors with no incoming edge."""
        return [pid for pid in self._processors if not self._edges.incoming[pid]]

    def sinks(self) -> list[ProcessorId]:
        """Processors with no outgoing edge."""
        return [pid for pid in self._processors if not self._edges.outgoing[pid]]

    def successors(self, processor_id: str) -> list[ProcessorId]:
        pid = self._known(processor_id)
        return _unique(edge.target.processor for edge in self._edges.outgoing[pid].values())

    def predecessors(self, processor_id: str) -> list[ProcessorId]:
        pid = self._known(processor_id)
        return _unique(edge.source.processor for edge in self._edges.incoming[pid].values())

    def upstream(self, processor_id: str) -> set[ProcessorId]:
        """Every processor whose output reaches ``processor_id``."""
        return self._reach(processor_id, self.predecessors)

    def downstream(self, processor_id: str) -> set[ProcessorId]:
        """Every processor that ``processor_id``'s output reaches."""
        return self._reach(processor_id, self.successors)

    def topological_order(self) -> list[ProcessorId]:
        """Processors so that every producer comes before its consumers (ties: insertion order)."""
        return kahn_order(self._processors, self._edges.by_id.values())

    # -- export ----------------------------------------------------------------------

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dict(self) -> dict[str, Any]:
        """The graph in the pipeline-file shape (``processors`` mapping + ``connections``)."""
        return graph_to_dict(self._processors, self._edges.by_id.values())

    def to_dot(self) -> str:
        """Graphviz DOT (``dot -Tsvg``)."""
        return graph_to_dot(self._processors, self._edges.by_id.values())

    def to_mermaid(self) -> str:
        """A Mermaid flowchart (renders in GitHub Markdown)."""
        return graph_to_mermaid(self._processors, self._edges.by_id.values())

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

    def _finish_deferred(self, check: CycleCheck, *, raise_loop: bool) -> None:
        self._ranks.reset(settle_deferred(check, self._processors, self._edges, self._input_class))
        closing = check.closing_edge
        if closing is not None and raise_loop:
            raise _loop_error(closing.source, closing.target)

    def _input_class(self, ref: PortRef) -> type[Frame]:
        return self._port(ref, want_input=True).frame_type.frame_class

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
