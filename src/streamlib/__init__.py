"""streamlib: real-time streaming media pipelines.

Processors (sources, transforms, sinks) declare typed ports; a runtime joins them
into a graph and runs it on worker threads, and the graph may change while it
runs::

    import streamlib as sl
    from streamlib.processors import NullSink, TestPattern

    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=640, height=480, fps=30)
        sink = rt.add(NullSink)
        rt.connect(src.video, sink.video)
        rt.run(duration_s=2.0)
        print(rt.statistics().to_dict())

The facade holds what a program using streamlib touches: frames, ports, processors and
their configs, the runtime and its statistics, the errors to catch, and the events a
program acts on (a processor failed, ended or changed state, the runtime warned; its
own ``CustomEvent``).
Everything else stays one level down, so this list stays short enough to read:

- the other lifecycle events (``ProcessorAdded``, ``ConnectionCreated``, ...) are in
  ``streamlib.core``: they only inform, and every event has ``kind`` and ``to_dict()``
  for a listener that logs them all;
- processors are in ``streamlib.processors``, test helpers and fake devices in
  ``streamlib.testing``, devices and lower-level audio in ``streamlib.audio``.
"""

from .core import (
    AudioFrame,
    BackpressureTimeout,
    BufferPool,
    CodecError,
    ConfigError,
    ConnectionClosedError,
    ConnectionStatistics,
    CustomEvent,
    CycleError,
    DataFrame,
    DeliveryProfile,
    DeviceError,
    EncodedPacket,
    ErrorPolicy,
    Event,
    EventBus,
    Frame,
    FrameError,
    GpuError,
    Graph,
    GraphError,
    Input,
    ManualClock,
    MediaClock,
    MonotonicClock,
    NetworkError,
    Output,
    PermissionDeniedError,
    PipelineFileError,
    PixelFormat,
    PluginError,
    PortBusyError,
    PortRef,
    PortTypeError,
    Priority,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    ProcessorDescriptor,
    ProcessorEnded,
    ProcessorError,
    ProcessorErrored,
    ProcessorId,
    ProcessorState,
    ProcessorStateChanged,
    Progress,
    Registry,
    RegistryError,
    RuntimeStateError,
    RuntimeWarned,
    Scheduling,
    SchedulingMode,
    ShaderError,
    StorageError,
    StreamEndedError,
    StreamError,
    Subscription,
    UnknownPortError,
    UnknownProcessorError,
    VideoFrame,
    live_field,
    path_field,
)
from .runtime import (
    ProcessorRef,
    ProcessorStatistics,
    RunOutcome,
    Runtime,
    RuntimeState,
    RuntimeStatistics,
)

__version__ = "0.1.0"

__all__ = [
    "AudioFrame",
    "BackpressureTimeout",
    "BufferPool",
    "CodecError",
    "ConfigError",
    "ConnectionClosedError",
    "ConnectionStatistics",
    "CustomEvent",
    "CycleError",
    "DataFrame",
    "DeliveryProfile",
    "DeviceError",
    "EncodedPacket",
    "ErrorPolicy",
    "Event",
    "EventBus",
    "Frame",
    "FrameError",
    "GpuError",
    "Graph",
    "GraphError",
    "Input",
    "ManualClock",
    "MediaClock",
    "MonotonicClock",
    "NetworkError",
    "Output",
    "PermissionDeniedError",
    "PipelineFileError",
    "PixelFormat",
    "PluginError",
    "PortBusyError",
    "PortRef",
    "PortTypeError",
    "Priority",
    "Processor",
    "ProcessorConfig",
    "ProcessorContext",
    "ProcessorDescriptor",
    "ProcessorEnded",
    "ProcessorError",
    "ProcessorErrored",
    "ProcessorId",
    "ProcessorRef",
    "ProcessorState",
    "ProcessorStateChanged",
    "ProcessorStatistics",
    "Progress",
    "Registry",
    "RegistryError",
    "RunOutcome",
    "Runtime",
    "RuntimeState",
    "RuntimeStateError",
    "RuntimeStatistics",
    "RuntimeWarned",
    "Scheduling",
    "SchedulingMode",
    "ShaderError",
    "StorageError",
    "StreamEndedError",
    "StreamError",
    "Subscription",
    "UnknownPortError",
    "UnknownProcessorError",
    "VideoFrame",
    "__version__",
    "live_field",
    "path_field",
]
