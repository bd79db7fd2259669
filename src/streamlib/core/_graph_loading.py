"""Build a :class:`Graph` from a pipeline file or spec, with errors at the file's line."""

from __future__ import annotations

import os

from ._errors import ConfigError, CycleError, GraphError, PipelineFileError, RegistryError
from ._graph import Graph
from ._pipeline_spec import ConnectionSpec, PipelineLimits, PipelineSpec, load_pipeline_file
from ._registry import Registry

__all__ = ["graph_from_spec", "load_graph"]


def graph_from_spec(spec: PipelineSpec, registry: Registry | None = None) -> Graph:
    """Instantiate every processor (validating configs) and connect them.

    Any problem raises ``PipelineFileError`` naming the line of the processor or
    connection at fault; nothing is half-built (a new graph is returned whole).
    Time grows linearly with the pipeline's size: loops are looked for once, after
    every connection is made, and reported at the connection that closed the first.
    """
    types = registry if registry is not None else Registry.default()
    graph = Graph()
    for item in spec.processors:
        try:
            processor_class = types.get(item.type)
            processor = processor_class(item.config)
            graph.add(processor, item.id)
        except ConfigError as error:
            line = _line_of_bad_field(str(error), item.config_lines) or item.line
            raise PipelineFileError(
                f"processor {item.id!r}: {error}", path=spec.path, line=line
            ) from None
        except (RegistryError, GraphError) as error:
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


def load_graph(
    path: str | os.PathLike[str],
    registry: Registry | None = None,
    *,
    limits: PipelineLimits | None = None,
) -> Graph:
    """Read a YAML or JSON pipeline file into a graph (``limits``: see ``PipelineLimits``)."""
    spec = load_pipeline_file(path) if limits is None else load_pipeline_file(path, limits=limits)
    return graph_from_spec(spec, registry)


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
