"""Serving a face's ASGI app over HTTP with uvicorn, guarded the same way for every face::

    await serve_guarded(app, host="127.0.0.1", port=0, token=None, path="/mcp", on_ready=print)

The socket is bound here before serving, so ``port=0`` picks a free port and
``on_ready`` learns the real URL; connections made from then on wait in the listen
queue until the server accepts them. A token wraps the app in ``BearerTokenGuard``; a
loopback bind (any of 127.0.0.0/8, ``::1``, ``localhost``) in ``LoopbackHostGuard``,
token or not; any other bind without a token is refused (``require_token_for``, which
the caller runs first with its own face's wording). uvicorn is imported only here, when
a face serves.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core import ConfigError
from ._http_guards import BearerTokenGuard, LoopbackHostGuard, is_loopback
from ._stream_tickets import StreamTickets

if TYPE_CHECKING:
    from starlette.types import ASGIApp

__all__ = ["check_port", "event_loop_options", "guarded", "listen", "serve_guarded"]

_MAX_PORT = 65_535
_SHUTDOWN_GRACE_S = 3  # open event streams get this long to close on Ctrl-C


def check_port(port: int, flag: str = "port") -> None:
    """``ConfigError`` unless ``port`` is a TCP port number (0..65535; 0 picks a free one)."""
    if not 0 <= port <= _MAX_PORT:
        raise ConfigError(f"{flag} {port} is not a port: use 0..{_MAX_PORT} (0 picks a free one)")


def event_loop_options() -> dict[str, Any]:
    """``anyio.run``'s backend options for a server's event loop: uvloop where it is
    installed (the ``web`` extra brings it, with httptools, which uvicorn then picks).

    Both do in C what asyncio and h11 do in Python. A server in the runtime's own
    process takes the GIL from the pipeline whenever it works, so that is time the
    pipeline gets back: about a third of what five pages cost it (bench/web_overhead.py).
    """
    if sys.platform == "win32" or importlib.util.find_spec("uvloop") is None:
        return {}
    return {"use_uvloop": True}


def guarded(
    app: ASGIApp,
    *,
    host: str,
    token: str | None,
    open_paths: tuple[str, ...] = (),
    tickets: StreamTickets | None = None,
) -> ASGIApp:
    """``app`` behind the bearer-token check (with a token; ``open_paths`` and
    ``tickets`` as :class:`BearerTokenGuard` takes them) and the loopback Host/Origin
    check."""
    if token is not None:
        app = BearerTokenGuard(app, token, open_paths=open_paths, tickets=tickets)
    if is_loopback(host):
        app = LoopbackHostGuard(app, bound_host=host)
    return app


async def serve_guarded(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    token: str | None,
    path: str,
    on_ready: Callable[[str], None],
    stop: threading.Event | None = None,
    open_paths: tuple[str, ...] = (),
    tickets: StreamTickets | None = None,
) -> None:
    """Serve ``app`` (guarded) on ``host:port`` until SIGINT or SIGTERM (on the main thread),
    or until ``stop`` is set (from any thread); ``on_ready`` gets ``http://HOST:PORT`` +
    ``path`` once the socket listens. Open connections get a few seconds to close.

    Raises ``ConfigError`` when the address cannot be bound. The caller has already run
    ``check_port`` and ``require_token_for``.
    """
    import uvicorn

    from ._quiet_server import QuietServer  # (imports uvicorn)

    listener = listen(host, port)
    bound_host, bound_port = listener.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    served: Any = guarded(app, host=host, token=token, open_paths=open_paths, tickets=tickets)
    config = uvicorn.Config(
        served,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=_SHUTDOWN_GRACE_S,
    )
    server = QuietServer(config, stop=stop)
    on_ready(f"http://{shown}:{bound_port}{path}")
    await server.serve(sockets=[listener])


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening; ``ConfigError`` says why it cannot."""
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
        "port (0 picks a free one) or another address"
    )
