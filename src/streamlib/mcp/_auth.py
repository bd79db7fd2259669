"""Bearer-token protection for the HTTP transport, and which addresses may go without it.

::

    app = BearerTokenGuard(starlette_app, token=token)  # 401 unless "Authorization: Bearer <token>"
    require_token_for("0.0.0.0", token=None)           # ConfigError: it needs a bearer token

The token is compared in constant time. A server bound to a loopback address
may run without a token (only this machine can reach it); any other address
refuses to start without one.
"""

from __future__ import annotations

import hmac
import ipaddress
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from ..core import ConfigError

__all__ = ["BearerTokenGuard", "is_loopback", "require_token_for"]

_MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def require_token_for(host: str, token: str | None) -> None:
    """Refuse to serve ``host`` without a token unless it is a loopback address."""
    if token is not None and len(token) < _MIN_TOKEN_CHARS:
        raise ConfigError(
            f"the token is too short ({len(token)} characters); use at least {_MIN_TOKEN_CHARS}, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"serving MCP on {host} lets other machines control this pipeline, so it needs a "
            "bearer token: add --token TOKEN (or set STREAMLIB_MCP_TOKEN), or bind 127.0.0.1"
        )


class BearerTokenGuard:
    """ASGI middleware: HTTP requests without ``Authorization: Bearer <token>`` get a 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token.encode()

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
        for name, value in scope["headers"]:
            if name == b"authorization":  # ASGI lower-cases header names
                scheme, _, credentials = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    credentials.strip(), self._token
                )
        return False
