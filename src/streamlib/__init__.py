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
        rt.run(duration=2.0)
        print(rt.statistics().to_json())
"""

from .core import (
    AudioFrame,
    BackpressureTimeout,
    BufferPool,
    ConfigError,
    ConnectionClosedError,
    ConnectionStatistics,
    ConsumerGoneError,
    CycleError,
    DataFrame,
    DeliveryProfile,
    DeviceError,
    ErrorPolicy,
    Event,
    EventBus,
    Frame,
    FrameError,
    Graph,
    GraphError,
    Input,
    ManualClock,
    MediaClock,
    MonotonicClock,
    Output,
    PipelineFileError,
    PixelFormat,
    PortBusyError,
    PortRef,
    PortTypeError,
    Priority,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    ProcessorDescriptor,
    ProcessorError,
    ProcessorId,
    Registry,
    RegistryError,
    RuntimeStateError,
    Scheduling,
    SchedulingMode,
    StreamError,
    UnknownPortError,
    UnknownProcessorError,
    VideoFrame,
    live_field,
    path_field,
)
from .runtime import ProcessorRef, Runtime, RuntimeState, RuntimeStatistics

__version__ = "0.1.0"

__all__ = [
    "AudioFrame",
    "BackpressureTimeout",
    "BufferPool",
    "ConfigError",
    "ConnectionClosedError",
    "ConnectionStatistics",
    "ConsumerGoneError",
    "CycleError",
    "DataFrame",
    "DeliveryProfile",
    "DeviceError",
    "ErrorPolicy",
    "Event",
    "EventBus",
    "Frame",
    "FrameError",
    "Graph",
    "GraphError",
    "Input",
    "ManualClock",
    "MediaClock",
    "MonotonicClock",
    "Output",
    "PipelineFileError",
    "PixelFormat",
    "PortBusyError",
    "PortRef",
    "PortTypeError",
    "Priority",
    "Processor",
    "ProcessorConfig",
    "ProcessorContext",
    "ProcessorDescriptor",
    "ProcessorError",
    "ProcessorId",
    "ProcessorRef",
    "Registry",
    "RegistryError",
    "Runtime",
    "RuntimeState",
    "RuntimeStateError",
    "RuntimeStatistics",
    "Scheduling",
    "SchedulingMode",
    "StreamError",
    "UnknownPortError",
    "UnknownProcessorError",
    "VideoFrame",
    "__version__",
    "live_field",
    "path_field",
]
