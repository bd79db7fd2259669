"""How large a pipeline file may be: :class:`PipelineLimits` and the messages that refuse it."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import PipelineFileError

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_ALIAS_VALUES",
    "PipelineLimits",
    "too_deep",
    "too_large",
    "too_many_values",
]

# Anchors and aliases are expanded into independent copies; this caps how many values
# the expansion may build, so a "billion laughs" file fails fast instead of eating memory.
MAX_ALIAS_VALUES = 100_000


@dataclass(frozen=True, slots=True)
class PipelineLimits:
    """How large a pipeline file may be; anything larger is refused with a clear error.

    The defaults are far beyond any real pipeline (10,000 processors with five
    config values each fit: 16 values apiece) and bound what a hostile file costs to a few
    seconds and about 200 MB before it is refused. Raise one where a legitimate
    pipeline needs it::

        load_pipeline_file("wall.yaml", limits=PipelineLimits(max_processors=20_000))

    Attributes:
        max_bytes: the file's size in bytes (UTF-8), checked before it is read whole.
        max_depth: how deeply mappings and lists may nest, counting the top level
            as 1 (``processors:`` is 2, a processor 3, its ``config`` 4); aliases
            and merges count the depth of the value they expand to.
        max_values: how many values (scalars, lists, mappings) the file may hold,
            counted while it is read; each costs about 0.6 KB before it is built.
        max_processors: entries under ``processors:``.
        max_connections: entries under ``connections:``.
    """

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_values: int = 200_000
    max_processors: int = 10_000
    max_connections: int = 50_000


DEFAULT_LIMITS = PipelineLimits()


def too_large(path: str | None, limits: PipelineLimits, what: str) -> PipelineFileError:
    limit = limits.max_bytes
    size = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit}-byte"
    return PipelineFileError(
        f"{what} is over the {size} limit for a pipeline file, so it was not read; "
        "if this really is one pipeline, load it with "
        "load_pipeline_file(path, limits=PipelineLimits(max_bytes=...))",
        path=path,
    )


def too_deep(limits: PipelineLimits) -> str:
    return (
        f"values are nested more than {limits.max_depth} levels deep; a pipeline needs "
        "only a few levels, so flatten this value (or, if it must be this deep, load it "
        "with limits=PipelineLimits(max_depth=...))"
    )


def too_many_values(limits: PipelineLimits) -> str:
    return (
        f"the file holds more than {limits.max_values} values; a pipeline needs far "
        "fewer, so check what generated it (or, if it must be this large, load it with "
        "limits=PipelineLimits(max_values=...))"
    )
