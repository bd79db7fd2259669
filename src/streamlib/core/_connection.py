"""Connections: the bounded ring between one output and one input.

A connection is written by exactly one producer thread and read by exactly one
consumer thread. Both ends are ``collections.deque`` operations, which are atomic
under the GIL, so the hot path takes no lock another processor could hold.
Frames pass by reference. Drops are not counted on the hot path: they are what
was written and neither delivered nor still queued.

End of stream is a flag the producer sets after its last write, so it can never
overtake a queued frame: the consumer sees the end only once the ring is empty.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._audio_frame import AudioFrame
from ._delivery import DeliveryProfile
from ._errors import (
    BackpressureTimeout,
    ConfigError,
    ConnectionClosedError,
    FrameError,
)
from ._frame import Frame, FrameType
from ._ids import ConnectionId, PortRef
from ._wakeup import Wakeup

__all__ = ["DEFAULT_WRITE_TIMEOUT_S", "Connection", "ConnectionStatistics"]

F = TypeVar("F", bound=Frame)

DEFAULT_WRITE_TIMEOUT_S = 5.0
"""How long a lossless producer waits for room before ``BackpressureTimeout``."""

_SPACE_POLL_S = 0.05  # re-check closed/gone flags this often while waiting for room


@dataclass(frozen=True, slots=True)
class ConnectionStatistics:
    """An immutable snapshot of one connection's counters."""

    id: str
    source: str
    target: str
    profile: str
    capacity: int
    written: int
    delivered: int
    dropped: int
    depth: int
    newest_age_ms: float | None
    """Milliseconds since the newest frame was written; None before the first write."""

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.source,
            "to": self.target,
            "profile": self.profile,
            "capacity": self.capacity,
            "written": self.written,
            "delivered": self.delivered,
            "dropped": self.dropped,
            "depth": self.depth,
            "newest_age_ms": self.newest_age_ms,
        }


