"""The consuming end of a channel: frames read in place from shared memory."""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from ..core import (
    AudioFrame,
    ConfigError,
    ConnectionClosedError,
    DataFrame,
    DeliveryProfile,
    Frame,
    FrameError,
    VideoFrame,
)
from ._iceoryx import (
    CONSUMED_EVENT,
    CONSUMED_MANY_EVENT,
    END_TAKEN_EVENT,
    MAX_EVENT_ID,
    SUBSCRIBER_CONNECTED_EVENT,
    SharedMemoryError,
    create_node,
    create_port,
    iceoryx2,
    open_channel,
    timed_wait,
)
from ._shared import BorrowCount, SharedSample
from ._wire import (
    AUDIO_KIND,
    HEADER_BYTES,
    PIXEL_FORMATS,
    TYPESTRS,
    VIDEO_KIND,
    FrameKind,
    Header,
    data_payload,
    metadata_from,
    packet_from,
    read_header,
    read_trailer,
    unknown_code,
)

__all__ = ["FrameSubscriber", "SubscriberStatistics"]

_ARRAY_KINDS = frozenset((VIDEO_KIND, AUDIO_KIND))


@dataclass(frozen=True, slots=True)
class SubscriberStatistics:
    """An immutable snapshot of one subscriber's counters."""

    channel: str
    profile: str
    capacity: int
    received: int
    """Frames handed out by ``receive``/``receive_latest``."""
    dropped: int
    """Frames the publisher sent that never reached this end: overwritten in the full
    buffer, sent before it connected, or skipped by ``receive_latest``."""
    copied: int
    """Frames copied out of shared memory because too many received ones were still held."""
    held: int
    """Received frames still alive now (each keeps its shared memory)."""
    ended: bool


