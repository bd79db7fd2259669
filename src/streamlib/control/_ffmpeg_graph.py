"""FFmpeg's filter-graph syntax, read the way libavfilter reads it, so grants see what it sees.

::

    parse_filter_graph("[in]scale=w=640:h='iw/2'[out];sine=440")
    # (FilterCall(name='scale', instance=None, options=(('w', '640'), ('h', 'iw/2'))),
    #  FilterCall(name='sine', instance=None, options=((None, '440'),)))

A graph is chains separated by ``;``; a chain is filters separated by ``,``; a filter
is ``[label]...name[@instance][=arguments][label]...``. Two levels of escaping apply,
as in libavfilter: the whole filter (its name and its arguments) is one token in
which ``\\`` escapes the next character and ``'...'`` quotes, and then the
arguments are split at ``:`` into ``key=value`` pairs (or positional values), each
value again a token with the same escaping. The names and values returned are the
unescaped text FFmpeg acts on, so ``mo\\vie`` is ``movie`` here as it is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import ConfigError

__all__ = ["FilterCall", "parse_filter_graph", "read_token"]

_WHITESPACE = " \n\t\r"
_KEY = re.compile(r"[A-Za-z0-9_./-]+(?==)")  # FFmpeg's key characters, before '='


@dataclass(frozen=True, slots=True)
class FilterCall:
    """One filter in a graph: its name, instance name and options (``None`` key: positional)."""

    name: str
    instance: str | None
    options: tuple[tuple[str | None, str], ...]


def read_token(text: str, start: int, terminators: str) -> tuple[str, int]:
    """FFmpeg's ``av_get_token``: the unescaped token at ``start`` and where it stopped.

    Leading whitespace is skipped and trailing whitespace dropped (unless escaped or
    quoted); ``\\`` escapes the next character; ``'`` quotes up to the next ``'`` (an
    unclosed quote runs to the end, as in FFmpeg).
    """
    position = start
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    out: list[str] = []
    keep = 0  # characters at the end that came escaped or quoted: never trimmed
    while position < len(text) and text[position] not in terminators:
        char = text[position]
        position += 1
        if char == "\\" and position < len(text):
            out.append(text[position])
            position += 1
            keep = len(out)
        elif char == "'":
            while position < len(text) and text[position] != "'":
                out.append(text[position])
                position += 1
            if position < len(text):
                position += 1
                keep = len(out)
        else:
            out.append(char)
    while len(out) > keep and out[-1] in _WHITESPACE:
        out.pop()
    return "".join(out), position


def parse_filter_graph(graph: str) -> tuple[FilterCall, ...]:
    """Every filter ``graph`` names, with its options unescaped; ``ConfigError`` if malformed."""
    calls: list[FilterCall] = []
    position = 0
    while True:
        position = _skip_labels(graph, _skip_space(graph, position))
        name, position = read_token(graph, position, "=,;[")
        arguments = ""
        if position < len(graph) and graph[position] == "=":
            arguments, position = read_token(graph, position + 1, "[],;")
        position = _skip_labels(graph, _skip_space(graph, position))
        base, _, instance = name.partition("@")
        if not base:
            raise ConfigError(f"the filter graph {graph!r} has an empty filter name")
        calls.append(FilterCall(base, instance or None, _options(arguments)))
        position = _skip_space(graph, position)
        if position >= len(graph):
            return tuple(calls)
        if graph[position] not in ",;":
            raise ConfigError(
                f"the filter graph {graph!r} cannot be read at {graph[position:][:20]!r}"
            )
        position += 1


def _options(arguments: str) -> tuple[tuple[str | None, str], ...]:
    options: list[tuple[str | None, str]] = []
    position = 0
    while position < len(arguments):
        key_match = _KEY.match(arguments, position)
        key = None
        if key_match is not None:
            key = key_match.group()
            position = key_match.end() + 1
        value, position = read_token(arguments, position, ":")
        options.append((key, value))
        if position < len(arguments):  # at a ':'
            position += 1
    return tuple(options)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _skip_labels(text: str, position: int) -> int:
    while position < len(text) and text[position] == "[":
        label, position = read_token(text, position + 1, "]")
        if not label or position >= len(text):
            raise ConfigError(f"the filter graph {text!r} has an empty or unclosed [label]")
        position = _skip_space(text, position + 1)
    return position
