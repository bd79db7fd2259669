"""Run one processor on given input frames and collect what it writes, without a runtime."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core import (
    Connection,
    DeliveryProfile,
    EventBus,
    Frame,
    MediaClock,
    MonotonicClock,
    PortRef,
    Processor,
    ProcessorConfig,
    ProcessorId,
    UnknownPortError,
)
from ..runtime import MainThreadQueue, RuntimeContext

__all__ = ["run_processor"]

_HARNESS_ID = ProcessorId("under_test")


def run_processor(
    processor: type[Processor] | Processor,
    config: ProcessorConfig | Mapping[str, Any] | None = None,
    *,
    inputs: Mapping[str, Sequence[Frame]] | None = None,
    calls: int | None = None,
    clock: MediaClock | None = None,
    end_of_stream: bool = True,
) -> dict[str, list[Frame]]:
    """Set ``processor`` up, feed it ``inputs``, call ``process``, end the stream, tear
    it down.

    Each input's frames are queued losslessly, then ``process()`` is called
    ``calls`` times (default: once per queued frame, at least once), then, as a
    runtime does once every input has ended, ``on_end_of_stream()`` (an encoder
    writes its delayed packets there; ``end_of_stream=False`` leaves it out, as
    a stop would). Returns every frame written, by output name. Runs on the
    calling thread, with no runtime, so a failing ``process`` raises straight
    into the test. A processor calling ``ctx.request_stop()`` ends the run after
    that call; ``ctx.statistics()`` describes the processor and its harness
    connections::

        packets = run_processor(VideoEncoder, {"codec": "h264"}, inputs={"video": frames})
    """
    instance = processor if isinstance(processor, Processor) else processor(config)
    feeds = dict(inputs or {})
    unknown = [name for name in feeds if name not in instance.inputs]
    if unknown:
        raise UnknownPortError(
            f"{instance.type_name} has no input {unknown[0]!r}; "
            + instance.port_hint(unknown[0], instance.inputs, what="its inputs")
        )
    for name, frames in feeds.items():
        ref = PortRef(_HARNESS_ID, name)
        connection: Connection[Frame] = Connection(
            PortRef(ProcessorId("harness"), "feed"),
            ref,
            DeliveryProfile.LOSSLESS,
            max(1, len(frames)),
        )
        for frame in frames:
            connection.push(frame, 0)
        instance.inputs[name].attach(connection)
    collected: dict[str, Connection[Frame]] = {}
    for name, port in instance.outputs.items():
        sink: Connection[Frame] = Connection(
            PortRef(_HARNESS_ID, name), PortRef(ProcessorId("harness"), "collect"),
            DeliveryProfile.LOSSLESS, 1,
        )  # fmt: skip
        sink.inline_consumer = True  # collected after the run: never make the writer wait
        port.attach(sink)
        collected[name] = sink
    events = EventBus()
    calls_made = 0
    stop_requested = False

    def request_stop() -> None:
        nonlocal stop_requested
        stop_requested = True

    def statistics() -> dict[str, Any]:
        connections = [
            *(port.connection for port in instance.inputs.values()),
            *collected.values(),
        ]
        return {
            "processors": {
                _HARNESS_ID: {
                    "type": instance.type_name,
                    "calls": calls_made,
                    "frames_in": sum(p.frames_in for p in instance.inputs.values()),
                    "frames_out": sum(p.frames_out for p in instance.outputs.values()),
                }
            },
            "connections": [c.statistics().to_dict() for c in connections if c is not None],
        }

    # The queue belongs to the calling thread, so run_on_main calls run inline.
    context = RuntimeContext(
        _HARNESS_ID,
        events,
        clock or MonotonicClock(),
        MainThreadQueue(),
        request_stop=request_stop,
        statistics=statistics,
    )
    instance.setup(context)
    try:
        count = calls if calls is not None else max([1, *(len(f) for f in feeds.values())])
        for _ in range(count):
            if stop_requested:  # the processor asked to end the run (its input ended)
                break
            instance.process()
            calls_made += 1
        if end_of_stream:
            for feed in instance.inputs.values():
                if feed.connection is not None:
                    feed.connection.end()
            instance.on_end_of_stream()
            instance.end_outputs()
    finally:
        instance.teardown()
        events.close()
        for name, output in instance.outputs.items():
            output.detach(collected[name])
        for feed in instance.inputs.values():
            feed.detach()
    return {name: connection.pop_all() for name, connection in collected.items()}
