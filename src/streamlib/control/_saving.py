"""The graph as a pipeline file a person would write: only what differs from the defaults.

``save_pipeline`` writes each processor's non-default config fields, file paths relative
to the folder the file is saved in (when they lie inside it), and a connection's profile
and capacity only where loading the file would not choose them by itself::

    saved_document(runtime.graph, base=Path("/srv/rec"))
    # {"processors": {"src": {"type": "TestPattern", "config": {"frames": 30}},
    #                 "rec": {"type": "Mp4Writer", "config": {"path": "take1.mp4"}}},
    #  "connections": [{"from": "src.video", "to": "rec.video"}]}

Loading that document gives the same graph: the same processors and configs, and the
same profile and capacity on every connection (a default is what the graph chooses for
the connection as it stands, so it comes out the same when the file is loaded).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from ..core import DeliveryProfile, Edge, Graph, Processor, default_capacity

__all__ = ["saved_document"]


def saved_document(graph: Graph, *, base: Path | None) -> dict[str, Any]:
    """``graph`` in the pipeline-file shape, as small as loads back the same (see above).

    ``base`` is the folder relative paths will count from when the file is loaded (the
    saved file's folder); paths outside it, or every path when it is ``None``, stay
    absolute.
    """
    processors = {
        str(pid): _processor_entry(processor, base) for pid, processor in graph.processors().items()
    }
    return {
        "processors": processors,
        "connections": [_connection_entry(graph, edge) for edge in graph.edges()],
    }


def _processor_entry(processor: Processor, base: Path | None) -> dict[str, Any]:
    config = processor.config
    fields = type(config)
    values = config.model_dump(mode="json", exclude_defaults=True)
    path_fields = fields.write_path_fields() | fields.read_path_fields()
    path_fields |= {name for name, kind in fields.reach_fields().items() if kind == "media"}
    for name in sorted(path_fields & set(values)):
        value = values[name]
        if isinstance(value, str) and base is not None:
            values[name] = _relative(value, base)
            default = fields.model_fields[name].default
            if values[name] == default:
                del values[name]  # resolved from the default: loading resolves it the same
    entry: dict[str, Any] = {"type": processor.type_name}
    if values:
        entry["config"] = values
    if processor.process_name is not None:  # a process name says isolation: process
        entry["process"] = processor.process_name
    elif processor.isolation != "thread":
        entry["isolation"] = processor.isolation
    return entry


def _relative(value: str, base: Path) -> str:
    """``value`` relative to ``base`` when it is an absolute path inside it."""
    if not os.path.isabs(value):
        return value
    path = Path(value)
    if path == base or not path.is_relative_to(base):
        return value
    return PurePosixPath(*path.relative_to(base).parts).as_posix()


def _connection_entry(graph: Graph, edge: Edge) -> dict[str, Any]:
    entry: dict[str, Any] = {"from": str(edge.source), "to": str(edge.target)}
    spec = graph.processor(str(edge.target.processor)).inputs[edge.target.port].spec
    assert spec.profile is not None  # an input always has a profile and a capacity
    assert spec.capacity is not None
    frame_class = spec.frame_type.frame_class
    # What loading chooses for a connection given no profile: lossless where only sources
    # that can wait feed it (a file job), else what the input asks for.
    chosen = spec.profile
    if graph.fed_by_sources_that_wait(str(edge.source.processor)):
        chosen = DeliveryProfile.LOSSLESS
    if edge.profile is not chosen:
        entry["profile"] = edge.profile.value
        chosen = edge.profile
    # The capacity a profile comes with: the input's own for its own profile.
    usual = spec.capacity if chosen is spec.profile else default_capacity(chosen, frame_class)
    if edge.capacity != usual:
        entry["capacity"] = edge.capacity
    return entry
