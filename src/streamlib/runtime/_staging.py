"""What ``Runtime.add`` and ``Runtime.load`` are given, made ready before anything changes.

``add`` takes a processor class, a registered type name or an instance;
``load`` takes a pipeline file or spec, staged whole into a graph of its own, so
every error (with its line) is raised before the runtime's graph is touched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from ..core import ConfigError, Graph, GraphError, Processor, ProcessorConfig, Registry
from ..pipelines import PipelineSpec, graph_from_spec, load_pipeline_file

__all__ = ["instantiate", "stage_pipeline"]


def instantiate(
    processor: type[Processor] | str | Processor,
    config: ProcessorConfig | Mapping[str, Any] | None,
    fields: dict[str, Any],
    registry: Callable[[], Registry],
) -> Processor:
    """The processor ``add`` was given, constructed with its config where it is a class
    or a type name (looked up in ``registry()``)."""
    if isinstance(processor, Processor):
        if config is not None or fields:
            raise ConfigError(
                f"{processor.type_name} is already constructed with its config; "
                "pass the class or type name to configure it here"
            )
        return processor
    cls = registry().get(processor) if isinstance(processor, str) else processor
    if not (isinstance(cls, type) and issubclass(cls, Processor)):
        raise GraphError(
            f"add() takes a Processor subclass, instance or type name, not {processor!r}"
        )
    return cls(config, **fields)


def stage_pipeline(
    pipeline: PipelineSpec | str | os.PathLike[str], registry: Registry, graph: Graph
) -> Graph:
    """The pipeline's processors and connections in a graph of their own, checked
    against ``graph`` (whose processor ids it must not reuse)."""
    spec = pipeline if isinstance(pipeline, PipelineSpec) else load_pipeline_file(pipeline)
    staged = graph_from_spec(spec, registry)  # every error raised here, with its line
    clashes = [pid for pid in staged if pid in graph]
    if clashes:
        raise GraphError(
            f"the pipeline's processor ids {', '.join(clashes)} are already in use; "
            "remove those processors or rename them in the file"
        )
    return staged
