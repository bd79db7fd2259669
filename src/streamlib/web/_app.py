"""The web API as a Starlette app: the operations over JSON, the graph, statistics, the
event and statistics streams (``_streams``), taps (``_taps``) and the page at ``/``
(``_page``)::

    app = create_app(host, token=None)     # an ASGI app; serve it with serve_web or uvicorn

Every operation goes through :func:`streamlib.control.run_operation`, on a worker thread
(operations block: stopping joins threads, a snapshot waits for frames), so this module
only turns HTTP into calls and outcomes into HTTP: 200 with the result, 404 for an unknown
operation (with the nearest names), 400 for anything refused (bad arguments, a grant not
given, a runtime error), 500 for a bug. The host's :class:`~streamlib.control.Permissions`
gate what may be added, exactly as for MCP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..control import OPERATIONS, Operation, OperationOutcome, PipelineHost, run_operation
from ..control._http_serving import guarded
from ..control._stream_tickets import StreamTickets
from ..core import did_you_mean
from ._page import page_routes
from ._streams import event_stream, stats_stream
from ._taps import tap_stream

__all__ = ["API_PATH", "OPEN_PATHS", "api", "create_app", "outcome_response"]

API_PATH = "/api"
"""Where every endpoint of the web API lives (``/api/operations``, ``/api/events``, ...)."""

OPEN_PATHS = ("/", "/static/*")
"""What a browser may load without the token: the page's own files, which hold no data
(the page then asks for the token, or reads it from the address's ``#token=...``)."""

_BY_NAME: Mapping[str, Operation] = {operation.name: operation for operation in OPERATIONS}
_MAX_BODY_BYTES = 1 << 20  # a pipeline file's text fits many times over


def create_app(host: PipelineHost, *, token: str | None, bound_host: str = "127.0.0.1") -> Any:
    """The web API over ``host``'s pipeline, as an ASGI app behind the same guards as MCP.

    ``token`` set: every request needs ``Authorization: Bearer <token>`` (401 otherwise),
    but for the page's own files and a GET with a one-time ``?ticket=`` from
    ``POST /api/tickets`` (how the page opens its event streams and taps).
    ``bound_host`` a loopback address: ``Host`` and ``Origin`` are checked (421, 403), token
    or not. Serve it with :func:`serve_web`, which also refuses a non-loopback bind
    without a token.
    """
    tickets = StreamTickets()
    return guarded(
        api(host, tickets), host=bound_host, token=token, open_paths=OPEN_PATHS, tickets=tickets
    )


def api(host: PipelineHost, tickets: StreamTickets) -> Starlette:
    """The routes alone (the API and the page at ``/``), with no guard (:func:`create_app`
    and :func:`serve_web` add them, with the same ``tickets``)."""
    listing: list[dict[str, Any]] = []

    def issue_ticket(request: Request) -> Response:
        return JSONResponse({"ticket": tickets.issue(), "expires_in_s": tickets.ttl_s})

    def operations(request: Request) -> Response:
        if not listing:  # the registry is fixed for the host's life: build once
            listing.extend(_describe(operation, host) for operation in OPERATIONS)
        return JSONResponse(listing)

    async def call(request: Request) -> Response:
        name = request.path_params["name"]
        operation = _BY_NAME.get(name)
        if operation is None:
            hint = did_you_mean(name, _BY_NAME, what="operations")
            return _error(404, "UnknownOperation", f"there is no operation {name!r}; {hint}")
        body = await request.body()
        if len(body) > _MAX_BODY_BYTES:
            return _error(413, "BadRequest", f"the body is over {_MAX_BODY_BYTES} bytes")
        try:
            arguments = json.loads(body) if body.strip() else {}
        except ValueError as error:
            return _error(400, "BadRequest", f"the body is not JSON ({error}); send an object")
        if not isinstance(arguments, dict):
            return _error(400, "BadRequest", "send the arguments as a JSON object, e.g. {}")
        return await _run(host, operation, arguments)

    async def graph(request: Request) -> Response:
        return await _run(host, _BY_NAME["get_graph"], {})

    async def stats(request: Request) -> Response:
        arguments = dict(request.query_params)  # ?events=N; anything else is refused by name
        return await _run(host, _BY_NAME["get_stats"], arguments)

    return Starlette(
        routes=[
            Route(f"{API_PATH}/operations", operations, methods=["GET"]),
            Route(f"{API_PATH}/operations/{{name}}", call, methods=["POST"]),
            Route(f"{API_PATH}/tickets", issue_ticket, methods=["POST"]),
            Route(f"{API_PATH}/graph", graph, methods=["GET"]),
            Route(f"{API_PATH}/stats", stats, methods=["GET"]),
            Route(f"{API_PATH}/stats/stream", partial(stats_stream, host), methods=["GET"]),
            Route(f"{API_PATH}/events", partial(event_stream, host), methods=["GET"]),
            Route(f"{API_PATH}/taps/{{processor}}/{{port}}", partial(tap_stream, host)),
            *page_routes(),
        ]
    )


def _describe(operation: Operation, host: PipelineHost) -> dict[str, Any]:
    return {
        "name": operation.name,
        "description": operation.description,
        "input_schema": operation.input_schema(host),
        "output_schema": operation.output_schema,
        "read_only": operation.read_only,
        "destructive": operation.destructive,
    }


async def _run(host: PipelineHost, operation: Operation, arguments: dict[str, Any]) -> Response:
    outcome = await anyio.to_thread.run_sync(partial(run_operation, host, operation, arguments))
    return outcome_response(outcome)


def outcome_response(outcome: OperationOutcome) -> Response:
    """An outcome as HTTP: 200 and the result (plus ``images`` when a snapshot made one);
    a refusal 400, a bug 500, each as ``{"error": kind, "message": text}``."""
    if outcome.is_error:
        status = 500 if outcome.structured["error"] == "InternalError" else 400
        return JSONResponse(outcome.structured, status_code=status)
    body = dict(outcome.structured)
    if outcome.images:
        body["images"] = [
            {"mime_type": image.mime_type, "data": base64.b64encode(image.data).decode("ascii")}
            for image in outcome.images
        ]
    return JSONResponse(body)


def _error(status: int, kind: str, message: str) -> Response:
    return JSONResponse({"error": kind, "message": message}, status_code=status)
