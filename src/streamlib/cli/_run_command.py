"""``streamlib run``: run a pipeline file with live statistics."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import Event as StreamEvent
from ..core import (
    ProcessorError,
    ProcessorErrored,
    ProcessorStarted,
    ProcessorState,
    RuntimeWarning,
)
from ..runtime import Runtime, RuntimeStatistics
from ._live_stats import LiveStats, render_stats

__all__ = ["add_run_command"]


def add_run_command(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="run a pipeline file",
        description="Run a YAML or JSON pipeline file until --duration passes or Ctrl-C "
        "(which stops it in order: sources first, recordings finalised). Live statistics "
        "are shown on stderr; the final ones can be written as JSON.\n\n"
        "exit status:\n"
        "  0  the run ended and every processor was healthy at the end (errors it\n"
        "     recovered from by restarting are counted in the statistics only)\n"
        "  1  the run failed: a processor ended in the failed state, or its last error\n"
        "     was never recovered from (an error while finishing, such as a recording\n"
        "     that could not be finalised, or still restarting when the run stopped);\n"
        "     one line on stderr names it and its last error\n"
        "  2  the pipeline file could not be loaded",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no live statistics or final table (errors are still reported)",
    )
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
    verdict = RunVerdict()
    with runtime:
        printer = _printer(quiet=args.quiet)

        def listen(event: StreamEvent) -> None:
            verdict.observe(event)
            printer(event)

        subscription = runtime.events.subscribe("*", listen)
        try:
            if args.quiet:
                runtime.run(args.duration)
            else:
                with LiveStats(runtime, sys.stderr):
                    runtime.run(args.duration)
        except ProcessorError:
            pass  # a ``raise``-policy failure: its processor is FAILED, the verdict names it
        finally:
            runtime.events.flush(timeout=1.0)
            subscription.close()
        stats = runtime.statistics()
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(stats.to_json(), indent=2) + "\n")
    if not args.quiet:
        print("\n".join(render_stats(stats)), file=sys.stderr)
    failures = verdict.failures(stats)
    if failures:
        print(f"streamlib: run failed: {_summary(failures)}", file=sys.stderr)
        return 1
    return 0


@dataclass(frozen=True, slots=True)
class Failure:
    """A processor that failed the run, and the last error it did not recover from."""

    processor_id: str
    state: str
    error: str


class RunVerdict:
    """Decides whether a run failed, from its events and final statistics.

    A processor failed the run when it ended ``failed``, or when its last error
    was not followed by a successful restart: an error while finishing
    (teardown: a recording that could not be finalised), or a processor still
    backing off when the run stopped. Errors it recovered from do not fail the run.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unrecovered: dict[str, ProcessorErrored] = {}  # in the order they first failed

    def observe(self, event: StreamEvent) -> None:
        """Feed every runtime event (events of one listener arrive in publishing order)."""
        with self._lock:
            if isinstance(event, ProcessorErrored):
                pid = str(event.processor_id)
                self._unrecovered[pid] = event
            elif isinstance(event, ProcessorStarted):
                self._unrecovered.pop(str(event.processor_id), None)

    def failures(self, stats: RuntimeStatistics) -> list[Failure]:
        """Every processor that failed the run, the one that failed first first."""
        with self._lock:
            unrecovered = dict(self._unrecovered)
        found: list[Failure] = []
        for pid, event in unrecovered.items():
            state = stats.processors[pid].state if pid in stats.processors else "removed"
            found.append(Failure(pid, state, f"{event.error_type}: {event.message}"))
        for pid, p in stats.processors.items():
            if p.state == ProcessorState.FAILED.value and pid not in unrecovered:
                found.append(Failure(pid, p.state, p.last_error or "unknown error"))
        return found


def _summary(failures: list[Failure]) -> str:
    first = failures[0]
    line = f"{first.processor_id} ({first.state}): {first.error}"
    if len(failures) > 1:
        others = ", ".join(f.processor_id for f in failures[1:])
        line += f" (also failed: {others})"
    return " ".join(line.split())  # one line, whatever the message held


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
