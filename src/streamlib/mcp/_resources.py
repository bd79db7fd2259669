"""MCP resources: ``processor://{name}`` (a type's descriptor), ``graph://current`` and
``events://recent``.

::

    read_resource(host, "processor://TestPattern")   # the descriptor as JSON text
    read_resource(host, "graph://current")           # the graph, states and Mermaid
    read_resource(host, "events://recent")           # the latest events (errors, states...)
"""

from __future__ import annotations

import json

from mcp import types

from ..control import PipelineHost
from ..control._catalog_operations import DescribeTypeArgs, describe_type
from ..control._graph_operations import graph_document
from ..core import RegistryError, did_you_mean

__all__ = [
    "EVENTS_URI",
    "GRAPH_URI",
    "ResourceNotFound",
    "list_resources",
    "list_templates",
    "read_resource",
]

GRAPH_URI = "graph://current"
EVENTS_URI = "events://recent"
_PROCESSOR_SCHEME = "processor://"
_JSON = "application/json"


class ResourceNotFound(LookupError):  # noqa: N818 - reads as what the client is told
    """No resource has that URI; the message lists what there is."""


def list_resources(host: PipelineHost) -> list[types.Resource]:
    """The graph, and one resource per processor type."""
    resources = [
        types.Resource(
            uri=GRAPH_URI,
            name="graph",
            title="The current pipeline graph",
            description="Processors (type, config, state) and connections, as JSON, with a "
            "Mermaid flowchart.",
            mime_type=_JSON,
        ),
        types.Resource(
            uri=EVENTS_URI,
            name="events",
            title="The latest runtime events",
            description="Processor errors (with the error policy's action), state changes, "
            "ends, starts and stops, oldest first, each with a sequence number.",
            mime_type=_JSON,
        ),
    ]
    for descriptor in host.registry.descriptors():
        resources.append(
            types.Resource(
                uri=_PROCESSOR_SCHEME + descriptor.name,
                name=descriptor.name,
                description=descriptor.summary,
                mime_type=_JSON,
            )
        )
    return resources


def list_templates() -> list[types.ResourceTemplate]:
    return [
        types.ResourceTemplate(
            uri_template=_PROCESSOR_SCHEME + "{name}",
            name="processor type",
            description="A processor type's descriptor: ports, config schema (live fields "
            "marked), capabilities.",
            mime_type=_JSON,
        )
    ]


def read_resource(host: PipelineHost, uri: str) -> types.TextResourceContents:
    """The resource's JSON text; ``ResourceNotFound`` for URIs that name nothing."""
    if uri == GRAPH_URI:
        text = host.call(lambda: graph_document(host).model_dump_json(indent=2))
    elif uri == EVENTS_URI:
        text = json.dumps({"events": host.recent_events()}, indent=1)
    elif uri.startswith(_PROCESSOR_SCHEME):
        name = uri.removeprefix(_PROCESSOR_SCHEME)
        try:
            text = describe_type(host, DescribeTypeArgs(name=name)).model_dump_json(indent=2)
        except RegistryError as error:
            raise ResourceNotFound(f"{uri}: {error}") from None
    else:
        known = [GRAPH_URI, EVENTS_URI, _PROCESSOR_SCHEME + "{name}"]
        raise ResourceNotFound(
            f"no resource {uri!r}; " + did_you_mean(uri, known, what="resources")
        )
    return types.TextResourceContents(uri=uri, text=text, mime_type=_JSON)
