"""Ports: the typed inputs and outputs a processor declares on its class.

Declare them as class attributes; each processor instance gets its own bound
port under the same name::

    class Invert(sl.Processor):
        video_in = sl.Input(sl.VideoFrame)                  # latest, depth 3
        video_out = sl.Output(sl.VideoFrame)

        def process(self) -> None:
            frame = self.video_in.read_latest()
            if frame is not None:
                self.video_out.write(frame.replace(data=255 - frame.to_ndarray()))

Processors only read and write. The runtime attaches and detaches the
connections behind the ports, at any time, also while the processor runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from ._audio_frame import AudioFrame
from ._connection import Connection
from ._delivery import DeliveryProfile, default_capacity, default_profile
from ._errors import ConfigError, FrameError, StreamEndedError
from ._frame import ArrayFrame, Frame, FrameType
from ._output_watcher import OutputWatcher

__all__ = ["Input", "InputPort", "Output", "OutputPort", "PortSpec"]

F = TypeVar("F", bound=Frame)

# Serialises watch/unwatch (rare: a tap opens or closes); write() never takes it.
_WATCHERS_CHANGING = threading.Lock()


@dataclass(frozen=True, slots=True)
class PortSpec:
    """What a port declaration says: name, frame type and (for inputs) delivery."""

    name: str
    frame_type: FrameType
    is_input: bool
    profile: DeliveryProfile | None = None
    capacity: int | None = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": str(self.frame_type)}
        if self.is_input:
            assert self.profile is not None
            data["profile"] = self.profile.value
            data["capacity"] = self.capacity
        if self.description:
            data["description"] = self.description
        return data


class _PortDeclaration(Generic[F]):
    """Shared by ``Input`` and ``Output``: a class-level declaration."""

    def __init__(self, frame_type: type[F] | FrameType, description: str = "") -> None:
        self.frame_type = FrameType.of(frame_type)
        self.description = description
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class Input(_PortDeclaration[F]):
    """Declare an input port: ``video_in = Input(VideoFrame, profile="latest")``.

    ``profile`` defaults to ``latest`` for video and ``fifo`` otherwise;
    ``capacity`` to the profile's default depth. A connection may override both.
    """

    def __init__(
        self,
        frame_type: type[F] | FrameType,
        *,
        profile: DeliveryProfile | str | None = None,
        capacity: int | None = None,
        description: str = "",
    ) -> None:
        super().__init__(frame_type, description)
        cls = self.frame_type.frame_class
        self.profile = default_profile(cls) if profile is None else DeliveryProfile.parse(profile)
        self.capacity = default_capacity(self.profile, cls) if capacity is None else capacity
        if self.capacity < 1:
            raise ConfigError(f"input capacity must be at least 1, got {self.capacity}")

    def spec(self) -> PortSpec:
        return PortSpec(
            self.name, self.frame_type, True, self.profile, self.capacity, self.description
        )

    def bind(self) -> InputPort[F]:
        return InputPort(self.spec())

    @overload
    def __get__(self, instance: None, owner: type) -> Input[F]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> InputPort[F]: ...
    def __get__(self, instance: object | None, owner: type) -> Input[F] | InputPort[F]:
        # Instances hold their bound port in __dict__, which wins over this
        # non-data descriptor; so this runs only for class access (or before init).
        if instance is None:
            return self
        raise AttributeError(f"port {self.name!r} is bound when the processor is constructed")


class Output(_PortDeclaration[F]):
    """Declare an output port: ``video_out = Output(VideoFrame)``."""

    def spec(self) -> PortSpec:
        return PortSpec(self.name, self.frame_type, False, description=self.description)

    def bind(self) -> OutputPort[F]:
        return OutputPort(self.spec())

    @overload
    def __get__(self, instance: None, owner: type) -> Output[F]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> OutputPort[F]: ...
    def __get__(self, instance: object | None, owner: type) -> Output[F] | OutputPort[F]:
        if instance is None:
            return self
        raise AttributeError(f"port {self.name!r} is bound when the processor is constructed")


class InputPort(Generic[F]):
    """A processor's own end of an input: read what its single producer wrote.

    All reads return immediately; ``None`` (or an empty list) means nothing is
    queued. Reading an unconnected input is allowed and returns nothing.
    """

    __slots__ = ("_connection", "_delivered_before", "spec")

    def __init__(self, spec: PortSpec) -> None:
        self.spec = spec
        self._connection: Connection[F] | None = None
        self._delivered_before = 0  # by connections since detached, for frames_in

    @property
    def name(self) -> str:
        return self.spec.name

    def read_latest(self) -> F | None:
        """The newest frame, skipping (and counting as dropped) any older ones.

        On a ``lossless`` connection nothing is skipped: it returns the oldest
        frame, like :meth:`read` (the runtime calls ``process()`` again while
        frames remain), so an effect written for live video keeps every frame
        of a file.
        """
        connection = self._connection
        return None if connection is None else connection.pop_latest()

    def read(self) -> F | None:
        """The oldest queued frame: call until None to see every frame in order."""
        connection = self._connection
        return None if connection is None else connection.pop()

    def read_all(self) -> list[F]:
        """Every queued frame, oldest first."""
        connection = self._connection
        return [] if connection is None else connection.pop_all()

    def peek(self) -> F | None:
        """The oldest queued frame, left in the queue."""
        connection = self._connection
        return None if connection is None else connection.peek()

    def has_data(self) -> bool:
        connection = self._connection
        return connection is not None and len(connection) > 0

    def is_ended(self) -> bool:
        """True once the producer ended its stream and every frame of it was read.

        An input with no connection is not ended: something may be connected to it.
        """
        connection = self._connection
        return connection is not None and connection.at_end

    def is_connected(self) -> bool:
        return self._connection is not None

    @property
    def connection(self) -> Connection[F] | None:
        """The connection feeding this input (runtime use; processors just read)."""
        return self._connection

    @property
    def frames_in(self) -> int:
        """Frames this input has delivered to the processor, over all its connections."""
        connection = self._connection
        current = 0 if connection is None else connection.delivered
        return self._delivered_before + current

    def attach(self, connection: Connection[F]) -> None:
        """Runtime use: make ``connection`` this input's producer."""
        self._connection = connection

    def detach(self) -> Connection[F] | None:
        """Runtime use: cut the producer off; queued frames are discarded."""
        connection = self._connection
        if connection is not None:
            self._delivered_before += connection.delivered
            self._connection = None
        return connection

    def __repr__(self) -> str:
        return f"InputPort({self.name!r}, {self.spec.frame_type}, {self._connection!r})"


