"""The one exception hierarchy of streamlib.

Every fallible operation raises a subclass of :class:`StreamError` whose message
says what was wrong and what to do about it. Where an error resembles a builtin,
it is also catchable as that builtin::

    StreamError
    ├── ConfigError (ValueError)            invalid processor or runtime configuration
    ├── GraphError (ValueError)             a graph change that would break the graph
    │   ├── UnknownProcessorError (KeyError)
    │   ├── UnknownPortError (KeyError)
    │   ├── PortTypeError (TypeError)       producer and consumer frame types differ
    │   ├── PortBusyError                   the input already has a producer
    │   └── CycleError                      the connection would close a loop
    ├── RegistryError (LookupError)         no processor type of that name
    ├── PipelineFileError (ValueError)      a pipeline file that cannot be read (has .line)
    ├── FrameError (ValueError)             a frame whose data does not match its format
    ├── ConnectionClosedError               write or read on a connection that was removed
    ├── StreamEndedError                    a write on an output that already ended its stream
    ├── BackpressureTimeout (TimeoutError)  a lossless consumer did not make room in time
    ├── RuntimeStateError (RuntimeError)    the operation is not allowed in this state
    ├── PermissionDeniedError (PermissionError)  a capability or path an agent was not granted
    ├── ProcessorError (RuntimeError)       a processor raised; wraps the original
    ├── DeviceError (OSError)               a device is missing or busy (later issues)
    │   └── GpuError                        no usable GPU adapter, or the GPU failed
    ├── ShaderError (ValueError)            a shader (WGSL) that does not compile
    ├── CodecError (ValueError)             media that cannot be decoded, encoded or muxed
    ├── PluginError (OSError)               an audio plugin that cannot be loaded or used
    ├── StorageError (OSError)              a recording that cannot be written: disk full, I/O
    └── NetworkError (ConnectionError)      a peer or server refused, failed or vanished
"""

from __future__ import annotations

__all__ = [
    "BackpressureTimeout",
    "CodecError",
    "ConfigError",
    "ConnectionClosedError",
    "CycleError",
    "DeviceError",
    "FrameError",
    "GpuError",
    "GraphError",
    "NetworkError",
    "PermissionDeniedError",
    "PipelineFileError",
    "PluginError",
    "PortBusyError",
    "PortTypeError",
    "ProcessorError",
    "RegistryError",
    "RuntimeStateError",
    "ShaderError",
    "StorageError",
    "StreamEndedError",
    "StreamError",
    "UnknownPortError",
    "UnknownProcessorError",
]


class StreamError(Exception):
    """Base of every error streamlib raises on purpose."""


class ConfigError(StreamError, ValueError):
    """A configuration did not validate; the message lists each bad field."""


class GraphError(StreamError, ValueError):
    """A graph change was refused; the graph is unchanged."""


class UnknownProcessorError(GraphError, KeyError):
    """No processor with that id is in the graph."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownPortError(GraphError, KeyError):
    """The processor has no port of that name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PortTypeError(GraphError, TypeError):
    """The output's frame type cannot feed the input's frame type."""


class PortBusyError(GraphError):
    """The input already has a producer; disconnect it first."""


class CycleError(GraphError):
    """The connection would close a loop in the graph."""


class RegistryError(StreamError, LookupError):
    """No processor type of that name or tag is registered."""


class PipelineFileError(StreamError, ValueError):
    """A pipeline file could not be read; ``line`` is 1-based where known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = path or "<pipeline>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class FrameError(StreamError, ValueError):
    """Frame data does not match the declared format, size or channel count."""


class ConnectionClosedError(StreamError):
    """The connection was removed from the graph; nothing more passes through it."""


class BackpressureTimeout(StreamError, TimeoutError):  # noqa: N818 - a kind of TimeoutError
    """A lossless consumer kept its queue full for longer than the write timeout."""


class StreamEndedError(StreamError):
    """A write on an output after it ended its stream (``end_outputs()`` or ``end()``)."""


class RuntimeStateError(StreamError, RuntimeError):
    """The runtime is in a state that does not allow this operation."""


class ProcessorError(StreamError, RuntimeError):
    """A processor raised while running; ``processor_id`` names it, ``__cause__`` holds why."""

    def __init__(self, message: str, *, processor_id: str) -> None:
        self.processor_id = processor_id
        super().__init__(message)


class DeviceError(StreamError, OSError):
    """A capture or playback device is missing, busy or failed."""


class PermissionDeniedError(StreamError, PermissionError):
    """What was asked needs a permission that was not granted (the MCP server's flags).

    The message names the capability (``camera``, ``write``...) or the path, and
    the flag that grants it (``--allow-camera``, ``--allow-write DIR``).
    """


class CodecError(StreamError, ValueError):
    """Media data could not be demuxed, decoded, encoded or muxed (corrupt or unsupported).

    The message names the file or stream and where in it (time, byte offset).
    """


class GpuError(DeviceError):
    """No GPU adapter fits the request (the message names those found), or the GPU failed."""


class ShaderError(StreamError, ValueError):
    """A shader did not compile; the message holds the compiler's report with line numbers."""


class PluginError(StreamError, OSError):
    """An audio plugin (CLAP) could not be found, loaded, activated or used.

    The message names the file or plugin id and what was wrong with it: a path
    that does not exist, a file that is not a CLAP bundle, a missing
    ``clap_entry`` symbol, an unknown plugin id or parameter id.
    """


class NetworkError(StreamError, ConnectionError):
    """A network peer or server failed: refused the request, timed out or went away.

    The message names the URL or peer and the status or state seen (a WHIP
    endpoint answering 401 means a wrong bearer token; an ICE failure means no
    candidate pair connected: check ``ice`` and the firewall).
    """


class StorageError(StreamError, OSError):
    """A recording could not be written to its file; ``errno`` and ``filename`` say why and where.

    The message also says what happened to what was already written and what to do.
    """

    def __init__(self, message: str, *, cause: OSError | None = None, filename: str = "") -> None:
        super().__init__(message)
        self.message = message
        if cause is not None:
            self.errno = cause.errno
            self.strerror = cause.strerror
        self.filename = filename

    def __str__(self) -> str:  # OSError would print "[Errno 28] ..." once errno is set
        return self.message
