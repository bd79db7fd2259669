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
the live rings and threads that realise them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ._delivery import DeliveryProfile
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
from ._suggest import did_you_mean

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

    def to_json(self) -> dict[str, Any]:
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
        self._edges: dict[ConnectionId, Edge] = {}
        self._producer_of: dict[PortRef, Edge] = {}  # input -> its one edge

    # -- changes ---------------------------------------------------------------------

    def add(self, processor: Processor, processor_id: str | None = None) -> ProcessorId:
        """Add ``processor`` under ``processor_id`` (default: its type name, numbered)."""
        if not isinstance(processor, Processor):
            raise GraphError(f"only Processor instances can be added, not {processor!r}")
        if any(existing is processor for existing in self._processors.values()):
            raise GraphError(f"{processor!r} is already in the graph; create a second instance")
        pid = ProcessorId(processor_id) if processor_id is not None else self._fresh_id(processor)
        if pid in self._processors:
            raise GraphError(
                f"a processor with id {str(pid)!r} already exists; "
                "choose another id or remove it first"
            )
        self._processors[pid] = processor
        return pid

    def remove(self, processor_id: str) -> list[Edge]:
        """Remove a processor and every edge touching it; returns those edges."""
        pid = self._known(processor_id)
        touching = [
            e for e in self._edges.values() if pid in (e.source.processor, e.target.processor)
        ]
        for edge in touching:
            self._drop_edge(edge)
        del self._processors[pid]
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
        if src.processor == dst.processor or dst.processor in self.upstream(src.processor):
            raise CycleError(
                f"connecting {src} -> {dst} would close a loop "
                f"({dst.processor} already feeds {src.processor}); graphs must be acyclic"
            )
        assert in_spec.profile is not None
        assert in_spec.capacity is not None
        chosen = in_spec.profile if profile is None else DeliveryProfile.parse(profile)
        if capacity is not None and capacity < 1:
            raise GraphError(f"capacity of {src} -> {dst} must be at least 1, got {capacity}")
        if capacity is None:
            from ._delivery import default_capacity

            same_profile = chosen is in_spec.profile
            capacity = (
                in_spec.capacity
                if same_profile
                else default_capacity(chosen, in_spec.frame_type.frame_class)
            )
        return Edge(src, dst, chosen, capacity, str(out_spec.frame_type))

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
        self._edges[edge.id] = edge
        self._producer_of[edge.target] = edge
        return edge

    def disconnect(self, source: str | PortRef, target: str | PortRef) -> Edge:
        """Remove the edge ``source -> target``."""
        edge = self.edge_between(source, target)
        self._drop_edge(edge)
        return edge

    def _drop_edge(self, edge: Edge) -> None:
        del self._edges[edge.id]
        del self._producer_of[edge.target]

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
        return [e for e in self._edges.values() if pid in (e.source.processor, e.target.processor)]

    def producer_of(self, target: str | PortRef) -> Edge | None:
        """The edge feeding input ``target``, if any."""
        return self._producer_of.get(PortRef.parse(target))

    def sources(self) -> list[ProcessorId]:
        """Processors with no incoming edge."""
        fed = {e.target.processor for e in self._edges.values()}
        return [pid for pid in self._processors if pid not in fed]

    def sinks(self) -> list[ProcessorId]:
        """Processors with no outgoing edge."""
        feeding = {e.source.processor for e in self._edges.values()}
        return [pid for pid in self._processors if pid not in feeding]

    def successors(self, processor_id: str) -> list[ProcessorId]:
        pid = self._known(processor_id)
        return _unique(
            e.target.processor for e in self._edges.values() if e.source.processor == pid
        )

    def predecessors(self, processor_id: str) -> list[ProcessorId]:
        pid = self._known(processor_id)
        return _unique(
            e.source.processor for e in self._edges.values() if e.target.processor == pid
        )

    def upstream(self, processor_id: str) -> set[ProcessorId]:
        """Every processor whose output reaches ``processor_id``."""
        return self._reach(processor_id, self.predecessors)

    def downstream(self, processor_id: str) -> set[ProcessorId]:
        """Every processor that ``processor_id``'s output reaches."""
        return self._reach(processor_id, self.successors)

    def topological_order(self) -> list[ProcessorId]:
        """Processors so that every producer comes before its consumers (ties: insertion order)."""
        incoming = {pid: len(self.predecessors(pid)) for pid in self._processors}
        ready = [pid for pid in self._processors if incoming[pid] == 0]
        order: list[ProcessorId] = []
        while ready:
            pid = ready.pop(0)
            order.append(pid)
            for nxt in self.successors(pid):
                incoming[nxt] -= 1
                if incoming[nxt] == 0:
                    ready.append(nxt)
        return order

    # -- export ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The graph in the pipeline-file shape (``processors`` mapping + ``connections``)."""
        return {
            "processors": {
                pid: {"type": p.type_name, "config": p.config.model_dump(mode="json")}
                for pid, p in self._processors.items()
            },
            "connections": [edge.to_json() for edge in self._edges.values()],
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
        n = 2
        while f"{base}-{n}" in self._processors:
            n += 1
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
            + did_you_mean(ref.port, names, what=f"its {kind}s")
        )

    def _reach(self, start: str, step: Any) -> set[ProcessorId]:
        seen: set[ProcessorId] = set()
        frontier = list(step(start))
        while frontier:
            pid = frontier.pop()
            if pid not in seen:
                seen.add(pid)
                frontier.extend(step(pid))
        return seen


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
