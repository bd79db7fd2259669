"""An MCP server that lets AI agents build, run, watch and change pipelines.

Run it with ``streamlib mcp`` (stdio) or ``streamlib mcp --http`` (streamable
HTTP at ``/mcp``); or embed it::

    import anyio
    from streamlib.mcp import Permissions, PipelineHost, create_server, serve_stdio

    host = PipelineHost(permissions=Permissions(capabilities=frozenset({"camera"})))
    try:
        anyio.run(serve_stdio, create_server(host))
    finally:
        host.close()

Agents only add processor types that are registered (built-ins and plug-ins),
by name; there is no tool that runs code they write. What those types may reach
outside the process (camera, audio, display, network, files) is granted by
:class:`Permissions`, nothing by default.

The operations behind the tools, the host and the permissions live in
:mod:`streamlib.control`, shared with the other faces; this package words them for MCP.
"""

from ..control import FLAGS, Permissions, PipelineHost
from ..control._http_guards import BearerTokenGuard, is_loopback, require_token_for
from ._server import TOOLS, create_server
from ._transports import MCP_PATH, serve_http, serve_stdio

__all__ = [
    "FLAGS",
    "MCP_PATH",
    "TOOLS",
    "BearerTokenGuard",
    "Permissions",
    "PipelineHost",
    "create_server",
    "is_loopback",
    "require_token_for",
    "serve_http",
    "serve_stdio",
]
