"""YAML (and JSON) text into PyYAML nodes that keep their lines, within the limits.

Only composing happens here: nodes carry ``start_mark`` (their line) and nothing is
built from them yet, so the limits on depth and number of values are checked before
any recursion and before any value exists. ``_structure`` turns the nodes into a spec.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, Event
from yaml.nodes import Node
from yaml.reader import ReaderError

from ..core import PipelineFileError
from ._limits import DEFAULT_LIMITS, PipelineLimits, too_deep, too_many_values

__all__ = [
    "BOOL",
    "FLOAT",
    "INT",
    "KEEP_AS_TEXT",
    "MAP",
    "MERGE",
    "NULL",
    "SEQ",
    "STR",
    "TAG",
    "Dumper",
    "Loader",
    "compose",
    "open_loader",
]

# YAML 1.1 (what PyYAML reads) takes `1e-3` and `2E6` for strings; JSON and YAML 1.2
# read them as numbers, and so do we for plain (unquoted, untagged) scalars.
_EXPONENT_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+\Z")

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (TAG + t for t in ("str", "int", "float", "bool", "null"))
MAP, SEQ, MERGE = TAG + "map", TAG + "seq", TAG + "merge"
# Implicit tags PyYAML gives to plain scalars that we keep as the text written:
# dates stay strings (JSON has no dates), and `=` / `<<` as values are just text.
KEEP_AS_TEXT = frozenset({STR, TAG + "timestamp", TAG + "value", MERGE})


class _LimitExceededError(Exception):
    """A file went over one of its :class:`PipelineLimits` while being composed."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Loader(yaml.SafeLoader):
    """The safe loader, reading plain ``1e-3`` as a float (see ``_EXPONENT_FLOAT``),
    and refusing too deep or too many values before composing them.

    PyYAML's scanner and parser keep explicit stacks, but its composer recurses once
    per level: checking each node before descending keeps the stack shallow.
    """

    def __init__(self, text: str, limits: PipelineLimits = DEFAULT_LIMITS) -> None:
        super().__init__(text)
        self.limits = limits
        self._depth = 0
        self._values = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):  # an alias builds no node here
            return super().compose_node(parent, index)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        self._values += 1
        if self._values > self.limits.max_values:
            raise _LimitExceededError(too_many_values(self.limits), _event_line(event))
        if not isinstance(event, CollectionStartEvent):  # a scalar goes no deeper
            return super().compose_node(parent, index)
        if self._depth >= self.limits.max_depth:
            raise _LimitExceededError(too_deep(self.limits), _event_line(event))
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _event_line(event: Event) -> int | None:
    return None if event.start_mark is None else int(event.start_mark.line) + 1


class Dumper(yaml.SafeDumper):
    """The safe dumper, quoting strings such as ``"1e-3"`` that ``Loader`` reads as floats."""


Loader.add_implicit_resolver(FLOAT, _EXPONENT_FLOAT, list("-+0123456789."))
Dumper.add_implicit_resolver(FLOAT, _EXPONENT_FLOAT, list("-+0123456789."))


def open_loader(text: str, path: str | None, limits: PipelineLimits) -> Loader:
    try:
        return Loader(_flow_tabs_to_spaces(text), limits)
    except ReaderError as exc:  # raised up front for control characters
        line = text.count("\n", 0, exc.position) + 1
        raise PipelineFileError(
            f"character {_codepoint(exc.character)} is not allowed in a pipeline file; remove it",
            path=path,
            line=line,
        ) from None


def _codepoint(character: int | str) -> str:
    code = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{code:04X}"


def compose(loader: Loader, text: str, path: str | None) -> Node:
    try:
        root = loader.get_single_node()
    except _LimitExceededError as exc:
        raise PipelineFileError(exc.message, path=path, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise PipelineFileError(f"not valid YAML: {exc}", path=path) from None
    if root is None:
        raise PipelineFileError(
            "the file is empty; a pipeline needs at least a 'processors:' mapping",
            path=path,
            line=1,
        )
    return root


def _syntax_error(exc: yaml.MarkedYAMLError, path: str | None) -> PipelineFileError:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        where = ""
        context_mark = exc.context_mark
        if context_mark is not None and mark is not None and context_mark.line != mark.line:
            where = f" on line {context_mark.line + 1}"
        message = f"{exc.context}{where}: {exc.problem}"
    if "'\\t'" in message:
        hint = "indent with spaces; YAML does not allow tabs there"
    elif "mapping values are not allowed" in message:
        hint = "a value that contains ': ' must be quoted, or check the indentation"
    elif "expected a single document" in message:
        hint = "a pipeline file holds one document; remove the extra '---'"
    elif "undefined alias" in message:
        hint = "define the anchor (&name) before using it (*name)"
    else:
        hint = "check the indentation, brackets and quotes around this line"
    line = mark.line + 1 if mark is not None else None
    return PipelineFileError(f"YAML syntax error: {message}; {hint}", path=path, line=line)


def _flow_tabs_to_spaces(text: str) -> str:
    """Turn tabs between tokens into spaces in a document written in flow style (JSON).

    PyYAML rejects tabs as whitespace even inside ``{...}``, yet tab-indented JSON is
    common. Tabs inside quoted strings are kept; each tab becomes one space, so every
    line and column in an error stays where it was.
    """
    if "\t" not in text or not text.lstrip(" \t\r\n\ufeff").startswith(("{", "[")):
        return text
    out = list(text)
    quote = ""
    previous = "{"  # the last significant character outside strings
    i = 0
    while i < len(text):
        char = text[i]
        if quote == '"':
            if char == "\\":
                i += 1
            elif char == '"':
                quote = ""
        elif quote == "'":
            if char == "'" and text.startswith("''", i):  # '' is an escaped quote
                i += 1
            elif char == "'":
                quote = ""
        elif char in "\"'" and previous in "{[,:?":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1] in " \t\r\n"):
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
            continue
        elif char == "\t":
            out[i] = " "
        if not quote and char not in " \t\r\n":
            previous = char
        i += 1
    return "".join(out)
