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
            }
            for pid, p in processors.items()
        },
        "connections": [edge.to_dict() for edge in edges],
    }


def graph_to_dot(processors: Mapping[ProcessorId, Processor], edges: Iterable[Edge]) -> str:
    """Graphviz DOT (``dot -Tsvg``)."""
    lines = ["digraph streamlib {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for pid, processor in processors.items():
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
    """A Mermaid flowchart (renders in GitHub Markdown)."""
    lines = ["flowchart LR"]
    for pid, processor in processors.items():
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


def _mermaid_id(pid: str) -> str:
    # Mermaid ids cannot hold "-"; escape "_" too, so "a-b" and "a_b" stay two nodes.
    return "p_" + pid.replace("_", "__").replace("-", "_h")
