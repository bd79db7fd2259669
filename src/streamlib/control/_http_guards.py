"""Bearer-token protection for a face served over HTTP (MCP's streamable HTTP, the web
API), which addresses may go without it, and the Host/Origin checks that keep web pages
out of a loopback server.

::

    app = BearerTokenGuard(starlette_app, token=token)  # 401 unless "Authorization: Bearer <token>"
    app = LoopbackHostGuard(app, bound_host="127.0.0.2")  # 421/403 for foreign Host/Origin
    require_token_for("0.0.0.0", token=None)           # ConfigError: it needs a bearer token

The token is compared in constant time. A server bound to a loopback address
(any of 127.0.0.0/8, ``::1``, ``localhost``) may run without a token: only this
machine can reach it. But a web page in a browser on this machine can, through
DNS rebinding (``attacker.example`` resolving to 127.0.0.1 after the page
loaded), so a loopback server always checks two headers, token or not:

- ``Host`` must name a loopback address: the bound one, ``127.0.0.1``,
  ``localhost`` or ``[::1]``. Any port is accepted: a rebinding page is told
  apart by the name it used, and a port check would only break SSH tunnels and
  port forwards (``ssh -L 9000:127.0.0.1:8765``). Anything else gets 421.
- ``Origin``, when a browser sends one, must be a page served from one of those
  names (any port: a local web client such as the MCP inspector); anything
  else, ``null`` included, gets 403.

Any other address refuses to start without a token; there the token is the
check (a server on ``0.0.0.0`` cannot know every name it is reached by).

The token travels in a header, never a cookie, so a page on another site cannot make
a browser send it (no CSRF). The streams a browser opens by itself (``EventSource``, an
``<img>``) cannot send a header: a page holding the token first gets a one-time ticket
for each (:class:`~._stream_tickets.StreamTickets`), which opens one GET, once.

These are plain ASGI middlewares: Starlette is needed only
by whoever serves them, not to import this module.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from ..core import ConfigError, host_header_name, is_loopback, loopback_names, origin_name
from ._stream_tickets import StreamTickets

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BearerTokenGuard", "LoopbackHostGuard", "is_loopback", "require_token_for"]

_MIN_TOKEN_CHARS = 16


def require_token_for(
    host: str,
    token: str | None,
    *,
    what: str = "MCP",
    token_env: str = "STREAMLIB_MCP_TOKEN",
    give_token: str | None = None,
) -> None:
    """Refuse to serve ``host`` without a token unless it is a loopback address.

    ``what`` names the face in the refusal, ``token_env`` the variable that may hold its
    token, ``give_token`` how to give one (default: the command line's ``--token``); a
    token shorter than 16 characters is refused too.
    """
    if give_token is None:
        give_token = f"add --token TOKEN (or set {token_env})"
    if token is not None and len(token) < _MIN_TOKEN_CHARS:
        raise ConfigError(
            f"the token is too short ({len(token)} characters); use at least {_MIN_TOKEN_CHARS}, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"serving {what} on {host} lets other machines control this pipeline, so it needs "
            f"a bearer token: {give_token}, or bind 127.0.0.1"
        )


class BearerTokenGuard:
    """ASGI middleware: HTTP requests without ``Authorization: Bearer <token>`` get a 401.

    Two exceptions, both off unless given: ``GET``/``HEAD`` of ``open_paths`` (a page's
    own files, which hold no data: ``"/"`` is that path exactly, ``"/static/*"`` every
    path under ``/static/``), and a ``GET`` whose ``?ticket=`` one of ``tickets`` redeems (the
    streams a browser opens by itself, which cannot send the header).
    """

    def __init__(
        self,
        app: ASGIApp,
        token: str,
        *,
        open_paths: tuple[str, ...] = (),
        tickets: StreamTickets | None = None,
    ) -> None:
        self._app = app
        self._token = token.encode()
        self._open_paths = open_paths
        self._tickets = tickets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan events carry no request to check
            await self._app(scope, receive, send)
            return
        if self._authorized(scope):
            await self._app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": "invalid_token",
                "error_description": "send the server's token as 'Authorization: Bearer <token>'",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="streamlib", error="invalid_token"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _authorized(self, scope: Scope) -> bool:
        if scope["method"] in ("GET", "HEAD") and self._is_open(scope["path"]):
            return True
        if self._tickets is not None and scope["method"] == "GET":
            ticket = _query_ticket(scope)
            if ticket is not None:
                return self._tickets.redeem(ticket)
        for name, value in scope["headers"]:
            if name == b"authorization":  # ASGI lower-cases header names
                scheme, _, credentials = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    credentials.strip(), self._token
                )
        return False

    def _is_open(self, path: str) -> bool:
        return any(
            path.startswith(open_path[:-1]) if open_path.endswith("*") else path == open_path
            for open_path in self._open_paths
        )


def _query_ticket(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket")
    return values[0] if values and len(values) == 1 else None


class LoopbackHostGuard:
    """ASGI middleware for a server bound to a loopback address: foreign ``Host`` gets 421,
    a foreign ``Origin`` 403 (see the module docstring for what is accepted, and why)."""

    def __init__(self, app: ASGIApp, *, bound_host: str) -> None:
        self._app = app
        self._names = loopback_names(bound_host)
        shown = sorted(f"[{name}]" if ":" in name else name for name in self._names)
        self._accepted = ", ".join(shown)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan events carry no request to check
            await self._app(scope, receive, send)
            return
        # ASGI lower-cases header names; every copy of a repeated header must pass.
        hosts = [v.decode("latin-1") for n, v in scope["headers"] if n == b"host"]
        origins = [v.decode("latin-1") for n, v in scope["headers"] if n == b"origin"]
        bad_host = next((h for h in hosts if host_header_name(h) not in self._names), None)
        if not hosts or bad_host is not None:
            await _refuse(
                send,
                421,
                "invalid_host",
                f"this server only answers requests addressed to {self._accepted} "
                f"(the Host header was {bad_host!r}); connect to one of those names",
            )
            return
        bad_origin = next((o for o in origins if origin_name(o) not in self._names), None)
        if bad_origin is not None:
            await _refuse(
                send,
                403,
                "invalid_origin",
                f"requests from web pages at {bad_origin!r} are refused (Origin header): "
                "this server is bound to a loopback address and answers only pages served "
                f"from {self._accepted}",
            )
            return
        await self._app(scope, receive, send)


async def _refuse(send: Send, status: int, error: str, description: str) -> None:
    body = json.dumps({"error": error, "error_description": description}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
