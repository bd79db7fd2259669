"""Python files of processor classes, imported once per process without a package.

A file is imported once, whatever path reached it (its real path picks its module
name, ``_streamlib_plugin_<stem>_<hash>``), and kept in ``sys.modules`` so its
classes behave as any module's do. Its folder is on ``sys.path`` only while it is
imported, so a sibling module it imports at the top is found, and nothing else in
the process changes. :meth:`Registry.register_file` and pipeline files' ``plugins:``
(``streamlib.pipelines``) both load files through here.

Loading a file runs its code: faces that take files from others (the MCP server)
check their grants before calling anything here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import threading
import traceback
from pathlib import Path
from types import ModuleType, TracebackType

from ._errors import RegistryError
from ._processor import Processor
from ._suggest import did_you_mean

__all__ = [
    "import_failure",
    "load_plugin_file",
    "module_label",
    "plugin_types",
    "processor_classes",
    "qualified_name",
]

_lock = threading.RLock()  # an import may load another plug-in file (reentrant)
_loaded: dict[str, ModuleType] = {}  # real path -> module


def load_plugin_file(path: str | os.PathLike[str]) -> ModuleType:
    """Import the Python file at ``path`` once (later calls return the same module).

    Raises ``RegistryError`` for a missing file (with the nearest ``.py`` file in its
    folder) and for any error while it is imported (its file, line and what to do);
    a file that failed is imported afresh next time, so it can be fixed and retried.
    """
    given = os.fspath(path)
    real = os.path.realpath(given)
    with _lock:
        module = _loaded.get(real)
        if module is not None:
            return module
        if not os.path.isfile(real):
            raise RegistryError(_missing_file(given))
        if not real.endswith(".py"):
            raise RegistryError(f"{given} is not a .py file; a plug-in is Python source")
        stem = re.sub(r"\W", "_", Path(real).stem)
        digest = hashlib.sha256(real.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        name = f"_streamlib_plugin_{stem}_{digest}"
        spec = importlib.util.spec_from_file_location(name, real)
        assert spec is not None  # a .py file always has a spec ...
        assert spec.loader is not None  # ... and a loader
        module = importlib.util.module_from_spec(spec)
        folder = str(Path(real).parent)
        sys.modules[name] = module  # during the import too: dataclasses and pydantic look
        sys.path.insert(0, folder)
        try:
            spec.loader.exec_module(module)
        except BaseException as error:
            sys.modules.pop(name, None)
            if not isinstance(error, Exception):
                raise  # KeyboardInterrupt, SystemExit: not the module's fault to report
            raise RegistryError(import_failure(given, real, error)) from error
        finally:
            _remove_once(sys.path, folder)
        _loaded[real] = module
        return module


def processor_classes(module: ModuleType) -> dict[str, type[Processor]]:
    """The public Processor subclasses ``module`` defines (not those it imports), by
    ``type_name``."""
    found: dict[str, type[Processor]] = {}
    for name, value in vars(module).items():
        if (
            not name.startswith("_")
            and isinstance(value, type)
            and issubclass(value, Processor)
            and value.__module__ == module.__name__
        ):
            found[value.type_name] = value
    return found


def plugin_types(path: str | os.PathLike[str]) -> dict[str, type[Processor]]:
    """Load the plug-in file at ``path``; its processor classes by ``type_name``.

    ``RegistryError`` when it defines none (a plug-in file is for processors).
    """
    module = load_plugin_file(path)
    found = processor_classes(module)
    if not found:
        raise RegistryError(
            f"{os.fspath(path)} defines no streamlib.Processor subclass; a plug-in file "
            "defines its processor classes at the top level (names starting with '_' "
            "and classes it only imports are left out)"
        )
    return found


def qualified_name(cls: type) -> str:
    """A class as a person finds it: ``Name (in /path/file.py)`` or its module."""
    module = sys.modules.get(cls.__module__)
    where = module_label(module) if module is not None else cls.__module__
    return f"{cls.__qualname__} (in {where})"


def module_label(module: ModuleType) -> str:
    """How to name a module to a person: its file for a plug-in, else its name."""
    if module.__name__.startswith("_streamlib_plugin_") and module.__file__:
        return module.__file__
    return module.__name__


def _remove_once(items: list[str], value: str) -> None:
    for index, item in enumerate(items):
        if item == value:
            del items[index]
            return


def _missing_file(given: str) -> str:
    folder = Path(given).parent
    if not folder.is_dir():
        return f"no file {given}: there is no folder {folder}; check the path"
    try:
        siblings = [p.name for p in folder.iterdir() if p.suffix == ".py"]
    except OSError:
        return f"no file {given}; check the path (the folder {folder} cannot be listed)"
    return f"no file {given}; {did_you_mean(Path(given).name, siblings, what='.py files there')}"


def import_failure(given: str, real: str | None, error: Exception) -> str:
    """What went wrong while importing a plug-in: where (file:line), what, what to do."""
    where = _where(real, error)
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError):
        what = f"SyntaxError: {error.msg}"
        todo = "fix the syntax there"
    elif isinstance(error, ImportError):
        missing = error.name or "the module it names"
        todo = (
            f"install {missing} into this Python environment (pip install ...), or fix the import"
        )
    else:
        todo = "the module raised while being imported; fix the code there"
    return f"{where}: {what} (while importing {given}); {todo}"


def _where(real: str | None, error: Exception) -> str:
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}" if error.lineno else error.filename
    frames = _frames(error.__traceback__)
    inside = [f for f in frames if real is not None and os.path.realpath(f.filename) == real]
    ours = [f for f in frames if not f.filename.startswith("<")]  # not importlib's frozen code
    candidates = inside or ours or frames
    if not candidates:
        return real or "?"
    return f"{candidates[-1].filename}:{candidates[-1].lineno}"


def _frames(tb: TracebackType | None) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(tb))
