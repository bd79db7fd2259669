"""What ``Runtime.add`` and ``Runtime.load`` are given, made ready before anything changes.

``add`` takes a processor class, a registered type name or an instance;
``load`` takes a pipeline file or spec, staged whole into a graph of its own, so
every error (with its line) is raised before the runtime's graph is touched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from ..core import ConfigError, Graph, GraphError, Processor, ProcessorConfig, Registry
from ..pipelines import PipelineSpec, graph_from_spec, load_pipeline_file
from ._isolation import IsolatedProcessor, isolated

__all__ = ["Isolation", "instantiate", "stage_pipeline"]

Isolation = Literal["thread", "process"]
"""Where a processor runs: on the runtime's threads, or in a worker process of its own."""


def instantiate(
    processor: type[Processor] | str | Processor,
    config: ProcessorConfig | Mapping[str, Any] | None,
    fields: dict[str, Any],
    registry: Callable[[], Registry],
    *,
    isolation: Isolation = "thread",
) -> Processor:
    """The processor ``add`` was given, constructed with its config where it is a class
    or a type name (looked up in ``registry()``); with ``isolation="process"``, the
    proxy that runs it in a worker process."""
    if isolation not in ("thread", "process"):
        raise ConfigError(f"isolation={isolation!r}: use 'thread' (default) or 'process'")
    if isinstance(processor, Processor):
        if config is not None or fields:
            raise ConfigError(
                f"{processor.type_name} is already constructed with its config; "
                "pass the class or type name to configure it here"
            )
        if isolation == "process" and not isinstance(processor, IsolatedProcessor):
            raise ConfigError(
                f"{processor.type_name} is already constructed in this process; pass the "
                "class or type name to run it in a process of its own"
            )
        return processor
    cls = registry().get(processor) if isinstance(processor, str) else processor
    if not (isinstance(cls, type) and issubclass(cls, Processor)):
        raise GraphError(
            f"add() takes a Processor subclass, instance or type name, not {processor!r}"
        )
    if isolation == "process":
        cls = isolated(cls)
    return cls(config, **fields)


def stage_pipeline(
    pipeline: PipelineSpec | str | os.PathLike[str], registry: Registry, graph: Graph
) -> Graph:
    """The pipeline's processors and connections in a graph of their own, checked
    against ``graph`` (whose processor ids it must not reuse)."""
    spec = pipeline if isinstance(pipeline, PipelineSpec) else load_pipeline_file(pipeline)

    def make(cls: type[Processor], config: dict[str, Any], isolation: str) -> Processor:
        if isolation not in ("thread", "process"):
            raise ConfigError(f"isolation={isolation!r}: use 'thread' or 'process'")
        return instantiate(cls, config, {}, lambda: registry, isolation=cast(Isolation, isolation))

    staged = graph_from_spec(spec, registry, make=make)  # every error raised here, with its line
    clashes = [pid for pid in staged if pid in graph]
    if clashes:
        raise GraphError(
            f"the pipeline's processor ids {', '.join(clashes)} are already in use; "
            "remove those processors or rename them in the file"
        )
    return staged