class FrameSubscriber:
    """Receives frames a :class:`FramePublisher` in another process sent on a channel.

    Video and audio arrive as read-only numpy views of the shared memory itself (no
    copy); the frame keeps its iceoryx2 sample alive through the array's ``base``.
    Data frames and packets are small and are copied out::

        with FrameSubscriber("run-1/cam.video->fx.video_in", profile="latest", capacity=3) as sub:
            while not sub.ended:
                if sub.wait(timeout_s=1.0):
                    frame = sub.receive_latest()
                    ...

    End of stream arrives after the last frame: ``receive`` then returns None and
    ``ended`` is True. Drops are counted from gaps in the publisher's sequence
    numbers. One thread uses a subscriber at a time.
    """

    def __init__(
        self,
        channel: str,
        *,
        profile: DeliveryProfile | str = DeliveryProfile.FIFO,
        capacity: int = 8,
        max_borrowed: int | None = None,
        domain: str | None = None,
    ) -> None:
        """Open (or create) ``channel``'s subscribing end.

        ``profile``, ``capacity`` and ``max_borrowed`` must match the publisher's.
        ``max_borrowed`` (default ``capacity + 4``) is how many received frames may
        be held at once in shared memory; past that, frames are copied out.
        ``domain`` must be the publisher's (None: iceoryx2's default).
        """
        self.channel = channel
        self.profile = DeliveryProfile.parse(profile)
        self.capacity = capacity
        self.max_borrowed = capacity + 4 if max_borrowed is None else max_borrowed
        if self.max_borrowed < 2:
            raise ConfigError(f"max_borrowed must be at least 2, got {self.max_borrowed}")
        iceoryx2()
        self.domain = domain
        self._node: Any = create_node("subscriber", domain)
        self._services = open_channel(
            self._node, channel, self.profile, capacity, self.max_borrowed
        )
        self._listener: Any = create_port(
            self._services.ready.listener_builder(), "listener", channel
        )
        self._feedback: Any = create_port(
            self._services.feedback.notifier_builder(), "notifier", channel
        )
        # Before the port exists, so a lossless publisher restarts its count while
        # nothing can be in this subscriber's buffer yet.
        self._feedback.notify_with_custom_event_id(
            iceoryx2().EventId.new(SUBSCRIBER_CONNECTED_EVENT)
        )
        self._consumed_id: Any = iceoryx2().EventId.new(CONSUMED_EVENT)
        self._consumed_many_ids: dict[int, Any] = {}  # by count, made when first used
        self._deferred_error: FrameError | SharedMemoryError | None = None
        self._end_taken_id: Any = iceoryx2().EventId.new(END_TAKEN_EVENT)
        self._receive_error: type[Exception] = iceoryx2().ReceiveError
        self._subscriber: Any = create_port(
            self._services.frames.subscriber_builder(), "subscriber", channel
        )
        self._lossless = self.profile is DeliveryProfile.LOSSLESS
        self._borrows = BorrowCount()
        self._stream_id: int | None = None
        self._expected = 0  # the next sequence number from the current publisher
        self._received = 0
        self._dropped = 0
        self._copied = 0
        self._ended = False
        self._closed = False

    # -- receiving -------------------------------------------------------------------

    def receive(self) -> Frame | None:
        """The oldest frame waiting, or None (none yet, or the stream ended)."""
        if self._closed:
            self._check_open()
        if self._deferred_error is not None:
            self._raise_deferred()
        if self._ended:
            return None
        sample = self._next_sample()
        if sample is None:
            return None
        if self._lossless:
            self._feedback.notify_with_custom_event_id(self._consumed_id)
        frame = self._frame_from(sample)
        if frame is not None:  # None: it was the end of stream
            self._received += 1
        return frame

    def receive_batch(self, limit: int) -> list[Frame]:
        """Up to ``limit`` of the frames waiting, oldest first (none when none waits or
        the stream ended).

        What as many :meth:`receive` calls would return, but a lossless publisher
        hears of them in one event instead of one each (a system call, and a wake-up
        when it waits): the cheaper way to take what a burst left. Every frame
        received stays borrowed while held, so keep ``limit`` below ``max_borrowed``.
        """
        if self._closed:
            self._check_open()
        frames: list[Frame] = []
        taken = 0
        limit = min(limit, MAX_EVENT_ID - CONSUMED_MANY_EVENT)
        self._raise_deferred()
        try:
            while taken < limit and not self._ended:
                sample = self._next_sample()
                if sample is None:
                    break
                taken += 1
                frame = self._frame_from(sample)
                # Let go now: a sample copied out (at the borrow limit) must be back
                # before the next receive, which iceoryx2 refuses past the limit.
                del sample
                if frame is not None:  # None: it was the end of stream
                    frames.append(frame)
        except (FrameError, SharedMemoryError) as error:
            if not frames:
                raise
            self._deferred_error = error  # the frames before it first: none is lost
        finally:  # (a message that failed to decode was taken out too: its credit)
            self._received += len(frames)
            if taken and self._lossless:
                self._feedback.notify_with_custom_event_id(self._consumed_event(taken))
        return frames

    def _raise_deferred(self) -> None:
        """Raise what failed in a batch after the frames before it were returned."""
        error, self._deferred_error = self._deferred_error, None
        if error is not None:
            raise error

    def _next_sample(self) -> Any:
        try:
            return self._subscriber.receive()  # None when nothing waits: no has_samples first
        except self._receive_error as error:
            raise SharedMemoryError(
                f"channel {self.channel!r}: receive failed: {error} "
                f"({self._borrows.held} received frames still held)"
            ) from None

    def _consumed_event(self, count: int) -> Any:
        """The feedback event that says ``count`` messages were taken out."""
        if count == 1:
            return self._consumed_id
        event = self._consumed_many_ids.get(count)
        if event is None:
            event = iceoryx2().EventId.new(CONSUMED_MANY_EVENT + count)
            self._consumed_many_ids[count] = event
        return event

    def receive_latest(self) -> Frame | None:
        """The newest frame waiting, skipping (and counting as dropped) older ones.

        On a ``lossless`` channel nothing is skipped: it is :meth:`receive`.
        """
        if self._lossless:
            return self.receive()
        newest: Frame | None = None
        while True:
            frame = self.receive()
            if frame is None:
                return newest
            if newest is not None:
                self._received -= 1
                self._dropped += 1
            newest = frame

    def wait(self, timeout_s: float) -> bool:
        """Block up to ``timeout_s`` until a frame (or end of stream) is waiting.

        True when something may be waiting (``receive`` can still find nothing after a
        spurious wake-up), False on timeout. It sleeps on an iceoryx2 event the
        publisher signals after each send: no polling.
        """
        if self._closed:
            self._check_open()
        if self._ended or self._subscriber.has_samples():
            return True
        deadline = time.monotonic() + timeout_s
        left = timeout_s
        while left > 0:
            if timed_wait(self._listener, left, self.channel) or self._subscriber.has_samples():
                return True
            # An empty wake-up before the deadline (a signal cut the wait short): wait on.
            left = deadline - time.monotonic()
        return bool(self._subscriber.has_samples())

    def _frame_from(self, sample: Any) -> Frame | None:
        """The frame ``sample`` carries; None for end of stream."""
        address = sample.payload_ptr
        fields = read_header(address, sample.header.number_of_elements)
        # The fields in locals, once: this runs on the consumer's wake-up path, where
        # every extra step costs microseconds (caches are cold after an idle wait).
        (_, kind, dtype_code, ndim, pixel_code, _, stream_id, sequence, timestamp_ns,
         frame_number, sample_rate, dim0, dim1, dim2, dim3, payload_len,
         trailer_len) = fields  # fmt: skip

        # Count the messages between the last one and this one as dropped. A new
        # publisher (the first, or one that replaced a crashed one) starts at 0:
        # whatever it sent before this one never arrived.
        if stream_id != self._stream_id:
            self._stream_id = stream_id
            self._expected = 0
        if sequence > self._expected:
            self._dropped += sequence - self._expected
        self._expected = sequence + 1

        if kind in _ARRAY_KINDS:
            trailer = read_trailer(address, payload_len, trailer_len) if trailer_len else None
            shared = SharedSample(
                sample,
                address + HEADER_BYTES,
                (dim0, dim1, dim2, dim3)[:ndim],
                TYPESTRS.get(dtype_code) or unknown_code("dtype", dtype_code),
                self._borrows,
            )
            array = np.asarray(shared)
            # iceoryx2 refuses a receive while max_borrowed samples are held: at the
            # limit, copy this one out and hand its sample back, so the next receive works.
            if self._borrows.held >= self.max_borrowed:
                array = array.copy()
                array.flags.writeable = False
                del shared
                self._copied += 1
            if kind == VIDEO_KIND:
                return VideoFrame(
                    array,
                    PIXEL_FORMATS.get(pixel_code) or unknown_code("pixel format", pixel_code),
                    timestamp_ns=timestamp_ns,
                    frame_number=frame_number,
                    metadata=metadata_from(trailer) if trailer else None,
                )
            return AudioFrame(
                array,
                sample_rate,
                timestamp_ns=timestamp_ns,
                frame_number=frame_number,
                metadata=metadata_from(trailer) if trailer else None,
            )
        if kind == FrameKind.END_OF_STREAM:
            self._ended = True
            # The publisher's process may wait for this before it exits: a subscriber
            # cannot read what a publisher that is gone left unread.
            self._feedback.notify_with_custom_event_id(self._end_taken_id)
            return None
        if kind == FrameKind.DATA:
            return DataFrame(
                data_payload(address, Header._make(fields)),
                timestamp_ns=timestamp_ns,
                frame_number=frame_number,
                metadata=metadata_from(read_trailer(address, payload_len, trailer_len)),
            )
        if kind == FrameKind.PACKET:
            return packet_from(address, Header._make(fields))
        raise FrameError(f"channel {self.channel!r}: a message of unknown kind {kind} arrived")

    # -- state -------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        """Whether end of stream arrived (after every frame sent before it)."""
        return self._ended

    @property
    def publisher_count(self) -> int:
        """Publishers connected now (0 or 1; a crashed one counts until cleaned up)."""
        self._check_open()
        return int(self._services.frames.dynamic_config.number_of_publishers)

    def statistics(self) -> SubscriberStatistics:
        """A snapshot of this subscriber's counters."""
        return SubscriberStatistics(
            channel=self.channel,
            profile=self.profile.value,
            capacity=self.capacity,
            received=self._received,
            dropped=self._dropped,
            copied=self._copied,
            held=self._borrows.held,
            ended=self._ended,
        )

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionClosedError(f"the subscriber of channel {self.channel!r} was closed")

    def close(self) -> None:
        """Release the ports, services and node.

        Frames already received stay valid: each keeps its own sample (and so its
        shared memory) until it is gone. Calling it again does nothing.
        """
        if self._closed:
            return
        self._closed = True
        self._subscriber = None
        self._feedback = None
        self._listener = None
        self._services = None  # type: ignore[assignment]
        self._node = None

    def __enter__(self) -> FrameSubscriber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "ended" if self._ended else "open"
        return f"FrameSubscriber({self.channel!r}, {self.profile.value}, {state})"
