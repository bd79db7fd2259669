"""The page: ``GET /`` serves ``static/index.html``, ``GET /static/...`` its script, style
and the vendored libraries (``static/vendor``, written by ``scripts/vendor_web.sh``)::

    routes = page_routes()      # mounted beside the API's routes by ``api()``

Everything the page needs ships inside the package: nothing is fetched from elsewhere,
and the Content-Security-Policy says so to the browser (scripts, styles, data and
connections from this server only; no framing, so no other site can overlay the
controls).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "page_routes"]

STATIC_DIR = Path(__file__).with_name("static")
"""The page's files: ``index.html``, ``app.js``, ``style.css`` and ``vendor/``."""

_SECURITY_HEADERS = {
    # style-src allows inline styles: cytoscape and uPlot position their canvases
    # with style attributes. Scripts come from this server only.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def page_routes() -> list[BaseRoute]:
    """``GET /`` (the page, with the headers above) and ``/static`` (its files)."""
    return [
        Route("/", _index, methods=["GET", "HEAD"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def _index(request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={**_SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )
