"""The graph written out: the pipeline-file shape (as JSON), Graphviz DOT and Mermaid.

``Graph.to_dict``, ``to_dot`` and ``to_mermaid`` call these; the dict is exactly a
pipeline file's shape, so a graph's JSON loads back as a pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._ids import ProcessorId
from ._processor import Processor

if TYPE_CHECKING:
    from ._graph import Edge

__all__ = ["graph_to_dict", "graph_to_dot", "graph_to_mermaid"]


def graph_to_dict(
    processors: Mapping[ProcessorId, Processor], edges: Iterable[Edge]
) -> dict[str, Any]:
    """The ``processors`` mapping (type and config of each) and the ``connections``."""
    return {
        "processors": {
            pid: {
                "type": p.type_name,
                "config": p.config.model_dump(mode="json"),
                **({"isolation": p.isolation} if p.isolation != "thread" else {}),
                **({"process": p.process_name} if p.process_name is not None else {}),
            }
            for pid, p in processors.items()
        },
        "connections": [edge.to_dict() for edge in edges],
    }


def graph_to_dot(processors: Mapping[ProcessorId, Processor], edges: Iterable[Edge]) -> str:
    """Graphviz DOT (``dot -Tsvg``): a named worker process is a cluster labelled
    with its name, a processor in a process of its own a doubled box."""
    lines = ["digraph streamlib {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for name, members in _named_processes(processors).items():
        lines.append(f'  subgraph "cluster_process_{name}" {{')
        lines.append(f'    label="process {name}"; style="rounded,dashed";')
        lines.extend(f'    "{pid}" [label="{pid}\\n{p.type_name}"];' for pid, p in members)
        lines.append("  }")
    for pid, processor in processors.items():
        if processor.process_name is not None:
            continue  # drawn in its process's cluster
        if processor.isolation == "process":  # a process boundary: its own box, doubled
            label = f"{pid}\\n{processor.type_name}\\n(own process)"
            lines.append(f'  "{pid}" [label="{label}", peripheries=2, style="rounded,dashed"];')
        else:
            lines.append(f'  "{pid}" [label="{pid}\\n{processor.type_name}"];')
    for edge in edges:
        label = f"{edge.source.port} → {edge.target.port}\\n{edge.profile.value}"
        lines.append(f'  "{edge.source.processor}" -> "{edge.target.processor}" [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_to_mermaid(processors: Mapping[ProcessorId, Processor], edges: Iterable[Edge]) -> str:
    """A Mermaid flowchart (renders in GitHub Markdown): a named worker process is a
    subgraph titled with its name, a processor in a process of its own a subroutine box."""
    lines = ["flowchart LR"]
    for name, members in _named_processes(processors).items():
        lines.append(f'  subgraph {_mermaid_id(name, "process_")}["process {name}"]')
        lines.extend(
            f'    {_mermaid_id(pid)}["{pid}<br/><i>{p.type_name}</i>"]' for pid, p in members
        )
        lines.append("  end")
    for pid, processor in processors.items():
        if processor.process_name is not None:
            continue  # drawn in its process's subgraph
        if processor.isolation == "process":  # a process boundary: a subroutine box
            text = f"{pid}<br/><i>{processor.type_name}</i><br/>(own process)"
            lines.append(f'  {_mermaid_id(pid)}[["{text}"]]')
        else:
            lines.append(f'  {_mermaid_id(pid)}["{pid}<br/><i>{processor.type_name}</i>"]')
    for edge in edges:
        label = f"{edge.source.port} → {edge.target.port} ({edge.profile.value})"
        lines.append(
            f'  {_mermaid_id(edge.source.processor)} -->|"{label}"| '
            f"{_mermaid_id(edge.target.processor)}"
        )
    return "\n".join(lines) + "\n"


def _named_processes(
    processors: Mapping[ProcessorId, Processor],
) -> dict[str, list[tuple[ProcessorId, Processor]]]:
    """The members of each named worker process (``process: NAME``), in graph order."""
    named: dict[str, list[tuple[ProcessorId, Processor]]] = {}
    for pid, processor in processors.items():
        if processor.process_name is not None:
            named.setdefault(processor.process_name, []).append((pid, processor))
    return named


def _mermaid_id(pid: str, prefix: str = "p_") -> str:
    # Mermaid ids cannot hold "-"; escape "_" too, so "a-b" and "a_b" stay two nodes.
    # A process's subgraph has a prefix of its own, so it never takes a processor's id.
    return prefix + pid.replace("_", "__").replace("-", "_h")
