"""What an agent may reach outside the process: capabilities and one writable directory.

Everything is off by default. ``streamlib mcp`` grants each capability with a
flag, and maps it onto what processor types declare (``Processor.capabilities``)
and onto config fields made with ``path_field``::

    permissions = Permissions(capabilities=frozenset({"camera"}), write_root=Path("/srv/rec"))
    permissions.check_type(Camera)                       # fine
    permissions.check_type(SpeakerOutput)                # PermissionDeniedError: --allow-audio
    config = permissions.check_config(Mp4Writer, {"path": "take1.mp4"})
    config["path"]                                       # '/srv/rec/take1.mp4'

Paths a processor reads (``path_field(access="read")``, a shader file) are held to
the same directory. A path is accepted only if it stays inside it once resolved:
``..`` components are refused outright, and symlinks are followed before the
check, so a link inside the root that points outside it does not let a write out.

Fields that name a URL, device, native library or FFmpeg text (``reach_field``) are
checked on their values too (see ``_field_grants``); FFmpeg filter graphs, formats,
options and protocols beyond a small allow-list need the ``raw_ffmpeg`` grant.
Every check runs on the spec (type and config mapping), before any processor
object is built, any library loaded or any file touched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from ..core import CAPABILITIES, ConfigError, PermissionDeniedError, Processor
from ._ffmpeg_grants import RAW_FFMPEG_FLAG, locate
from ._field_grants import check_reach_field, reach_needs

__all__ = ["FLAGS", "GRANTS", "Permissions"]

GRANTS: frozenset[str] = (CAPABILITIES - {"write"}) | {"raw_ffmpeg"}
"""What ``capabilities`` may hold: the processor capabilities but ``write`` (granted by a
directory), and ``raw_ffmpeg``: FFmpeg filter graphs, formats, options and protocols
taken as given (as powerful as running any program)."""

FLAGS: Mapping[str, str] = {
    "camera": "--allow-camera",
    "audio": "--allow-audio",
    "display": "--allow-display",
    "network": "--allow-network",
    "write": "--allow-write DIR",
    "plugins": "--allow-plugins",
    "raw_ffmpeg": RAW_FFMPEG_FLAG,
}
"""The ``streamlib mcp`` flag that grants each capability."""


@dataclass(frozen=True)
class Permissions:
    """The capabilities granted to agents, and the one directory they may write under.

    ``capabilities`` holds any of :data:`GRANTS` (``camera``, ``audio``, ``display``,
    ``network``, ``plugins``, ``raw_ffmpeg``);
    ``write`` is granted by giving ``write_root`` (resolved on construction).
    """

    capabilities: frozenset[str] = frozenset()
    write_root: Path | None = None
    _root: Path | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.capabilities) - GRANTS
        if unknown:
            raise ConfigError(
                f"unknown capabilities {sorted(unknown)}; grant some of "
                f"{', '.join(sorted(GRANTS))} (write is granted by a write_root directory)"
            )
        root = None
        if self.write_root is not None:
            root = Path(os.path.realpath(self.write_root))
            if not root.is_dir():
                raise ConfigError(
                    f"the write directory {str(self.write_root)!r} does not exist or is not a "
                    "directory; create it first"
                )
        object.__setattr__(self, "_root", root)

    @property
    def granted(self) -> frozenset[str]:
        """Every capability granted, ``write`` included when there is a write root."""
        return self.capabilities | ({"write"} if self._root is not None else frozenset())

    @property
    def resolved_write_root(self) -> Path | None:
        """The write root with symlinks resolved (what paths are checked against)."""
        return self._root

    def missing(self, processor_class: type[Processor]) -> list[str]:
        """The capabilities ``processor_class`` needs that are not granted, sorted."""
        needed = set(processor_class.capabilities)
        if processor_class.Config.write_path_fields():
            needed.add("write")
        for kind in processor_class.Config.reach_fields().values():
            needed |= reach_needs(kind)
        return sorted(needed - self.granted)

    def check_type(self, processor_class: type[Processor]) -> None:
        """Raise ``PermissionDeniedError`` unless every capability the type needs is granted."""
        missing = self.missing(processor_class)
        if missing:
            flags = " ".join(FLAGS[name] for name in missing)
            raise PermissionDeniedError(
                f"{processor_class.type_name} needs the {_words(missing)} permission, which this "
                f"server was not given; ask the user to restart `streamlib mcp` with {flags}, "
                "or use a processor type that needs no permission "
                "(list_processor_types shows what each one needs)"
            )

    def check_config(
        self, processor_class: type[Processor], config: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Validate ``config`` for ``processor_class`` and check every path, URL, device,
        library and FFmpeg string it names, without building a processor.

        Returns the config to build the processor with: each path replaced by its
        resolved absolute path inside the root, so the processor touches exactly what
        the check looked at (a relative path counts from the root, not from the
        server's working directory), and FFmpeg options with the whitelists that keep
        FFmpeg to the checked location. Defaults count too: a field left out is checked
        with its default value. Checking a returned config again returns it unchanged.
        """
        self.check_type(processor_class)
        values = dict(config or {})
        fields = processor_class.Config
        checks = [
            *((name, self.resolve_write_path) for name in sorted(fields.write_path_fields())),
            *((name, self.resolve_read_path) for name in sorted(fields.read_path_fields())),
        ]
        reaches = fields.reach_fields()
        if not checks and not reaches:
            return values
        # Validators run here; they never touch the filesystem, so what they say cannot
        # tell an agent about files it may not read.
        effective = processor_class.Config.parse(values, owner=processor_class.type_name)
        for name, resolve in checks:
            value = getattr(effective, name)
            if value is None or value == "":
                continue  # an optional path left unset touches no file
            if not isinstance(value, (str, os.PathLike)):
                raise PermissionDeniedError(
                    f"{processor_class.type_name}.{name} must be a path, got {value!r}"
                )
            values[name] = str(resolve(os.fspath(value), what=f"{name!r}"))
        checked: dict[str, Any] = {}
        # Locations first, so the FFmpeg options that open them know where they lead.
        for name, kind in sorted(reaches.items(), key=lambda item: item[1] != "media"):
            value = getattr(effective, name)
            if kind != "ffmpeg_options" and value in (None, "", [], {}):
                continue  # unset: reaches nothing
            checked[name] = check_reach_field(
                self, processor_class, name=name, kind=kind, value=value, checked=checked
            )
            if checked[name] != value or name in values:
                values[name] = checked[name]
        return values

    def resolve_write_path(self, value: str, *, what: str = "the path") -> Path:
        """``value`` resolved inside the write root, or ``PermissionDeniedError`` saying why."""
        if self._root is None:
            raise PermissionDeniedError(
                f"writing files was not permitted, so {what} ({value!r}) cannot be used; ask the "
                "user to restart `streamlib mcp` with --allow-write DIR"
            )
        return self._inside_root(value, what=what)

    def resolve_read_path(self, value: str, *, what: str = "the path") -> Path:
        """``value`` resolved inside the write root, the one directory files are read from too
        (so an agent cannot read, or learn about, files elsewhere through error messages)."""
        if self._root is None:
            raise PermissionDeniedError(
                f"files are read only from the writable directory, and this server has none, so "
                f"{what} ({value!r}) cannot be read; pass the content itself instead, or ask the "
                "user to restart `streamlib mcp` with --allow-write DIR"
            )
        return self._inside_root(value, what=what)

    def _inside_root(self, value: str, *, what: str) -> Path:
        root = self._root
        assert root is not None
        if locate(value).kind != "path":
            raise PermissionDeniedError(
                f"{what} ({value!r}) is a URL or protocol, not a file path; give a file path "
                f"inside {root} (relative paths count from there)"
            )
        if ".." in PurePath(value).parts:
            raise PermissionDeniedError(
                f"{what} ({value!r}) contains '..'; give a path inside {root} without '..' "
                "(relative paths count from there)"
            )
        candidate = Path(value) if os.path.isabs(value) else root / value
        # realpath follows every symlink that exists, the last component's too, so a
        # link inside the root that points outside is seen for where it leads.
        resolved = Path(os.path.realpath(candidate))
        if resolved != root and resolved.is_relative_to(root):
            return resolved
        absolute = Path(os.path.abspath(candidate))
        if absolute != root and absolute.is_relative_to(root):
            raise PermissionDeniedError(
                f"{what} ({value!r}) resolves to {resolved} (through a symlink), outside the "
                f"writable directory {root}; give a file path inside it (relative paths count "
                "from there)"
            )
        # Said the same way whatever is there, so whether a file outside exists (or is a
        # link, and to what) stays unknown.
        raise PermissionDeniedError(
            f"{what} ({value!r}) is outside the writable directory {root}; give a file path "
            "inside it (relative paths count from there)"
        )

    def describe(self) -> dict[str, Any]:
        """The grants as JSON, for the server's instructions and ``list_processor_types``."""
        return {
            "capabilities": sorted(self.granted),
            "write_root": None if self._root is None else str(self._root),
        }


def _words(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
