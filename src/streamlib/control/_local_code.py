"""The ``local_code`` grant: plug-in files and ``MODULE:Class`` types sent by agents.

Loading a local module runs its code with the server's rights, so a pipeline with
``plugins:`` or a ``MODULE:Class`` type, and an ``add_processor`` of such a type, are
refused unless ``streamlib mcp`` was started with ``--allow-local-code``. Even then
only ``.py`` files inside a readable directory are loaded, never a module found on
``sys.path`` (importing an installed module can have effects of its own). All of it
is checked on the spec, before any module is imported; the checked spec names each
file by its resolved absolute path, so what is loaded is what was checked.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..core import ConfigError, PermissionDeniedError, Processor, Registry
from ..pipelines import LocalType, PipelineSpec
from ._grant_hints import RESTART_WITH
from ._permissions import FLAGS, Permissions

__all__ = ["LOCAL_CODE", "check_local_code", "granted_class"]

LOCAL_CODE = "local_code"
"""The grant that lets agents load local Python files (``--allow-local-code``)."""


def check_local_code(permissions: Permissions, spec: PipelineSpec) -> PipelineSpec:
    """``spec`` with every plug-in file and local type as an absolute ``.py`` path inside
    a readable directory, or ``PermissionDeniedError`` (``file:line: ...``). Imports nothing.

    Relative paths count from the pipeline file's folder when it came from a file,
    else from the readable directory.
    """
    folder = None if spec.path is None or spec.path.startswith("<") else Path(spec.path).parent
    plugins = []
    for plugin in spec.plugins:
        where = f"{spec.path}:{plugin.line}: "
        path = _granted_file(
            permissions, plugin.path, folder, what=f"the plug-in {plugin.path!r}", where=where
        )
        plugins.append(dataclasses.replace(plugin, path=str(path)))
    processors = []
    for item in spec.processors:
        reference = _reference(item.type)
        if reference is not None:
            where = f"{spec.path}:{item.line}: processor {item.id!r}: "
            what = f"the type {item.type!r}"
            path = _granted_file(permissions, reference.module, folder, what=what, where=where)
            processors.append(dataclasses.replace(item, type=f"{path}:{reference.class_name}"))
        else:
            processors.append(item)
    return dataclasses.replace(spec, plugins=tuple(plugins), processors=tuple(processors))


def granted_class(permissions: Permissions, registry: Registry, type_name: str) -> type[Processor]:
    """The class ``type_name`` names: a registered type, or (granted) a ``MODULE:Class``
    in a ``.py`` file inside a readable directory, checked before it is imported."""
    reference = _reference(type_name)
    if reference is None:
        return registry.get(type_name)
    path = _granted_file(permissions, reference.module, None, what=f"the type {type_name!r}")
    return LocalType(str(path), reference.class_name).load(path.parent)


def _reference(type_name: str) -> LocalType | None:
    try:
        return LocalType.parse(type_name)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _granted_file(
    permissions: Permissions, module: str, folder: Path | None, *, what: str, where: str = ""
) -> Path:
    if LOCAL_CODE not in permissions.granted:
        raise PermissionDeniedError(
            f"{where}{what} is local Python code, which would run with this server's rights, "
            "and this server was not allowed to load any; use a registered processor type "
            f"(list_processor_types), or ask the user to {RESTART_WITH} "
            f"{FLAGS[LOCAL_CODE]} and a readable directory holding the file"
        )
    is_path = module.endswith(".py") or "/" in module or "\\" in module
    relative = module if is_path else module.replace(".", "/") + ".py"
    value = relative if folder is None or Path(relative).is_absolute() else str(folder / relative)
    try:
        path = permissions.resolve_read_path(value, what=what)
    except PermissionDeniedError as error:
        raise PermissionDeniedError(f"{where}{error}") from None
    if path.suffix != ".py":
        raise PermissionDeniedError(
            f"{where}{what} is not a .py file; agents may load Python source files only"
        )
    return path
