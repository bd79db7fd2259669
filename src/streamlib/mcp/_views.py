"""How processor types, processors and connections look to agents: small JSON models.

These are the pieces tool results are made of (and so their output schemas)::

    processor_view(runtime, "fx").model_dump()
    # {"id": "fx", "type": "Brightness", "state": "running", "config": {"gain": 1.5, ...},
    #  "inputs": ["video_in"], "outputs": ["video_out"], "live_fields": ["gain", "offset"],
    #  "stats": {...}}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..core import PortSpec, ProcessorDescriptor
from ..runtime import ProcessorStatistics, Runtime
from ._permissions import FLAGS, Permissions

__all__ = [
    "ConnectionView",
    "PortView",
    "ProcessorView",
    "TypeView",
    "connection_views",
    "port_view",
    "processor_view",
    "type_view",
]


class PortView(BaseModel):
    """A port of a processor type."""

    name: str
    type: str = Field(description="Frame type, e.g. VideoFrame, AudioFrame[2], DataFrame.")
    profile: str | None = Field(None, description="Inputs: latest, fifo or lossless.")
    capacity: int | None = Field(None, description="Inputs: queue depth.")
    description: str = ""


class TypeView(BaseModel):
    """A processor type: what it does, its ports, and whether this server may add it."""

    name: str
    summary: str
    tags: list[str]
    inputs: list[PortView]
    outputs: list[PortView]
    capabilities: list[str] = Field(description="What it reaches outside the process.")
    permitted: bool = Field(description="Whether add_processor may add it on this server.")
    missing_permissions: list[str] = Field(
        description="Flags the user must restart `streamlib mcp` with to permit it."
    )


class ProcessorView(BaseModel):
    """One processor in the pipeline."""

    id: str
    type: str
    state: str = Field(description="added, starting, running, paused, backing_off, stopped...")
    config: dict[str, Any]
    inputs: list[str]
    outputs: list[str]
    live_fields: list[str] = Field(description="Config fields set_config may change while running.")
    stats: dict[str, Any] | None = Field(
        None, description="Calls, frames in/out, fps, process time, errors, last error."
    )


class ConnectionView(BaseModel):
    """One connection, with its counters."""

    id: str
    source: str = Field(description="The output, 'processor.port'.")
    target: str = Field(description="The input, 'processor.port'.")
    frame_type: str
    profile: str
    capacity: int
    depth: int = Field(description="Frames queued now.")
    written: int
    delivered: int
    dropped: int
    newest_age_ms: float | None = Field(description="Since the newest frame was written.")


def port_view(spec: PortSpec) -> PortView:
    return PortView(
        name=spec.name,
        type=str(spec.frame_type),
        profile=None if spec.profile is None else spec.profile.value,
        capacity=spec.capacity,
        description=spec.description,
    )


def type_view(descriptor: ProcessorDescriptor, permissions: Permissions) -> TypeView:
    missing = permissions.missing(descriptor.processor_class)
    return TypeView(
        name=descriptor.name,
        summary=descriptor.summary,
        tags=list(descriptor.tags),
        inputs=[port_view(p) for p in descriptor.inputs],
        outputs=[port_view(p) for p in descriptor.outputs],
        capabilities=list(descriptor.capabilities),
        permitted=not missing,
        missing_permissions=[FLAGS[name] for name in missing],
    )


def processor_view(
    runtime: Runtime, processor_id: str, stats: ProcessorStatistics | None = None
) -> ProcessorView:
    processor = runtime.processor(processor_id)
    return ProcessorView(
        id=processor_id,
        type=processor.type_name,
        state=runtime.processor_state(processor_id).value,
        config=processor.config.model_dump(mode="json"),
        inputs=list(processor.inputs),
        outputs=list(processor.outputs),
        live_fields=sorted(type(processor.config).live_fields()),
        stats=None if stats is None else stats.to_dict(),
    )


def connection_views(runtime: Runtime) -> list[ConnectionView]:
    counters = {c.id: c for c in runtime.statistics().connections}
    views = []
    for edge in runtime.graph.edges():
        stats = counters.get(str(edge.id))
        views.append(
            ConnectionView(
                id=str(edge.id),
                source=str(edge.source),
                target=str(edge.target),
                frame_type=edge.frame_type,
                profile=edge.profile.value,
                capacity=edge.capacity,
                depth=0 if stats is None else stats.depth,
                written=0 if stats is None else stats.written,
                delivered=0 if stats is None else stats.delivered,
                dropped=0 if stats is None else stats.dropped,
                newest_age_ms=None if stats is None else stats.newest_age_ms,
            )
        )
    return views
