"""``streamlib list`` and ``streamlib describe``: what processor types exist and how to use them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core import ProcessorDescriptor, Registry
from ._plugin_option import add_plugin_option, load_plugins

__all__ = [
    "add_describe_command",
    "add_list_command",
    "default_text",
    "field_kind",
    "render_descriptor",
]


def add_list_command(commands: Any) -> None:
    parser = commands.add_parser(
        "list",
        help="list processor types",
        description="List the processor types this installation knows (built-ins and plug-ins).",
    )
    parser.add_argument("--tag", metavar="T", help="only types tagged T (e.g. video, audio, sink)")
    parser.add_argument("--json", action="store_true", help="print descriptors as JSON")
    add_plugin_option(parser)
    parser.set_defaults(handler=_list)


def add_describe_command(commands: Any) -> None:
    parser = commands.add_parser(
        "describe",
        help="show one processor type's ports and config",
        description="Show a processor type's description, ports and config fields.",
    )
    parser.add_argument("name", metavar="NAME", help="a type name, as `streamlib list` shows")
    parser.add_argument("--json", action="store_true", help="print the descriptor as JSON")
    add_plugin_option(parser)
    parser.set_defaults(handler=_describe)


def _list(args: argparse.Namespace) -> int:
    load_plugins(args)
    registry = Registry.default()
    descriptors = registry.descriptors(tag=args.tag)
    # A type whose extra is not installed is listed all the same, with what to install.
    unavailable = {d.name: registry.unavailable(d.name) for d in descriptors}
    if args.json:
        found = [_with_availability(d.to_dict(), unavailable[d.name]) for d in descriptors]
        json.dump(found, sys.stdout, indent=2)
        print()
        return 0
    width = max((len(d.name) for d in descriptors), default=4)
    for d in descriptors:
        tags = ",".join(d.tags)
        reason = unavailable[d.name]
        missing = f"  (unavailable: {reason})" if reason else ""
        print(f"{d.name:<{width}}  {d.summary}  [{tags}]{missing}")
    for name, problem in registry.load_errors.items():
        print(f"(skipped broken plug-in {name}: {problem})", file=sys.stderr)
    return 0


def _describe(args: argparse.Namespace) -> int:
    load_plugins(args)
    registry = Registry.default()
    descriptor = registry.describe(args.name)
    reason = registry.unavailable(args.name)
    if args.json:
        json.dump(_with_availability(descriptor.to_dict(), reason), sys.stdout, indent=2)
        print()
    else:
        print(render_descriptor(descriptor))
        if reason:
            print(f"unavailable here: {reason}")
    return 0


def _with_availability(described: dict[str, Any], reason: str | None) -> dict[str, Any]:
    # Only unavailable types carry the key, so a full install's JSON is unchanged.
    return described if reason is None else {**described, "unavailable": reason}


def render_descriptor(d: ProcessorDescriptor) -> str:
    """A descriptor as text for people."""
    lines = [f"{d.name}  [{', '.join(d.tags)}]  scheduling: {d.scheduling}", ""]
    lines.extend(f"  {line}" for line in d.description.splitlines())
    lines.append("")
    lines.append("inputs:" if d.inputs else "inputs: none")
    for port in d.inputs:
        assert port.profile is not None
        lines.append(
            f"  {port.name:<12} {port.frame_type!s:<16} {port.profile.value} "
            f"(depth {port.capacity})  {port.description}".rstrip()
        )
    lines.append("outputs:" if d.outputs else "outputs: none")
    for port in d.outputs:
        lines.append(f"  {port.name:<12} {port.frame_type!s:<16} {port.description}".rstrip())
    properties: dict[str, Any] = d.config_schema.get("properties", {})
    lines.append("config:" if properties else "config: none")
    for name, field in properties.items():
        kind = field_kind(field)
        default = f" (default {default_text(field['default'])})" if "default" in field else ""
        live = "  (live)" if field.get("live") else ""
        limits = _limits(field)
        text = field.get("description", "")
        lines.append(f"  {name}: {kind}{default}{limits}{live}  {text}".rstrip())
    return "\n".join(lines)


def field_kind(field: dict[str, Any]) -> str:
    """A config field's JSON Schema as a short phrase: ``integer``, ``one of bars, gradient``.

    Enums list their allowed values; unions join their members with ``|``
    (``one of low, high | number``); arrays name their items
    (``array of number``, ``[integer, integer, integer]``); a reference names
    the model it points to.
    """
    if "enum" in field:
        return "one of " + ", ".join(_value_text(v) for v in field["enum"])
    if "const" in field:
        return _value_text(field["const"])
    if "$ref" in field:
        return str(field["$ref"]).rsplit("/", 1)[-1]
    options = field.get("anyOf") or field.get("oneOf")
    if options:
        return " | ".join(field_kind(option) for option in options)
    if field.get("type") == "array":
        if "prefixItems" in field:
            return "[" + ", ".join(field_kind(item) for item in field["prefixItems"]) + "]"
        if "items" in field:
            return f"array of {field_kind(field['items'])}"
    kind = field.get("type", "any")
    return " | ".join(kind) if isinstance(kind, list) else str(kind)


def default_text(value: Any) -> str:
    """A default value as people read it: ``rgb24``, ``30.0``, ``null``, ``[0, 255, 0]``."""
    return _value_text(value)


def _value_text(value: Any) -> str:
    # Plain words stay bare (``rgb24``); strings that a reader could misread
    # (empty, spaces, commas) keep their quotes.
    if isinstance(value, str) and value and all(c.isalnum() or c in "_-.:/+" for c in value):
        return value
    return json.dumps(value)


def _limits(field: dict[str, Any]) -> str:
    marks = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    parts = [f"{sign} {field[key]}" for key, sign in marks.items() if key in field]
    return f"  [{', '.join(parts)}]" if parts else ""
