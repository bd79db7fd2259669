"""The pipeline spec: what a pipeline file declares, as frozen, typed records.

Lines are where each entry is written, so the layers above can report on the right
line; they are left out of ``==``, so a spec equals the one read back from its dump.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core import UnknownProcessorError
from ..core._suggest import closest, did_you_mean

__all__ = [
    "ConnectionSpec",
    "PipelineSpec",
    "PluginSpec",
    "ProcessorSpec",
    "listing",
    "suggestion",
]


@dataclass(frozen=True, slots=True)
class ProcessorSpec:
    """One entry under ``processors:``: an id, a type name, its raw config and where it
    runs (``isolation``: ``thread``, the default, or ``process``; ``process``: the
    name of the worker process it shares with the others of that name, which means
    ``isolation`` ``process``).

    ``line`` is where the id is written; ``config_lines`` maps each top-level config
    key to its line, so a bad value (say ``fps``) can be reported where it is written.
    Lines are source positions, not part of the value: they are left out of ``==``.
    """

    id: str
    type: str
    config: dict[str, Any]
    line: int = field(compare=False)
    config_lines: dict[str, int] = field(compare=False)
    isolation: str = "thread"
    process: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """One entry under ``connections:``: output ``source.source_port`` feeds input
    ``target.target_port``.

    ``profile`` (``"latest"``, ``"fifo"`` or ``"lossless"``) and ``capacity`` are
    ``None`` where the file leaves the choice to the input's declared defaults.
    ``line`` is left out of ``==``.

    >>> str(ConnectionSpec("src", "video", "sink", "video", None, None, line=4))
    'src.video -> sink.video'
    """

    source: str
    source_port: str
    target: str
    target_port: str
    profile: str | None
    capacity: int | None
    line: int = field(compare=False)

    def __str__(self) -> str:
        return f"{self.source}.{self.source_port} -> {self.target}.{self.target_port}"


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """One entry under ``plugins:``: a ``.py`` file, as written (relative paths count
    from the pipeline file's folder), whose processor classes the pipeline may name.
    ``line`` is left out of ``==``."""

    path: str
    line: int = field(compare=False)


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    """A whole pipeline file: processors in file order, then connections in file order.

    ``path`` records where it was read from (``None`` for text); like the lines, it is
    left out of ``==``, so a spec equals the one parsed back from its dump.
    ``plugins`` lists the local ``.py`` files whose processor classes it uses.
    """

    processors: tuple[ProcessorSpec, ...]
    connections: tuple[ConnectionSpec, ...]
    name: str | None = None
    path: str | None = field(default=None, compare=False)
    plugins: tuple[PluginSpec, ...] = ()

    def processor(self, id: str) -> ProcessorSpec:
        """Return the processor declared as ``id``.

        Raises :class:`~streamlib.core._errors.UnknownProcessorError` (a ``KeyError``)
        naming the declared ids when there is none.
        """
        for spec in self.processors:
            if spec.id == id:
                return spec
        ids = [spec.id for spec in self.processors]
        raise UnknownProcessorError(
            f"no processor {id!r} in this pipeline{suggestion(id, ids)}; declared: {listing(ids)}"
        )


def suggestion(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` where a choice is close, else nothing: the messages
    that use it go on to list the choices in the file's own order."""
    return f" ({did_you_mean(word, choices)})" if closest(word, choices) is not None else ""


def listing(words: Sequence[str]) -> str:
    """``words`` as written (declaration order), the first 20 of them."""
    if not words:
        return "none"
    shown = ", ".join(words[:20])
    return shown if len(words) <= 20 else f"{shown}, ... ({len(words)} in all)"
