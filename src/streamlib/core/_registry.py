"""The registry of processor types: built-ins and third-party, found by name or tag.

Every type, streamlib's own included, comes in through the entry-point group
``streamlib.processors``, so a third-party package adds processors with::

    [project.entry-points."streamlib.processors"]
    MyEffect = "my_package.effects:MyEffect"

A broken entry point does not break the registry: it is skipped and reported in
``Registry.load_errors``. A type whose optional modules are missing (its
``requires``: the GPU, media, audio or WebRTC extra not installed) is not broken:
it is registered and listed, and :meth:`Registry.unavailable` says what to install.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib.metadata import entry_points

from ._descriptor import ProcessorDescriptor
from ._errors import RegistryError
from ._plugin_files import plugin_types
from ._processor import Processor
from ._requirements import unmet_requirements
from ._suggest import did_you_mean

__all__ = ["ENTRY_POINT_GROUP", "Registry"]

ENTRY_POINT_GROUP = "streamlib.processors"

_log = logging.getLogger("streamlib.registry")


class Registry:
    """Processor types by name.

    >>> registry = Registry.default()
    >>> registry.get("TestPattern").type_name
    'TestPattern'
    """

    def __init__(self) -> None:
        self._types: dict[str, type[Processor]] = {}
        self.load_errors: dict[str, str] = {}

    _default: Registry | None = None
    _default_lock = threading.Lock()

    @classmethod
    def default(cls) -> Registry:
        """The process-wide registry, loaded from entry points on first use."""
        with cls._default_lock:
            if cls._default is None:
                registry = cls()
                registry.load_entry_points()
                cls._default = registry
            return cls._default

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register every processor type advertised in ``group``."""
        for entry in entry_points(group=group):
            try:
                loaded = entry.load()
                named = getattr(loaded, "type_name", None)
                if named != entry.name:
                    raise RegistryError(
                        f"the entry point is named {entry.name!r} but the class calls itself "
                        f"{named!r}; use the same name in both places"
                    )
                self.register(loaded)
            except Exception as error:
                message = f"{entry.value}: {type(error).__name__}: {error}"
                self.load_errors[entry.name] = message
                _log.warning("skipping processor entry point %s (%s)", entry.name, message)

    def register(self, processor_class: type[Processor]) -> None:
        """Add a type under its ``type_name`` (the class name unless the class sets one).

        This is how a program makes its own processor classes available by name, to
        pipeline files it loads and to ``Runtime.load``, without packaging them::

            import streamlib as sl

            class Invert(sl.Processor):
                '''Invert the colors of each frame.'''
                video_in = sl.Input(sl.VideoFrame)
                video_out = sl.Output(sl.VideoFrame)

                def process(self) -> None:
                    frame = self.video_in.read_latest()
                    if frame is not None:
                        self.video_out.write(frame.replace(data=255 - frame.to_ndarray()))

            sl.Registry.default().register(Invert)
            runtime = sl.Runtime.from_file("pipeline.yaml")  # may say `type: Invert`

        Registering the same class again does nothing; another class under a name
        already taken raises ``RegistryError`` (rename one, or set ``type_name``).
        A ``Runtime(registry=...)`` of your own keeps the names to that runtime.
        See :meth:`register_file` for a ``.py`` file, and docs/plugins.md for packages.
        """
        if not (isinstance(processor_class, type) and issubclass(processor_class, Processor)):
            raise RegistryError(f"{processor_class!r} is not a streamlib.Processor subclass")
        key = processor_class.type_name
        existing = self._types.get(key)
        if existing is not None and existing is not processor_class:
            raise RegistryError(
                f"two processor types want the name {key!r}: "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{processor_class.__module__}.{processor_class.__qualname__}; rename one"
            )
        self._types[key] = processor_class

    def register_file(self, path: str | os.PathLike[str]) -> list[type[Processor]]:
        """Import the ``.py`` file at ``path`` and register every processor class it
        defines (public ``Processor`` subclasses, not those it imports); returns them.

        What ``streamlib run --plugin my_effects.py`` does. The file is imported once per
        process however often it is registered; an error while importing it raises
        ``RegistryError`` naming the file, the line and what to do::

            Registry.default().register_file("my_effects.py")
        """
        found = plugin_types(path)
        for processor_class in found.values():
            self.register(processor_class)
        return list(found.values())

    def get(self, name: str) -> type[Processor]:
        """The type called ``name``; ``RegistryError`` with a suggestion if there is none."""
        try:
            return self._types[name]
        except KeyError:
            hint = did_you_mean(name, self._types, what="known types")
            raise RegistryError(
                f"no processor type {name!r}; {hint} (see `streamlib list`)"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def names(self) -> list[str]:
        return sorted(self._types)

    def unavailable(self, name: str) -> str | None:
        """Why type ``name`` cannot be constructed here, with the install command; else None.

        Without the gpu extra, ``unavailable("ColorInvert")`` is
        ``"needs wgpu: pip install 'streamlib[gpu]'"``.
        """
        return unmet_requirements(self.get(name).requires)

    def describe(self, name: str) -> ProcessorDescriptor:
        return ProcessorDescriptor.of(self.get(name))

    def descriptors(self, *, tag: str | None = None) -> list[ProcessorDescriptor]:
        """Every type's descriptor, sorted by name, optionally only those tagged ``tag``."""
        found = [ProcessorDescriptor.of(self._types[name]) for name in self.names()]
        if tag is None:
            return found
        matching = [d for d in found if tag in d.tags]
        if not matching:
            all_tags = {t for d in found for t in d.tags}
            raise RegistryError(
                f"no processor type is tagged {tag!r}; {did_you_mean(tag, all_tags, what='tags')}"
            )
        return matching
