"""What an agent may reach outside the process: capabilities, one writable directory and
directories it may read.

Everything is off by default. ``streamlib mcp`` grants each capability with a
flag, and maps it onto what processor types declare (``Processor.capabilities``)
and onto config fields made with ``path_field``::

    permissions = Permissions(capabilities=frozenset({"camera"}), write_root=Path("/srv/rec"))
    permissions.check_type(Camera)                       # fine
    permissions.check_type(SpeakerOutput)                # PermissionDeniedError: --allow-audio
    config = permissions.check_config(Mp4Writer, {"path": "take1.mp4"})
    config["path"]                                       # '/srv/rec/take1.mp4'

Paths a processor reads (``path_field(access="read")``, a shader file, a media file)
must lie in a readable directory: the write root or one of ``read_roots``
(``--allow-read DIR``). A path is accepted only if it stays inside one once resolved:
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
from ._grant_hints import RESTART_WITH

__all__ = ["FLAGS", "GRANTS", "Permissions"]

GRANTS: frozenset[str] = (CAPABILITIES - {"write"}) | {"raw_ffmpeg", "local_code"}
"""What ``capabilities`` may hold: the processor capabilities but ``write`` (granted by a
directory), ``raw_ffmpeg``: FFmpeg filter graphs, formats, options and protocols
taken as given, and ``local_code``: ``.py`` files in a readable directory imported as
plug-ins (``plugins:``, ``type: MODULE:Class``; see ``_local_code``). Both are as
powerful as running any program."""

FLAGS: Mapping[str, str] = {
    "camera": "--allow-camera",
    "audio": "--allow-audio",
    "display": "--allow-display",
    "network": "--allow-network",
    "write": "--allow-write DIR",
    "read": "--allow-read DIR",
    "plugins": "--allow-plugins",
    "raw_ffmpeg": RAW_FFMPEG_FLAG,
    "local_code": "--allow-local-code",
}
"""The ``streamlib mcp`` flag that grants each capability."""


@dataclass(frozen=True)
class Permissions:
    """The capabilities granted to agents, the one directory they may write under, and
    the directories they may read from.

    ``capabilities`` holds any of :data:`GRANTS` (``camera``, ``audio``, ``display``,
    ``network``, ``plugins``, ``raw_ffmpeg``, ``local_code``);
    ``write`` is granted by giving ``write_root``, and ``read`` by giving ``read_roots``
    (``--allow-read DIR``, repeatable); the write root is readable too. All are resolved
    on construction. A relative path counts from the write root, or without one from the
    first read root (a pipeline file's paths count from the file's folder).
    """

    capabilities: frozenset[str] = frozenset()
    write_root: Path | None = None
    read_roots: tuple[Path, ...] = ()
    _root: Path | None = field(init=False, repr=False, compare=False)
    _readable: tuple[Path, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.capabilities) - GRANTS
        if unknown:
            raise ConfigError(
                f"unknown capabilities {sorted(unknown)}; grant some of "
                f"{', '.join(sorted(GRANTS))} (write is granted by a write_root directory)"
            )
        root = None if self.write_root is None else _directory(self.write_root, "write")
        readable = [] if root is None else [root]
        for directory in self.read_roots:
            resolved = _directory(directory, "read")
            if resolved not in readable:
                readable.append(resolved)
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_readable", tuple(readable))

    @property
    def granted(self) -> frozenset[str]:
        """Every capability granted, ``write`` included when there is a write root and
        ``read`` when there is any readable directory."""
        granted = set(self.capabilities)
        if self._root is not None:
            granted.add("write")
        if self._readable:
            granted.add("read")
        return frozenset(granted)

    @property
    def resolved_write_root(self) -> Path | None:
        """The write root with symlinks resolved (what paths are checked against)."""
        return self._root

    @property
    def readable_roots(self) -> tuple[Path, ...]:
        """Every directory files may be read from (the write root first), resolved."""
        return self._readable

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
                f"server was not given; ask the user to {RESTART_WITH} {flags}, "
                "or use a processor type that needs no permission "
                "(list_processor_types shows what each one needs)"
            )

    def check_config(
        self,
        processor_class: type[Processor],
        config: Mapping[str, Any] | None,
        *,
        relative_to: Path | None = None,
    ) -> dict[str, Any]:
        """Validate ``config`` for ``processor_class`` and check every path, URL, device,
        library and FFmpeg string it names, without building a processor.

        Returns the config to build the processor with: each path replaced by its
        resolved absolute path inside the root, so the processor touches exactly what
        the check looked at (a relative path counts from the root, not from the
        server's working directory), and FFmpeg options with the whitelists that keep
        FFmpeg to the checked location. Defaults count too: a field left out is checked
        with its default value. Checking a returned config again returns it unchanged.
        ``relative_to`` (a pipeline file's folder) is where relative paths count from
        instead; it does not widen what may be reached.
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
            values[name] = str(resolve(os.fspath(value), what=f"{name!r}", relative_to=relative_to))
        checked: dict[str, Any] = {}
        # Locations first, so the FFmpeg options that open them know where they lead.
        for name, kind in sorted(reaches.items(), key=lambda item: item[1] != "media"):
            value = getattr(effective, name)
            if kind != "ffmpeg_options" and value in (None, "", [], {}):
                continue  # unset: reaches nothing
            checked[name] = check_reach_field(
                self,
                processor_class,
                name=name,
                kind=kind,
                value=value,
                checked=checked,
                relative_to=relative_to,
            )
            if checked[name] != value or name in values:
                values[name] = checked[name]
        return values

    def resolve_write_path(
        self, value: str, *, what: str = "the path", relative_to: Path | None = None
    ) -> Path:
        """``value`` resolved inside the write root, or ``PermissionDeniedError`` saying why."""
        if self._root is None:
            raise PermissionDeniedError(
                f"writing files was not permitted, so {what} ({value!r}) cannot be used; ask the "
                f"user to {RESTART_WITH} --allow-write DIR"
            )
        return self._inside(value, (self._root,), "writable", what, relative_to)

    def resolve_read_path(
        self, value: str, *, what: str = "the path", relative_to: Path | None = None
    ) -> Path:
        """``value`` resolved inside a readable directory (the write root or a read root), so
        an agent cannot read, or learn about, files elsewhere through error messages."""
        if not self._readable:
            raise PermissionDeniedError(
                f"reading files was not permitted, so {what} ({value!r}) cannot be read; pass "
                f"the content itself instead, or ask the user to {RESTART_WITH} "
                "--allow-read DIR (or --allow-write DIR)"
            )
        return self._inside(value, self._readable, "readable", what, relative_to)

    def _inside(
        self,
        value: str,
        roots: tuple[Path, ...],
        kind: str,
        what: str,
        relative_to: Path | None,
    ) -> Path:
        # Relative paths count from the file being loaded, else from the first root.
        base = roots[0] if relative_to is None else Path(os.path.realpath(relative_to))
        where = _where(roots, kind)
        if locate(value).kind != "path":
            raise PermissionDeniedError(
                f"{what} ({value!r}) is a URL or protocol, not a file path; give a file path "
                f"inside {where} (relative paths count from {base})"
            )
        if ".." in PurePath(value).parts:
            raise PermissionDeniedError(
                f"{what} ({value!r}) contains '..'; give a path inside {where} without '..' "
                f"(relative paths count from {base})"
            )
        candidate = Path(value) if os.path.isabs(value) else base / value
        # realpath follows every symlink that exists, the last component's too, so a
        # link inside a root that points outside is seen for where it leads.
        resolved = Path(os.path.realpath(candidate))
        if any(resolved != root and resolved.is_relative_to(root) for root in roots):
            return resolved
        absolute = Path(os.path.abspath(candidate))
        if any(absolute != root and absolute.is_relative_to(root) for root in roots):
            raise PermissionDeniedError(
                f"{what} ({value!r}) resolves to {resolved} (through a symlink), outside the "
                f"{where}; give a file path inside it (relative paths count from {base})"
            )
        # Said the same way whatever is there, so whether a file outside exists (or is a
        # link, and to what) stays unknown.
        raise PermissionDeniedError(
            f"{what} ({value!r}) is outside the {where}; give a file path inside it "
            f"(relative paths count from {base})"
        )

    def describe(self) -> dict[str, Any]:
        """The grants as JSON, for the server's instructions and ``list_processor_types``."""
        return {
            "capabilities": sorted(self.granted),
            "write_root": None if self._root is None else str(self._root),
            "read_roots": [str(root) for root in self._readable if root != self._root],
        }


def _directory(path: Path, access: str) -> Path:
    resolved = Path(os.path.realpath(path))
    if not resolved.is_dir():
        raise ConfigError(
            f"the {access} directory {str(path)!r} does not exist or is not a directory; "
            "create it first"
        )
    return resolved


def _where(roots: tuple[Path, ...], kind: str) -> str:
    """``writable directory /srv/rec`` or ``readable directories (/a, /b)``."""
    if len(roots) == 1:
        return f"{kind} directory {roots[0]}"
    return f"{kind} directories ({', '.join(str(root) for root in roots)})"


def _words(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
