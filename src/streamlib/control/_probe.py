"""Catch frames flowing out of a port, for snapshots, without touching the graph.

A snapshot watches the output behind the port (an :class:`~streamlib.core.OutputPort`
watcher), waits for what it needs, and stops watching::

    frames = capture(runtime, PortRef.parse("fx.video_out"), want=FrameWant.one(), timeout_s=2)

Why a watcher and not a peek into the connection: a consumer on the same thread (a
fused chain) drains its connection right after each write, so the ring is nearly always
empty, and an unconnected output has no ring at all. Why not a consumer in the graph
(as snapshots once were): one more input on the output splits a fused chain onto two
threads while it is attached. A watcher sees every frame the output writes, whatever the
graph looks like, and changes nothing in it: no processor, no connection, no regrouping.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from ..core import (
    AudioFrame,
    Frame,
    OutputPort,
    OutputWatcher,
    PortRef,
    Processor,
    RuntimeStateError,
    StreamError,
    UnknownPortError,
)
from ..runtime import Runtime, RuntimeState

__all__ = ["FrameWant", "capture", "require_running", "source_of", "watched_output"]

_KEPT = 256  # frames a snapshot keeps (the newest), audio blocks mostly


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


def watched_output(runtime: Runtime, port: PortRef) -> tuple[PortRef, Processor, OutputPort[Frame]]:
    """The output whose frames ``port`` shows (see :func:`source_of`), its processor and
    its port object, to watch."""
    source = source_of(runtime, port)
    processor = runtime.processor(source.processor)
    goes_direct = getattr(processor, "goes_direct", None)  # a stand-in for a worker's
    if goes_direct is not None and goes_direct(source.port):
        consumer = ", ".join(str(c.target) for c in processor.outputs[source.port].connections)
        raise StreamError(
            f"{source}'s frames go from its worker process straight to {consumer}'s, "
            "so none pass through this process to show; look at that processor's output "
            "instead, or set STREAMLIB_DIRECT_CHANNELS=0 to route them through here"
        )
    return source, processor, processor.outputs[source.port]


def capture(runtime: Runtime, port: PortRef, *, want: FrameWant, timeout_s: float) -> list[Frame]:
    """Watch the output behind ``port`` until ``want`` is met or ``timeout_s`` passed.

    Returns the frames caught, oldest first (possibly none, when nothing flowed in time).
    Raises ``RuntimeStateError`` unless the runtime is running.
    """
    require_running(runtime)
    _, _, output = watched_output(runtime, port)
    watcher = OutputWatcher.every_frame(_KEPT)
    output.watch(watcher)
    try:
        kept: deque[Frame] = deque(maxlen=_KEPT)
        deadline = time.monotonic() + timeout_s
        while not want.satisfied_by(kept):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            kept.extend(watcher.take(remaining))
        return list(kept)
    finally:
        output.unwatch(watcher)
        watcher.close()
