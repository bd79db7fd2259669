"""Serving the web API with uvicorn, guarded as ``streamlib mcp --http`` is::

    anyio.run(partial(serve_web, host, port=8080, on_ready=print))   # http://127.0.0.1:8080/api

A loopback bind (the default, 127.0.0.1) checks every request's ``Host`` and ``Origin``
(DNS rebinding); any other address needs a token, sent by clients as
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..control import PipelineHost, check_port, require_token_for, serve_guarded
from ..control._stream_tickets import StreamTickets
from ._app import API_PATH, OPEN_PATHS, api

__all__ = ["TOKEN_ENV", "check_web_bind", "serve_web"]

TOKEN_ENV = "STREAMLIB_WEB_TOKEN"
"""The environment variable ``streamlib serve`` and ``streamlib run --web`` read a token from."""


def check_web_bind(
    bind_host: str, port: int, token: str | None, *, give_token: str | None = None
) -> None:
    """``ConfigError`` for a port outside 0..65535, a short token, or a non-loopback
    address without a token (``give_token`` says how to give one, if not ``--token``);
    run it before anything starts."""
    check_port(port)
    require_token_for(
        bind_host, token, what="the web API", token_env=TOKEN_ENV, give_token=give_token
    )


async def serve_web(
    host: PipelineHost,
    *,
    bind_host: str = "127.0.0.1",
    port: int,
    token: str | None = None,
    on_ready: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Serve the web API over ``host``'s pipeline at ``http://bind_host:port/api`` until
    SIGINT or SIGTERM (on the main thread) or ``stop`` is set (from any thread, e.g. when
    the pipeline served by ``streamlib run --web`` ends); ``on_ready`` gets that URL once
    the socket listens.

    Raises ``ConfigError`` before serving when :func:`check_web_bind` refuses, or when the
    address cannot be bound.
    """
    check_web_bind(bind_host, port, token)
    tickets = StreamTickets()
    await serve_guarded(
        api(host, tickets),
        host=bind_host,
        port=port,
        token=token,
        path=API_PATH,
        on_ready=on_ready,
        stop=stop,
        open_paths=OPEN_PATHS,
        tickets=tickets,
    )
