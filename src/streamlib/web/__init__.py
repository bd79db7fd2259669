"""The web control plane: an HTTP API with Server-Sent Events over a running pipeline.

The same operations as the MCP tools (one implementation, in :mod:`streamlib.control`),
the graph, statistics pushed at a chosen rate and the runtime's events as a stream::

    streamlib serve --web 8080                   # an empty pipeline to build over the API
    streamlib run pipe.yaml --web 8080           # the API over a running pipeline file

    curl -X POST localhost:8080/api/operations/add_processor \\
         -d '{"type": "TestPattern", "id": "src"}'
    curl -N localhost:8080/api/events            # events as they happen

Or beside a runtime of your own, on a thread of its own::

    rt = streamlib.Runtime(web=8080)             # or web=WebOptions(host=..., token=...)
    ...
    rt.start()
    print(rt.web_url)                            # http://127.0.0.1:8080/api

    with WebServer(PipelineHost(runtime=rt), WebOptions(port=8080)) as server:
        ...                                      # the same, started and stopped by hand

It binds 127.0.0.1 by default and then checks ``Host`` and ``Origin`` on every request;
any other address needs a bearer token (``Authorization: Bearer <token>``, never a
cookie). The host's :class:`~streamlib.control.Permissions` gate what may be added, as
for MCP. Needs Starlette and uvicorn (``pip install 'streamlib[web]'``).
"""

from ._app import API_PATH, create_app
from ._background import WebOptions, WebServer
from ._serving import TOKEN_ENV, check_web_bind, serve_web

__all__ = [
    "API_PATH",
    "TOKEN_ENV",
    "WebOptions",
    "WebServer",
    "check_web_bind",
    "create_app",
    "serve_web",
]
