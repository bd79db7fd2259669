"""Argument parsing and dispatch for the ``streamlib`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..core import StreamError
from ._catalog import add_describe_command, add_list_command
from ._devices_command import add_devices_command
from ._example_command import add_example_command
from ._graph_command import add_graph_command
from ._mcp_command import add_mcp_command
from ._run_command import add_run_command
from ._serve_command import add_serve_command

__all__ = ["build_parser", "main"]

_EPILOG = """\
examples:
  streamlib run examples/demo.yaml --duration 10      run a pipeline for 10 s with live stats
  streamlib run pipe.yaml --stats-json stats.json     ... and keep the final statistics
  streamlib list --tag video                          processor types tagged 'video'
  streamlib describe TestPattern                      ports and config of one type
  streamlib graph pipe.yaml --format mermaid          draw a pipeline file
  streamlib devices                                   cameras FFmpeg can open
  streamlib example                                   the examples that ship with streamlib
  streamlib run "$(streamlib example demo)"           run the demo from any install
  streamlib run pipe.yaml --web 8080                  ... with the web API at :8080/api
  streamlib serve                                     build a pipeline over the web API

A pipeline file (YAML or JSON):
  processors:
    src: {type: TestPattern, config: {width: 640, height: 480, fps: 30}}
    sink: {type: NullSink}
  connections:
    - src.video -> sink.video
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamlib",
        description="Real-time streaming media pipelines: run them, inspect processor types, "
        "draw graphs, list devices, serve them to AI agents and over a web API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"streamlib {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_run_command(commands)
    add_list_command(commands)
    add_describe_command(commands)
    add_graph_command(commands)
    add_devices_command(commands)
    add_mcp_command(commands)
    add_serve_command(commands)
    add_example_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 1 failed while running, 2 bad
    input, 130 forced out by a third Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
    except StreamError as error:
        print(f"streamlib: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `streamlib list | head`
        return 0
    except KeyboardInterrupt:
        # A forced exit (the third Ctrl-C while stopping): the runtime already said
        # so in one line; a traceback would only bury it. 130 = killed by SIGINT.
        return 130
    return status
