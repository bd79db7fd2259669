"""Processor types from local Python files, without building a package.

A pipeline file names them two ways (paths count from the pipeline file's folder)::

    plugins: [my_effects.py]              # every Processor subclass in it, by name
    processors:
      edges: {type: EdgeDetect}           # ... found through 'plugins'
      blur: {type: "filters/soft.py:Soft"} # a class in a file
      inv: {type: my_effects:Invert}      # my_effects.py next to the file, else an
                                          # importable module of that name

A file is imported once per process, whatever path reached it (its real path
picks its module name, ``_streamlib_plugin_<stem>_<hash>``), and kept in
``sys.modules`` so its classes behave as any module's do. Its folder is on
``sys.path`` only while it is imported, so a sibling module it imports at the top
is found, and nothing else in the process changes.

Loading a file runs its code: faces that take pipelines from others (the MCP
server) check their grants on the spec, before calling anything here.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType

from ._errors import RegistryError
from ._processor import Processor
from ._suggest import did_you_mean

__all__ = [
    "LocalType",
    "load_plugin_file",
    "local_module_file",
    "plugin_base_dir",
    "plugin_types",
    "processor_classes",
    "qualified_name",
]

_CLASS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

_lock = threading.RLock()  # an import may load another plug-in file (reentrant)
_loaded: dict[str, ModuleType] = {}  # real path -> module


@dataclass(frozen=True, slots=True)
class LocalType:
    """A processor type named by where its class is: ``"module:Class"``.

    ``module`` is a ``.py`` path (relative to the pipeline file's folder) or a dotted
    module name; the class is looked up in it once it is loaded.

    >>> LocalType.parse("my_effects:EdgeDetect")
    LocalType(module='my_effects', class_name='EdgeDetect')
    >>> LocalType.parse("TestPattern") is None
    True
    """

    module: str
    class_name: str

    @classmethod
    def parse(cls, text: str) -> LocalType | None:
        """The reference ``text`` holds, ``None`` for a plain registry name.

        Raises ``ValueError`` saying how to write it when the form is wrong.
        """
        if ":" not in text:
            return None
        module, _, class_name = text.rpartition(":")  # the last ':' (a Windows drive has one)
        module, class_name = module.strip(), class_name.strip()
        if not module:
            raise ValueError(
                f"{text!r} names no module before ':'; write MODULE:Class, "
                "e.g. my_effects:EdgeDetect or effects/edges.py:EdgeDetect"
            )
        if not _CLASS_NAME.fullmatch(class_name):
            raise ValueError(
                f"{text!r}: {class_name!r} is not a class name; write MODULE:Class, "
                "e.g. my_effects:EdgeDetect"
            )
        if not _is_path(module) and not _DOTTED.fullmatch(module):
            raise ValueError(
                f"{text!r}: {module!r} is neither a .py file nor a module name; write "
                "a path ending in .py or a dotted module name before the ':'"
            )
        return cls(module, class_name)

    def __str__(self) -> str:
        return f"{self.module}:{self.class_name}"

    def load(self, base_dir: str | os.PathLike[str]) -> type[Processor]:
        """Import the module (a file under ``base_dir`` first, see :func:`local_module_file`)
        and return the class; ``RegistryError`` saying what is missing or broken."""
        path = local_module_file(self.module, base_dir)
        if path is not None:
            module = load_plugin_file(path)
        else:
            module = _import_dotted(self.module, Path(base_dir))
        found = getattr(module, self.class_name, None)
        where = _label(module)
        if found is None:
            candidates = processor_classes(module) or {
                name for name in vars(module) if not name.startswith("_")
            }
            raise RegistryError(
                f"{where} has no class {self.class_name!r}; "
                f"{did_you_mean(self.class_name, candidates, what='its processor classes')}"
            )
        if not (isinstance(found, type) and issubclass(found, Processor)):
            kind = "a class" if isinstance(found, type) else f"a {type(found).__name__}"
            raise RegistryError(
                f"{where}: {self.class_name} is {kind}, not a streamlib.Processor subclass; "
                "name a class that subclasses streamlib.Processor"
            )
        return found


def plugin_base_dir(pipeline_path: str | None) -> Path:
    """The folder a pipeline file's local modules count from: the file's own, or the
    working directory for text that came from no file (``None``, ``"<text>"``)."""
    if pipeline_path is None or pipeline_path.startswith("<"):
        return Path.cwd()
    return Path(os.path.abspath(pipeline_path)).parent


def local_module_file(module: str, base_dir: str | os.PathLike[str]) -> Path | None:
    """The ``.py`` file ``module`` names under ``base_dir``, without importing anything.

    A path (it ends in ``.py`` or holds a ``/``) is that file, whether or not it exists;
    a dotted name ``a.b`` is ``a/b.py`` when that file exists, else ``None``: an
    importable module of that name.
    """
    base = Path(base_dir)
    if _is_path(module):
        return base / Path(module).expanduser()
    candidate = base.joinpath(*module.split(".")).with_suffix(".py")
    return candidate if candidate.is_file() else None


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
            raise RegistryError(_import_failure(given, real, error)) from error
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
    where = _label(module) if module is not None else cls.__module__
    return f"{cls.__qualname__} (in {where})"


def _label(module: ModuleType) -> str:
    """How to name a module to a person: its file for a plug-in, else its name."""
    if module.__name__.startswith("_streamlib_plugin_") and module.__file__:
        return module.__file__
    return module.__name__


def _is_path(module: str) -> bool:
    return module.endswith(".py") or "/" in module or os.sep in module


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


def _import_dotted(name: str, base_dir: Path) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and (name == error.name or name.startswith(error.name + ".")):
            nearby = [p.stem for p in _python_files(base_dir)]
            raise RegistryError(
                f"no module {name!r}: there is no {name.replace('.', '/')}.py in {base_dir} "
                f"and no installed module of that name; "
                f"{did_you_mean(name, nearby, what='.py files there')}"
            ) from None
        raise RegistryError(_import_failure(name, None, error)) from error
    except Exception as error:
        raise RegistryError(_import_failure(name, None, error)) from error


def _python_files(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.suffix == ".py"]
    except OSError:
        return []


def _import_failure(given: str, real: str | None, error: Exception) -> str:
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
