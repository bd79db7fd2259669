"""What a processor type needs installed: Python modules, and the pip extra that brings them.

A processor class names its needs in ``requires``. The registry still lists a type
whose modules are missing, marked unavailable with the install command, and
constructing it raises ``ConfigError`` with the same command; nothing fails at
import time::

    class Sepia(Processor):
        requires = (Requirement("gpu", ("wgpu",)),)

Only whether a module can be found is checked here (``importlib.util.find_spec``):
nothing is imported, so listing types stays fast and loads no device library.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass

from ._errors import ConfigError

__all__ = ["Requirement", "check_requirements", "unmet_requirements"]


@dataclass(frozen=True, slots=True)
class Requirement:
    """Top-level Python modules that ``pip install 'package[extra]'`` installs.

    >>> Requirement("gpu", ("wgpu",)).install_command
    "pip install 'streamlib[gpu]'"
    """

    extra: str
    modules: tuple[str, ...]
    package: str = "streamlib"

    @property
    def install_command(self) -> str:
        return f"pip install '{self.package}[{self.extra}]'"

    def missing_modules(self) -> tuple[str, ...]:
        """The modules that cannot be found in this environment (none imported)."""
        return tuple(name for name in self.modules if not _findable(name))


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        # A parent package that fails to import, or a module whose __spec__ is unset.
        return False


def unmet_requirements(requirements: Iterable[Requirement]) -> str | None:
    """Why these requirements are not met (``needs wgpu: pip install 'streamlib[gpu]'``).

    ``None`` when every module is there.
    """
    reasons = []
    for requirement in requirements:
        missing = requirement.missing_modules()
        if missing:
            reasons.append(f"needs {', '.join(missing)}: {requirement.install_command}")
    return "; ".join(reasons) or None


def check_requirements(owner: str, requirements: Iterable[Requirement]) -> None:
    """``ConfigError`` naming the missing modules and the install command, if any."""
    reason = unmet_requirements(requirements)
    if reason is not None:
        raise ConfigError(f"{owner} {reason}")
