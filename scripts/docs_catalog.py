"""The processor catalogue page, written from the descriptors (what ``streamlib describe`` shows).

Used two ways:

- as an MkDocs hook (``hooks:`` in mkdocs.yml): every build, ``mkdocs build`` and
  ``mkdocs serve`` alike, adds ``processors.md`` to the site, generated from the
  registry of the environment the docs are built in; nothing generated is committed;
- as a script: ``python scripts/docs_catalog.py [OUT.md]`` writes the same page to
  OUT.md (or stdout), to read it without building the site.

The build fails, rather than leaving processors out, when a registered type cannot
be loaded: build the docs where every extra is installed (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from streamlib.cli._catalog import default_text, field_kind
from streamlib.core import ProcessorDescriptor, Registry


def _sibling(name: str) -> ModuleType:
    """A module from this folder (scripts/ is not a package; sys.path stays as it is)."""
    path = Path(__file__).resolve().with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_streamlib_docs_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rst_to_markdown = _sibling("docs_markdown").rst_to_markdown

PAGE = "processors.md"

# What a field marked with ``reach_field``/``path_field`` names, and the grant it
# needs from an agent (docs/security.md has the whole story).
_REACHES = {
    "url": "a network address: `network`",
    "media": "a file (read: `read`) or a network URL (`network`)",
    "device": "a device: the type's own device grant",
    "library": "a native library loaded into the process: `plugins`",
    "ffmpeg_graph": "an FFmpeg filter graph: a safe subset, anything else `raw_ffmpeg`",
    "ffmpeg_format": "an FFmpeg format or device: a safe subset, anything else `raw_ffmpeg`",
    "ffmpeg_options": "FFmpeg options: a safe subset, anything else `raw_ffmpeg`",
}
_PATHS = {"write": "a file written: `write`", "read": "a file read: `read`"}

_CODE = re.compile(r"(``[^`]+``|`[^`]+`)")


def catalogue(registry: Registry | None = None) -> str:
    """The whole page as Markdown."""
    registry = registry or Registry.default()
    broken = dict(registry.load_errors)
    if broken:
        problems = "; ".join(f"{name}: {problem}" for name, problem in broken.items())
        raise RuntimeError(
            f"processor types failed to load, the catalogue would miss them: {problems}. "
            "Build the docs where every extra is installed: pip install -e '.[dev]'"
        )
    descriptors = registry.descriptors()
    lines = [
        "# Processors",
        "",
        f"The {len(descriptors)} processor types this version ships, generated from their",
        "descriptors when the site is built: the same source as `streamlib list`,",
        "`streamlib describe NAME` and the MCP server's `describe_processor_type`.",
        "",
        "Each type lists its ports (frame type; for inputs the default delivery profile",
        "and queue depth, which a connection may override), its config fields (what a",
        "field accepts, its default, and whether it can change while the pipeline",
        "runs), and what it needs from an agent's grants",
        "([security and permissions](security.md)).",
        "",
        "| type | what it does | tags |",
        "| --- | --- | --- |",
    ]
    for d in descriptors:
        tags = " ".join(f"`{tag}`" for tag in d.tags)
        lines.append(f"| [{d.name}](#{d.name.lower()}) | {_inline(d.summary)} | {tags} |")
    for d in descriptors:
        lines.append("")
        lines.extend(_section(d))
    return "\n".join(lines) + "\n"


def _section(d: ProcessorDescriptor) -> list[str]:
    module = d.processor_class.__module__.split("._", 1)[0]
    lines = [
        f"## {d.name}",
        "",
        f"`{module}.{d.name}` · tags: {', '.join(f'`{t}`' for t in d.tags)} · "
        f"scheduling: `{d.scheduling}` · install: {_install(d)}",
        "",
        *rst_to_markdown(d.description).splitlines(),
        "",
        "**Ports**",
        "",
    ]
    if d.inputs or d.outputs:
        lines += [
            "| port | direction | frame type | delivery | depth | description |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for port in d.inputs:
            profile = f"`{port.profile.value}`" if port.profile is not None else ""
            lines.append(
                f"| `{port.name}` | input | `{port.frame_type!s}` | {profile} | "
                f"{port.capacity if port.capacity is not None else ''} | "
                f"{_inline(port.description)} |"
            )
        for port in d.outputs:
            lines.append(
                f"| `{port.name}` | output | `{port.frame_type!s}` |  |  | "
                f"{_inline(port.description)} |"
            )
    else:
        lines.append("None.")
    lines += ["", "**Config**", ""]
    properties: dict[str, Any] = d.config_schema.get("properties", {})
    if properties:
        lines += [
            "| field | accepts | default | live | description |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name, field in properties.items():
            default = f"`{default_text(field['default'])}`" if "default" in field else "required"
            accepts = _accepts(field) + _limits(field)
            live = "live" if field.get("live") else ""
            text = _inline(field.get("description", ""))
            lines.append(f"| `{name}` | {accepts} | {default} | {live} | {text} |")
        lines.extend(_nested_models(d.config_schema))
    else:
        lines.append("None.")
    lines += ["", "**Permissions** (for agents: `streamlib mcp --allow-...`)", ""]
    lines.extend(_permissions(d, properties))
    return lines


def _install(d: ProcessorDescriptor) -> str:
    commands = [f"`{r.install_command}`" for r in d.processor_class.requires]
    return ", ".join(commands) or "`pip install streamlib` (no extra)"


def _nested_models(schema: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for model, definition in schema.get("$defs", {}).items():
        lines += [
            "",
            f"`{model}` (an item of a list field above):",
            "",
            "| field | accepts | default | description |",
            "| --- | --- | --- | --- |",
        ]
        for name, field in definition.get("properties", {}).items():
            default = f"`{default_text(field['default'])}`" if "default" in field else "required"
            accepts = _accepts(field) + _limits(field)
            text = _inline(field.get("description", ""))
            lines.append(f"| `{name}` | {accepts} | {default} | {text} |")
    return lines


def _permissions(d: ProcessorDescriptor, properties: dict[str, Any]) -> list[str]:
    lines = [f"- needs `{capability}`" for capability in d.capabilities]
    for name, field in properties.items():
        if "reaches" in field:
            lines.append(f"- `{name}` names {_REACHES[field['reaches']]}")
        elif "path" in field:
            lines.append(f"- `{name}` names {_PATHS[field['path']]}")
    return lines or ["None: agents may add it freely."]


def _accepts(field: dict[str, Any]) -> str:
    """What a field accepts, each allowed value of an enum in its own code span."""
    if "enum" in field:
        return "one of " + ", ".join(f"`{default_text(v)}`" for v in field["enum"])
    options = field.get("anyOf") or field.get("oneOf")
    if options:
        return " or ".join(_accepts(option) for option in options)
    return _inline(f"``{field_kind(field)}``")


def _limits(field: dict[str, Any]) -> str:
    marks = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
    parts = [f"{sign} {field[key]}" for key, sign in marks.items() if key in field]
    for key, word in (("minItems", "at least"), ("maxItems", "at most")):
        if key in field and "prefixItems" not in field:
            parts.append(f"{word} {field[key]} items")
    return f" ({', '.join(parts)})" if parts else ""


def _inline(text: str) -> str:
    """One table cell: one line, and ``|`` outside code escaped."""
    text = rst_to_markdown(" ".join(text.split()))
    parts = _CODE.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("|", "\\|")
    for i in range(1, len(parts), 2):
        # A pipe inside a code span would still end the cell: spell it as an entity
        # in HTML code instead.
        if "|" in parts[i]:
            inner = parts[i].strip("`").replace("&", "&amp;").replace("<", "&lt;")
            parts[i] = "<code>" + inner.replace("|", "&#124;") + "</code>"
    return "".join(parts)


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=catalogue()))
    return files


def main(argv: list[str]) -> int:
    text = catalogue()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
