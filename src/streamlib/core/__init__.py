"""streamlib's core: frames, clocks, timelines, ports, connections, processors, graph, events.

The core imports nothing from the runtime, processors, pipeline files
(``streamlib.pipelines``), CLI or any device or codec library. Users import these
names from ``streamlib`` itself.
"""

from ._audio_frame import AudioFrame
from ._buffer_pool import BufferPool
from ._clock import NS_PER_S, ManualClock, MediaClock, MonotonicClock
from ._color import rgb_to_yuv420, yuv420_to_rgb
from ._config import REACHES, ProcessorConfig, live_field, path_field, reach_field
from ._connection import DEFAULT_WRITE_TIMEOUT_S, Connection, ConnectionStatistics
from ._context import ProcessorContext
from ._data_frame import DataFrame
from ._delivery import DeliveryProfile, default_capacity, default_profile
from ._descriptor import ProcessorDescriptor
from ._encoded_packet import EncodedPacket
from ._errors import (
    BackpressureTimeout,
    CodecError,
    ConfigError,
    ConnectionClosedError,
    CycleError,
    DeviceError,
    FrameError,
    GpuError,
    GraphError,
    NetworkError,
    PermissionDeniedError,
    PipelineFileError,
    PluginError,
    PortBusyError,
    PortTypeError,
    ProcessorError,
    RegistryError,
    RuntimeStateError,
    ShaderError,
    StorageError,
    StreamEndedError,
    StreamError,
    UnknownPortError,
    UnknownProcessorError,
)
from ._event_bus import EventBus, Subscription
from ._events import (
    RUNTIME_TOPIC,
    ConnectionCreated,
    ConnectionRemoved,
    CustomEvent,
    Event,
    ProcessorAdded,
    ProcessorEnded,
    ProcessorErrored,
    ProcessorRemoved,
    ProcessorStarted,
    ProcessorState,
    ProcessorStateChanged,
    ProcessorStopped,
    RuntimePaused,
    RuntimeResumed,
    RuntimeStarted,
    RuntimeStopped,
    RuntimeWarned,
    WorkersRegrouped,
    processor_topic,
)
from ._frame import Frame, FrameType
from ._gpu_texture import GpuTexture, GpuUploader
from ._graph import Edge, Graph
from ._ids import ConnectionId, PortRef, ProcessorId
from ._loopback import host_header_name, is_loopback, loopback_names, origin_name
from ._output_watcher import OutputWatcher
from ._ports import Input, InputPort, Output, OutputPort, PortSpec
from ._processor import CAPABILITIES, Processor
from ._progress import Progress
from ._registry import ENTRY_POINT_GROUP, Registry
from ._requirements import Requirement
from ._sample_clock import SampleClock
from ._scheduling import ErrorPolicy, Priority, RestartBackoff, Scheduling, SchedulingMode
from ._suggest import did_you_mean, did_you_mean_listing
from ._video_frame import PixelFormat, VideoFrame
from ._wakeup import Wakeup

__all__ = [
    "CAPABILITIES",
    "DEFAULT_WRITE_TIMEOUT_S",
    "ENTRY_POINT_GROUP",
    "NS_PER_S",
    "REACHES",
    "RUNTIME_TOPIC",
    "AudioFrame",
    "BackpressureTimeout",
    "BufferPool",
    "CodecError",
    "ConfigError",
    "Connection",
    "ConnectionClosedError",
    "ConnectionCreated",
    "ConnectionId",
    "ConnectionRemoved",
    "ConnectionStatistics",
    "CustomEvent",
    "CycleError",
    "DataFrame",
    "DeliveryProfile",
    "DeviceError",
    "Edge",
    "EncodedPacket",
    "ErrorPolicy",
    "Event",
    "EventBus",
    "Frame",
    "FrameError",
    "FrameType",
    "GpuError",
    "GpuTexture",
    "GpuUploader",
    "Graph",
    "GraphError",
    "Input",
    "InputPort",
    "ManualClock",
    "MediaClock",
    "MonotonicClock",
    "NetworkError",
    "Output",
    "OutputPort",
    "OutputWatcher",
    "PermissionDeniedError",
    "PipelineFileError",
    "PixelFormat",
    "PluginError",
    "PortBusyError",
    "PortRef",
    "PortSpec",
    "PortTypeError",
    "Priority",
    "Processor",
    "ProcessorAdded",
    "ProcessorConfig",
    "ProcessorContext",
    "ProcessorDescriptor",
    "ProcessorEnded",
    "ProcessorError",
    "ProcessorErrored",
    "ProcessorId",
    "ProcessorRemoved",
    "ProcessorStarted",
    "ProcessorState",
    "ProcessorStateChanged",
    "ProcessorStopped",
    "Progress",
    "Registry",
    "RegistryError",
    "Requirement",
    "RestartBackoff",
    "RuntimePaused",
    "RuntimeResumed",
    "RuntimeStarted",
    "RuntimeStateError",
    "RuntimeStopped",
    "RuntimeWarned",
    "SampleClock",
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
    "Wakeup",
    "WorkersRegrouped",
    "default_capacity",
    "default_profile",
    "did_you_mean",
    "did_you_mean_listing",
    "host_header_name",
    "is_loopback",
    "live_field",
    "loopback_names",
    "origin_name",
    "path_field",
    "processor_topic",
    "reach_field",
    "rgb_to_yuv420",
    "yuv420_to_rgb",
]

# Names renamed in the last release, refused with the new name for one release.
_RENAMED = {"RuntimeWarning": "RuntimeWarned"}


def __getattr__(name: str) -> object:
    if name in _RENAMED:
        raise AttributeError(
            f"streamlib.core.{name} was renamed to {_RENAMED[name]} "
            f"(it no longer shadows the builtin); import {_RENAMED[name]} from streamlib"
        )
    raise AttributeError(f"module 'streamlib.core' has no attribute {name!r}")
