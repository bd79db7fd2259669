"""Tool schemas kept small, and enriched from the processor descriptors where it is cheap.

Every tool's schemas are sent with every tool list, and an agent's model reads them
on every turn, so they carry names, not catalogues: ``add_processor``'s ``type`` is an
enum of the registered names and its ``config`` a plain object; a type's own config
schema comes from ``describe_processor_type`` (a few hundred bytes, when it is needed)::

    {"properties": {"type": {"enum": ["Brightness", "TestPattern", ...]},
                    "config": {"type": "object"}, ...}}
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ._host import PipelineHost

__all__ = ["TYPE_ENUM_BUDGET", "compact", "untitled", "with_tag_enum", "with_type_enum"]

TYPE_ENUM_BUDGET = 1024
"""Most bytes of type names ``add_processor``'s schema lists as an enum (about 60 names)."""


def with_type_enum(schema: dict[str, Any], host: PipelineHost, *, field: str) -> dict[str, Any]:
    """``schema`` with property ``field`` limited to the registered type names, while they
    fit in :data:`TYPE_ENUM_BUDGET` bytes (with many plug-ins installed the property stays a
    plain string, and ``list_processor_types`` names them)."""
    names = host.registry.names()
    enriched = copy.deepcopy(schema)
    if len(json.dumps(names)) <= TYPE_ENUM_BUDGET:
        enriched["properties"][field]["enum"] = names
    return enriched


def with_tag_enum(schema: dict[str, Any], host: PipelineHost, *, field: str) -> dict[str, Any]:
    """``schema`` with property ``field`` (nullable) limited to the tags types carry."""
    tags = sorted({tag for d in host.registry.descriptors() for tag in d.tags})
    enriched = copy.deepcopy(schema)
    enriched["properties"][field] = {
        "anyOf": [{"type": "string", "enum": tags}, {"type": "null"}],
        "default": None,
        "description": enriched["properties"][field].get("description", ""),
    }
    return enriched


def untitled(node: Any) -> Any:
    """A copy of a JSON Schema without ``title`` keywords (they repeat the field names,
    and every byte of a tool schema is read by the agent's model on every turn).

    >>> untitled({"title": "Args", "properties": {"title": {"title": "Title"}}})
    {'properties': {'title': {}}}
    """
    if isinstance(node, list):
        return [untitled(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key in _NAME_MAPS:  # keys here are field names, which may well be "title"
            out[key] = {name: untitled(sub) for name, sub in value.items()}
        elif key in _LITERALS:  # values, not schemas: kept as they are
            out[key] = copy.deepcopy(value)
        else:
            out[key] = untitled(value)
    return out


_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_LITERALS = frozenset({"default", "enum", "const", "examples"})


def compact(node: Any, *, output: bool = False) -> Any:
    """The same JSON Schema in fewer bytes: ``anyOf: [{type: T, ...}, {type: null}]`` as
    ``type: [T, null]``, no ``additionalProperties: true`` (the default), and for an output
    schema (``output``) no ``default`` (a result always carries its values) and no
    ``description`` (clients check results against it; what a result means is said in the
    tool's description, the part an agent's model reads).

    >>> compact({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None})
    {'default': None, 'type': ['string', 'null']}
    """
    if isinstance(node, list):
        return [compact(item, output=output) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NAME_MAPS:
            out[key] = {name: compact(sub, output=output) for name, sub in value.items()}
        elif key in _LITERALS:
            if not (output and key == "default"):
                out[key] = value
        elif (key == "additionalProperties" and value is True) or (
            output and key == "description" and isinstance(value, str)
        ):
            continue
        else:
            out[key] = compact(value, output=output)
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (other,) = [option for option in options if option != {"type": "null"}]
        if isinstance(other, dict) and isinstance(other.get("type"), str):
            merged = {key: value for key, value in out.items() if key != "anyOf"}
            merged.update(other)
            merged["type"] = [other["type"], "null"]
            if "enum" in merged:
                merged["enum"] = [*merged["enum"], None]
            return merged
    return out
