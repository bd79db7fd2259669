"""``--fuse auto|structure|off``: how a command's runtime puts processors on threads."""

from __future__ import annotations

import argparse
from typing import Any

from ..runtime._worker_set import Fuse

__all__ = ["add_fuse_option", "fuse_from"]

_CHOICES: dict[str, Fuse] = {"auto": "auto", "structure": True, "off": False}


def add_fuse_option(parser: Any) -> None:
    """Add ``--fuse`` (and ``--no-fuse``, the same as ``--fuse off``) to a parser."""
    parser.add_argument(
        "--fuse",
        choices=sorted(_CHOICES),
        default="auto",
        help="auto (default): linear chains share a thread, split where their measured "
        "cost fills it while a core is free; structure: chains always share one; "
        "off: a thread per processor",
    )
    parser.add_argument(
        "--no-fuse",
        action="store_const",
        const="off",
        dest="fuse",
        help="the same as --fuse off",
    )


def fuse_from(args: argparse.Namespace) -> Fuse:
    """The ``fuse`` argument for ``Runtime`` that the options ask for."""
    return _CHOICES[args.fuse]
