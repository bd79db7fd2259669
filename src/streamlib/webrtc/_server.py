"""The HTTP side of a WHIP/WHEP server (aiohttp): endpoints, bearer token, CORS, errors.

The server speaks HTTP only; what an offer means is up to an
:class:`EndpointHandler` (a :class:`~streamlib.webrtc.WhepHost` serving
viewers, a :class:`~streamlib.webrtc.WhipHost` taking one publisher)::

    server = SignallingServer(host="127.0.0.1", port=8889, token=None)
    server.add_endpoint("whep", whep_host)
    server.add_page("/", VIEWER_PAGE)
    port = await server.start()

Bad requests get a 4xx with a one-line reason and touch no session: 401
(wrong or missing token), 415 (not ``application/sdp``), 400 (SDP that does
not parse), 404 (unknown session), 409 (a WHIP server already has its publisher).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from ..core import NetworkError
from ._signalling_client import SDP_TYPE, TRICKLE_TYPE

__all__ = ["EndpointBusyError", "EndpointHandler", "SignallingServer"]

_log = logging.getLogger(__name__)

_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "OPTIONS, GET, POST, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
    "Access-Control-Expose-Headers": "Location, ETag, Link, Accept-Patch",
    "Access-Control-Max-Age": "600",
}


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class EndpointBusyError(Exception):
    """The endpoint takes no more sessions now (answered 409 Conflict)."""


class EndpointHandler(Protocol):
    """What an endpoint does with sessions; the server handles HTTP around it."""

    async def open_session(self, session_id: str, offer_sdp: str) -> str:
        """Answer ``offer_sdp`` for a new session; ``ValueError`` for an offer it cannot take."""
        ...

    async def trickle(self, session_id: str, sdp_fragment: str) -> bool:
        """Add trickled candidates; ``False`` when no such session."""
        ...

    async def close_session(self, session_id: str) -> bool:
        """Hang up a session; ``False`` when no such session."""
        ...


class SignallingServer:
    """An aiohttp server with WHIP/WHEP endpoints and static pages, on one port."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, token: str | None = None) -> None:
        self.host = host
        self.port = port
        self.token = token or None
        self._app = web.Application(client_max_size=256 * 1024)  # an SDP is a few kB
        self._app.middlewares.append(_cors)
        self._runner: web.AppRunner | None = None
        self.rejected = 0  # requests answered with a 4xx

    def add_endpoint(self, name: str, handler: EndpointHandler) -> None:
        """Serve ``/<name>`` (POST an offer) and ``/<name>/<session>`` (PATCH, DELETE)."""

        async def post(request: web.Request) -> web.Response:
            return await self._offer(request, name, handler)

        async def patch(request: web.Request) -> web.Response:
            return await self._trickle(request, handler)

        async def delete(request: web.Request) -> web.Response:
            return await self._delete(request, handler)

        self._app.router.add_post(f"/{name}", post)
        self._app.router.add_patch(f"/{name}/{{session}}", patch)
        self._app.router.add_delete(f"/{name}/{{session}}", delete)

    def add_page(self, path: str, html: str) -> None:
        """Serve ``html`` at ``path`` (GET)."""

        async def page(request: web.Request) -> web.Response:
            return web.Response(text=html, content_type="text/html")

        self._app.router.add_get(path, page)

    async def start(self) -> int:
        """Bind and serve; the port bound (useful with ``port=0``)."""
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise NetworkError(
                f"cannot listen on {self.host}:{self.port}: {error.strerror or error} "
                "(choose another port, or port 0 for any free one)"
            ) from error
        self._runner = runner
        server = site._server  # aiohttp exposes the bound socket only here
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self.port
        return self.port

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _reject(self, status: int, reason: str, **headers: str) -> web.Response:
        self.rejected += 1
        _log.info("rejected a request: %d %s", status, reason)
        return web.Response(status=status, text=reason + "\n", headers=headers)

    def _authorized(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    async def _offer(
        self, request: web.Request, name: str, handler: EndpointHandler
    ) -> web.Response:
        if not self._authorized(request):
            return self._reject(
                401, "missing or wrong bearer token", **{"WWW-Authenticate": "Bearer"}
            )
        if request.content_type != SDP_TYPE:
            return self._reject(
                415, f"the offer must be sent as {SDP_TYPE}, not {request.content_type or 'none'}"
            )
        offer = await request.text()
        if not offer.startswith("v=0"):
            return self._reject(400, "the body is not an SDP offer (it must start with v=0)")
        session_id = secrets.token_urlsafe(12)
        try:
            answer = await handler.open_session(session_id, offer)
        except EndpointBusyError as error:
            return self._reject(409, str(error))
        except ValueError as error:
            return self._reject(400, f"cannot use this SDP offer: {error}")
        return web.Response(
            status=201,
            text=answer,
            content_type=SDP_TYPE,
            headers={
                "Location": f"/{name}/{session_id}",
                "ETag": f'"{session_id}"',
                "Accept-Patch": TRICKLE_TYPE,
            },
        )

    async def _trickle(self, request: web.Request, handler: EndpointHandler) -> web.Response:
        if not self._authorized(request):
            return self._reject(401, "missing or wrong bearer token")
        if request.content_type != TRICKLE_TYPE:
            return self._reject(415, f"trickle ICE must be sent as {TRICKLE_TYPE}")
        if not await handler.trickle(request.match_info["session"], await request.text()):
            return self._reject(404, "no such session (it ended, or never began)")
        return web.Response(status=204)

    async def _delete(self, request: web.Request, handler: EndpointHandler) -> web.Response:
        if not self._authorized(request):
            return self._reject(401, "missing or wrong bearer token")
        if not await handler.close_session(request.match_info["session"]):
            return self._reject(404, "no such session (it ended, or never began)")
        return web.Response(status=200)


@web.middleware
async def _cors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    if request.method == "OPTIONS":
        # Preflight: a page served from elsewhere may POST SDP with a token.
        response: web.StreamResponse = web.Response(status=204)
        response.headers["Accept-Post"] = SDP_TYPE
    else:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            response = error
    response.headers.update(_CORS_HEADERS)
    return response
