"""``streamlib run``: run a pipeline file with live statistics."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..core import Event as StreamEvent
from ..core import ProcessorError, ProcessorErrored, RuntimeWarning
from ..runtime import Runtime
from ._live_stats import LiveStats, render_stats

__all__ = ["add_run_command"]


def add_run_command(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="run a pipeline file",
        description="Run a YAML or JSON pipeline file until --duration passes or Ctrl-C "
        "(which stops it in order: sources first, recordings finalised). Live statistics "
        "are shown on stderr; the final ones can be written as JSON.",
    )
    parser.add_argument("file", metavar="FILE", help="a YAML or JSON pipeline file")
    parser.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="stop after S seconds (default: run until Ctrl-C)",
    )
    parser.add_argument(
        "--stats-json", metavar="PATH", help="write the final statistics as JSON to PATH"
    )
    parser.add_argument("--quiet", action="store_true", help="no live statistics or summary")
    parser.add_argument(
        "--no-fuse",
        action="store_true",
        help="give every processor its own thread (by default cheap linear chains share one)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.duration is not None and args.duration <= 0:
        print("streamlib: error: --duration must be positive", file=sys.stderr)
        return 2
    runtime = Runtime(fuse=not args.no_fuse)
    runtime.load(args.file)
    status = 0
    with runtime:
        subscription = runtime.events.subscribe("*", _printer(quiet=args.quiet))
        try:
            if args.quiet:
                runtime.run(args.duration)
            else:
                with LiveStats(runtime, sys.stderr):
                    runtime.run(args.duration)
        except ProcessorError as error:
            print(f"streamlib: stopped: {error}", file=sys.stderr)
            status = 1
        finally:
            runtime.events.flush(timeout=1.0)
            subscription.close()
        stats = runtime.statistics()
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(stats.to_json(), indent=2) + "\n")
    if not args.quiet:
        print("\n".join(render_stats(stats)), file=sys.stderr)
    return status


def _printer(*, quiet: bool) -> Any:
    def show(event: StreamEvent) -> None:
        if isinstance(event, ProcessorErrored):
            print(
                f"streamlib: {event.processor_id} failed in {event.phase}: {event.error_type}: "
                f"{event.message} ({event.action})",
                file=sys.stderr,
            )
        elif isinstance(event, RuntimeWarning) and not quiet:
            print(f"streamlib: warning: {event.message}", file=sys.stderr)

    return show
