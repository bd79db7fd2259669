"""Opening a CLAP bundle: the shared library, its ``clap_entry`` and plugin factory.

A bundle is initialized once per process (CLAP allows ``init`` only once) and
stays loaded until the process exits, when ``deinit`` runs. DPF-based bundles
(the zam plugins) keep globals per bundle, so instances of one bundle are
created, activated, deactivated and destroyed one at a time under the
bundle's ``lock``.

::

    bundle = open_bundle("/usr/lib/clap/ZamVerb.clap")
    [info.id for info in bundle.plugins()]        # ['studio.zamaudio.ZamVerb'] or similar
"""

from __future__ import annotations

import atexit
import ctypes
import threading
from pathlib import Path
from typing import Any

from ..core import PluginError
from ._abi import CLAP_PLUGIN_FACTORY_ID, PluginEntry, PluginFactory
from ._float_mode import kept_float_mode
from ._info import PluginInfo

__all__ = ["PluginBundle", "bundle_binary", "open_bundle"]

_ENTRY_SYMBOL = "clap_entry"


def bundle_binary(path: Path) -> Path:
    """The shared library inside ``path`` (a file on Linux and Windows, a directory on macOS)."""
    if path.is_dir():
        macos = path / "Contents" / "MacOS"
        binaries = sorted(p for p in macos.iterdir() if p.is_file()) if macos.is_dir() else []
        if not binaries:
            raise PluginError(
                f"{path} is a directory but not a CLAP bundle (no Contents/MacOS/ binary in it); "
                "give the path of a .clap file or bundle"
            )
        return binaries[0]
    return path


class PluginBundle:
    """One loaded ``.clap`` file: its descriptors and the factory that creates instances."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.instances = 0  # live plugin instances; deinit waits for none
        binary = bundle_binary(path)
        try:
            with kept_float_mode():  # a -ffast-math library must not change our float mode
                self._library = ctypes.CDLL(str(binary), mode=getattr(ctypes, "RTLD_LOCAL", 0))
        except OSError as error:
            raise PluginError(
                f"{path} is not a CLAP plugin: it cannot be loaded as a shared library ({error})"
            ) from None
        try:
            self._entry = PluginEntry.in_dll(self._library, _ENTRY_SYMBOL)
        except ValueError:
            raise PluginError(
                f"{path} is a shared library but not a CLAP plugin: it has no "
                f"{_ENTRY_SYMBOL!r} symbol"
            ) from None
        version = self._entry.clap_version
        if version.major < 1:
            raise PluginError(
                f"{path} was built for CLAP {version.major}.{version.minor}.{version.revision}; "
                "this host needs CLAP 1.x"
            )
        with kept_float_mode():
            started = bool(self._entry.init) and self._entry.init(str(binary).encode())
        if not started:
            raise PluginError(f"{path}: the plugin's clap_entry.init() refused to start")
        self._initialized = True
        address = self._entry.get_factory(CLAP_PLUGIN_FACTORY_ID)
        if not address:
            self.close()
            raise PluginError(f"{path} offers no plugin factory ({CLAP_PLUGIN_FACTORY_ID!r})")
        self.factory = ctypes.cast(address, ctypes.POINTER(PluginFactory))
        self._infos = self._read_descriptors()

    def _read_descriptors(self) -> tuple[PluginInfo, ...]:
        factory = self.factory
        infos: list[PluginInfo] = []
        for index in range(factory.contents.get_plugin_count(factory)):
            descriptor = factory.contents.get_plugin_descriptor(factory, index)
            if not descriptor:
                continue
            d = descriptor.contents
            features: list[str] = []
            if d.features:
                i = 0
                while d.features[i] is not None:
                    features.append(_text(d.features[i]))
                    i += 1
            infos.append(
                PluginInfo(
                    id=_text(d.id),
                    name=_text(d.name),
                    vendor=_text(d.vendor),
                    version=_text(d.version),
                    description=_text(d.description),
                    features=tuple(features),
                    path=self.path,
                    url=_text(d.url),
                )
            )
        return tuple(infos)

    def plugins(self) -> tuple[PluginInfo, ...]:
        """Every plugin this bundle offers."""
        return self._infos

    def info(self, plugin_id: str) -> PluginInfo:
        for info in self._infos:
            if info.id == plugin_id:
                return info
        known = ", ".join(info.id for info in self._infos) or "(none)"
        raise PluginError(f"{self.path} has no plugin with id {plugin_id!r}; it offers: {known}")

    def close(self) -> None:
        """Call the entry's ``deinit`` (at process exit; the library stays mapped).

        Skipped while instances are alive: no call into the library may follow ``deinit``.
        """
        if self._initialized and self.instances == 0:
            self._initialized = False
            self._entry.deinit()

    def __repr__(self) -> str:
        return f"<PluginBundle {self.path} ({len(self._infos)} plugins)>"


_bundles: dict[Path, PluginBundle] = {}
_bundles_lock = threading.Lock()


def open_bundle(path: str | Path) -> PluginBundle:
    """The bundle at ``path``, loaded and initialized on first use (``PluginError`` if not CLAP)."""
    given = Path(path).expanduser()
    if not given.exists():
        raise PluginError(
            f"no CLAP plugin at {given}: the path does not exist (see `find_plugins()` for the "
            "plugins installed here)"
        )
    resolved = given.resolve()
    with _bundles_lock:
        bundle = _bundles.get(resolved)
        if bundle is None:
            bundle = PluginBundle(resolved)
            _bundles[resolved] = bundle
        return bundle


@atexit.register
def _deinit_bundles() -> None:
    with _bundles_lock:
        for bundle in _bundles.values():
            bundle.close()
        _bundles.clear()


def _text(value: Any) -> str:
    if value is None:
        return ""
    return bytes(value).decode("utf-8", "replace")
