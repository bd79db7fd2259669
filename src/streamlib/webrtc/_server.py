"""The HTTP side of a WHIP/WHEP server (aiohttp): endpoints, bearer token, Host/Origin, CORS,
errors.

The server speaks HTTP only; what an offer means is up to an
:class:`EndpointHandler` (a :class:`~streamlib.webrtc.WhepHost` serving
viewers, a :class:`~streamlib.webrtc.WhipHost` taking one publisher)::

    server = SignallingServer(host="127.0.0.1", port=8889, token=None)
    server.add_endpoint("whep", whep_host)
    server.add_page("/", VIEWER_PAGE)
    port = await server.start()

Bad requests get a 4xx with a one-line reason, touch no session and log no
traceback: 401 (wrong or missing token), 415 (not ``application/sdp``, or a
charset other than UTF-8), 400 (a body that is not UTF-8, SDP that does not
parse or that we cannot take, candidates that do not fit the session), 404
(unknown session), 409 (the endpoint is full: ``max_viewers``, or a WHIP
server that already has its publisher), 413 (a body over 256 kB).

Who may call (the same rules as ``streamlib mcp --http``):

- **Off loopback** (``0.0.0.0``, a LAN address, a host name) a token is
  required: without one any machine that reaches the port could watch the
  stream or publish into the pipeline. The constructor refuses to go without.
- **On loopback** (any of 127.0.0.0/8, ``::1``, ``localhost``) no token is
  needed, but a web page in a browser on this machine can still reach the
  port, directly or through DNS rebinding. So ``Host`` must name a loopback
  address (the bound one, ``127.0.0.1``, ``localhost`` or ``[::1]``, any port;
  else 421), on every path including the pages.
- **CORS, decided:** browsers play WHEP (and publish WHIP) from pages served
  elsewhere, e.g. a hosted player; that is intended, so with a token the
  endpoints answer any ``Origin`` (``Access-Control-Allow-Origin: *``): the
  token, which a foreign page does not have, is the check. Without a token,
  only pages served from a loopback name may call (their origin is echoed
  back); any other ``Origin``, ``null`` included, gets 403, so a site you
  happen to visit cannot watch your camera through a tokenless local server.
"""

from __future__ import annotations

import codecs
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from ..core import (
    ConfigError,
    NetworkError,
    host_header_name,
    is_loopback,
    loopback_names,
    origin_name,
)
from ._offers import check_offer
from ._signalling_client import SDP_TYPE, TRICKLE_TYPE

__all__ = ["EndpointBusyError", "EndpointHandler", "SignallingServer"]

_log = logging.getLogger(__name__)

