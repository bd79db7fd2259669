"""Catch frames flowing out of a port, for snapshots, through the runtime's public API.

A snapshot adds a :class:`SnapshotProbe` to the graph, connects it to the port's
output, waits for what it needs, and removes it again::

    frames = capture(runtime, PortRef.parse("fx.video_out"), want=FrameWant.one(), timeout_s=2)

Why a probe and not a peek into the connection: a consumer on the same thread
(a fused chain) drains its connection right after each write, so the ring is
nearly always empty, and an unconnected output has no ring at all. A probe is
an ordinary consumer, so it sees the next frames whatever the graph looks like.
The cost: while it is attached the output fans out to one more input, so a
fused chain through that output runs on two threads for that moment (the
runtime regroups the workers; no processor is set up again, and connections
keep what they queued).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..core import (
    AudioFrame,
    DeliveryProfile,
    Frame,
    Input,
    PortRef,
    Processor,
    RuntimeStateError,
    UnknownPortError,
)
from ..runtime import Runtime, RuntimeState
from ..testing import FrameLog

__all__ = [
    "FrameWant",
    "SnapshotProbe",
    "attach_probe",
    "capture",
    "detach_probe",
    "require_running",
    "source_of",
]

_PROBE_IDS = itertools.count(1)


@dataclass(frozen=True, slots=True)
class FrameWant:
    """How much to catch: one frame, or audio blocks until ``audio_samples`` arrived."""

    audio_samples: int = 0

    @classmethod
    def one(cls) -> FrameWant:
        return cls()

    def satisfied_by(self, frames: deque[Frame]) -> bool:
        if not frames:
            return False
        newest = frames[-1]
        if not isinstance(newest, AudioFrame) or self.audio_samples <= 0:
            return True
        total = 0
        for frame in reversed(frames):
            if isinstance(frame, AudioFrame):
                total += frame.samples
        return total >= self.audio_samples


class SnapshotProbe(Processor):
    """Keep the frames that reach it, so a snapshot can look at them (internal: never registered).

    Its input takes any frame type; it keeps at most ``keep`` recent frames.
    """

    type_name = "SnapshotProbe"
    tags = ("internal",)

    frames = Input(Frame, profile="fifo", capacity=64, description="Frames to look at.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._kept = FrameLog(256)

    def process(self) -> None:
        batch = self.frames.read_all()
        if batch:
            self._kept.add(batch)

    def wait(self, want: FrameWant, timeout_s: float) -> list[Frame]:
        """The frames kept once ``want`` is met (or all there are when time runs out)."""
        self._kept.wait_until(want.satisfied_by, timeout_s=timeout_s)
        return self._kept.snapshot()


def source_of(runtime: Runtime, port: PortRef) -> PortRef:
    """The output whose frames ``port`` shows: the port itself, or an input's producer."""
    processor = runtime.processor(port.processor)  # UnknownProcessorError with a hint
    if port.port in processor.outputs:
        return port
    if port.port in processor.inputs:
        edge = runtime.graph.producer_of(port)
        if edge is None:
            raise UnknownPortError(
                f"input {port} has no producer, so nothing flows there; connect one, "
                "or take the snapshot at an output"
            )
        return edge.source
    names = [*processor.outputs, *processor.inputs]
    raise UnknownPortError(
        f"{port.processor} ({processor.type_name}) has no port {port.port!r}; "
        + processor.port_hint(port.port, names, what="its ports")
    )


def require_running(runtime: Runtime) -> None:
    """``RuntimeStateError`` unless frames flow (the runtime is running)."""
    if runtime.state is not RuntimeState.RUNNING:
        hint = "resume it" if runtime.state is RuntimeState.PAUSED else "call start"
        raise RuntimeStateError(
            f"the pipeline is {runtime.state.value}, so no frames flow to look at; {hint} first"
        )


def attach_probe(
    runtime: Runtime,
    port: PortRef,
    probe: Processor,
    *,
    prefix: str,
    profile: DeliveryProfile | str | None = None,
    capacity: int | None = None,
) -> tuple[str, PortRef]:
    """Add ``probe`` (an internal consumer with one input, ``frames``) under a fresh id
    starting with ``prefix`` and connect the output behind ``port`` to it.

    Returns the probe's id and the output it listens to; undo with :func:`detach_probe`.
    Nothing stays behind when connecting fails.
    """
    source = source_of(runtime, port)
    probe_id = f"{prefix}{next(_PROBE_IDS)}"
    while probe_id in runtime.graph:  # an agent may have taken the name
        probe_id = f"{prefix}{next(_PROBE_IDS)}"
    runtime.add(probe, id=probe_id)
    try:
        runtime.connect(
            source, PortRef.parse(f"{probe_id}.frames"), profile=profile, capacity=capacity
        )
    except BaseException:
        runtime.remove(probe_id)
        raise
    return probe_id, source


def detach_probe(runtime: Runtime, probe_id: str, probe: Processor | None = None) -> None:
    """Remove a probe added by :func:`attach_probe`; nothing if it is gone already (removed
    with the rest of a pipeline, say), or if ``probe`` is given and another processor
    holds its id by now."""
    if probe_id not in runtime.graph:
        return
    if probe is None or runtime.graph.processor(probe_id) is probe:
        runtime.remove(probe_id)


def capture(runtime: Runtime, port: PortRef, *, want: FrameWant, timeout_s: float) -> list[Frame]:
    """Attach a probe to the output behind ``port``, wait for ``want``, detach it.

    Returns the frames caught (possibly none, when nothing flowed in time).
    Raises ``RuntimeStateError`` unless the runtime is running.
    """
    require_running(runtime)
    probe = SnapshotProbe()
    probe_id, _ = attach_probe(runtime, port, probe, prefix="_snapshot_probe_")
    try:
        return probe.wait(want, timeout_s)
    finally:
        detach_probe(runtime, probe_id)
