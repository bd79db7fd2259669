"""An operation of the control layer as an MCP tool: its listing, schemas and hints included.

The operations themselves (arguments, results, validation, what they do) live in
``streamlib.control``; this module only says how one looks in an MCP tool list::

    tool = McpTool(operation)
    tool.describe(host)   # types.Tool(name=..., input_schema=..., annotations=...)
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp import types

from ..control import Operation, PipelineHost

__all__ = ["McpTool"]


@dataclass(frozen=True)
class McpTool:
    """One control-layer operation offered as an MCP tool."""

    operation: Operation

    @property
    def name(self) -> str:
        """The tool's name: the operation's."""
        return self.operation.name

    def describe(self, host: PipelineHost) -> types.Tool:
        """The MCP tool listing, schemas included."""
        operation = self.operation
        # Hints are sent only where they differ from the protocol's defaults (not read-only,
        # destructive, not idempotent, open world); read-only tools need no other hint.
        return types.Tool(
            name=operation.name,
            description=operation.description,
            input_schema=operation.input_schema(host),
            output_schema=operation.output_schema,
            annotations=types.ToolAnnotations(
                read_only_hint=True if operation.read_only else None,
                destructive_hint=None if operation.read_only or operation.destructive else False,
                open_world_hint=False,
            ),
        )
