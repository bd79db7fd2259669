"""Typed events the runtime publishes, and the topics they go to.

Runtime-wide events go to the ``runtime`` topic; a processor's own lifecycle to
``processor:<id>``. Every event has ``topic``, ``kind`` and ``timestamp_ns``, and
``to_dict()`` for the CLI, logs and agents.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

__all__ = [
    "RUNTIME_TOPIC",
    "ConnectionCreated",
    "ConnectionRemoved",
    "CustomEvent",
    "ErrorAction",
    "ErrorPhase",
    "Event",
    "ProcessorAdded",
    "ProcessorEnded",
    "ProcessorErrored",
    "ProcessorRemoved",
    "ProcessorStarted",
    "ProcessorState",
    "ProcessorStateChanged",
    "ProcessorStopped",
    "RuntimePaused",
    "RuntimeResumed",
    "RuntimeStarted",
    "RuntimeStopped",
    "RuntimeWarned",
    "WorkersRegrouped",
    "processor_topic",
]

RUNTIME_TOPIC = "runtime"


def processor_topic(processor_id: str) -> str:
    """The topic of one processor's own events: ``processor:<id>``."""
    return f"processor:{processor_id}"


ErrorPhase = Literal["setup", "process", "config", "end_of_stream", "teardown"]
"""Where in its lifecycle a processor raised."""

ErrorAction = Literal["restart", "stop", "raise"]
"""What the error policy did about it: restart after a back-off, stop the processor,
or stop the runtime and raise from ``run()``."""


class ProcessorState(enum.Enum):
    """Where a processor is in its lifecycle."""

    ADDED = "added"  # in the graph, not set up
    STARTING = "starting"  # setup() running
    RUNNING = "running"
    PAUSED = "paused"
    BACKING_OFF = "backing_off"  # failed; waiting to restart
    STOPPED = "stopped"  # torn down (by stop, removal or the STOP policy)
    FAILED = "failed"  # stopped by an error
    QUARANTINED = "quarantined"  # its thread is stuck in a call; never run again


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of all events."""

    kind: ClassVar[str] = "event"
    timestamp_ns: int = 0

    @property
    def topic(self) -> str:
        return RUNTIME_TOPIC

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "topic": self.topic}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            data[item.name] = value.value if isinstance(value, enum.Enum) else value
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeStarted(Event):
    kind: ClassVar[str] = "runtime_started"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimePaused(Event):
    kind: ClassVar[str] = "runtime_paused"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeResumed(Event):
    kind: ClassVar[str] = "runtime_resumed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeStopped(Event):
    kind: ClassVar[str] = "runtime_stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeWarned(Event):
    """Something the runtime could not do as asked, but worked around."""

    kind: ClassVar[str] = "runtime_warned"
    message: str
    processor_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkersRegrouped(Event):
    """Measured fusion moved processors between worker threads (``fuse="auto"``):
    a saturated chain was split, or a calm one joined again. ``groups`` are the
    worker groups now, each a tuple of processor ids in graph order."""

    kind: ClassVar[str] = "workers_regrouped"
    reason: str
    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorAdded(Event):
    kind: ClassVar[str] = "processor_added"
    processor_id: str
    type_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorRemoved(Event):
    kind: ClassVar[str] = "processor_removed"
    processor_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _ProcessorEvent(Event):
    processor_id: str

    @property
    def topic(self) -> str:
        return processor_topic(self.processor_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorStarted(_ProcessorEvent):
    kind: ClassVar[str] = "processor_started"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorStopped(_ProcessorEvent):
    kind: ClassVar[str] = "processor_stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorErrored(_ProcessorEvent):
    """A processor raised. ``action`` says what the error policy did about it."""

    kind: ClassVar[str] = "processor_errored"
    error_type: str
    message: str
    phase: ErrorPhase
    action: ErrorAction
    restart_in_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorEnded(_ProcessorEvent):
    """A processor ended its stream: it ran out (a source) or every input ended and it
    flushed what it held. Its consumers see the end after its last frame."""

    kind: ClassVar[str] = "processor_ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorStateChanged(_ProcessorEvent):
    kind: ClassVar[str] = "processor_state_changed"
    old: ProcessorState
    new: ProcessorState


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionCreated(Event):
    kind: ClassVar[str] = "connection_created"
    connection_id: str
    source: str
    target: str
    profile: str
    capacity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionRemoved(Event):
    kind: ClassVar[str] = "connection_removed"
    connection_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomEvent(Event):
    """An event of the application's or a processor's own, on any topic.

    >>> CustomEvent(custom_topic="scene", name="cut", payload={"to": "camera-2"}).topic
    'scene'
    """

    kind: ClassVar[str] = "custom"
    custom_topic: str
    name: str
    payload: Any = field(default=None)

    @property
    def topic(self) -> str:
        return self.custom_topic
