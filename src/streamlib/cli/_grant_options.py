"""The ``--allow-*`` grant flags (``streamlib mcp``, ``streamlib serve``, ``streamlib run
--web``), ``[HOST:]PORT`` and port arguments, and the token a served face reads::

    add_grant_options(parser)                  # --allow-camera ... --allow-read DIR
    permissions = permissions_from(args)       # a control.Permissions; nothing by default
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..control import Permissions

__all__ = [
    "add_grant_options",
    "granted_any",
    "permissions_from",
    "port_number",
    "token_from",
    "web_address",
]

_CAPABILITY_FLAGS = (
    ("camera", "allow_camera"),
    ("audio", "allow_audio"),
    ("display", "allow_display"),
    ("network", "allow_network"),
    ("plugins", "allow_plugins"),
    ("raw_ffmpeg", "allow_raw_ffmpeg"),
    ("local_code", "allow_local_code"),
)


def add_grant_options(parser: Any, title: str = "permissions (all off by default)") -> None:
    """Add the ``--allow-*`` flags, in a group called ``title``."""
    grants = parser.add_argument_group(title)
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


def permissions_from(args: argparse.Namespace) -> Permissions:
    """The :class:`~streamlib.control.Permissions` the flags grant (``ConfigError`` for a
    directory that does not exist)."""
    from ..control import Permissions

    capabilities = frozenset(name for name, flag in _CAPABILITY_FLAGS if getattr(args, flag))
    write_root = None if args.allow_write is None else Path(args.allow_write).expanduser()
    read_roots = tuple(Path(directory).expanduser() for directory in args.allow_read)
    return Permissions(capabilities=capabilities, write_root=write_root, read_roots=read_roots)


def granted_any(args: argparse.Namespace) -> bool:
    """Whether any ``--allow-*`` flag was given."""
    flags = any(getattr(args, flag) for _, flag in _CAPABILITY_FLAGS)
    return flags or args.allow_write is not None or bool(args.allow_read)


def token_from(args: argparse.Namespace, env: str) -> str | None:
    """``--token``, else the environment variable ``env``, else none."""
    token: str | None = args.token
    return token if token is not None else os.environ.get(env) or None


def port_number(text: str) -> int:
    """A TCP port number, refused with what to use instead (getaddrinfo would wrap 99999)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65_535:
        raise argparse.ArgumentTypeError(f"{text} is not a port: use 0..65535 (0 picks a free one)")
    return port


def web_address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` (``8080``, ``0.0.0.0:8080``, ``[::1]:8080``); the host defaults to
    127.0.0.1."""
    host, colon, port = text.rpartition(":")
    if not colon:
        return "127.0.0.1", port_number(text)
    host = host.removeprefix("[").removesuffix("]")
    if not host:
        raise argparse.ArgumentTypeError(f"{text}: name the address before ':' or leave both out")
    return host, port_number(port)
