"""How processor types, processors and connections look to agents: small JSON models.

These are the pieces tool results are made of (and so their output schemas)::

    processor_view(runtime, "fx").model_dump()
    # {"id": "fx", "type": "Brightness", "state": "running", "config": {"gain": 1.5, ...},
    #  "inputs": ["video_in"], "outputs": ["video_out"], "live_fields": ["gain", "offset"],
    #  "stats": {...}}
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..core import PortSpec, ProcessorDescriptor, ProcessorState
from ..runtime import ProcessorStatistics, Runtime
from ._permissions import FLAGS, Permissions

__all__ = [
    "SETUP_GRACE_S",
    "ConnectionView",
    "PortView",
    "ProcessorView",
    "TypePorts",
    "TypeSummary",
    "connection_views",
    "failure_of",
    "port_view",
    "processor_view",
    "type_ports",
    "type_summary",
    "wait_for_setup",
]

SETUP_GRACE_S = 1.0
"""How long ``add_processor`` and ``start`` wait for a new processor's setup to finish, so
that a setup failing at once (a missing file, a busy device) is in their reply; a slower
setup is reported as ``starting`` and its outcome shows in ``get_stats`` and events."""

_SETTING_UP = frozenset({ProcessorState.ADDED, ProcessorState.STARTING})
_FAILED = frozenset({ProcessorState.FAILED, ProcessorState.BACKING_OFF, ProcessorState.QUARANTINED})


class PortView(BaseModel):
    """A port of a processor type."""

    name: str
    type: str = Field(description="Frame type, e.g. VideoFrame, AudioFrame[2], DataFrame.")
    profile: str | None = Field(None, description="Inputs: latest, fifo or lossless.")
    capacity: int | None = Field(None, description="Inputs: queue depth.")
    description: str = ""


class TypeSummary(BaseModel):
    """A processor type in one line, and whether this server may add it."""

    name: str
    summary: str
    tags: list[str]
    permitted: bool
    missing_permissions: list[str] = Field(
        description="Flags `streamlib mcp` must be restarted with to permit it."
    )


class TypePorts(BaseModel):
    """A processor type's ports and what it reaches."""

    inputs: list[PortView]
    outputs: list[PortView]
    capabilities: list[str] = Field(description="What it reaches outside the process.")


class ProcessorView(BaseModel):
    """One processor in the pipeline."""

    id: str
    type: str
    state: str = Field(description="added, starting, running, paused, backing_off, failed...")
    error: str | None = Field(
        None, description="Why it failed (state failed or backing_off), else null."
    )
    config: dict[str, Any]
    inputs: list[str]
    outputs: list[str]
    live_fields: list[str] = Field(description="Config fields set_config may change while running.")
    stats: dict[str, Any] | None = Field(
        None, description="Calls, frames in/out, fps, process time, errors, last error."
    )


class ConnectionView(BaseModel):
    """One connection, with its counters."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    from_: str = Field(alias="from", description="The output, 'processor.port'.")
    to: str = Field(description="The input, 'processor.port'.")
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


def type_summary(descriptor: ProcessorDescriptor, permissions: Permissions) -> TypeSummary:
    missing = permissions.missing(descriptor.processor_class)
    return TypeSummary(
        name=descriptor.name,
        summary=descriptor.summary,
        tags=list(descriptor.tags),
        permitted=not missing,
        missing_permissions=[FLAGS[name] for name in missing],
    )


def type_ports(descriptor: ProcessorDescriptor) -> TypePorts:
    return TypePorts(
        inputs=[port_view(p) for p in descriptor.inputs],
        outputs=[port_view(p) for p in descriptor.outputs],
        capabilities=list(descriptor.capabilities),
    )


def wait_for_setup(
    runtime: Runtime, processor_ids: Iterable[str], timeout_s: float = SETUP_GRACE_S
) -> None:
    """Wait (up to ``timeout_s``) while a running pipeline sets ``processor_ids`` up, so the
    reply shows whether their setup worked. Returns at once when the pipeline is not running."""
    if runtime.state.value != "running":
        return
    pending = list(processor_ids)
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if runtime.processor_state(pid) in _SETTING_UP]
        if pending:
            time.sleep(0.005)


def failure_of(runtime: Runtime, processor_id: str) -> str | None:
    """Why ``processor_id`` failed or is backing off (its last error), else ``None``."""
    if runtime.processor_state(processor_id) not in _FAILED:
        return None
    stats = runtime.statistics().processors.get(processor_id)
    return None if stats is None else stats.last_error


def processor_view(
    runtime: Runtime,
    processor_id: str,
    stats: ProcessorStatistics | None = None,
) -> ProcessorView:
    processor = runtime.processor(processor_id)
    state = runtime.processor_state(processor_id)
    error = None
    if state in _FAILED:
        error = stats.last_error if stats is not None else failure_of(runtime, processor_id)
    return ProcessorView(
        id=processor_id,
        type=processor.type_name,
        state=state.value,
        error=error,
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
                from_=str(edge.source),
                to=str(edge.target),
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
