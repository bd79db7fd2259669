"""``streamlib mcp``: serve the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

import argparse
import signal
import sys
from functools import partial
from types import FrameType
from typing import Any

from ._fuse_option import add_fuse_option, fuse_from
from ._grant_options import add_grant_options, permissions_from, port_number, token_from
from ._missing_extra import missing_extra

__all__ = ["add_mcp_command"]

_TOKEN_ENV = "STREAMLIB_MCP_TOKEN"

_EPILOG = """\
examples:
  streamlib mcp                                   stdio, for a client that starts the server
  streamlib mcp --http --port 8765                http://127.0.0.1:8765/mcp
  streamlib mcp --http --host 0.0.0.0 --token T   reachable from other machines (token required)
  streamlib mcp --allow-camera --allow-write ~/recordings
  streamlib mcp --allow-read ~/Videos --allow-read ~/shaders --allow-write ~/out

Permissions are off by default: agents can only add processor types that need
nothing outside the process (test sources, effects, analyzers, sinks).
See docs/security.md for what each --allow-* flag lets an agent do.
"""


def add_mcp_command(commands: Any) -> None:
    parser = commands.add_parser(
        "mcp",
        help="serve the MCP server (tools for AI agents to build and run pipelines)",
        description="Serve streamlib to MCP clients (AI agents): tools to list processor "
        "types, build a pipeline, run it, watch it (statistics, snapshots of video and "
        "audio) and change it live. Over stdio by default; --http serves streamable HTTP "
        "at /mcp.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    transport = parser.add_argument_group("transport")
    transport.add_argument(
        "--http", action="store_true", help="serve streamable HTTP instead of stdio"
    )
    transport.add_argument("--host", help="address to bind with --http (default: 127.0.0.1)")
    transport.add_argument(
        "--port", type=port_number, help="port with --http (default: 8765; 0 picks a free one)"
    )
    transport.add_argument(
        "--token",
        help=f"bearer token clients must send with --http (default: ${_TOKEN_ENV}); "
        "required for any address other than loopback",
    )
    add_grant_options(parser)
    add_fuse_option(parser)
    parser.set_defaults(handler=_mcp)


def _mcp(args: argparse.Namespace) -> int:
    try:
        import anyio

        from ..control import event_loop_options
        from ..mcp import PipelineHost, create_server, serve_http, serve_stdio
    except ImportError as error:
        print(
            f"streamlib: error: {missing_extra('the MCP server', 'mcp', error)}",
            file=sys.stderr,
        )
        return 2
    token = token_from(args, _TOKEN_ENV)
    if not args.http:
        given = (("--host", args.host), ("--port", args.port), ("--token", args.token))
        stray = [flag for flag, value in given if value is not None]
        if stray:
            print(f"streamlib: error: {', '.join(stray)} only apply with --http", file=sys.stderr)
            return 2
    permissions = permissions_from(args)
    host = args.host or "127.0.0.1"
    port = 8765 if args.port is None else args.port
    if args.http:
        from ..mcp import require_token_for

        require_token_for(host, token)  # before anything starts
    pipeline = PipelineHost(permissions=permissions, fuse=fuse_from(args))
    server = create_server(pipeline)
    # SIGTERM ends the server like Ctrl-C, so the pipeline below still stops in order
    # (uvicorn re-raises the signal it caught once it has shut down).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.http:
            anyio.run(
                partial(serve_http, server, host=host, port=port, token=token, on_ready=_announce),
                backend_options=event_loop_options(),
            )
        else:
            anyio.run(serve_stdio, server)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        pipeline.close()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _announce(url: str) -> None:
    print(f"streamlib mcp: serving MCP at {url}", file=sys.stderr, flush=True)
