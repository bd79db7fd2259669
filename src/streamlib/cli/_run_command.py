"""``streamlib run``: run a pipeline file until it ends, with progress and live statistics."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import (
    CustomEvent,
    ProcessorEnded,
    ProcessorError,
    ProcessorErrored,
    ProcessorStarted,
    ProcessorState,
)
from ..core import Event as StreamEvent
from ..runtime import RunOutcome, Runtime, RuntimeStatistics
from ._fuse_option import add_fuse_option, fuse_from
from ._live_stats import LiveStats, ProgressTracker, render_stats
from ._logging import add_logging_options, configure_logging
from ._plugin_option import add_plugin_option, load_plugins
from ._web_option import add_web_option, check_web_option, serving_web

__all__ = ["add_run_command"]


def add_run_command(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="run a pipeline file",
        description="Run a YAML or JSON pipeline file until it ends by itself (every sink\n"
        "finished: a file job is done, every frame kept), --duration passes, or Ctrl-C\n"
        "(which stops it in order: sources first, recordings finalized; a second Ctrl-C\n"
        "only says so, a third forces the exit). A pipeline with a live source (a camera,\n"
        "a paced test pattern) runs until stopped. On a terminal a progress bar (percent,\n"
        "speed as a multiple of real time, time left) and live statistics are shown on\n"
        "stderr; into a pipe, a plain line every few seconds. Key events (a server's URL,\n"
        "viewers, ends, restarts) and warnings go to stderr too.\n\n"
        "  streamlib run examples/transcode.yaml        # ends by itself\n"
        "  streamlib run demo.yaml --duration 10 -v     # a live graph, with more detail\n"
        "  streamlib run demo.yaml --web 8080           # and its web API at :8080/api\n\n"
        "--web serves the web API (docs/web.md) while the pipeline runs: clients watch\n"
        "its graph, statistics and events, and change it as the --allow-* flags let\n"
        "them; the run ends, and exits, as it would without it.\n\n"
        "exit status:\n"
        "  0  the run ended and every processor was healthy at the end (errors it\n"
        "     recovered from by restarting are counted in the statistics only)\n"
        "  1  the run failed: a processor ended in the failed state, or its last error\n"
        "     was never recovered from (an error while finishing, such as a recording\n"
        "     that could not be finalized, or still restarting when the run stopped);\n"
        "     one line on stderr names it and its last error\n"
        "  2  the pipeline file could not be loaded",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="a YAML or JSON pipeline file")
    parser.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="stop after S seconds even if the pipeline has not ended (said on stderr)",
    )
    parser.add_argument(
        "--stats-json", metavar="PATH", help="write the final statistics as JSON to PATH"
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress, live statistics, events or final table (warnings and errors "
        "are still reported)",
    )
    add_fuse_option(parser)
    add_plugin_option(parser)
    add_logging_options(parser)
    add_web_option(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.duration is not None and args.duration <= 0:
        print("streamlib: error: --duration must be positive", file=sys.stderr)
        return 2
    refusal = check_web_option(args)
    if refusal is not None:
        print(f"streamlib: error: {refusal}", file=sys.stderr)
        return 2
    configure_logging(args)
    load_plugins(args)
    runtime = Runtime(fuse=fuse_from(args))
    runtime.load(args.file)
    verdict = RunVerdict()
    outcome = RunOutcome.FAILED
    with runtime:
        printer = _printer(quiet=args.quiet)

        def listen(event: StreamEvent) -> None:
            verdict.observe(event)
            printer(event)

        subscription = runtime.events.subscribe("*", listen)
        try:
            with serving_web(runtime, args), LiveStats(runtime, sys.stderr, show=not args.quiet):
                outcome = runtime.run(args.duration)
        except ProcessorError:
            pass  # a ``raise``-policy failure: its processor is FAILED, the verdict names it
        finally:
            runtime.events.flush(timeout_s=1.0)
            subscription.close()
        stats = runtime.statistics()
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(stats.to_dict(), indent=2) + "\n")
    if not args.quiet:
        print("\n".join(render_stats(stats)), file=sys.stderr)
    if outcome is RunOutcome.DURATION and not args.quiet:
        print(f"streamlib: {_cut_short(args.duration, stats)}", file=sys.stderr)
    elif outcome is RunOutcome.ENDED and not args.quiet:
        print(f"streamlib: the pipeline ended after {stats.uptime_s:.1f} s", file=sys.stderr)
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
    (teardown: a recording that could not be finalized), or a processor still
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


def _cut_short(duration: float, stats: RuntimeStatistics) -> str:
    """What a run stopped by ``--duration`` had not finished (said, not silent)."""
    unfinished = [pid for pid, p in stats.processors.items() if not p.ended]
    where = "; ".join(item.describe() for item in ProgressTracker().update(stats))
    line = f"stopped after --duration {duration:g} s"
    if unfinished and where:
        return f"{line} before the pipeline ended ({where})"
    if unfinished:
        return f"{line} (the pipeline had not ended)"
    return line


# Events of processors worth a line on stderr as they happen (their names, by CustomEvent).
_KEY_EVENTS = frozenset(
    {
        "listening",
        "viewer_joined",
        "viewer_left",
        "viewer_timed_out",
        "viewer_failed",
        "publisher_joining",
        "publisher_failed",
        "stream_ended",
        "finalized",
        "recording_continues",
        "input_ignored",
    }
)


def _printer(*, quiet: bool) -> Any:
    """Key processor events as lines on stderr (errors and warnings come through the log)."""
    restarting: set[str] = set()

    def show(event: StreamEvent) -> None:
        if isinstance(event, ProcessorErrored):
            if event.action == "restart":
                restarting.add(str(event.processor_id))
            return
        if quiet:
            return
        if isinstance(event, CustomEvent) and event.name in _KEY_EVENTS:
            pid = event.custom_topic.removeprefix("processor:")
            payload = event.payload if isinstance(event.payload, dict) else {}
            details = " ".join(f"{key}={value}" for key, value in payload.items())
            print(f"streamlib: {pid}: {event.name.replace('_', ' ')} {details}", file=sys.stderr)
        elif isinstance(event, ProcessorStarted) and str(event.processor_id) in restarting:
            restarting.discard(str(event.processor_id))
            print(f"streamlib: {event.processor_id}: restarted", file=sys.stderr)
        elif isinstance(event, ProcessorEnded):
            print(f"streamlib: {event.processor_id}: ended", file=sys.stderr)

    return show
