"""Descriptions match values: every config value a processor's docs name is one it accepts.

The convention, for anyone writing a processor's docstring or field descriptions
(the texts ``streamlib list``/``describe``, the MCP server and the docs site show):

1. A setting is written as it would appear in a pipeline file, ``field: value``
   in double backticks (``realtime: false``), and an example pipeline entry
   follows ``Example pipeline entry::``. Both are validated against the
   processor's config here, as ``streamlib run`` would.
2. An allowed value named on its own is spelled as the config spells it and
   written in double backticks or quotes (``checker``, 'low'). A quoted word that
   resembles an allowed value without being one (``checkerboard``,
   ``lower-third``) fails.
3. The summary line (what ``streamlib list`` prints) and an enum field's own
   description name the choices as the config spells them, quoted or not: a word
   there that resembles an allowed value without being one fails.

"Resembles" is deliberately narrow (an allowed value with something glued on, or
a near spelling), so ordinary prose passes; field, port and type names never count,
and case and dots are free (H.264 and BT.709 name ``h264`` and ``bt709``).
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
import yaml
from pydantic import Field, TypeAdapter, ValidationError

import streamlib as sl
from streamlib.cli._catalog import render_descriptor
from streamlib.core import ConfigError, ProcessorDescriptor, Registry

REGISTRY = Registry.default()
DESCRIPTORS = REGISTRY.descriptors()

_QUOTED = re.compile(r"``([^`]+)``|(?<![\w`])'([^'\s][^']*)'(?!\w)|\"([^\"]+)\"")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z0-9]")
_SETTING = re.compile(r"^\s*[a-z_][a-z0-9_]*\s*:\s*\S")


@dataclass(frozen=True)
class _Text:
    where: str
    text: str
    names_choices: bool  # the summary line or an enum field's own description


def _enum_values(field: dict[str, Any]) -> list[str]:
    values = [v for v in field.get("enum", []) if isinstance(v, str)]
    for option in field.get("anyOf", []) + field.get("oneOf", []):
        values.extend(_enum_values(option))
    return values


def _fields(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from schema.get("properties", {}).items()
    for model, definition in schema.get("$defs", {}).items():
        for name, field in definition.get("properties", {}).items():
            yield f"{model}.{name}", field


def _allowed_values(d: ProcessorDescriptor) -> set[str]:
    return {value for _, field in _fields(d.config_schema) for value in _enum_values(field)}


def _names(d: ProcessorDescriptor, registry: Registry) -> set[str]:
    """Words that name something other than a value: fields, ports, types."""
    fields = {name.rsplit(".", 1)[-1] for name, _ in _fields(d.config_schema)}
    ports = {port.name for port in (*d.inputs, *d.outputs)}
    return {n.lower() for n in fields | ports | set(registry.names())}


def _texts(d: ProcessorDescriptor) -> list[_Text]:
    texts = [
        _Text(f"{d.name} summary", d.summary, names_choices=True),
        _Text(f"{d.name} docstring", d.description, names_choices=False),
    ]
    for name, field in _fields(d.config_schema):
        texts.append(
            _Text(
                f"{d.name} config field {name!r}",
                field.get("description", ""),
                names_choices=bool(_enum_values(field)),
            )
        )
    for port in (*d.inputs, *d.outputs):
        texts.append(_Text(f"{d.name} port {port.name!r}", port.description, names_choices=False))
    return texts


def _resembles(word: str, value: str) -> bool:
    """``word`` looks like an attempt at ``value`` without being it."""
    # Case and dots are free: proper names (H.264, BT.709, VP8) name h264, bt709, vp8.
    word, value = word.lower().replace(".", ""), value.lower().replace(".", "")
    if word == value:
        return False
    if len(value) >= 3 and word.startswith(value) and word[len(value) :] not in {"s", "es"}:
        return True  # checkerboard for checker; not captions for caption
    # A near spelling: lower-third for lower_third, bt.709 for bt709.
    return len(word) >= 4 and difflib.SequenceMatcher(None, word, value).ratio() >= 0.8


def _lookalikes(words: list[str], d: ProcessorDescriptor, registry: Registry) -> list[str]:
    allowed, names = _allowed_values(d), _names(d, registry)
    found = []
    for word in words:
        if word.lower() in allowed or word.lower() in names:
            continue
        near = sorted(v for v in allowed if _resembles(word, v))
        if near:
            found.append(f"{word!r} (allowed: {', '.join(near)})")
    return found


def _quoted(text: str) -> list[str]:
    return [next(part for part in match if part) for match in _QUOTED.findall(text)]


def _check_setting(d: ProcessorDescriptor, snippet: str) -> str | None:
    """``field: value`` (one or several, comma separated) validated field by field."""
    try:
        settings = yaml.safe_load("{" + snippet + "}")
    except yaml.YAMLError:
        return None
    if not isinstance(settings, dict):
        return None
    model_fields = d.processor_class.Config.model_fields
    if not all(isinstance(key, str) and key in model_fields for key in settings):
        return None  # not a setting of this processor (an event payload, a formula)
    problems = []
    for key, value in settings.items():
        info = model_fields[key]
        annotated: Any = (
            Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        )
        adapter: TypeAdapter[Any] = TypeAdapter(annotated)
        try:
            adapter.validate_python(value)
        except ValidationError as error:
            problems.append(f"``{snippet}``: {error.errors()[0]['msg']}")
    return "; ".join(problems) or None


def _example_blocks(description: str) -> Iterator[str]:
    """The indented blocks after a line ending in ``::``."""
    lines = description.splitlines()
    for index, line in enumerate(lines):
        if not line.rstrip().endswith("::"):
            continue
        block: list[str] = []
        for following in lines[index + 1 :]:
            if following.strip() and not following.startswith((" ", "\t")):
                break
            block.append(following)
        yield textwrap.dedent("\n".join(block))


def _check_example(block: str, registry: Registry) -> list[str]:
    """A pipeline entry block: every processor in it has a type and a valid config."""
    try:
        entries = yaml.safe_load(block)
    except yaml.YAMLError:
        return []  # Python or JSON, not a pipeline entry
    if not isinstance(entries, dict) or not all(
        isinstance(entry, dict) and "type" in entry for entry in entries.values()
    ):
        return []
    problems = []
    for entry_id, entry in entries.items():
        if entry["type"] not in registry.names():
            problems.append(f"example {entry_id!r}: no processor type {entry['type']!r}")
            continue
        config_class = registry.get(entry["type"]).Config
        try:
            config_class.parse(entry.get("config"), owner=str(entry_id))
        except ConfigError as error:
            problems.append(f"example {entry_id!r}: {error}")
    return problems


def _problems(d: ProcessorDescriptor, registry: Registry = REGISTRY) -> list[str]:
    problems: list[str] = []
    for text in _texts(d):
        quoted = _quoted(text.text)
        for snippet in quoted:
            if _SETTING.match(snippet) and (problem := _check_setting(d, snippet)):
                problems.append(f"{text.where}: {problem}")
        looked_at = [snippet for snippet in quoted if " " not in snippet]
        if text.names_choices:
            looked_at += _WORD.findall(_QUOTED.sub(" ", text.text))
        problems.extend(
            f"{text.where}: {found} is not an allowed value; spell the value as the config does"
            for found in _lookalikes(looked_at, d, registry)
        )
    for block in _example_blocks(d.description):
        problems.extend(f"{d.name} docstring: {p}" for p in _check_example(block, registry))
    return problems


@pytest.mark.parametrize("descriptor", DESCRIPTORS, ids=[d.name for d in DESCRIPTORS])
def test_every_value_a_description_names_is_allowed(descriptor: ProcessorDescriptor) -> None:
    assert _problems(descriptor) == []


def test_there_are_processors_to_check() -> None:
    # The built-ins are registered through entry points; an empty registry would
    # make the test above pass vacuously.
    assert len(DESCRIPTORS) >= 40


def _drawn(docstring: str, field_description: str = "What to draw.") -> Registry:
    """A registry holding one processor type, ``Drawn``, with these texts."""

    class Drawn(sl.Processor):
        class Config(sl.ProcessorConfig):
            pattern: Literal["bars", "checker"] = Field("bars", description=field_description)
            realtime: bool = Field(True, description="Pace output in real time.")

        video = sl.Output(sl.VideoFrame, description="The picture.")

        def process(self) -> None:
            raise AssertionError("only described here, never run")

    Drawn.__doc__ = docstring
    registry = Registry()
    registry.register(Drawn)
    return registry


@pytest.mark.parametrize(
    ("docstring", "field_description", "complaint"),
    [
        ("Bars or a checkerboard.", "What to draw.", "'checkerboard'"),
        ("Bars or checker.\n\nDraws ``checkerboard`` tiles.", "What to draw.", "'checkerboard'"),
        ("Bars or checker.", "bars or checkerboard.", "'checkerboard'"),
        ("Bars or Checker-board.", "What to draw.", "'Checker-board'"),
        ("Bars or checker.\n\nWith ``pattern: stripes``.", "What to draw.", "pattern: stripes"),
        ("Bars or checker.\n\nWith ``realtime: maybe``.", "What to draw.", "realtime: maybe"),
        (
            "Bars or checker.\n\nExample pipeline entry::\n\n"
            "    src: {type: Drawn, config: {pattern: dots}}\n",
            "What to draw.",
            "pattern: Input should be 'bars' or 'checker'",
        ),
    ],
)
def test_a_value_that_does_not_exist_is_caught(
    docstring: str, field_description: str, complaint: str
) -> None:
    registry = _drawn(docstring, field_description)
    problems = _problems(registry.describe("Drawn"), registry)
    assert any(complaint in problem for problem in problems), problems


def test_prose_that_only_sounds_like_a_value_passes() -> None:
    registry = _drawn(
        "Draws bars or a checker pattern; ``realtime: false`` waits for consumers.\n\n"
        "Captions, higher rates and the ``pattern`` field are prose, not values.\n\n"
        "Example pipeline entry::\n\n    src: {type: Drawn, config: {pattern: checker}}\n",
        "``bars`` or ``checker``.",
    )
    assert _problems(registry.describe("Drawn"), registry) == []


def test_describe_shows_the_allowed_values_of_an_enum_field() -> None:
    text = render_descriptor(REGISTRY.describe("TestPattern"))
    assert "pattern: one of bars, gradient, checker (default bars)" in text
    assert "pixel_format: one of rgb24, rgba, bgra, gray8, yuv420p (default rgb24)" in text
    mp4 = render_descriptor(REGISTRY.describe("Mp4Writer"))
    assert "container: one of mp4, mov, mkv, webm | null (default null)" in mp4
