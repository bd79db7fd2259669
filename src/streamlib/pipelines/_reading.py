"""Reading a pipeline: text or a file into a :class:`PipelineSpec`, bounded by its limits."""

from __future__ import annotations

import os

from ..core import PipelineFileError
from ._limits import DEFAULT_LIMITS, PipelineLimits, too_large
from ._spec import PipelineSpec
from ._structure import SpecBuilder
from ._yaml_reader import compose, open_loader

__all__ = ["load_pipeline_file", "parse_pipeline"]


def parse_pipeline(
    text: str, *, path: str | None = None, limits: PipelineLimits = DEFAULT_LIMITS
) -> PipelineSpec:
    """Read pipeline YAML or JSON text into a :class:`PipelineSpec`.

    ``path`` only labels errors and the result. Raises
    :class:`~streamlib.core._errors.PipelineFileError` with the 1-based line of the
    first problem found, also for text beyond ``limits``.

    >>> spec = parse_pipeline("processors: {a: {type: Noise}, b: {type: NullSink}}\\n"
    ...                       "connections: [a.audio -> b.audio]")
    >>> [str(c) for c in spec.connections]
    ['a.audio -> b.audio']
    """
    # Every character is at least one byte: only text near the limit needs encoding.
    if len(text) > limits.max_bytes or (
        len(text) * 4 > limits.max_bytes
        and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise too_large(path, limits, "the text")
    loader = open_loader(text, path, limits)
    try:
        root = compose(loader, text, path)
        return SpecBuilder(loader, path, limits).pipeline(root)
    finally:
        loader.dispose()


def load_pipeline_file(
    path: str | os.PathLike[str], *, limits: PipelineLimits = DEFAULT_LIMITS
) -> PipelineSpec:
    """Read the pipeline file at ``path`` (``.yaml``, ``.yml`` or ``.json``; all are
    read as YAML, of which JSON is a subset) into a :class:`PipelineSpec`.

    A missing, unreadable, non-UTF-8 or too large file (see :class:`PipelineLimits`)
    raises :class:`~streamlib.core._errors.PipelineFileError` saying so.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            # Never more than the limit, whatever the file claims: /dev/zero says 0 bytes.
            data = file.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise PipelineFileError("no such file; check the path", path=name) from None
    except IsADirectoryError:
        raise PipelineFileError("is a directory, not a pipeline file", path=name) from None
    except OSError as exc:
        raise PipelineFileError(
            f"cannot read the file ({exc.strerror or exc}); check its permissions", path=name
        ) from exc
    if len(data) > limits.max_bytes:
        raise too_large(name, limits, "the file")
    try:
        text = data.decode("utf-8-sig")  # -sig: tolerate a byte order mark from Windows editors
    except UnicodeDecodeError as exc:
        raise PipelineFileError(
            "the file is not UTF-8 text; save it as UTF-8",
            path=name,
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from None
    return parse_pipeline(text, path=name, limits=limits)
