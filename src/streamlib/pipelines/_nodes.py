"""PyYAML nodes into plain Python values, with the line of every problem.

:class:`NodeReader` builds dicts, lists, strings, numbers, booleans and ``None``;
aliases and merge keys (``<<``) are expanded into independent copies, counted
against the depth limit and an alias budget, so a "billion laughs" file fails fast.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..core import PipelineFileError
from ._limits import MAX_ALIAS_VALUES, PipelineLimits, too_deep
from ._yaml_reader import BOOL, FLOAT, INT, KEEP_AS_TEXT, MAP, MERGE, NULL, SEQ, TAG, Loader

__all__ = ["NodeReader", "describe", "is_null", "line_of"]


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    text = str(node.value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if node.tag == NULL:
        return "empty (null)"
    if node.tag in KEEP_AS_TEXT:
        return f'the string "{shown}"'
    if node.tag in (INT, FLOAT):
        return f"the number {shown}"
    if node.tag == BOOL:
        return f"the boolean {shown}"
    return f"{shown!r} tagged {node.tag}"


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL


class NodeReader:
    """Builds the plain Python values of composed nodes; errors carry the node's line.

    Subclassed by ``SpecBuilder``, which reads the pipeline's structure with it.
    """

    def __init__(self, loader: Loader, path: str | None, limits: PipelineLimits) -> None:
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
        self._alias_budget = MAX_ALIAS_VALUES

    def _error(self, message: str, node: Node | int | None) -> PipelineFileError:
        line = line_of(node) if isinstance(node, Node) else node
        return PipelineFileError(message, path=self._path, line=line)

    def _string(self, node: Node, what: str) -> str:
        if isinstance(node, ScalarNode) and node.tag in KEEP_AS_TEXT:
            return str(node.value)
        hint = "; put it in quotes" if isinstance(node, ScalarNode) else ""
        raise self._error(f"{what} must be a string, not {describe(node)}{hint}", node)

    # -- mappings and values --

    def _items(self, node: MappingNode, what: str) -> list[tuple[str, Node, Node]]:
        """The (key, key node, value node) entries of a mapping, merge keys (``<<``)
        applied: keys written in the mapping win over merged ones, and an earlier
        merged mapping wins over a later one, as YAML specifies."""
        if node.tag != MAP:
            raise self._error(
                f"tag {node.tag} is not supported; pipeline files hold plain mappings", node
            )
        own: dict[str, tuple[Node, Node]] = {}
        merged: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                for key, k, v in self._merge_sources(value_node, what):
                    merged.setdefault(key, (k, v))
                continue
            key = self._key(key_node, what)
            if key in own:
                raise self._error(
                    f'duplicate {what} "{key}" (first on line {line_of(own[key][0])}); '
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
                    f"'<<' merges mappings, not {describe(source)}; write '<<: *anchor' "
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
        if isinstance(node, ScalarNode) and node.tag in KEEP_AS_TEXT:
            return str(node.value)
        hint = ""
        if isinstance(node, ScalarNode):
            hint = f'; put it in quotes, e.g. "{node.value}"'
            if node.tag == BOOL:
                hint += " (YAML reads yes/no/on/off as booleans)"
        raise self._error(f"a {what} must be a string, not {describe(node)}{hint}", node)

    def _enter(self, node: Node) -> None:
        """One level deeper into ``node``; refused past the depth limit."""
        if self._depth >= self._limits.max_depth:
            raise self._error(too_deep(self._limits), node)
        self._depth += 1

    def _spend_alias_budget(self, count: int, node: Node) -> None:
        self._alias_budget -= count
        if self._alias_budget < 0:
            raise self._error(
                f"anchors and aliases expand to more than {MAX_ALIAS_VALUES} values; "
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
                if node.tag != SEQ:
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
        if node.tag in KEEP_AS_TEXT:
            return str(node.value)
        if node.tag in (INT, FLOAT, BOOL, NULL):
            try:
                return self._loader.construct_object(node)
            except (yaml.YAMLError, ValueError):
                raise self._error(
                    f"cannot read {node.value!r} as {node.tag.removeprefix(TAG)}", node
                ) from None
        raise self._error(
            f"tag {node.tag} is not supported; values must be strings, numbers, booleans, "
            "null, lists or mappings",
            node,
        )