class Connection(Generic[F]):
    """One bounded ring from ``source`` (an output) to ``target`` (an input).

    The runtime creates and binds connections; processors only see ports.
    """

    __slots__ = (
        "_producer_waiting",
        "_ring",
        "_space",
        "capacity",
        "closed",
        "consumer_gone",
        "consumer_wakeup",
        "delivered",
        "ended",
        "expected",
        "id",
        "inline_consumer",
        "last_write_ns",
        "on_hold",
        "producer_cannot_wait",
        "producer_paused",
        "profile",
        "refused",
        "refusing",
        "source",
        "target",
        "write_timeout_s",
        "written",
    )

    def __init__(
        self,
        source: PortRef,
        target: PortRef,
        profile: DeliveryProfile,
        capacity: int,
        *,
        write_timeout_s: float = DEFAULT_WRITE_TIMEOUT_S,
    ) -> None:
        if capacity < 1:
            raise ConfigError(f"connection capacity must be at least 1, got {capacity}")
        self.id = ConnectionId.between(source, target)
        self.source = source
        self.target = target
        self.profile = profile
        self.capacity = capacity
        self.write_timeout_s = write_timeout_s
        # Lossless rings are unbounded deques whose bound the producer enforces by
        # waiting; the others drop their oldest item inside deque.append itself.
        lossless = profile is DeliveryProfile.LOSSLESS
        self._ring: deque[F] = deque() if lossless else deque(maxlen=capacity)
        self._space = Wakeup() if lossless else None
        self._producer_waiting = False
        self.written = 0
        self.delivered = 0
        self.last_write_ns = 0
        self.closed = False
        self.ended = False  # the producer sent its last frame
        self.consumer_gone = False
        # A device callback produces (pull mode): it must never block, so a full
        # lossless ring gives the new frame up (counted in ``refused``) instead.
        self.producer_cannot_wait = False
        self.producer_paused = False  # such a producer while the runtime is paused
        self.refusing = False  # consumer_gone or producer_paused: writes are given up
        self.refused = 0
        self.consumer_wakeup: Wakeup | None = None
        # True when the consumer runs on the producer's own worker (a fused
        # chain): it cannot drain while the producer waits, so lossless writes
        # queue past capacity instead of blocking; the worker drains right after.
        self.inline_consumer = False
        # Set while the runtime is paused: a lossless wait then never times out.
        self.on_hold = False
        # The consumer's frame type, where the producer's is less specific (a
        # passthrough, audio of any channel count): then each frame is checked.
        self.expected: FrameType | None = None

    # -- producer side -------------------------------------------------------------

    def push(self, frame: F, now_ns: int) -> None:
        """Queue ``frame`` (by reference) and wake the consumer."""
        if self.closed:
            raise ConnectionClosedError(
                f"connection {self.id} was removed; the output no longer feeds it"
            )
        if self.expected is not None:
            self._check(frame)
        ring = self._ring
        if self._space is not None and len(ring) >= self.capacity and not self.inline_consumer:
            if self.producer_cannot_wait:
                self.refused += 1
                self._give_up_write(now_ns)
                return
            self._wait_for_space()
        if self.refusing:
            # Its consumer failed (or its device producer is paused): the frame is
            # given up, counted as dropped, and the producer and the others carry on.
            self._give_up_write(now_ns)
            return
        ring.append(frame)
        self.written += 1
        self.last_write_ns = now_ns
        wakeup = self.consumer_wakeup
        if wakeup is not None:
            wakeup.unpark()

    def _give_up_write(self, now_ns: int) -> None:
        """Count a write that is given up instead of queued (it shows as dropped)."""
        self.written += 1
        self.last_write_ns = now_ns

    def _check(self, frame: Frame) -> None:
        expected = self.expected
        assert expected is not None
        if not isinstance(frame, expected.frame_class):
            raise FrameError(
                f"{self.target} takes {expected}, but {self.source} sent a "
                f"{type(frame).__name__}; connect it to a matching input"
            )
        channels = expected.channels
        if channels is not None and isinstance(frame, AudioFrame) and frame.channels != channels:
            raise FrameError(
                f"{self.target} takes {expected}, but {self.source} sent {frame.channels}-channel "
                "audio; put an AudioChannelConverter between them"
            )

    def _wait_for_space(self) -> None:
        assert self._space is not None
        deadline = time.monotonic() + self.write_timeout_s
        try:
            while len(self._ring) >= self.capacity:
                if self.closed:
                    raise ConnectionClosedError(
                        f"connection {self.id} was removed while its producer waited for room"
                    )
                if self.refusing:
                    return  # the frame will be given up and counted, not queued
                if self.on_hold:  # paused: the consumer is not slow, just not running
                    deadline = time.monotonic() + self.write_timeout_s
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BackpressureTimeout(
                        f"{self.target.processor} left lossless connection {self.id} full "
                        f"({self.capacity} queued) for {self.write_timeout_s:.1f} s; it is too "
                        "slow for its input: raise the capacity, speed it up, or use 'fifo'"
                    )
                self._producer_waiting = True
                if len(self._ring) < self.capacity:
                    break
                self._space.park(min(remaining, _SPACE_POLL_S))
        finally:
            self._producer_waiting = False

    def end(self) -> None:
        """The producer will write nothing more: end of stream, behind what is queued."""
        self.ended = True
        wakeup = self.consumer_wakeup
        if wakeup is not None:
            wakeup.unpark()

    # -- consumer side -------------------------------------------------------------

    @property
    def at_end(self) -> bool:
        """True once the producer ended and every frame it wrote was taken."""
        # The flag first: the producer sets it after its last write, so an empty
        # ring seen after it is really empty.
        return self.ended and not self._ring

    def pop(self) -> F | None:
        """The oldest queued frame, or None."""
        try:
            frame = self._ring.popleft()
        except IndexError:
            return None
        self.delivered += 1
        if self._producer_waiting:
            self._made_room()
        return frame

    def pop_latest(self) -> F | None:
        """The newest queued frame, discarding (and so counting as dropped) older ones.

        A lossless connection never discards: there it is :meth:`pop` (the oldest),
        so a processor written for live video loses nothing in a file job.
        """
        if self._space is not None:
            return self.pop()
        ring = self._ring
        frame: F | None = None
        try:
            while True:
                frame = ring.popleft()
        except IndexError:
            pass
        if frame is None:
            return None
        self.delivered += 1
        if self._producer_waiting:
            self._made_room()
        return frame

    def pop_all(self) -> list[F]:
        """Every queued frame, oldest first."""
        ring = self._ring
        frames: list[F] = []
        try:
            while True:
                frames.append(ring.popleft())
        except IndexError:
            pass
        self.delivered += len(frames)
        if frames and self._producer_waiting:
            self._made_room()
        return frames

    def discard(self) -> int:
        """Give up every queued frame (counted as dropped, not delivered); how many."""
        ring = self._ring
        given_up = 0
        try:
            while True:
                ring.popleft()
                given_up += 1
        except IndexError:
            pass
        if given_up and self._producer_waiting:
            self._made_room()
        return given_up

    def peek(self) -> F | None:
        """The oldest queued frame without taking it, or None."""
        try:
            return self._ring[0]
        except IndexError:
            return None

    def _made_room(self) -> None:
        assert self._space is not None
        self._space.unpark()

    def __len__(self) -> int:
        return len(self._ring)

    def __iter__(self) -> Iterator[F]:
        return iter(tuple(self._ring))

    # -- runtime side --------------------------------------------------------------

    def close(self) -> None:
        """Refuse further writes and release a producer waiting for room."""
        self.closed = True
        if self._space is not None:
            self._space.unpark()

    def mark_consumer_gone(self, gone: bool = True) -> None:
        """Say that nobody will read (or, again, that someone will).

        While gone, writes are given up and counted as dropped instead of queued,
        so a failed consumer never holds back its producer or its siblings; what was
        already queued is given up (and counted) the same way.
        """
        self.consumer_gone = gone
        self.refusing = gone or self.producer_paused
        if gone:
            self.discard()
            if self._space is not None:
                self._space.unpark()

    def pause_producer(self, paused: bool) -> None:
        """A paused device producer's writes are given up and counted, not queued, so
        the consumer resumes with what comes next, not with what piled up."""
        self.producer_paused = paused
        self.refusing = paused or self.consumer_gone

    @property
    def dropped(self) -> int:
        return max(0, self.written - self.delivered - len(self._ring))

    def statistics(self, now_ns: int | None = None) -> ConnectionStatistics:
        """A snapshot of the counters (``now_ns`` from the runtime clock, for the age)."""
        written, delivered, depth = self.written, self.delivered, len(self._ring)
        age_ms: float | None = None
        if written:
            now = time.monotonic_ns() if now_ns is None else now_ns
            age_ms = max(0, now - self.last_write_ns) / 1e6
        return ConnectionStatistics(
            id=str(self.id),
            source=str(self.source),
            target=str(self.target),
            profile=self.profile.value,
            capacity=self.capacity,
            written=written,
            delivered=delivered,
            dropped=max(0, written - delivered - depth),
            depth=depth,
            newest_age_ms=age_ms,
        )

    def __repr__(self) -> str:
        return f"Connection({self.id}, {self.profile.value}, {len(self._ring)}/{self.capacity})"
