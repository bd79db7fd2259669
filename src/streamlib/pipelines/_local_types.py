"""Processor types named where their classes are, in a pipeline file.

A pipeline file names them two ways (paths count from the pipeline file's folder)::

    plugins: [my_effects.py]              # every Processor subclass in it, by name
    processors:
      edges: {type: EdgeDetect}           # ... found through 'plugins'
      blur: {type: "filters/soft.py:Soft"} # a class in a file
      inv: {type: my_effects:Invert}      # my_effects.py next to the file, else an
                                          # importable module of that name

:class:`LocalType` is the ``MODULE:Class`` form; parsing one imports nothing. Loading
a file (once per process) is ``streamlib.core._plugin_files``, which the registry
shares. Loading runs the file's code: faces that take pipelines from others (the MCP
server) check their grants on the spec, before calling anything here.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..core import Processor, RegistryError
from ..core._plugin_files import import_failure, load_plugin_file, module_label, processor_classes
from ..core._suggest import did_you_mean

__all__ = ["LocalType", "local_module_file", "plugin_base_dir"]

_CLASS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


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
        where = module_label(module)
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


def _is_path(module: str) -> bool:
    return module.endswith(".py") or "/" in module or os.sep in module


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
        raise RegistryError(import_failure(name, None, error)) from error
    except Exception as error:
        raise RegistryError(import_failure(name, None, error)) from error


def _python_files(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.suffix == ".py"]
    except OSError:
        return []
