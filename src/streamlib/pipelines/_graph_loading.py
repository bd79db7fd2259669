"""Build a :class:`Graph` from a pipeline file or spec, with errors at the file's line."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..core import (
    ConfigError,
    CycleError,
    Graph,
    GraphError,
    PipelineFileError,
    Processor,
    Registry,
    RegistryError,
)
from ..core._plugin_files import plugin_types, qualified_name
from ..core._suggest import did_you_mean
from ._limits import PipelineLimits
from ._local_types import LocalType, plugin_base_dir
from ._reading import load_pipeline_file
from ._spec import ConnectionSpec, PipelineSpec, ProcessorSpec

__all__ = ["MakeProcessor", "graph_from_spec", "load_graph", "processor_types"]

MakeProcessor = Callable[[type[Processor], dict[str, Any], str, str | None], Processor]
"""Constructs a processor of a file: ``make(cls, config, isolation, process)``."""


def processor_types(
    spec: PipelineSpec, registry: Registry | None = None
) -> dict[str, type[Processor]]:
    """The class of each processor in ``spec``, by processor id.

    Names are looked up in the file's ``plugins`` (loaded first, in order), then in
    ``registry``; a ``MODULE:Class`` type loads its module (see ``LocalType``). Paths
    count from the pipeline file's folder. Loading a plug-in runs its code: check
    grants on the spec before calling this. Errors are ``PipelineFileError`` at the
    line of the plug-in or processor at fault.
    """
    types = registry if registry is not None else Registry.default()
    base = plugin_base_dir(spec.path)
    local: dict[str, type[Processor]] = {}
    for plugin in spec.plugins:
        try:
            _merge(local, plugin_types(base / plugin.path), types)
        except RegistryError as error:
            raise PipelineFileError(
                f"plug-in {plugin.path!r}: {error}", path=spec.path, line=plugin.line
            ) from None
    found: dict[str, type[Processor]] = {}
    for item in spec.processors:
        try:
            reference = LocalType.parse(item.type)
            if reference is not None:
                found[item.id] = reference.load(base)
            elif item.type in local:
                found[item.id] = local[item.type]
            elif item.type in types:
                found[item.id] = types.get(item.type)
            else:
                hint = did_you_mean(item.type, [*types.names(), *local], what="known types")
                raise RegistryError(
                    f"no processor type {item.type!r}; {hint} (see `streamlib list`); for a "
                    "class in a .py file of your own, list the file under 'plugins:' or "
                    "write type: MODULE:Class"
                )
        except RegistryError as error:
            raise PipelineFileError(
                f"processor {item.id!r}: {error}", path=spec.path, line=item.line
            ) from None
    return found


def graph_from_spec(
    spec: PipelineSpec, registry: Registry | None = None, *, make: MakeProcessor | None = None
) -> Graph:
    """Instantiate every processor (validating configs) and connect them.

    Types are found as :func:`processor_types` finds them (plug-ins included).
    ``make(cls, config, isolation, process)`` constructs each (the runtime's, which
    can put one in a worker process, or in the named one ``process``); without it,
    ``isolation: process`` and ``process: NAME`` are refused here.

    Any problem raises ``PipelineFileError`` naming the line of the processor or
    connection at fault; nothing is half-built (a new graph is returned whole).
    Time grows linearly with the pipeline's size: loops are looked for once, after
    every connection is made, and reported at the connection that closed the first.
    """
    classes = processor_types(spec, registry)
    graph = Graph()
    for item in spec.processors:
        try:
            processor = _make(classes[item.id], item, make)
            graph.add(processor, item.id)
        except ConfigError as error:
            line = _line_of_bad_field(str(error), item.config_lines) or item.line
            raise PipelineFileError(
                f"processor {item.id!r}: {error}", path=spec.path, line=line
            ) from None
        except GraphError as error:
            raise PipelineFileError(
                f"processor {item.id!r}: {error}", path=spec.path, line=item.line
            ) from None
    try:
        with graph.deferred_cycle_check() as check:
            for connection in spec.connections:
                try:
                    graph.connect(
                        f"{connection.source}.{connection.source_port}",
                        f"{connection.target}.{connection.target_port}",
                        profile=connection.profile,
                        capacity=connection.capacity,
                    )
                except (GraphError, ConfigError) as error:
                    raise _connection_error(spec, connection, error) from None
    except CycleError as error:
        closing = check.closing_edge
        assert closing is not None  # the block raises CycleError only for a loop
        # The block made one edge per connection, in order, until the first error.
        connection = spec.connections[check.edges.index(closing)]
        raise _connection_error(spec, connection, error) from None
    return graph


def _make(cls: type[Processor], item: ProcessorSpec, make: MakeProcessor | None) -> Processor:
    if make is not None:
        return make(cls, item.config, item.isolation, item.process)
    if item.isolation != "thread":
        raise GraphError(
            f"isolation: {item.isolation} needs a runtime to start the worker process; "
            "load the file with Runtime.load or streamlib run"
        )
    return cls(item.config)


def load_graph(
    path: str | os.PathLike[str],
    registry: Registry | None = None,
    *,
    limits: PipelineLimits | None = None,
) -> Graph:
    """Read a YAML or JSON pipeline file into a graph (``limits``: see ``PipelineLimits``)."""
    spec = load_pipeline_file(path) if limits is None else load_pipeline_file(path, limits=limits)
    return graph_from_spec(spec, registry)


def _merge(
    local: dict[str, type[Processor]], new: dict[str, type[Processor]], registry: Registry
) -> None:
    """Add a plug-in's classes to ``local``; a name may not mean two classes."""
    for name, cls in new.items():
        other = local.get(name) or (registry.get(name) if name in registry else None)
        if other is not None and other is not cls:
            raise RegistryError(
                f"two processor types want the name {name!r}: {qualified_name(other)} and "
                f"{qualified_name(cls)}; rename one (or set its type_name), or name the "
                "plug-in's class as MODULE:Class instead of listing the file under 'plugins'"
            )
        local[name] = cls


def _connection_error(
    spec: PipelineSpec, connection: ConnectionSpec, error: Exception
) -> PipelineFileError:
    return PipelineFileError(
        f"connection {str(connection)!r}: {error}", path=spec.path, line=connection.line
    )


def _line_of_bad_field(message: str, config_lines: dict[str, int]) -> int | None:
    # ConfigError messages start each problem with "<field>: ..."; point at the first one.
    body = message.split(" config: ", 1)[-1]
    for problem in body.split("; "):
        field = problem.split(":", 1)[0].split(".", 1)[0]
        if field in config_lines:
            return config_lines[field]
    return None
