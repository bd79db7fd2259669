"""``streamlib serve``: an empty pipeline to build, run and watch over the web API."""

from __future__ import annotations

import argparse
import signal
import sys
from functools import partial
from types import FrameType
from typing import Any

from ._fuse_option import add_fuse_option, fuse_from
from ._grant_options import add_grant_options, permissions_from, token_from, web_address
from ._missing_extra import missing_extra
from ._web_option import announce_web

__all__ = ["add_serve_command"]

_DEFAULT_ADDRESS = ("127.0.0.1", 8766)

_EPILOG = """\
examples:
  streamlib serve                                  http://127.0.0.1:8766/api
  streamlib serve --web 8080                       http://127.0.0.1:8080/api
  streamlib serve --web 0.0.0.0:8080 --token T     reachable from other machines (token required)
  streamlib serve --allow-camera --allow-write ~/recordings

  curl localhost:8766/api/operations               every operation, with its input schema
  curl -X POST localhost:8766/api/operations/add_processor \\
       -d '{"type": "TestPattern", "id": "src"}'
  curl -N localhost:8766/api/events                events as they happen (Server-Sent Events)

Permissions are off by default: clients can only add processor types that need
nothing outside the process (test sources, effects, analyzers, sinks).
See docs/web.md for the API and docs/security.md for each --allow-* flag.
To serve a pipeline file as it runs: streamlib run FILE --web [HOST:]PORT.
"""


def add_serve_command(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve the web API over an empty pipeline (build, run and watch it over HTTP)",
        description="Serve the web control plane: an HTTP API with the same operations as "
        "the MCP tools (add, connect, start, set config, load, save, snapshot, statistics), "
        "the graph, statistics pushed at a chosen rate and the runtime's events, both as "
        "Server-Sent Events. The pipeline starts empty; clients build it. Ctrl-C stops it "
        "in order.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--web",
        type=web_address,
        metavar="[HOST:]PORT",
        help="where to serve (default: 127.0.0.1:8766); HOST defaults to 127.0.0.1, "
        "PORT 0 picks a free one",
    )
    parser.add_argument(
        "--token",
        help="bearer token clients must send as 'Authorization: Bearer T' (default: "
        "$STREAMLIB_WEB_TOKEN); required for any address other than loopback",
    )
    add_grant_options(parser)
    add_fuse_option(parser)
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    try:
        import anyio

        from ..web import TOKEN_ENV, check_web_bind, serve_web
    except ImportError as error:
        print(f"streamlib: error: {missing_extra('the web API', 'web', error)}", file=sys.stderr)
        return 2
    from ..control import PipelineHost, event_loop_options

    bind_host, port = _DEFAULT_ADDRESS if args.web is None else args.web
    token = token_from(args, TOKEN_ENV)
    check_web_bind(bind_host, port, token)  # before anything starts
    pipeline = PipelineHost(permissions=permissions_from(args), fuse=fuse_from(args))
    # SIGTERM ends the server like Ctrl-C, so the pipeline below still stops in order.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        anyio.run(
            partial(
                serve_web,
                pipeline,
                bind_host=bind_host,
                port=port,
                token=token,
                on_ready=partial(announce_web, "streamlib serve", token=token is not None),
            ),
            backend_options=event_loop_options(),
        )
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        pipeline.close()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
