"""What ``Runtime.add`` and ``Runtime.load`` are given, made ready before anything changes.

``add`` takes a processor class, a registered type name or an instance;
``load`` takes a pipeline file or spec, staged whole into a graph of its own, so
every error (with its line) is raised before the runtime's graph is touched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from ..core import ConfigError, Graph, GraphError, Processor, ProcessorConfig, Registry
from ..pipelines import PipelineSpec, graph_from_spec, load_pipeline_file
from ._isolation import IsolatedProcessor, isolated

__all__ = ["Isolation", "instantiate", "stage_pipeline"]

Isolation = Literal["thread", "process"]
"""Where a processor runs: on the runtime's threads, or in a worker process."""

_PROCESS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def instantiate(
    processor: type[Processor] | str | Processor,
    config: ProcessorConfig | Mapping[str, Any] | None,
    fields: dict[str, Any],
    registry: Callable[[], Registry],
    *,
    isolation: Isolation | None = None,
    process: str | None = None,
) -> Processor:
    """The processor ``add`` was given, constructed with its config where it is a class
    or a type name (looked up in ``registry()``); with ``isolation="process"``, the
    proxy that runs it in a worker process, of its own or, with ``process``, the one
    shared by every processor given that name."""
    isolation = _isolation(isolation, process)
    if isinstance(processor, Processor):
        if config is not None or fields:
            raise ConfigError(
                f"{processor.type_name} is already constructed with its config; "
                "pass the class or type name to configure it here"
            )
        if isolation == "process" and not isinstance(processor, IsolatedProcessor):
            raise ConfigError(
                f"{processor.type_name} is already constructed in this process; pass the "
                "class or type name to run it in a worker process"
            )
        if process is not None and processor.process_name != process:
            raise ConfigError(
                f"{processor.type_name} is already constructed for "
                f"{_where(processor.process_name)}; pass the class or type name to run it "
                f"in process {process!r}"
            )
        return processor
    cls = registry().get(processor) if isinstance(processor, str) else processor
    if not (isinstance(cls, type) and issubclass(cls, Processor)):
        raise GraphError(
            f"add() takes a Processor subclass, instance or type name, not {processor!r}"
        )
    if isolation == "thread":
        return cls(config, **fields)
    stand_in = isolated(cls)(config, **fields)
    stand_in.process_name = process
    return stand_in


def _isolation(isolation: str | None, process: str | None) -> Isolation:
    """Where it runs (a ``process`` name means a worker process), or ``ConfigError``."""
    if isolation not in (None, "thread", "process"):
        raise ConfigError(f"isolation={isolation!r}: use 'thread' (default) or 'process'")
    if process is None:
        return "process" if isolation == "process" else "thread"
    if not isinstance(process, str) or not _PROCESS_NAME.fullmatch(process):
        raise ConfigError(
            f"process={process!r} is not a process name: a name starts with a letter or "
            '"_" and holds only letters, digits, "_" and "-" (e.g. process="dsp")'
        )
    if isolation == "thread":
        raise ConfigError(
            f"process={process!r} runs it in a worker process, but isolation='thread' "
            "keeps it in this one: leave isolation out (or say 'process')"
        )
    return "process"


def _where(process: str | None) -> str:
    return "a worker process of its own" if process is None else f"process {process!r}"


def stage_pipeline(
    pipeline: PipelineSpec | str | os.PathLike[str], registry: Registry, graph: Graph
) -> Graph:
    """The pipeline's processors and connections in a graph of their own, checked
    against ``graph`` (whose processor ids it must not reuse)."""
    spec = pipeline if isinstance(pipeline, PipelineSpec) else load_pipeline_file(pipeline)

    def make(
        cls: type[Processor], config: dict[str, Any], isolation: str, process: str | None
    ) -> Processor:
        return instantiate(
            cls, config, {}, lambda: registry, isolation=cast(Isolation, isolation), process=process
        )

    staged = graph_from_spec(spec, registry, make=make)  # every error raised here, with its line
    clashes = [pid for pid in staged if pid in graph]
    if clashes:
        raise GraphError(
            f"the pipeline's processor ids {', '.join(clashes)} are already in use; "
            "remove those processors or rename them in the file"
        )
    return staged
