"""Serving the MCP server: over stdio (one client, the process that started us) or over
streamable HTTP at ``/mcp`` (any number of clients)::

    anyio.run(serve_stdio, server)
    anyio.run(partial(serve_http, server, host="127.0.0.1", port=0, token=None, on_ready=print))

``serve_http`` binds the socket itself before serving, so ``port=0`` picks a free
port and ``on_ready`` learns the real URL; connections made from then on wait
in the listen queue until the server accepts them. On a loopback address (any
of 127.0.0.0/8, ``::1``, ``localhost``) every request's ``Host`` and ``Origin``
are checked against DNS rebinding, token or not (``streamlib.control._http_guards``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings

from ..control._http_guards import require_token_for
from ..control._http_serving import check_port, serve_guarded

__all__ = ["MCP_PATH", "check_port", "serve_http", "serve_stdio"]

MCP_PATH = "/mcp"


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client on stdin/stdout until it closes them.

    The SDK moves the process's own stdout aside while serving, so stray prints
    (from processors, or from C libraries) go to stderr instead of corrupting
    the protocol.
    """
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def serve_http(
    server: Server[Any],
    *,
    host: str,
    port: int,
    token: str | None,
    on_ready: Callable[[str], None],
) -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` until SIGINT or SIGTERM.

    Raises ``ConfigError`` when ``host`` is not a loopback address and there is
    no ``token``, when ``port`` is outside 0..65535, or when the address cannot
    be bound.
    """
    check_port(port)
    require_token_for(host, token)
    # The SDK checks Host/Origin itself only for three spellings of loopback (not
    # 127.0.0.2) and only on /mcp; LoopbackHostGuard checks every loopback bind and
    # every path, so the SDK's own check is turned off to keep one set of rules.
    app: Any = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    await serve_guarded(app, host=host, port=port, token=token, path=MCP_PATH, on_ready=on_ready)
