"""How much the command line says: ``-v``, ``--log-level`` and ``STREAMLIB_LOG``.

::

    streamlib run job.yaml            # warnings and errors (the first traceback of each)
    streamlib run job.yaml -v         # and what each processor does (info)
    streamlib run job.yaml -vv        # everything (debug)
    STREAMLIB_LOG=debug streamlib run job.yaml
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

__all__ = ["add_logging_options", "configure_logging"]

LEVELS = ("debug", "info", "warning", "error")
_ENV = "STREAMLIB_LOG"


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """``-v/--verbose`` (repeatable) and ``--log-level LEVEL`` on a command."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="say more: -v for each processor's doings (info), -vv for debug",
    )
    parser.add_argument(
        "--log-level",
        choices=LEVELS,
        help=f"the lowest level of log messages shown (default: warning, or ${_ENV})",
    )


def configure_logging(args: argparse.Namespace) -> int:
    """Send streamlib's log to stderr at the level the options (or the environment) ask for.

    Returns the level. An unknown ``STREAMLIB_LOG`` value is said once and ignored.
    """
    name = args.log_level
    if name is None and args.verbose:
        name = "info" if args.verbose == 1 else "debug"
    if name is None:
        name = os.environ.get(_ENV, "").strip().lower() or "warning"
        if name not in LEVELS:
            print(
                f"streamlib: ignoring {_ENV}={name!r}; use one of {', '.join(LEVELS)}",
                file=sys.stderr,
            )
            name = "warning"
    level = getattr(logging, name.upper())
    logger = logging.getLogger("streamlib")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("streamlib: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False  # said once, here, not again by the root logger
    return int(level)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (a live display may wrap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)
