"""Finding CLAP plugins: the standard folders, ``$CLAP_PATH``, or a path, a name or an id.

Standard folders (CLAP's ``entry.h``, plus ``/usr/local/lib/clap``):

- Linux: ``~/.clap``, ``/usr/lib/clap``, ``/usr/local/lib/clap``
- macOS: ``~/Library/Audio/Plug-Ins/CLAP``, ``/Library/Audio/Plug-Ins/CLAP``
- Windows: ``%LOCALAPPDATA%\\Programs\\Common\\CLAP``, ``%COMMONPROGRAMFILES%\\CLAP``

and every folder in ``$CLAP_PATH`` (``os.pathsep``-separated), searched first.

::

    for info in find_plugins():
        print(info.id, info.name, info.vendor, info.features)
    bundle, plugin_id = resolve_plugin("ZamVerb")
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from ..core import PluginError, did_you_mean
from ._bundle import PluginBundle, open_bundle
from ._info import PluginInfo

__all__ = ["find_plugins", "plugin_files", "resolve_plugin", "search_paths"]

_log = logging.getLogger("streamlib.clap")


def search_paths() -> list[Path]:
    """The folders searched for ``.clap`` bundles, ``$CLAP_PATH`` first."""
    paths = [Path(p) for p in os.environ.get("CLAP_PATH", "").split(os.pathsep) if p]
    home = Path.home()
    if sys.platform == "darwin":
        paths += [home / "Library/Audio/Plug-Ins/CLAP", Path("/Library/Audio/Plug-Ins/CLAP")]
    elif sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        common = os.environ.get("COMMONPROGRAMFILES")
        if local:
            paths.append(Path(local) / "Programs" / "Common" / "CLAP")
        if common:
            paths.append(Path(common) / "CLAP")
    else:
        paths += [home / ".clap", Path("/usr/lib/clap"), Path("/usr/local/lib/clap")]
    return list(dict.fromkeys(paths))


def plugin_files(paths: list[Path] | None = None) -> list[Path]:
    """Every ``.clap`` file or bundle under ``paths`` (default: :func:`search_paths`)."""
    found: list[Path] = []
    for folder in search_paths() if paths is None else paths:
        if not folder.is_dir():
            continue
        for root, dirs, files in os.walk(folder):
            here = Path(root)
            bundles = [d for d in dirs if d.endswith(".clap")]  # macOS bundles are folders
            found += [here / d for d in sorted(bundles)]
            dirs[:] = [d for d in dirs if not d.endswith(".clap")]
            found += [here / f for f in sorted(files) if f.endswith(".clap")]
    return list(dict.fromkeys(found))


def find_plugins(paths: list[Path] | None = None) -> list[PluginInfo]:
    """Every plugin in the bundles under ``paths`` (a broken bundle is logged and skipped)."""
    infos: list[PluginInfo] = []
    for file in plugin_files(paths):
        try:
            infos += open_bundle(file).plugins()
        except PluginError as error:
            _log.warning("skipping %s: %s", file, error)
    return infos


def resolve_plugin(plugin: str | Path, plugin_id: str | None = None) -> tuple[PluginBundle, str]:
    """The bundle and plugin id that ``plugin`` (a path, id or name) refers to."""
    text = str(plugin)
    if isinstance(plugin, Path) or text.endswith(".clap") or os.sep in text:
        bundle = open_bundle(plugin)
        offered = bundle.plugins()
        if plugin_id is not None:
            return bundle, bundle.info(plugin_id).id
        if not offered:
            raise PluginError(f"{bundle.path} offers no plugins")
        if len(offered) > 1:
            ids = ", ".join(info.id for info in offered)
            raise PluginError(f"{bundle.path} offers several plugins ({ids}); say which by id")
        return bundle, offered[0].id
    # A name like "ZamVerb" usually names its file: look there before loading every bundle.
    files = plugin_files()
    likely = [f for f in files if f.stem.lower() == text.lower()]
    for candidate_files in (likely, files):
        for file in candidate_files:
            try:
                bundle = open_bundle(file)
            except PluginError as error:
                _log.warning("skipping %s: %s", file, error)
                continue
            for info in bundle.plugins():
                if text in (info.id, plugin_id) or info.name.lower() == text.lower():
                    return bundle, info.id
    known = [info.name for info in find_plugins()]
    raise PluginError(
        f"no CLAP plugin with id or name {text!r} in {', '.join(map(str, search_paths()))}; "
        + did_you_mean(text, known, what="installed plugins")
    )