_CORS_HEADERS = {
    "Access-Control-Allow-Methods": "OPTIONS, GET, POST, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
    "Access-Control-Expose-Headers": "Location, ETag, Link, Accept-Patch",
    "Access-Control-Max-Age": "600",
}
_MAX_PORT = 65_535
_MAX_BODY = 256 * 1024  # an SDP is a few kB
# Names every loopback server answers to, besides the address it is bound to.
_UTF8 = codecs.lookup("utf-8").name


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
        """``ConfigError`` for a port outside 0..65535, or a host off loopback with no token."""
        if not 0 <= port <= _MAX_PORT:
            raise ConfigError(f"port {port} is not a port: use 0..{_MAX_PORT} (0 picks a free one)")
        self.host = host
        self.port = port
        self.token = token or None
        self.loopback = is_loopback(host)
        if self.token is None and not self.loopback:
            raise ConfigError(
                f"serving WHIP/WHEP on {host} lets any machine that reaches it watch the "
                "stream or publish into the pipeline, so it needs a token: set token "
                "(viewers open the page with ?token=...), or bind 127.0.0.1"
            )
        self._names = loopback_names(host)
        self._accepted = ", ".join(sorted(f"[{n}]" if ":" in n else n for n in self._names))
        self._app = web.Application(client_max_size=_MAX_BODY)
        self._app.middlewares.append(self._guard)
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
        reason = " ".join(reason.split())  # one line, whatever a dependency's message held
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
        content_type = _content_type(request)
        if content_type is None:
            return self._reject(415, f"the Content-Type header does not parse; send {SDP_TYPE}")
        if content_type != SDP_TYPE:
            return self._reject(
                415, f"the offer must be sent as {SDP_TYPE}, not {content_type or 'none'}"
            )
        offer = await self._text(request, "offer")
        if isinstance(offer, web.Response):
            return offer
        if not offer.startswith("v=0"):
            return self._reject(400, "the body is not an SDP offer (it must start with v=0)")
        session_id = secrets.token_urlsafe(12)
        try:
            check_offer(offer)
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
        if _content_type(request) != TRICKLE_TYPE:
            return self._reject(415, f"trickle ICE must be sent as {TRICKLE_TYPE}")
        fragment = await self._text(request, "candidate fragment")
        if isinstance(fragment, web.Response):
            return fragment
        try:
            known = await handler.trickle(request.match_info["session"], fragment)
        except ValueError as error:
            return self._reject(400, f"cannot use these candidates: {error}")
        if not known:
            return self._reject(404, "no such session (it ended, or never began)")
        return web.Response(status=204)

    async def _delete(self, request: web.Request, handler: EndpointHandler) -> web.Response:
        if not self._authorized(request):
            return self._reject(401, "missing or wrong bearer token")
        if not await handler.close_session(request.match_info["session"]):
            return self._reject(404, "no such session (it ended, or never began)")
        return web.Response(status=200)

    async def _text(self, request: web.Request, what: str) -> str | web.Response:
        """The body as text (UTF-8, as SDP is); a 415 or 400 response when it is not."""
        charset = request.charset
        try:
            usable = charset is None or codecs.lookup(charset).name in (_UTF8, "ascii")
        except (LookupError, ValueError):  # unknown name; ValueError: a NUL in it
            usable = False
        if not usable:
            shown = (charset or "")[:40]
            return self._reject(
                415, f"the {what} must be UTF-8 (send charset=utf-8 or none), not charset={shown}"
            )
        body = await request.read()
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as error:
            return self._reject(
                400,
                f"the {what} is not valid UTF-8 (byte 0x{body[error.start]:02x} at offset "
                f"{error.start}); SDP is UTF-8 text",
            )

    @web.middleware
    async def _guard(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS":
            # Preflight: a page served from elsewhere may POST SDP with a token.
            response: web.StreamResponse = web.Response(status=204)
            response.headers["Accept-Post"] = SDP_TYPE
        else:
            try:
                response = await handler(request)
            except web.HTTPException as error:
                # aiohttp's own refusals (no such route: 404, 405; body too large: 413),
                # answered as plain responses so the CORS headers below reach the page
                # (returning the exception itself is deprecated in aiohttp).
                response = web.Response(
                    status=error.status, reason=error.reason, text=error.text,
                    headers={k: v for k, v in error.headers.items() if k != "Content-Type"},
                )  # fmt: skip
        response.headers.update(_CORS_HEADERS)
        if self.token is not None:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin  # a loopback page
            response.headers["Vary"] = "Origin"
        return response

    def _refusal(self, request: web.Request) -> web.Response | None:
        """The 421 or 403 for a request a loopback server must not answer; else ``None``."""
        hosts = request.headers.getall("Host", [])
        if self.loopback:
            bad_host = next((h for h in hosts if host_header_name(h) not in self._names), None)
            if not hosts or bad_host is not None:
                return self._reject(
                    421,
                    f"this server only answers requests addressed to {self._accepted} "
                    f"(the Host header was {bad_host!r}); connect to one of those names",
                )
        if self.token is None:  # then the server is on loopback: pages from loopback only
            origins = request.headers.getall("Origin", [])
            bad_origin = next((o for o in origins if origin_name(o) not in self._names), None)
            if bad_origin is not None:
                return self._reject(
                    403,
                    f"pages from {bad_origin!r} may not call this server (Origin header): "
                    f"without a token it answers only pages served from {self._accepted}; "
                    "set a token to let players on other sites in",
                )
        return None


def _content_type(request: web.Request) -> str | None:
    """The request's media type (charset checked later); ``None`` when the header does not parse.

    aiohttp parses it with the standard library's email header parser, which
    raises ``IndexError`` (and possibly others) on some malformed parameters.
    """
    try:
        request.charset  # noqa: B018 - parses (and caches) the whole header
        return request.content_type
    except Exception:  # what the stdlib parser raises on bad input is not documented
        return None
