"""Names a package resolves on first use (PEP 562), so importing it loads no optional library.

::

    _HOME = {"ColorInvert": "_gpu.effects"}       # public name -> private module
    __getattr__, __dir__ = lazy_names(__name__, _HOME)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` for ``package``: a name in ``homes`` is
    imported from its module (relative to ``package``) on first use and kept there."""

    def get(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{home}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    def names() -> list[str]:
        module = sys.modules[package]
        return sorted({*vars(module), *getattr(module, "__all__", ())})

    return get, names
