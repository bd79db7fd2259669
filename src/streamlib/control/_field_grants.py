"""The check for each kind of :func:`~streamlib.core.reach_field`: what its value may name.

Called by :meth:`Permissions.check_config` on the config *spec*, before any processor
exists; each check returns the value the processor must use (a location resolved
inside the readable directory, FFmpeg options with their protective whitelists) or
raises ``PermissionDeniedError`` saying which flag would allow it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import PermissionDeniedError, Processor
from ._ffmpeg_grants import (
    NETWORK_SCHEMES,
    check_filter_graph,
    check_input_format,
    check_input_options,
    locate,
)
from ._grant_hints import RESTART_WITH

if TYPE_CHECKING:
    from ._permissions import Permissions

__all__ = ["check_reach_field", "reach_needs"]

_PEER_SCHEMES = frozenset({*NETWORK_SCHEMES, "stun", "stuns", "turn", "turns"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")
_DEVICES = Path("/dev")


def reach_needs(kind: str) -> frozenset[str]:
    """The grants a field of ``kind`` needs whatever its value (for ``missing``)."""
    return {"url": frozenset({"network"}), "library": frozenset({"plugins"})}.get(kind, frozenset())


def check_reach_field(
    permissions: Permissions,
    processor_class: type[Processor],
    *,
    name: str,
    kind: str,
    value: Any,
    checked: Mapping[str, Any],
    relative_to: Path | None = None,
) -> Any:
    """The value ``processor_class``'s field ``name`` may use, or ``PermissionDeniedError``.

    ``checked`` holds the fields checked so far (a ``media`` location before the FFmpeg
    options that open it); ``relative_to`` is where a relative file path counts from.
    """
    what = f"{processor_class.type_name}.{name}"
    raw = "raw_ffmpeg" in permissions.granted
    if kind == "url":
        _require(permissions, "network", what)
        for url in [value] if isinstance(value, str) else list(value):
            _check_url(str(url), what=what)
        return value
    if kind == "library":
        _require(permissions, "plugins", what)
        return value
    if kind == "device":
        return _check_device(value, what=what)
    if raw:
        return value  # the raw-FFmpeg grant: FFmpeg text is taken as it is
    if kind == "media":
        return _check_media(permissions, str(value), what=what, relative_to=relative_to)
    if kind == "ffmpeg_graph":
        check_filter_graph(str(value), what=what)
        return value
    if kind == "ffmpeg_format":
        capabilities = frozenset(processor_class.capabilities) & permissions.granted
        check_input_format(str(value), what=what, capabilities=capabilities)
        return value
    input_field = processor_class.Config.input_field_of(name)
    opened = checked.get(input_field) if input_field is not None else None
    location = locate(str(opened)) if opened else None
    return check_input_options(dict(value), what=what, location=location)


def _require(permissions: Permissions, grant: str, what: str) -> None:
    if grant not in permissions.granted:
        from ._permissions import FLAGS

        raise PermissionDeniedError(
            f"{what} reaches outside the process and needs the '{grant}' permission, which this "
            f"server was not given; ask the user to {RESTART_WITH} {FLAGS[grant]}"
        )


def _check_url(url: str, *, what: str) -> None:
    match = _SCHEME.match(url)
    if match is None or match.group(1).lower() not in _PEER_SCHEMES:
        raise PermissionDeniedError(
            f"{what} ({url!r}) is not a network URL; give one starting with "
            f"{', '.join(s + ':' for s in sorted(_PEER_SCHEMES))}"
        )


def _check_media(
    permissions: Permissions, value: str, *, what: str, relative_to: Path | None
) -> str:
    location = locate(value)
    if location.kind == "network":
        _require(permissions, "network", what)
        return value
    if location.kind == "protocol":
        raise PermissionDeniedError(
            f"{what} ({value!r}) uses the FFmpeg protocol {location.scheme!r}:, which agents may "
            "not use without the raw-FFmpeg permission; give a file path inside a readable "
            f"directory or a URL ({', '.join(s + '://' for s in sorted(NETWORK_SCHEMES))}), or "
            f"ask the user to {RESTART_WITH} --allow-raw-ffmpeg"
        )
    return str(permissions.resolve_read_path(value, what=what, relative_to=relative_to))


def _check_device(value: Any, *, what: str) -> Any:
    # Device names go to PortAudio or to an FFmpeg input device (never a protocol), but a
    # name that is a path must be a device node: v4l2 opens whatever file it is given.
    if not isinstance(value, str) or "/" not in value:
        return value
    if "://" in value or ".." in Path(value).parts:
        raise PermissionDeniedError(f"{what} ({value!r}) is not a device name or device path")
    resolved = Path(os.path.realpath(value))
    if not resolved.is_relative_to(_DEVICES):
        raise PermissionDeniedError(
            f"{what} ({value!r}) is not a device under /dev; give a device name or a /dev path "
            "(`streamlib devices` lists them)"
        )
    return value
