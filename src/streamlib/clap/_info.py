"""Plain records describing plugins, parameters and audio ports."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["AudioPortInfo", "ParamFlags", "ParamInfo", "PluginInfo"]


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One plugin a CLAP bundle offers (a bundle may offer several).

    >>> info = find_plugins()[0]                                  # doctest: +SKIP
    >>> info.id, info.name, info.path                             # doctest: +SKIP
    ('studio.zamaudio.ZamVerb', 'ZamVerb', PosixPath('/usr/lib/clap/ZamVerb.clap'))
    """

    id: str
    name: str
    vendor: str
    version: str
    description: str
    features: tuple[str, ...]
    path: Path
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "vendor": self.vendor,
            "version": self.version,
            "description": self.description,
            "features": list(self.features),
            "path": str(self.path),
        }


class ParamFlags(enum.IntFlag):
    """``CLAP_PARAM_*`` flags of a parameter."""

    STEPPED = 1 << 0
    PERIODIC = 1 << 1
    HIDDEN = 1 << 2
    READONLY = 1 << 3
    BYPASS = 1 << 4
    AUTOMATABLE = 1 << 5
    MODULATABLE = 1 << 10
    REQUIRES_PROCESS = 1 << 15


@dataclass(frozen=True, slots=True)
class ParamInfo:
    """A plugin parameter: its id (what events carry), name, range and default."""

    id: int
    name: str
    module: str
    min_value: float
    max_value: float
    default_value: float
    flags: ParamFlags

    @property
    def is_readonly(self) -> bool:
        return bool(self.flags & ParamFlags.READONLY)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "module": self.module,
            "min": self.min_value,
            "max": self.max_value,
            "default": self.default_value,
            "flags": [flag.name.lower() for flag in ParamFlags if flag in self.flags and flag.name],
        }


@dataclass(frozen=True, slots=True)
class AudioPortInfo:
    """One audio input or output port of a plugin (``main`` is the port to feed)."""

    id: int
    name: str
    channels: int
    is_main: bool
    port_type: str
