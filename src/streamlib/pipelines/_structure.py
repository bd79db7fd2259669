"""The shape of a pipeline file: composed nodes into a :class:`PipelineSpec`.

This layer knows nothing about processor classes: it checks the file's shape,
ids, connection syntax and the form of local type references only. Resolving
``type`` names, checking port names and validating ``config`` against each
type's model happen in ``_graph_loading``, using the ``line`` and ``config_lines``
recorded here to report on the right line.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._local_types import LocalType
from ._nodes import NodeReader, describe, is_null, line_of
from ._spec import (
    ConnectionSpec,
    PipelineSpec,
    PluginSpec,
    ProcessorSpec,
    listing,
    suggestion,
)
from ._yaml_reader import SEQ, STR

__all__ = ["SpecBuilder"]

# The delivery profiles an input can ask for (see DESIGN.md, "Ports and delivery profiles").
_PROFILES = ("latest", "fifo", "lossless")
_TOP_LEVEL_KEYS = ("name", "plugins", "processors", "connections")
_PROCESSOR_KEYS = ("type", "config", "isolation", "process")
_ISOLATIONS = ("thread", "process")
_CONNECTION_KEYS = ("from", "to", "profile", "capacity")

_PROCESSOR_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Ports are attributes of a processor class, so they are Python identifiers.
_PORT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SpecBuilder(NodeReader):
    """Walks the composed node tree once, building specs (and, through
    :class:`NodeReader`, the plain Python values of configs)."""

    # -- structure --

    def pipeline(self, root: Node) -> PipelineSpec:
        if not isinstance(root, MappingNode):
            raise self._error(
                f"the top level must be a mapping with 'processors:' (and optionally "
                f"'connections:', 'plugins:' and 'name:'), not {describe(root)}",
                root,
            )
        entries = self._items(root, "top-level key")
        for key, key_node, _ in entries:
            if key not in _TOP_LEVEL_KEYS:
                raise self._error(
                    f'unknown top-level key "{key}"{suggestion(key, _TOP_LEVEL_KEYS)}; '
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
        if "name" in values and not is_null(values["name"]):
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
        if is_null(node):
            return ()
        if isinstance(node, ScalarNode) and node.tag == STR:
            node = SequenceNode(SEQ, [node], node.start_mark, node.end_mark)  # one file
        if not isinstance(node, SequenceNode):
            raise self._error(
                f"'plugins' must be a list of .py files, not {describe(node)}; "
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
            plugins.append(PluginSpec(path.strip(), line_of(item)))
        return tuple(plugins)

    def _processors(self, node: Node) -> tuple[ProcessorSpec, ...]:
        if is_null(node):
            return ()
        if not isinstance(node, MappingNode):
            hint = " (write 'id: {type: ...}' entries, not '- ...' items)"
            raise self._error(
                "'processors' must be a mapping of id -> {type: ..., config: {...}}, "
                f"not {describe(node)}{hint if isinstance(node, SequenceNode) else ''}",
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
            if isinstance(node, ScalarNode) and node.tag == STR:
                hint = f" (write {{type: {node.value}}})"
            raise self._error(
                f"processor \"{id}\" must be a mapping with a 'type' and an optional "
                f"'config', not {describe(node)}{hint}",
                id_node if is_null(node) else node,
            )
        fields: dict[str, Node] = {}
        for key, key_node, value in self._items(node, f'key of processor "{id}"'):
            if key not in _PROCESSOR_KEYS:
                raise self._error(
                    f'processor "{id}": unknown key "{key}"{suggestion(key, _PROCESSOR_KEYS)}; '
                    "a processor takes 'type', 'config', 'isolation' and 'process' (its options "
                    "go under 'config')",
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
        if config_node is not None and not is_null(config_node):
            if not isinstance(config_node, MappingNode):
                raise self._error(
                    f"the 'config' of processor \"{id}\" must be a mapping of option -> value, "
                    f"not {describe(config_node)}",
                    config_node,
                )
            for key, key_node, value in self._items(config_node, f'config key of "{id}"'):
                config[key] = self._value(value, at=key_node)
                config_lines[key] = line_of(key_node)
        isolation, process = self._placement(id, fields)
        return ProcessorSpec(
            id, type_name, config, line_of(id_node), config_lines, isolation, process
        )

    def _placement(self, id: str, fields: dict[str, Node]) -> tuple[str, str | None]:
        """Where processor ``id`` runs: its ``isolation`` and ``process`` name."""
        isolation = None
        if "isolation" in fields:
            isolation = self._string(fields["isolation"], f"the 'isolation' of processor \"{id}\"")
            if isolation not in _ISOLATIONS:
                raise self._error(
                    f"the 'isolation' of processor \"{id}\" is \"{isolation}\"; use 'thread' "
                    "(the default) or 'process' (a worker process of its own)",
                    fields["isolation"],
                )
        if "process" not in fields:
            return isolation or "thread", None
        node = fields["process"]
        process = self._string(node, f"the 'process' of processor \"{id}\"")
        if not _PROCESSOR_ID.fullmatch(process):
            raise self._error(
                f'the \'process\' of processor "{id}" is "{process}", not a process name: a '
                'name starts with a letter or "_" and holds only letters, digits, "_" and "-" '
                "(e.g. 'process: dsp'; processors with the same name share one worker process)",
                node,
            )
        if isolation == "thread":
            raise self._error(
                f"processor \"{id}\" has 'process: {process}' (a worker process shared with "
                "the others of that name) and 'isolation: thread' (this process); remove "
                "'isolation' (a process name means isolation: process)",
                fields["isolation"],
            )
        return "process", process

    def _connections(
        self, node: Node, processors: tuple[ProcessorSpec, ...]
    ) -> tuple[ConnectionSpec, ...]:
        if is_null(node):
            return ()
        if not isinstance(node, SequenceNode):
            raise self._error(
                "'connections' must be a list of \"PROC.PORT -> PROC.PORT\" entries, "
                f"not {describe(node)}",
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
                        f"'processors'{suggestion(proc, ids)}; declared: {listing(list(ids))}",
                        connection.line,
                    )
            connections.append(connection)
        return tuple(connections)

    def _connection(self, node: Node, number: int) -> ConnectionSpec:
        if isinstance(node, ScalarNode) and node.tag == STR:
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
            return ConnectionSpec(
                source, source_port, target, target_port, None, None, line_of(node)
            )
        if isinstance(node, MappingNode):
            return self._mapping_connection(node, number)
        raise self._error(
            f'connection #{number} must be "PROC.PORT -> PROC.PORT" or a mapping with '
            f"'from' and 'to', not {describe(node)}",
            node,
        )

    def _mapping_connection(self, node: MappingNode, number: int) -> ConnectionSpec:
        label = f"connection #{number}"
        fields: dict[str, tuple[Node, Node]] = {}
        for key, key_node, value in self._items(node, f"key of {label}"):
            if key not in _CONNECTION_KEYS:
                raise self._error(
                    f'{label}: unknown key "{key}"{suggestion(key, _CONNECTION_KEYS)}; '
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
        if "profile" in fields and not is_null(fields["profile"][1]):
            value = fields["profile"][1]
            profile = self._string(value, f"the 'profile' of {label}")
            if profile not in _PROFILES:
                hint = suggestion(profile.lower(), _PROFILES)
                raise self._error(
                    f'{label}: unknown profile "{profile}"{hint}; '
                    f"use one of {', '.join(_PROFILES)}",
                    value,
                )
        capacity = None
        if "capacity" in fields and not is_null(fields["capacity"][1]):
            value = fields["capacity"][1]
            built = self._value(value) if isinstance(value, ScalarNode) else None
            if not isinstance(built, int) or isinstance(built, bool) or built < 1:
                raise self._error(
                    f"{label}: 'capacity' must be a whole number of frames, 1 or more, "
                    f"not {describe(value)}",
                    value,
                )
            capacity = built
        return ConnectionSpec(
            source, source_port, target, target_port, profile, capacity, line_of(node)
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