class OutputPort(Generic[F]):
    """A processor's own end of an output: ``write()`` hands a frame to every consumer.

    With several consumers the frame's array is made read-only first, so no
    consumer can change what another sees. With a single consumer it stays
    writable: that consumer may work in place. A frame a watcher keeps (see
    :meth:`watch`) is made read-only too.
    """

    __slots__ = (
        "_channels",
        "_connections",
        "_frame_class",
        "_watchers",
        "ended",
        "frames_out",
        "on_end",
        "spec",
    )

    def __init__(self, spec: PortSpec) -> None:
        self.spec = spec
        self._frame_class = spec.frame_type.frame_class
        self._channels = spec.frame_type.channels
        self._connections: tuple[Connection[F], ...] = ()
        self._watchers: tuple[OutputWatcher, ...] = ()
        self.frames_out = 0
        self.ended = False
        self.on_end: Callable[[], None] | None = None  # the runtime's hook

    @property
    def name(self) -> str:
        return self.spec.name

    def write(self, frame: F) -> None:
        """Send ``frame`` to every connected input (by reference, no copy)."""
        if self.ended:
            raise StreamEndedError(
                f"output {self.name!r} already ended its stream; a processor writes nothing "
                "after end_outputs() (or this port's end())"
            )
        if not isinstance(frame, self._frame_class):
            raise FrameError(
                f"output {self.name!r} carries {self.spec.frame_type}, not {type(frame).__name__}"
            )
        channels = self._channels
        if channels is not None and isinstance(frame, AudioFrame) and frame.channels != channels:
            raise FrameError(
                f"output {self.name!r} carries {self.spec.frame_type}; this block has "
                f"{frame.channels} channels (convert it first)"
            )
        if self._watchers:  # the only cost of watching while nobody watches
            for watcher in self._watchers:
                watcher.offer(frame)  # before the consumers: a kept frame is frozen first
        connections = self._connections
        # Checked per frame, not per port: a generic ``Frame`` output (a tee) carries arrays too.
        if len(connections) > 1 and isinstance(frame, ArrayFrame):
            frame.freeze()
        now_ns = time.monotonic_ns()
        for connection in connections:
            connection.push(frame, now_ns)
        self.frames_out += 1

    def end(self) -> None:
        """End this output's stream: every consumer sees the end after the frames
        already written. Ending twice is harmless."""
        if self.ended:
            return
        self.ended = True
        for connection in self._connections:
            connection.end()
        if self.on_end is not None:
            self.on_end()

    def reopen(self) -> None:
        """Runtime use: a processor set up again starts a new stream."""
        self.ended = False

    def is_connected(self) -> bool:
        """Whether anything takes what it writes: a consumer, or a watcher (a tap, a
        snapshot), so a producer that skips work for an unread output does it then."""
        return bool(self._connections) or bool(self._watchers)

    @property
    def connections(self) -> tuple[Connection[F], ...]:
        return self._connections

    def attach(self, connection: Connection[F]) -> None:
        """Runtime use: add a consumer (a new tuple: a concurrent write sees old or new)."""
        if self.ended:  # connected after the end: the consumer learns it at once
            connection.end()
        self._connections = (*self._connections, connection)

    def detach(self, connection: Connection[F]) -> None:
        """Runtime use: remove a consumer."""
        self._connections = tuple(c for c in self._connections if c is not connection)

    @property
    def watchers(self) -> tuple[OutputWatcher, ...]:
        return self._watchers

    def watch(self, watcher: OutputWatcher) -> None:
        """Offer every frame written from now on to ``watcher`` too (on the writing
        thread, by reference; see :class:`OutputWatcher`). Not a consumer: the graph,
        its connections, fusion and end of stream stay as they are. Safe from any
        thread, while the processor runs."""
        with _WATCHERS_CHANGING:
            if watcher not in self._watchers:
                self._watchers = (*self._watchers, watcher)

    def unwatch(self, watcher: OutputWatcher) -> None:
        """Stop offering frames to ``watcher`` (nothing if it is not watching). A write
        already under way may still offer it one frame."""
        with _WATCHERS_CHANGING:
            self._watchers = tuple(w for w in self._watchers if w is not watcher)

    def __repr__(self) -> str:
        watched = f", {len(self._watchers)} watching" if self._watchers else ""
        return (
            f"OutputPort({self.name!r}, {self.spec.frame_type}, "
            f"{len(self._connections)} out{watched})"
        )
