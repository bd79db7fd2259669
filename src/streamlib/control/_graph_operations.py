"""Operations that build and inspect the graph: ``add_processor``, ``remove_processor``,
``connect``, ``disconnect``, ``list_processors``, ``list_connections``, ``get_graph``.

Every change is validated (and permission-checked) before anything changes, so
a refused call leaves the running pipeline exactly as it was.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from ._host import PipelineHost
from ._local_code import granted_class
from ._operation import JsonObject, Operation, OperationArguments, OperationReply
from ._schemas import with_type_enum
from ._views import (
    ConnectionView,
    ProcessorView,
    connection_views,
    processor_view,
    wait_for_setup,
)

__all__ = ["GRAPH_OPERATIONS", "graph_document"]


class AddArgs(OperationArguments):
    type: str = Field(description="A processor type name (list_processor_types).")
    config: JsonObject = Field(
        default_factory=dict,
        description="Fields per the type's config_schema; the rest take defaults.",
    )
    id: str | None = Field(
        None,
        description="Its id (letters, digits, _ or -); default from the type.",
    )
    isolation: Literal["thread", "process"] | None = Field(
        None,
        description="'process': run it in a worker process of its own, so a crash there "
        "is its error only (connect its inputs before the runtime starts). Default "
        "'thread', or 'process' when a process name is given.",
    )
    process: str | None = Field(
        None,
        description="Run it in the worker process of this name (e.g. 'dsp'), shared with "
        "every processor added with the same name; connections between them stay inside "
        "it. Add every member before the runtime starts.",
    )


def _add(host: PipelineHost, args: AddArgs) -> ProcessorView:
    # A MODULE:Class type is checked (local-code grant, readable directory) before import.
    processor_class = granted_class(host.permissions, host.registry, args.type)
    config = host.permissions.check_config(processor_class, args.config)
    ref = host.runtime.add(
        processor_class, config, id=args.id, isolation=args.isolation, process=args.process
    )
    wait_for_setup(host.runtime, [str(ref.id)])  # a setup that fails at once is in the reply
    return processor_view(host.runtime, str(ref.id))


class RemoveArgs(OperationArguments):
    id: str = Field(description="The processor's id.")


class RemoveResult(BaseModel):
    removed: str
    connections_removed: list[str]


def _remove(host: PipelineHost, args: RemoveArgs) -> RemoveResult:
    runtime = host.runtime
    edges = runtime.graph.edges_of(args.id)  # UnknownProcessorError with a suggestion
    runtime.remove(args.id)
    return RemoveResult(removed=args.id, connections_removed=[str(e.id) for e in edges])


class _Endpoints(OperationArguments):
    """``from``/``to``, as pipeline files spell them; ``source``/``target`` are accepted too."""

    from_: str = Field(alias="from", description="An output, e.g. 'src.video'.")
    to: str = Field(description="An input, e.g. 'fx.video_in'.")

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        # Agents that guess (or read an older listing) say source/target; take that
        # spelling unless the canonical one is there too (then 'source' is reported unknown).
        if isinstance(data, dict):
            data = dict(data)
            for alias, name in (("source", "from"), ("target", "to")):
                if alias in data and name not in data:
                    data[name] = data.pop(alias)
        return data


class ConnectArgs(_Endpoints):
    profile: Literal["latest", "fifo", "lossless"] | None = Field(
        None, description="Override the input's delivery."
    )
    capacity: int | None = Field(None, ge=1, le=100_000, description="Override the queue depth.")


def _connect(host: PipelineHost, args: ConnectArgs) -> ConnectionView:
    runtime = host.runtime
    connection_id = runtime.connect(
        args.from_, args.to, profile=args.profile, capacity=args.capacity
    )
    return next(v for v in connection_views(runtime) if v.id == str(connection_id))


class DisconnectArgs(_Endpoints):
    pass


class DisconnectResult(BaseModel):
    disconnected: str


def _disconnect(host: PipelineHost, args: DisconnectArgs) -> DisconnectResult:
    edge = host.runtime.graph.edge_between(args.from_, args.to)
    host.runtime.disconnect(args.from_, args.to)
    return DisconnectResult(disconnected=str(edge.id))


class NoArgs(OperationArguments):
    pass  # a tool without arguments (no docstring: it would be sent as the schema's text)


class ListProcessorsResult(BaseModel):
    state: str = Field(description="The pipeline: idle, running, paused or stopped.")
    processors: list[ProcessorView]


def _list_processors(host: PipelineHost, args: NoArgs) -> ListProcessorsResult:
    runtime = host.runtime
    stats = runtime.statistics().processors
    return ListProcessorsResult(
        state=runtime.state.value,
        processors=[processor_view(runtime, pid, stats.get(pid)) for pid in runtime.graph],
    )


class ListConnectionsResult(BaseModel):
    connections: list[ConnectionView]


def _list_connections(host: PipelineHost, args: NoArgs) -> ListConnectionsResult:
    return ListConnectionsResult(connections=connection_views(host.runtime))


class GraphResult(BaseModel):
    state: str
    graph: dict[str, Any] = Field(
        description="The pipeline-file shape: processors (type, config) and connections."
    )
    processor_states: dict[str, str]
    mermaid: str = Field(description="A Mermaid flowchart of the graph.")


def graph_document(host: PipelineHost) -> GraphResult:
    """The graph as ``get_graph`` and ``graph://current`` show it."""
    runtime = host.runtime
    return GraphResult(
        state=runtime.state.value,
        graph=runtime.graph.to_dict(),
        processor_states={pid: runtime.processor_state(pid).value for pid in runtime.graph},
        mermaid=runtime.graph.to_mermaid(),
    )


def _get_graph(host: PipelineHost, args: NoArgs) -> OperationReply:
    document = graph_document(host)
    return OperationReply(document, summary=f"```mermaid\n{document.mermaid}```")


GRAPH_OPERATIONS = (
    Operation(
        "add_processor",
        "Add a processor: type + config (schema: describe_processor_type). Nothing changes on "
        "error. While running it starts at once; a setup failing at once is in the reply.",
        AddArgs,
        ProcessorView,
        _add,
        schema_hook=partial(with_type_enum, field="type"),
    ),
    Operation(
        "remove_processor",
        "Remove a processor and its connections; the rest keeps running.",
        RemoveArgs,
        RemoveResult,
        _remove,
        destructive=True,
    ),
    Operation(
        "connect",
        "Connect an output to an input, 'processor.port' each, as in pipeline files "
        "(source/target also accepted). Works while running.",
        ConnectArgs,
        ConnectionView,
        _connect,
    ),
    Operation(
        "disconnect",
        "Remove a connection; frames queued in it are dropped.",
        DisconnectArgs,
        DisconnectResult,
        _disconnect,
        destructive=True,
    ),
    Operation(
        "list_processors",
        "The processors: state, config, statistics, error if failed.",
        NoArgs,
        ListProcessorsResult,
        _list_processors,
        read_only=True,
    ),
    Operation(
        "list_connections",
        "The connections: profile, depth, written, delivered, dropped.",
        NoArgs,
        ListConnectionsResult,
        _list_connections,
        read_only=True,
    ),
    Operation(
        "get_graph",
        "The graph in the pipeline-file shape, and as a Mermaid flowchart.",
        NoArgs,
        GraphResult,
        _get_graph,
        read_only=True,
    ),
)
