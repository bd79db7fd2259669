"""Tool input schemas enriched from the processor descriptors.

``add_processor``'s schema says which ``type`` names exist and, per type, what
its ``config`` must look like (each type's config JSON Schema, joined with
``if``/``then``), so a client that reads schemas knows every field::

    {"properties": {"type": {"enum": ["Brightness", "TestPattern", ...]}, "config": {...}},
     "allOf": [{"if": {"properties": {"type": {"const": "TestPattern"}}},
                "then": {"properties": {"config": {...TestPattern config schema...}}}}, ...]}
"""

from __future__ import annotations

import copy
from typing import Any

from ._host import PipelineHost

__all__ = ["with_config_schemas", "with_tag_enum", "with_type_enum", "without_config_schemas"]

_LOCAL_REF = "#/$defs/"


def with_type_enum(schema: dict[str, Any], host: PipelineHost, *, field: str) -> dict[str, Any]:
    """``schema`` with property ``field`` limited to the registered type names."""
    enriched = copy.deepcopy(schema)
    enriched["properties"][field]["enum"] = host.registry.names()
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


def with_config_schemas(schema: dict[str, Any], host: PipelineHost) -> dict[str, Any]:
    """``add_processor``'s schema: a type enum and each type's config schema under ``then``."""
    enriched = with_type_enum(schema, host, field="type")
    definitions: dict[str, Any] = dict(enriched.pop("$defs", {}))
    branches = []
    for descriptor in host.registry.descriptors():
        config_schema = _untitled(descriptor.config_schema)
        local = config_schema.pop("$defs", {})
        prefix = f"{descriptor.name}__"
        for name, definition in local.items():
            definitions[prefix + name] = _rename_refs(definition, prefix)
        branches.append(
            {
                "if": {"properties": {"type": {"const": descriptor.name}}},
                "then": {"properties": {"config": _rename_refs(config_schema, prefix)}},
            }
        )
    enriched["allOf"] = branches
    if definitions:
        enriched["$defs"] = definitions
    return enriched


def without_config_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without the per-type ``config`` branches (the type enum stays): a few
    hundred bytes instead of tens of kilobytes, for clients with little context."""
    return {key: value for key, value in schema.items() if key not in ("allOf", "$defs")}


def _untitled(node: Any) -> Any:
    """A copy of a schema without ``title`` keywords (they repeat the field names, and
    every byte of a tool schema is read by the agent's model on every turn)."""
    if isinstance(node, list):
        return [_untitled(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key in _NAME_MAPS:  # keys here are field names, which may well be "title"
            out[key] = {name: _untitled(sub) for name, sub in value.items()}
        elif key in _LITERALS:  # values, not schemas: kept as they are
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _untitled(value)
    return out


_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_LITERALS = frozenset({"default", "enum", "const", "examples"})


def _rename_refs(node: Any, prefix: str) -> Any:
    """A copy of ``node`` whose local ``$ref``s point at the prefixed (hoisted) definitions."""
    if isinstance(node, dict):
        renamed = {key: _rename_refs(value, prefix) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_LOCAL_REF):
            renamed["$ref"] = _LOCAL_REF + prefix + ref.removeprefix(_LOCAL_REF)
        return renamed
    if isinstance(node, list):
        return [_rename_refs(item, prefix) for item in node]
    return node
