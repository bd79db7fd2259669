"""A spec written back as pipeline-file text (YAML or JSON) that reads back equal."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

from ._spec import ConnectionSpec, PipelineSpec, ProcessorSpec
from ._yaml_reader import Dumper

__all__ = ["dump_pipeline"]


def dump_pipeline(spec: PipelineSpec, *, syntax: Literal["yaml", "json"] = "yaml") -> str:
    """Write ``spec`` as pipeline-file text that :func:`parse_pipeline` reads back equal.

    Connections without a profile or capacity use the arrow form
    (``"src.video -> sink.video"``), the others the mapping form.
    ``syntax="json"`` raises ``ValueError`` for config values JSON cannot hold
    (NaN, infinities); YAML can.
    """
    document: dict[str, Any] = {}
    if spec.name is not None:
        document["name"] = spec.name
    if spec.plugins:
        document["plugins"] = [plugin.path for plugin in spec.plugins]
    document["processors"] = {p.id: _dump_processor(p) for p in spec.processors}
    if spec.connections:
        document["connections"] = [_dump_connection(c) for c in spec.connections]
    if syntax == "yaml":
        return yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=True)
    if syntax == "json":
        try:
            return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError as exc:
            raise ValueError(f"{exc}; write this pipeline as YAML, which can hold it") from exc
    raise ValueError(f"unknown syntax {syntax!r}; use 'yaml' or 'json'")


def _dump_processor(processor: ProcessorSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": processor.type}
    if processor.config:
        entry["config"] = processor.config
    # A process name says isolation: process by itself.
    if processor.isolation != ("thread" if processor.process is None else "process"):
        entry["isolation"] = processor.isolation
    if processor.process is not None:
        entry["process"] = processor.process
    return entry


def _dump_connection(connection: ConnectionSpec) -> str | dict[str, Any]:
    if connection.profile is None and connection.capacity is None:
        return str(connection)
    entry: dict[str, Any] = {
        "from": f"{connection.source}.{connection.source_port}",
        "to": f"{connection.target}.{connection.target_port}",
    }
    if connection.profile is not None:
        entry["profile"] = connection.profile
    if connection.capacity is not None:
        entry["capacity"] = connection.capacity
    return entry
