"""Serving the MCP server: over stdio (one client, the process that started us) or over
streamable HTTP at ``/mcp`` (any number of clients)::

    anyio.run(serve_stdio, server)
    anyio.run(partial(serve_http, server, host="127.0.0.1", port=0, token=None, on_ready=print))

``serve_http`` binds the socket itself before serving, so ``port=0`` picks a free
port and ``on_ready`` learns the real URL; connections made from then on wait
in the listen queue until the server accepts them. On a loopback address (any
of 127.0.0.0/8, ``::1``, ``localhost``) every request's ``Host`` and ``Origin``
are checked against DNS rebinding, token or not (see ``_auth``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings

from ..core import ConfigError
from ._auth import BearerTokenGuard, LoopbackHostGuard, is_loopback, require_token_for

__all__ = ["MCP_PATH", "check_port", "serve_http", "serve_stdio"]

_MAX_PORT = 65_535

MCP_PATH = "/mcp"
_SHUTDOWN_GRACE_S = 3.0  # open event streams get this long to close on Ctrl-C


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
    import uvicorn

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
    if token is not None:
        app = BearerTokenGuard(app, token)
    if is_loopback(host):
        app = LoopbackHostGuard(app, bound_host=host)
    listener = _listen(host, port)
    bound_host, bound_port = listener.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=int(_SHUTDOWN_GRACE_S),
    )
    on_ready(f"http://{shown}:{bound_port}{MCP_PATH}")
    await uvicorn.Server(config).serve(sockets=[listener])


def check_port(port: int, flag: str = "port") -> None:
    """``ConfigError`` unless ``port`` is a TCP port number (0..65535; 0 picks a free one)."""
    if not 0 <= port <= _MAX_PORT:
        raise ConfigError(f"{flag} {port} is not a port: use 0..{_MAX_PORT} (0 picks a free one)")


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except OSError as error:
        raise _cannot_listen(host, port, error) from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise _cannot_listen(host, port, error) from None
    return listener


def _cannot_listen(host: str, port: int, error: OSError) -> ConfigError:
    return ConfigError(
        f"cannot listen on {host}:{port} ({error.strerror or error}); choose another "
        "--port (0 picks a free one) or --host"
    )
