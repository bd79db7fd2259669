"""Pipeline files: YAML or JSON text read into a validated, typed :class:`PipelineSpec`.

A pipeline file declares processors by id and the connections between their ports::

    name: my-pipeline                      # optional
    plugins: [my_effects.py]               # optional: local processor classes
    processors:
      src: {type: TestPattern, config: {width: 640, height: 480, fps: 30}}
      tone: {type: ToneSource}             # config is optional, {} by default
      sink: {type: NullSink}
      edges: {type: EdgeDetect}            # a class from my_effects.py (see plugins)
      soft: {type: "blur.py:Soft"}         # or named where it is: MODULE:Class
    connections:                           # optional
      - src.video -> sink.video            # "PROC.PORT -> PROC.PORT"
      - {from: tone.audio, to: sink.audio, profile: lossless, capacity: 64}

JSON with the same shape is read by the same YAML machinery, so its errors carry
lines too. Every error is a :class:`~streamlib.core._errors.PipelineFileError`
whose ``line`` (1-based) points at the offending entry.

A file is bounded before it can cost much (:class:`PipelineLimits`): its size is
checked before it is read whole, and its nesting depth and number of values while it
is read, so neither a deep file nor a huge one can exhaust the stack or memory.

This layer knows nothing about processor classes: it checks the file's shape,
ids, connection syntax and the form of local type references only (it imports
nothing: see ``_local_plugins``). Resolving ``type`` names, checking port names and
validating ``config`` against each type's model happen above it, using the
``line`` and ``config_lines`` recorded here to report on the right line.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from streamlib.core._errors import PipelineFileError, UnknownProcessorError
from streamlib.core._local_plugins import LocalType

__all__ = [
    "ConnectionSpec",
    "PipelineLimits",
    "PipelineSpec",
    "PluginSpec",
    "ProcessorSpec",
    "dump_pipeline",
    "load_pipeline_file",
    "parse_pipeline",
]

# The delivery profiles an input can ask for (see DESIGN.md, "Ports and delivery profiles").
_PROFILES = ("latest", "fifo", "lossless")
_TOP_LEVEL_KEYS = ("name", "plugins", "processors", "connections")
_PROCESSOR_KEYS = ("type", "config")
_CONNECTION_KEYS = ("from", "to", "profile", "capacity")

_PROCESSOR_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Ports are attributes of a processor class, so they are Python identifiers.
_PORT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# YAML 1.1 (what PyYAML reads) takes `1e-3` and `2E6` for strings; JSON and YAML 1.2
# read them as numbers, and so do we for plain (unquoted, untagged) scalars.
_EXPONENT_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+\Z")
# Anchors and aliases are expanded into independent copies; this caps how many values
# the expansion may build, so a "billion laughs" file fails fast instead of eating memory.
_MAX_ALIAS_VALUES = 100_000

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"
# Implicit tags PyYAML gives to plain scalars that we keep as the text written:
# dates stay strings (JSON has no dates), and `=` / `<<` as values are just text.
_KEEP_AS_TEXT = frozenset({_STR, _TAG + "timestamp", _TAG + "value", _MERGE})


@dataclass(frozen=True, slots=True)
class PipelineLimits:
    """How large a pipeline file may be; anything larger is refused with a clear error.

    The defaults are far beyond any real pipeline (10,000 processors with five
    config values each fit: 16 values apiece) and bound what a hostile file costs to a few
    seconds and about 200 MB before it is refused. Raise one where a legitimate
    pipeline needs it::

        load_pipeline_file("wall.yaml", limits=PipelineLimits(max_processors=20_000))

    Attributes:
        max_bytes: the file's size in bytes (UTF-8), checked before it is read whole.
        max_depth: how deeply mappings and lists may nest, counting the top level
            as 1 (``processors:`` is 2, a processor 3, its ``config`` 4); aliases
            and merges count the depth of the value they expand to.
        max_values: how many values (scalars, lists, mappings) the file may hold,
            counted while it is read; each costs about 0.6 KB before it is built.
        max_processors: entries under ``processors:``.
        max_connections: entries under ``connections:``.
    """

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_values: int = 200_000
    max_processors: int = 10_000
    max_connections: int = 50_000


_DEFAULT_LIMITS = PipelineLimits()


@dataclass(frozen=True, slots=True)
class ProcessorSpec:
    """One entry under ``processors:``: an id, a type name and its raw config.

    ``line`` is where the id is written; ``config_lines`` maps each top-level config
    key to its line, so a bad value (say ``fps``) can be reported where it is written.
    Lines are source positions, not part of the value: they are left out of ``==``.
    """

    id: str
    type: str
    config: dict[str, Any]
    line: int = field(compare=False)
    config_lines: dict[str, int] = field(compare=False)


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """One entry under ``connections:``: output ``source.source_port`` feeds input
    ``target.target_port``.

    ``profile`` (``"latest"``, ``"fifo"`` or ``"lossless"``) and ``capacity`` are
    ``None`` where the file leaves the choice to the input's declared defaults.
    ``line`` is left out of ``==``.

    >>> str(ConnectionSpec("src", "video", "sink", "video", None, None, line=4))
    'src.video -> sink.video'
    """

    source: str
    source_port: str
    target: str
    target_port: str
    profile: str | None
    capacity: int | None
    line: int = field(compare=False)

    def __str__(self) -> str:
        return f"{self.source}.{self.source_port} -> {self.target}.{self.target_port}"


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """One entry under ``plugins:``: a ``.py`` file, as written (relative paths count
    from the pipeline file's folder), whose processor classes the pipeline may name.
    ``line`` is left out of ``==``."""

    path: str
    line: int = field(compare=False)


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    """A whole pipeline file: processors in file order, then connections in file order.

    ``path`` records where it was read from (``None`` for text); like the lines, it is
    left out of ``==``, so a spec equals the one parsed back from its dump.
    ``plugins`` lists the local ``.py`` files whose processor classes it uses.
    """

    processors: tuple[ProcessorSpec, ...]
    connections: tuple[ConnectionSpec, ...]
    name: str | None = None
    path: str | None = field(default=None, compare=False)
    plugins: tuple[PluginSpec, ...] = ()

    def processor(self, id: str) -> ProcessorSpec:
        """Return the processor declared as ``id``.

        Raises :class:`~streamlib.core._errors.UnknownProcessorError` (a ``KeyError``)
        naming the declared ids when there is none.
        """
        for spec in self.processors:
            if spec.id == id:
                return spec
        ids = [spec.id for spec in self.processors]
        raise UnknownProcessorError(
            f"no processor {id!r} in this pipeline{_did_you_mean(id, ids)}; "
            f"declared: {_listing(ids)}"
        )


def parse_pipeline(
    text: str, *, path: str | None = None, limits: PipelineLimits = _DEFAULT_LIMITS
) -> PipelineSpec:
    """Read pipeline YAML or JSON text into a :class:`PipelineSpec`.

    ``path`` only labels errors and the result. Raises
    :class:`~streamlib.core._errors.PipelineFileError` with the 1-based line of the
    first problem found, also for text beyond ``limits``.

    >>> spec = parse_pipeline("processors: {a: {type: Noise}, b: {type: NullSink}}\\n"
    ...                       "connections: [a.audio -> b.audio]")
    >>> [str(c) for c in spec.connections]
    ['a.audio -> b.audio']
    """
    # Every character is at least one byte: only text near the limit needs encoding.
    if len(text) > limits.max_bytes or (
        len(text) * 4 > limits.max_bytes
        and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise _too_large(path, limits, "the text")
    loader = _open_loader(text, path, limits)
    try:
        root = _compose(loader, text, path)
        return _Parser(loader, path, limits).pipeline(root)
    finally:
        loader.dispose()


def load_pipeline_file(
    path: str | os.PathLike[str], *, limits: PipelineLimits = _DEFAULT_LIMITS
) -> PipelineSpec:
    """Read the pipeline file at ``path`` (``.yaml``, ``.yml`` or ``.json``; all are
    read as YAML, of which JSON is a subset) into a :class:`PipelineSpec`.

    A missing, unreadable, non-UTF-8 or too large file (see :class:`PipelineLimits`)
    raises :class:`~streamlib.core._errors.PipelineFileError` saying so.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            # Never more than the limit, whatever the file claims: /dev/zero says 0 bytes.
            data = file.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise PipelineFileError("no such file; check the path", path=name) from None
    except IsADirectoryError:
        raise PipelineFileError("is a directory, not a pipeline file", path=name) from None
    except OSError as exc:
        raise PipelineFileError(
            f"cannot read the file ({exc.strerror or exc}); check its permissions", path=name
        ) from exc
    if len(data) > limits.max_bytes:
        raise _too_large(name, limits, "the file")
    try:
        text = data.decode("utf-8-sig")  # -sig: tolerate a byte order mark from Windows editors
    except UnicodeDecodeError as exc:
        raise PipelineFileError(
            "the file is not UTF-8 text; save it as UTF-8",
            path=name,
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from None
    return parse_pipeline(text, path=name, limits=limits)


def _too_large(path: str | None, limits: PipelineLimits, what: str) -> PipelineFileError:
    limit = limits.max_bytes
    size = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit}-byte"
    return PipelineFileError(
        f"{what} is over the {size} limit for a pipeline file, so it was not read; "
        "if this really is one pipeline, load it with "
        "load_pipeline_file(path, limits=PipelineLimits(max_bytes=...))",
        path=path,
    )


def dump_pipeline(spec: PipelineSpec, *, format: Literal["yaml", "json"] = "yaml") -> str:
    """Write ``spec`` as pipeline-file text that :func:`parse_pipeline` reads back equal.

    Connections without a profile or capacity use the arrow form
    (``"src.video -> sink.video"``), the others the mapping form.
    ``format="json"`` raises ``ValueError`` for config values JSON cannot hold
    (NaN, infinities); YAML can.
    """
    document: dict[str, Any] = {}
    if spec.name is not None:
        document["name"] = spec.name
    if spec.plugins:
        document["plugins"] = [plugin.path for plugin in spec.plugins]
    document["processors"] = {
        p.id: {"type": p.type, "config": p.config} if p.config else {"type": p.type}
        for p in spec.processors
    }
    if spec.connections:
        document["connections"] = [_dump_connection(c) for c in spec.connections]
    if format == "yaml":
        return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    if format == "json":
        try:
            return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError as exc:
            raise ValueError(f"{exc}; write this pipeline with format='yaml'") from exc
    raise ValueError(f"unknown format {format!r}; use 'yaml' or 'json'")


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


# --- reading YAML into nodes ----------------------------------------------------------------


class _LimitExceededError(Exception):
    """A file went over one of its :class:`PipelineLimits` while being composed."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """The safe loader, reading plain ``1e-3`` as a float (see ``_EXPONENT_FLOAT``),
    and refusing too deep or too many values before composing them.

    PyYAML's scanner and parser keep explicit stacks, but its composer recurses once
    per level: checking each node before descending keeps the stack shallow.
    """

    def __init__(self, text: str, limits: PipelineLimits = _DEFAULT_LIMITS) -> None:
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
            raise _LimitExceededError(_too_many_values(self.limits), _event_line(event))
        if not isinstance(event, CollectionStartEvent):  # a scalar goes no deeper
            return super().compose_node(parent, index)
        if self._depth >= self.limits.max_depth:
            raise _LimitExceededError(_too_deep(self.limits), _event_line(event))
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _event_line(event: Event) -> int | None:
    return None if event.start_mark is None else int(event.start_mark.line) + 1


def _too_deep(limits: PipelineLimits) -> str:
    return (
        f"values are nested more than {limits.max_depth} levels deep; a pipeline needs "
        "only a few levels, so flatten this value (or, if it must be this deep, load it "
        "with limits=PipelineLimits(max_depth=...))"
    )


def _too_many_values(limits: PipelineLimits) -> str:
    return (
        f"the file holds more than {limits.max_values} values; a pipeline needs far "
        "fewer, so check what generated it (or, if it must be this large, load it with "
        "limits=PipelineLimits(max_values=...))"
    )


class _Dumper(yaml.SafeDumper):
    """The safe dumper, quoting strings such as ``"1e-3"`` that ``_Loader`` reads as floats."""


_Loader.add_implicit_resolver(_FLOAT, _EXPONENT_FLOAT, list("-+0123456789."))
_Dumper.add_implicit_resolver(_FLOAT, _EXPONENT_FLOAT, list("-+0123456789."))


def _open_loader(text: str, path: str | None, limits: PipelineLimits) -> _Loader:
    try:
        return _Loader(_flow_tabs_to_spaces(text), limits)
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


def _compose(loader: _Loader, text: str, path: str | None) -> Node:
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


# --- nodes into specs -----------------------------------------------------------------------


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _listing(words: Sequence[str]) -> str:
    if not words:
        return "none"
    shown = ", ".join(words[:20])
    return shown if len(words) <= 20 else f"{shown}, ... ({len(words)} in all)"


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    text = str(node.value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if node.tag == _NULL:
        return "empty (null)"
    if node.tag in _KEEP_AS_TEXT:
        return f'the string "{shown}"'
    if node.tag in (_INT, _FLOAT):
        return f"the number {shown}"
    if node.tag == _BOOL:
        return f"the boolean {shown}"
    return f"{shown!r} tagged {node.tag}"


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


class _Parser:
    """Walks the composed node tree once, building specs and plain Python values."""

    def __init__(self, loader: _Loader, path: str | None, limits: PipelineLimits) -> None:
        self._loader = loader
        self._path = path
        self._limits = limits
        # Nesting of the values being built: aliases and merges can nest deeper than
        # the text (each anchor wrapping the previous one), so it is counted again here,
        # from the level of a config (root, 'processors', the processor, 'config').
        self._depth = 4
        # Nodes already built once: meeting one again means an alias is being expanded.
        self._seen: set[int] = set()
        # Nodes being built right now: meeting one of these again means a recursive alias.
        self._active: set[int] = set()
        self._alias_budget = _MAX_ALIAS_VALUES

    def _error(self, message: str, node: Node | int | None) -> PipelineFileError:
        line = _line(node) if isinstance(node, Node) else node
        return PipelineFileError(message, path=self._path, line=line)

    # -- structure --

    def pipeline(self, root: Node) -> PipelineSpec:
        if not isinstance(root, MappingNode):
            raise self._error(
                f"the top level must be a mapping with 'processors:' (and optionally "
                f"'connections:', 'plugins:' and 'name:'), not {_describe(root)}",
                root,
            )
        entries = self._items(root, "top-level key")
        for key, key_node, _ in entries:
            if key not in _TOP_LEVEL_KEYS:
                raise self._error(
                    f'unknown top-level key "{key}"{_did_you_mean(key, _TOP_LEVEL_KEYS)}; '
                    f"allowed keys: {', '.join(sorted(_TOP_LEVEL_KEYS))}",
                    key_node,
                )
        values = {key: value for key, _, value in entries}
        if "processors" not in values:
            raise self._error(
                "missing 'processors:'; declare the processors as a mapping of "
                "id -> {type: ..., config: {...}}",
                root,
            )
        name = None
        if "name" in values and not _is_null(values["name"]):
            name = self._string(values["name"], "the pipeline's 'name'")
        plugins: tuple[PluginSpec, ...] = ()
        if "plugins" in values:
            plugins = self._plugins(values["plugins"])
        processors = self._processors(values["processors"])
        connections: tuple[ConnectionSpec, ...] = ()
        if "connections" in values:
            connections = self._connections(values["connections"], processors)
        return PipelineSpec(processors, connections, name=name, path=self._path, plugins=plugins)

    def _plugins(self, node: Node) -> tuple[PluginSpec, ...]:
        if _is_null(node):
            return ()
        if isinstance(node, ScalarNode) and node.tag == _STR:
            node = SequenceNode(_SEQ, [node], node.start_mark, node.end_mark)  # one file
        if not isinstance(node, SequenceNode):
            raise self._error(
                f"'plugins' must be a list of .py files, not {_describe(node)}; "
                "write 'plugins: [my_effects.py]'",
                node,
            )
        limit = self._limits.max_processors
        if len(node.value) > limit:
            raise self._error(f"more than {limit} plug-in files; list fewer", node.value[limit])
        plugins = []
        for item in node.value:
            path = self._string(item, "a 'plugins' entry")
            if not path.strip().endswith(".py"):
                raise self._error(
                    f'the plug-in "{path}" is not a .py file; list Python files, relative to '
                    "this file's folder (a module to import goes in a type: MODULE:Class)",
                    item,
                )
            plugins.append(PluginSpec(path.strip(), _line(item)))
        return tuple(plugins)

    def _processors(self, node: Node) -> tuple[ProcessorSpec, ...]:
        if _is_null(node):
            return ()
        if not isinstance(node, MappingNode):
            hint = " (write 'id: {type: ...}' entries, not '- ...' items)"
            raise self._error(
                "'processors' must be a mapping of id -> {type: ..., config: {...}}, "
                f"not {_describe(node)}{hint if isinstance(node, SequenceNode) else ''}",
                node,
            )
        limit = self._limits.max_processors
        if len(node.value) > limit:
            raise self._error(
                f"more than {limit} processors; split the pipeline (or, if it must be this "
                f"large, load it with limits=PipelineLimits(max_processors=...))",
                node.value[limit][0],
            )
        return tuple(
            self._processor(key, key_node, value)
            for key, key_node, value in self._items(node, "processor id")
        )

    def _processor(self, id: str, id_node: Node, node: Node) -> ProcessorSpec:
        if not _PROCESSOR_ID.fullmatch(id):
            raise self._error(
                f'processor id "{id}" is not valid: an id starts with a letter or "_" and '
                'holds only letters, digits, "_" and "-"',
                id_node,
            )
        if not isinstance(node, MappingNode):
            hint = ""
            if isinstance(node, ScalarNode) and node.tag == _STR:
                hint = f" (write {{type: {node.value}}})"
            raise self._error(
                f"processor \"{id}\" must be a mapping with a 'type' and an optional "
                f"'config', not {_describe(node)}{hint}",
                id_node if _is_null(node) else node,
            )
        fields: dict[str, Node] = {}
        for key, key_node, value in self._items(node, f'key of processor "{id}"'):
            if key not in _PROCESSOR_KEYS:
                raise self._error(
                    f'processor "{id}": unknown key "{key}"{_did_you_mean(key, _PROCESSOR_KEYS)}; '
                    "a processor takes 'type' and 'config' (its options go under 'config')",
                    key_node,
                )
            fields[key] = value
        if "type" not in fields:
            raise self._error(
                f"processor \"{id}\" has no 'type'; add 'type: <ProcessorType>'", id_node
            )
        type_name = self._string(fields["type"], f"the 'type' of processor \"{id}\"")
        if not type_name.strip():
            raise self._error(f"the 'type' of processor \"{id}\" is empty", fields["type"])
        try:
            LocalType.parse(type_name)
        except ValueError as exc:
            raise self._error(f"the 'type' of processor \"{id}\": {exc}", fields["type"]) from None
        config: dict[str, Any] = {}
        config_lines: dict[str, int] = {}
        config_node = fields.get("config")
        if config_node is not None and not _is_null(config_node):
            if not isinstance(config_node, MappingNode):
                raise self._error(
                    f"the 'config' of processor \"{id}\" must be a mapping of option -> value, "
                    f"not {_describe(config_node)}",
                    config_node,
                )
            for key, key_node, value in self._items(config_node, f'config key of "{id}"'):
                config[key] = self._value(value, at=key_node)
                config_lines[key] = _line(key_node)
        return ProcessorSpec(id, type_name, config, _line(id_node), config_lines)

    def _connections(
        self, node: Node, processors: tuple[ProcessorSpec, ...]
    ) -> tuple[ConnectionSpec, ...]:
        if _is_null(node):
            return ()
        if not isinstance(node, SequenceNode):
            raise self._error(
                "'connections' must be a list of \"PROC.PORT -> PROC.PORT\" entries, "
                f"not {_describe(node)}",
                node,
            )
        limit = self._limits.max_connections
        if len(node.value) > limit:
            raise self._error(
                f"more than {limit} connections; split the pipeline (or, if it must be this "
                f"large, load it with limits=PipelineLimits(max_connections=...))",
                node.value[limit],
            )
        ids = {p.id: None for p in processors}  # declaration order, for the listings
        connections = []
        for number, item in enumerate(node.value, start=1):
            connection = self._connection(item, number)
            for proc in (connection.source, connection.target):
                if proc not in ids:
                    raise self._error(
                        f'connection "{connection}": no processor "{proc}" is declared under '
                        f"'processors'{_did_you_mean(proc, ids)}; declared: {_listing(list(ids))}",
                        connection.line,
                    )
            connections.append(connection)
        return tuple(connections)

    def _connection(self, node: Node, number: int) -> ConnectionSpec:
        if isinstance(node, ScalarNode) and node.tag == _STR:
            text = str(node.value)
            sides = text.split("->")
            if len(sides) != 2:
                wrong_arrow = next((a for a in ("=>", "→", "<-") if a in text), None)
                hint = f" ('{wrong_arrow}' is not the arrow)" if wrong_arrow else ""
                raise self._error(
                    f'connection "{text}": write it as "PROC.PORT -> PROC.PORT"{hint}, '
                    'e.g. "src.video -> sink.video"',
                    node,
                )
            label = f'connection "{text}"'
            source, source_port = self._endpoint(sides[0].strip(), label, "source", node)
            target, target_port = self._endpoint(sides[1].strip(), label, "target", node)
            return ConnectionSpec(source, source_port, target, target_port, None, None, _line(node))
        if isinstance(node, MappingNode):
            return self._mapping_connection(node, number)
        raise self._error(
            f'connection #{number} must be "PROC.PORT -> PROC.PORT" or a mapping with '
            f"'from' and 'to', not {_describe(node)}",
            node,
        )

    def _mapping_connection(self, node: MappingNode, number: int) -> ConnectionSpec:
        label = f"connection #{number}"
        fields: dict[str, tuple[Node, Node]] = {}
        for key, key_node, value in self._items(node, f"key of {label}"):
            if key not in _CONNECTION_KEYS:
                raise self._error(
                    f'{label}: unknown key "{key}"{_did_you_mean(key, _CONNECTION_KEYS)}; '
                    f"a connection takes {', '.join(_CONNECTION_KEYS)}",
                    key_node,
                )
            fields[key] = (key_node, value)
        for required in ("from", "to"):
            if required not in fields:
                raise self._error(f"{label} has no '{required}'; add '{required}: PROC.PORT'", node)
        source_text = self._string(fields["from"][1], f"the 'from' of {label}")
        target_text = self._string(fields["to"][1], f"the 'to' of {label}")
        label = f'connection "{source_text} -> {target_text}"'
        source, source_port = self._endpoint(
            source_text.strip(), label, "source", fields["from"][1]
        )
        target, target_port = self._endpoint(target_text.strip(), label, "target", fields["to"][1])
        profile = None
        if "profile" in fields and not _is_null(fields["profile"][1]):
            value = fields["profile"][1]
            profile = self._string(value, f"the 'profile' of {label}")
            if profile not in _PROFILES:
                suggestion = _did_you_mean(profile.lower(), _PROFILES)
                raise self._error(
                    f'{label}: unknown profile "{profile}"{suggestion}; '
                    f"use one of {', '.join(_PROFILES)}",
                    value,
                )
        capacity = None
        if "capacity" in fields and not _is_null(fields["capacity"][1]):
            value = fields["capacity"][1]
            built = self._value(value) if isinstance(value, ScalarNode) else None
            if not isinstance(built, int) or isinstance(built, bool) or built < 1:
                raise self._error(
                    f"{label}: 'capacity' must be a whole number of frames, 1 or more, "
                    f"not {_describe(value)}",
                    value,
                )
            capacity = built
        return ConnectionSpec(
            source, source_port, target, target_port, profile, capacity, _line(node)
        )

    def _endpoint(self, text: str, label: str, side: str, node: Node) -> tuple[str, str]:
        example = "src.video" if side == "source" else "sink.video"
        if not text:
            raise self._error(
                f"{label}: the {side} is empty; write PROC.PORT, e.g. {example}", node
            )
        parts = text.split(".")
        if len(parts) != 2:
            problem = "names no port" if len(parts) == 1 else "has more than one '.'"
            raise self._error(
                f'{label}: the {side} "{text}" {problem}; write PROC.PORT, e.g. {example}', node
            )
        proc, port = parts
        if not _PROCESSOR_ID.fullmatch(proc):
            raise self._error(
                f'{label}: "{proc}" is not a valid processor id; an id starts with a letter '
                'or "_" and holds only letters, digits, "_" and "-"',
                node,
            )
        if not _PORT_NAME.fullmatch(port):
            raise self._error(
                f'{label}: "{port}" is not a valid port name; a port name starts with a '
                'letter or "_" and holds only letters, digits and "_"',
                node,
            )
        return proc, port

    def _string(self, node: Node, what: str) -> str:
        if isinstance(node, ScalarNode) and node.tag in _KEEP_AS_TEXT:
            return str(node.value)
        hint = "; put it in quotes" if isinstance(node, ScalarNode) else ""
        raise self._error(f"{what} must be a string, not {_describe(node)}{hint}", node)

    # -- mappings and values --

    def _items(self, node: MappingNode, what: str) -> list[tuple[str, Node, Node]]:
        """The (key, key node, value node) entries of a mapping, merge keys (``<<``)
        applied: keys written in the mapping win over merged ones, and an earlier
        merged mapping wins over a later one, as YAML specifies."""
        if node.tag != _MAP:
            raise self._error(
                f"tag {node.tag} is not supported; pipeline files hold plain mappings", node
            )
        own: dict[str, tuple[Node, Node]] = {}
        merged: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for key, k, v in self._merge_sources(value_node, what):
                    merged.setdefault(key, (k, v))
                continue
            key = self._key(key_node, what)
            if key in own:
                raise self._error(
                    f'duplicate {what} "{key}" (first on line {_line(own[key][0])}); '
                    "each key may appear once, so rename or remove one",
                    key_node,
                )
            own[key] = (key_node, value_node)
        # Merged keys keep their place; keys written here replace their values.
        return [(key, *nodes) for key, nodes in {**merged, **own}.items()]

    def _merge_sources(self, node: Node, what: str) -> list[tuple[str, Node, Node]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        entries: list[tuple[str, Node, Node]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                raise self._error(
                    f"'<<' merges mappings, not {_describe(source)}; write '<<: *anchor' "
                    "where the anchor names a mapping",
                    source,
                )
            if id(source) in self._active:
                raise self._error("'<<' merges a mapping into itself; break the loop", source)
            self._spend_alias_budget(len(source.value), source)
            self._enter(source)
            self._active.add(id(source))
            try:
                entries.extend(self._items(source, what))
            finally:
                self._active.discard(id(source))
                self._depth -= 1
        return entries

    def _key(self, node: Node, what: str) -> str:
        if isinstance(node, ScalarNode) and node.tag in _KEEP_AS_TEXT:
            return str(node.value)
        hint = ""
        if isinstance(node, ScalarNode):
            hint = f'; put it in quotes, e.g. "{node.value}"'
            if node.tag == _BOOL:
                hint += " (YAML reads yes/no/on/off as booleans)"
        raise self._error(f"a {what} must be a string, not {_describe(node)}{hint}", node)

    def _enter(self, node: Node) -> None:
        """One level deeper into ``node``; refused past the depth limit."""
        if self._depth >= self._limits.max_depth:
            raise self._error(_too_deep(self._limits), node)
        self._depth += 1

    def _spend_alias_budget(self, count: int, node: Node) -> None:
        self._alias_budget -= count
        if self._alias_budget < 0:
            raise self._error(
                f"anchors and aliases expand to more than {_MAX_ALIAS_VALUES} values; "
                "write the values out or use fewer aliases",
                node,
            )

    def _value(self, node: Node, via_alias: bool = False, at: Node | None = None) -> Any:
        """Build the plain Python value (dict, list, str, int, float, bool, None) of a
        node; aliases are expanded into independent copies. Errors about the node as a
        whole point at ``at`` (the key it is the value of), since an alias records no
        position of its own."""
        if id(node) in self._active:
            raise self._error(
                "this alias refers to a value that contains it (a loop); "
                "write the value out instead",
                at or node,
            )
        if id(node) in self._seen:
            via_alias = True
        self._seen.add(id(node))
        if via_alias:
            self._spend_alias_budget(1, at or node)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        self._enter(at or node)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ:
                    raise self._error(
                        f"tag {node.tag} is not supported; pipeline files hold plain lists", node
                    )
                return [self._value(item, via_alias, node) for item in node.value]
            if isinstance(node, MappingNode):
                items = self._items(node, "key")
                return {key: self._value(value, via_alias, k) for key, k, value in items}
        finally:
            self._active.discard(id(node))
            self._depth -= 1
        raise self._error(f"unexpected YAML node {node!r}", node)  # pragma: no cover

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag in _KEEP_AS_TEXT:
            return str(node.value)
        if node.tag in (_INT, _FLOAT, _BOOL, _NULL):
            try:
                return self._loader.construct_object(node)
            except (yaml.YAMLError, ValueError):
                raise self._error(
                    f"cannot read {node.value!r} as {node.tag.removeprefix(_TAG)}", node
                ) from None
        raise self._error(
            f"tag {node.tag} is not supported; values must be strings, numbers, booleans, "
            "null, lists or mappings",
            node,
        )
