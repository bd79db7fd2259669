"""A CLAP plugin host over the C ABI (ctypes): find, load, process, parameters, state.

::

    from streamlib.clap import ClapPlugin, find_plugins

    for info in find_plugins():                       # ~/.clap, /usr/lib/clap, $CLAP_PATH...
        print(info.id, info.name, info.vendor)

    with ClapPlugin.load("ZamVerb") as verb:          # a name, an id or a .clap path
        verb.activate(48_000, 256, min_frames=256)
        wet = verb.process_block(dry)                 # (frames, channels) float32
        verb.set_param("room", 0.5)

Processors use it through :class:`streamlib.processors.ClapEffect`. Errors are
``streamlib.PluginError``.
"""

from ._bundle import PluginBundle, open_bundle
from ._discovery import find_plugins, plugin_files, resolve_plugin, search_paths
from ._info import AudioPortInfo, ParamFlags, ParamInfo, PluginInfo
from ._plugin import ClapPlugin

__all__ = [
    "AudioPortInfo",
    "ClapPlugin",
    "ParamFlags",
    "ParamInfo",
    "PluginBundle",
    "PluginInfo",
    "find_plugins",
    "open_bundle",
    "plugin_files",
    "resolve_plugin",
    "search_paths",
]
