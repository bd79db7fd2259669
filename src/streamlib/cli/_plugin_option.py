"""``--plugin PATH``: local ``.py`` files whose processor types a command may use."""

from __future__ import annotations

import argparse
from typing import Any

from ..core import Registry

__all__ = ["add_plugin_option", "load_plugins"]


def add_plugin_option(parser: Any) -> None:
    """Add the repeatable ``--plugin PATH`` option to a command's parser."""
    parser.add_argument(
        "--plugin",
        metavar="PATH",
        action="append",
        default=[],
        help="a .py file whose processor classes are registered by name (repeatable); "
        "its code runs, so use files you trust",
    )


def load_plugins(args: argparse.Namespace) -> None:
    """Register every ``--plugin`` file's processor types in the default registry.

    A file that cannot be imported raises ``RegistryError`` naming its file and line.
    """
    registry = Registry.default()
    for path in args.plugin:
        registry.register_file(path)
