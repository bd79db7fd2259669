"""A plugin's parameter list (``clap.params``) and a parameter found by id or by name.

The list is read once and kept by :class:`~streamlib.clap.ClapPlugin` until the
plugin says it changed (a rescan, a loaded state); values are read and set there.
"""

from __future__ import annotations

import ctypes
from typing import Any

from ..core import PluginError
from ._abi import ParamInfo as ParamInfoStruct
from ._info import ParamFlags, ParamInfo

__all__ = ["find_param", "read_params"]


def read_params(ext: Any, plugin: Any) -> tuple[ParamInfo, ...]:
    """Every parameter ``plugin`` reports through its ``clap.params`` extension ``ext``
    (none when it offers no such extension)."""
    found: list[ParamInfo] = []
    if ext is not None:
        info = ParamInfoStruct()
        for index in range(ext.count(plugin)):
            if ext.get_info(plugin, index, ctypes.byref(info)):
                found.append(
                    ParamInfo(
                        id=int(info.id),
                        name=info.name.decode("utf-8", "replace"),
                        module=info.module.decode("utf-8", "replace"),
                        min_value=float(info.min_value),
                        max_value=float(info.max_value),
                        default_value=float(info.default_value),
                        flags=ParamFlags(int(info.flags)),
                    )
                )
    return tuple(found)


def find_param(params: tuple[ParamInfo, ...], key: int | str, *, plugin_name: str) -> ParamInfo:
    """The parameter with id ``key``, or named ``key`` (case and spaces ignored);
    ``PluginError`` listing ``plugin_name``'s parameters when there is none."""
    if isinstance(key, int) and not isinstance(key, bool):
        for info in params:
            if info.id == key:
                return info
    else:
        wanted = _normalize(str(key))
        for info in params:
            if _normalize(info.name) == wanted:
                return info
    listing = ", ".join(f"{p.id} {p.name!r}" for p in params) or "(none)"
    raise PluginError(f"{plugin_name} has no parameter {key!r}; its parameters: {listing}")


def _normalize(name: str) -> str:
    return "".join(name.lower().split())
