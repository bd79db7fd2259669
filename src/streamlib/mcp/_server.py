"""The MCP server: the tools, resources and instructions, wired onto the SDK's low-level server.

::

    host = PipelineHost(permissions=Permissions())
    server = create_server(host)
    async with mcp.Client(server) as client:          # in-process, as the tests do
        await client.call_tool("add_processor", {"type": "TestPattern", "id": "src"})

The low-level ``Server`` is used rather than ``MCPServer`` because the tool
schemas come from the processor descriptors (type names, each type's config
schema), not from Python signatures, and because every failure must come back
as a tool error that says what to do, which this module words itself.

Tool calls run on worker threads (``anyio.to_thread``): runtime operations
block (stopping joins threads, a snapshot waits for frames), and the event loop
must keep serving other clients meanwhile.
"""

from __future__ import annotations

import base64
import json
from functools import partial
from typing import Any

import anyio.to_thread
from mcp import types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from .. import __version__
from ..control import OPERATIONS, OperationOutcome, PipelineHost, run_operation
from ..core import did_you_mean
from ._resources import ResourceNotFound, list_resources, list_templates, read_resource
from ._tool import McpTool

__all__ = ["TOOLS", "create_server"]

TOOLS: tuple[McpTool, ...] = tuple(McpTool(operation) for operation in OPERATIONS)
"""Every tool the server offers (one per control operation), in the order it lists them."""

_INSTRUCTIONS = """\
streamlib runs real-time media pipelines: processors (sources, effects, sinks) joined by \
connections from an output port to an input port, written 'processor.port'.
A typical session: list_processor_types -> add_processor (type + config) -> connect -> start \
-> snapshot a port to see (an image) or hear (levels, spectrum) what flows -> set_config to \
change live fields while it runs -> list_processors / get_stats to watch -> save_pipeline.
Errors come back as tool errors saying what to do instead; a failed call changes nothing.
Permissions granted to this server: {granted}.{files}"""


def create_server(host: PipelineHost, *, name: str = "streamlib") -> Server[Any]:
    """An MCP server over ``host``'s pipeline; serve it with ``serve_stdio`` or ``serve_http``.

    The tool list stays small whatever is installed (every schema under 2 KB): it names
    the processor types, and ``describe_processor_type`` gives one type's config schema.
    """
    tools = {tool.name: tool for tool in TOOLS}
    listing: list[types.Tool] = []

    async def on_list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if not listing:  # the registry is fixed for the server's life: build once
            listing.extend(tool.describe(host) for tool in tools.values())
        return types.ListToolsResult(tools=listing)

    async def on_call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return await anyio.to_thread.run_sync(
            partial(call_tool, host, tools, params.name, params.arguments)
        )

    async def on_list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=list_resources(host))

    async def on_list_templates(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=list_templates())

    async def on_read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        try:
            contents = await anyio.to_thread.run_sync(partial(read_resource, host, params.uri))
        except ResourceNotFound as error:
            raise MCPError(code=types.INVALID_PARAMS, message=str(error)) from None
        return types.ReadResourceResult(contents=[contents])

    granted = host.permissions.describe()
    write_root = granted["write_root"]
    files = "" if write_root is None else f" Files are written under {write_root}."
    if granted["read_roots"]:
        files += f" Files are read from {', '.join(granted['read_roots'])}" + (
            "." if write_root is None else " too."
        )
    return Server(
        name,
        version=__version__,
        title="streamlib pipelines",
        instructions=_INSTRUCTIONS.format(
            granted=", ".join(granted["capabilities"]) or "none",
            files=files,
        ),
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        on_list_resources=on_list_resources,
        on_list_resource_templates=on_list_templates,
        on_read_resource=on_read_resource,
    )


def call_tool(
    host: PipelineHost,
    tools: dict[str, McpTool],
    name: str,
    arguments: dict[str, Any] | None,
) -> types.CallToolResult:
    """Run one tool call to a result; every failure becomes a tool error, never an exception."""
    tool = tools.get(name)
    if tool is None:
        return _reply(
            OperationOutcome.error(
                "UnknownTool",
                f"there is no tool {name!r}; " + did_you_mean(name, tools, what="tools"),
            )
        )
    return _reply(run_operation(host, tool.operation, arguments))


def _reply(outcome: OperationOutcome) -> types.CallToolResult:
    """An outcome as MCP content: images, the summary, then the JSON (or the error's line)."""
    structured = outcome.structured
    if outcome.is_error:
        return types.CallToolResult(
            content=[types.TextContent(text=f"{structured['error']}: {structured['message']}")],
            structured_content=structured,
            is_error=True,
        )
    blocks: list[types.ContentBlock] = [
        types.ImageContent(
            data=base64.b64encode(image.data).decode("ascii"), mime_type=image.mime_type
        )
        for image in outcome.images
    ]
    if outcome.summary is not None:
        blocks.append(types.TextContent(text=outcome.summary))
    blocks.append(types.TextContent(text=json.dumps(structured, indent=1)))
    return types.CallToolResult(content=blocks, structured_content=structured)
