"""``streamlib mcp``: serve the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from ._fuse_option import add_fuse_option, fuse_from

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
        "--port", type=_port, help="port with --http (default: 8765; 0 picks a free one)"
    )
    transport.add_argument(
        "--token",
        help=f"bearer token clients must send with --http (default: ${_TOKEN_ENV}); "
        "required for any address other than loopback",
    )
    grants = parser.add_argument_group("permissions (all off by default)")
    grants.add_argument("--allow-camera", action="store_true", help="processors may use cameras")
    grants.add_argument(
        "--allow-audio", action="store_true", help="processors may use microphones and speakers"
    )
    grants.add_argument("--allow-display", action="store_true", help="processors may open windows")
    grants.add_argument(
        "--allow-network", action="store_true", help="processors may use the network (WebRTC, URLs)"
    )
    grants.add_argument(
        "--allow-plugins",
        action="store_true",
        help="processors may load native plugins (CLAP): as powerful as running any program",
    )
    grants.add_argument(
        "--allow-raw-ffmpeg",
        action="store_true",
        help="FFmpeg filter graphs, input formats, options and protocols are taken as given "
        "(else only test generators and simple transforms): FFmpeg can then read and write "
        "any file and reach the network, as powerful as running any program",
    )
    grants.add_argument(
        "--allow-local-code",
        action="store_true",
        help="pipelines may list plug-in .py files and name types as MODULE:Class, and "
        "add_processor may too: the files (inside a readable directory only) are imported, "
        "so agents can run any Python code as this user",
    )
    grants.add_argument(
        "--allow-write",
        metavar="DIR",
        help="processors (recorders) and save_pipeline may write files, only inside DIR "
        "(and read files there)",
    )
    grants.add_argument(
        "--allow-read",
        metavar="DIR",
        action="append",
        default=[],
        help="processors (media files, images, shaders, fonts) and load_pipeline may read "
        "files inside DIR; repeatable",
    )
    add_fuse_option(parser)
    parser.set_defaults(handler=_mcp)


def _mcp(args: argparse.Namespace) -> int:
    try:
        import anyio

        from ..mcp import Permissions, PipelineHost, create_server, serve_http, serve_stdio
    except ImportError as error:
        print(
            f"streamlib: error: the MCP server needs the 'mcp' extra ({error}); "
            "install it with: pip install 'streamlib[mcp]'",
            file=sys.stderr,
        )
        return 2
    token = args.token if args.token is not None else os.environ.get(_TOKEN_ENV) or None
    if not args.http:
        given = (("--host", args.host), ("--port", args.port), ("--token", args.token))
        stray = [flag for flag, value in given if value is not None]
        if stray:
            print(f"streamlib: error: {', '.join(stray)} only apply with --http", file=sys.stderr)
            return 2
    capabilities = frozenset(
        name
        for name, granted in (
            ("camera", args.allow_camera),
            ("audio", args.allow_audio),
            ("display", args.allow_display),
            ("network", args.allow_network),
            ("plugins", args.allow_plugins),
            ("raw_ffmpeg", args.allow_raw_ffmpeg),
            ("local_code", args.allow_local_code),
        )
        if granted
    )
    write_root = None if args.allow_write is None else Path(args.allow_write).expanduser()
    read_roots = tuple(Path(directory).expanduser() for directory in args.allow_read)
    permissions = Permissions(
        capabilities=capabilities, write_root=write_root, read_roots=read_roots
    )
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
                partial(serve_http, server, host=host, port=port, token=token, on_ready=_announce)
            )
        else:
            anyio.run(serve_stdio, server)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        pipeline.close()
    return 0


def _port(text: str) -> int:
    """A TCP port number, refused with what to use instead (getaddrinfo would wrap 99999)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65_535:
        raise argparse.ArgumentTypeError(f"{text} is not a port: use 0..65535 (0 picks a free one)")
    return port


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _announce(url: str) -> None:
    print(f"streamlib mcp: serving MCP at {url}", file=sys.stderr, flush=True)
