"""The producing end of a channel: frames into loaned shared memory, one copy at most."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NoReturn

import numpy as np
from numpy.typing import DTypeLike

from ..core import (
    DEFAULT_WRITE_TIMEOUT_S,
    BackpressureTimeout,
    ConfigError,
    ConnectionClosedError,
    DeliveryProfile,
    Frame,
    FrameError,
    StreamEndedError,
)
from ._iceoryx import (
    CONSUMED_MANY_EVENT,
    END_TAKEN_EVENT,
    SUBSCRIBER_CONNECTED_EVENT,
    SharedMemoryError,
    create_node,
    create_port,
    iceoryx2,
    native_sample_calls,
    open_channel,
    timed_wait,
)
from ._shared import BorrowCount, LoanedBuffer
from ._wire import HEADER_BYTES, MAX_DIMS, OutgoingFrame, describe_frame, dtype_code, end_of_stream

__all__ = ["FramePublisher", "PublisherStatistics"]

# A lossless wait re-checks whether the subscriber is still there this often.
_WAIT_SLICE_S = 0.05
_INITIAL_PAYLOAD_BYTES = 4096

DEFAULT_LINGER_S = 5.0
"""How long ``close()`` after ``end()`` waits for the subscriber to read the end of stream."""


@dataclass(frozen=True, slots=True)
class PublisherStatistics:
    """An immutable snapshot of one publisher's counters."""

    channel: str
    profile: str
    capacity: int
    sent: int
    """Frames sent (end of stream not counted)."""
    sent_in_place: int
    """Of those, frames sent from a loan, with no copy at all."""
    undelivered: int
    """Frames sent while no subscriber was connected: lost (lossless waits instead)."""
    backpressure_waits: int
    """Times a lossless send waited for the subscriber to make room."""
    gpu_downloads: int
    """Frames whose pixels were only in a GPU texture when ``send`` got them: textures
    do not cross processes, so ``send`` downloaded each into an array first."""
    gpu_download_ms: float
    """The time those downloads took, in all, in milliseconds."""
    ended: bool


class FramePublisher:
    """Sends frames on a channel to a :class:`FrameSubscriber` in another process.

    ``send(frame)`` copies the payload once, into shared memory the subscriber
    reads in place. A producer that makes its pixels itself can write them straight
    into shared memory with :meth:`loan` and send without any copy::

        with FramePublisher("run-1/cam.video->fx.video_in", profile="latest", capacity=3) as pub:
            pixels = pub.loan(PixelFormat.RGB24.array_shape(1920, 1080), np.uint8)
            render_into(pixels)
            pub.send(VideoFrame(pixels, "rgb24", timestamp_ns=clock.now_ns()))
            pub.end()

    Delivery follows the profile both ends were opened with: ``latest`` and ``fifo``
    never block (when the subscriber's buffer of ``capacity`` is full, its oldest
    message gives way and the subscriber counts the drop); ``lossless`` waits for
    room (and for a subscriber to connect) up to ``write_timeout_s``, then raises
    :class:`~streamlib.BackpressureTimeout`. One thread uses a publisher at a time.
    """

    def __init__(
        self,
        channel: str,
        *,
        profile: DeliveryProfile | str = DeliveryProfile.FIFO,
        capacity: int = 8,
        max_loans: int = 2,
        max_borrowed: int | None = None,
        initial_payload_bytes: int = _INITIAL_PAYLOAD_BYTES,
        write_timeout_s: float = DEFAULT_WRITE_TIMEOUT_S,
        domain: str | None = None,
    ) -> None:
        """Open (or create) ``channel``'s publishing end.

        ``profile``, ``capacity`` and ``max_borrowed`` must match the subscriber's
        (``max_borrowed`` defaults to ``capacity + 4`` on both ends).
        ``max_loans`` is how many :meth:`loan` buffers may be out at once;
        ``initial_payload_bytes`` sizes the first shared-memory segment (it grows
        by powers of two when a bigger frame comes). ``domain`` keeps the channel's
        files apart from every other domain's (both ends name the same one; None is
        iceoryx2's default).
        """
        if max_loans < 1:
            raise ConfigError(f"max_loans must be at least 1, got {max_loans}")
        self.channel = channel
        self.profile = DeliveryProfile.parse(profile)
        self.capacity = capacity
        self.max_loans = max_loans
        self.write_timeout_s = write_timeout_s
        iox2 = iceoryx2()
        self.domain = domain
        self._node: Any = create_node("publisher", domain)
        self._services = open_channel(
            self._node,
            channel,
            self.profile,
            capacity,
            capacity + 4 if max_borrowed is None else max_borrowed,
        )
        self._publisher: Any = create_port(
            self._services.frames.publisher_builder()
            .initial_max_slice_len(HEADER_BYTES + max(0, initial_payload_bytes))
            .allocation_strategy(iox2.AllocationStrategy.PowerOfTwo)
            .max_loaned_samples(max_loans),
            "publisher",
            channel,
        )
        self._notifier: Any = create_port(
            self._services.ready.notifier_builder(), "notifier", channel
        )
        self._feedback: Any = create_port(
            self._services.feedback.listener_builder(), "listener", channel
        )
        self._lossless = self.profile is DeliveryProfile.LOSSLESS
        self._loan_slice, self._assume_init = native_sample_calls()
        self._loan_error: type[Exception] = iox2.LoanError
        self._send_error: type[Exception] = iox2.SendError
        self._stream_id = secrets.randbits(64)
        self._sequence = 0
        self._loans = BorrowCount()
        self._in_flight = 0  # lossless: delivered and not yet taken out by the subscriber
        self._sent = 0
        self._sent_in_place = 0
        self._undelivered = 0
        self._waits = 0
        self._gpu_downloads = 0
        self._gpu_download_ns = 0
        self._ended = False
        self._end_taken = False
        self._closed = False
        self._batching = False  # inside batch(): the subscriber is woken at its end
        self._unannounced = False  # sent in a batch, and the subscriber not woken yet

    # -- sending ---------------------------------------------------------------------

    def loan(
        self, shape: tuple[int, ...], dtype: DTypeLike, *, metadata_bytes: int = 1024
    ) -> np.ndarray[Any, Any]:
        """A writable array in shared memory: fill it, make a frame around it, ``send`` it.

        Sending a frame whose array is this whole array sends the shared memory as
        it is, with no copy; ``metadata_bytes`` is room kept for the frame's
        metadata (more than that falls back to a copy, into one more loan). Once sent, the array is
        read-only: the memory belongs to the subscriber. A loan never sent is handed
        back when the array is gone. At most ``max_loans`` may be out at once.
        """
        self._check_open()
        shape = tuple(shape)
        if not 1 <= len(shape) <= MAX_DIMS or any(
            not isinstance(n, int | np.integer) or n < 0 for n in shape
        ):
            raise FrameError(
                f"a loan's shape is 1 to {MAX_DIMS} sizes of 0 or more, got {shape} "
                "(for video, PixelFormat.array_shape(width, height) gives it)"
            )
        dt = np.dtype(dtype)
        dtype_code(dt)  # uint8 pixels or float32 samples
        return self._loan_array(tuple(map(int, shape)), dt, metadata_bytes)

    def _loan_array(
        self, shape: tuple[int, ...], dt: np.dtype[Any], metadata_bytes: int = 1024
    ) -> np.ndarray[Any, Any]:
        """``loan`` without its checks, for a caller that made them already (a
        ``PoolLender``, once per frame: every step on that path costs microseconds)."""
        capacity = math.prod(shape) * dt.itemsize + max(0, metadata_bytes)
        sample = self._loan_sample(HEADER_BYTES + capacity)
        buffer = LoanedBuffer(
            sample,
            self,
            address=sample.payload_ptr + HEADER_BYTES,
            capacity=capacity,
            shape=shape,
            dtype=dt,
            loans=self._loans,
        )
        return np.asarray(buffer)

    @property
    def loans_out(self) -> int:
        """Loaned arrays neither sent nor gone yet (at most ``max_loans``).

        Sending a frame that is not a loan takes one loan for a moment, so whoever
        wants sends to keep working leaves one free."""
        return self._loans.held

    def send(self, frame: Frame, *, in_place: bool = True) -> bool:
        """Send ``frame``: its payload is copied once into shared memory (none from a loan).

        Returns whether it went in place, with no copy. With ``in_place=False`` a
        loaned array is copied too, and its loan stays out with whoever still holds
        the array (for a producer that keeps it).
        ``FrameError`` if it cannot cross a process (metadata that is not JSON);
        ``StreamEndedError`` after :meth:`end`; ``BackpressureTimeout`` when a
        lossless subscriber made no room within ``write_timeout_s``.
        """
        if self._closed or self._ended:
            self._refuse_send()
        outgoing = describe_frame(frame)
        if outgoing.download_ns is not None:  # the frame was only in a GPU texture
            self._gpu_downloads += 1
            self._gpu_download_ns += outgoing.download_ns
        array = outgoing.array
        base: object = None if array is None else array.base
        loaned = (
            self._loan_of(base, outgoing) if in_place and isinstance(base, LoanedBuffer) else None
        )
        if self._lossless:
            self._wait_for_room()
        sample = (
            loaned.take_sample() if loaned is not None else self._loan_sample(outgoing.message_len)
        )
        outgoing.write(
            sample.payload_ptr,
            stream_id=self._stream_id,
            sequence=self._sequence,
            payload_in_place=loaned is not None,
        )
        self._deliver(sample)
        # The rest changes nothing the subscriber reads, so it comes after its wake-up.
        if loaned is not None:
            # The memory is the subscriber's now: the frame's array (outgoing.array)
            # turns read-only, as frame.freeze() would make it.
            assert array is not None
            array.flags.writeable = False
            self._sent_in_place += 1
        self._sent += 1
        return loaned is not None

    def _refuse_send(self) -> NoReturn:
        self._check_open()
        raise StreamEndedError(
            f"channel {self.channel!r} already ended its stream; a publisher sends "
            "nothing after end()"
        )

    def end(self) -> None:
        """Send end of stream after the frames already sent; later sends raise.

        Calling it again does nothing. (``close`` alone does not end the stream:
        a publisher closed by a stop is not a stream that ran out.)
        """
        self._check_open()
        if self._ended:
            return
        if self._lossless:
            self._wait_for_room()
        outgoing = end_of_stream()
        sample = self._loan_sample(outgoing.message_len)
        outgoing.write(sample.payload_ptr, stream_id=self._stream_id, sequence=self._sequence)
        self._deliver(sample)
        self._ended = True

    def _loan_of(self, buffer: LoanedBuffer, outgoing: OutgoingFrame) -> LoanedBuffer | None:
        """``buffer``, when the frame's array is that whole loan of ours and can go in place."""
        if buffer.owner is not self or buffer.sample is None:
            return None
        array = outgoing.array
        assert array is not None
        if not buffer.holds(array):
            return None  # reshaped or retyped: copied like any other array
        if outgoing.trailer and buffer.capacity < array.nbytes + len(outgoing.trailer):
            return None  # more metadata than the loan kept room for
        return buffer

    def _loan_sample(self, size: int) -> Any:
        try:
            return self._loan_slice(self._publisher, size)
        except self._loan_error as error:
            if "ExceedsMaxLoans" in str(error):
                raise SharedMemoryError(
                    f"channel {self.channel!r}: every loan is out (max_loans); send or drop "
                    "a loaned array before loaning another, or open the publisher with "
                    "a larger max_loans"
                ) from None
            raise SharedMemoryError(
                f"channel {self.channel!r}: could not loan {size} bytes of shared memory: {error}"
            ) from None

    @contextmanager
    def batch(self) -> Iterator[FramePublisher]:
        """Send several frames with one wake-up of the subscriber, at the end::

            with publisher.batch():
                for frame in frames:
                    publisher.send(frame)

        Each wake-up is a system call (and a context switch for a subscriber that
        waits), so a producer that has several frames at hand sends them this way.
        A lossless send that must wait for room wakes the subscriber first, so it
        can make that room. Batches do not nest.
        """
        self._batching = True
        try:
            yield self
        finally:
            self._batching = False
            self._announce()

    def _announce(self) -> None:
        """Wake the subscriber for what a batch sent so far."""
        if self._unannounced:
            self._unannounced = False
            self._notifier.notify()

    def _deliver(self, sample: Any) -> None:
        try:
            recipients = self._assume_init(sample).send()
        except self._send_error as error:
            raise SharedMemoryError(f"channel {self.channel!r}: send failed: {error}") from None
        if self._batching:
            self._unannounced = True
        else:
            self._notifier.notify()
        self._sequence += 1
        if recipients == 0:
            self._undelivered += 1
        elif self._lossless:
            self._in_flight += 1

    # -- lossless flow control ---------------------------------------------------------

    def _wait_for_room(self) -> None:
        """Lossless: wait until a subscriber is connected and its buffer has room.

        The subscriber notifies the ``consumed`` event once per message it takes out
        of its buffer; the counts of those notifications are the credits here.
        """
        if not self._lossless:
            return
        # No local for the listener: a kept BackpressureTimeout's traceback would hold
        # it (and its node's shared memory) after close().
        self._take_credits(self._feedback.try_wait())
        if self._has_room():
            return
        self._announce()  # a batch's subscriber must know of what it holds to make room
        self._waits += 1
        deadline = time.monotonic() + self.write_timeout_s
        while not self._has_room():
            left = deadline - time.monotonic()
            if left <= 0:
                raise BackpressureTimeout(
                    f"channel {self.channel!r}: the lossless subscriber made no room in "
                    f"{self.write_timeout_s:g} s ({self._in_flight} of {self.capacity} "
                    "messages unread; is its process alive and reading?)"
                )
            self._take_credits(timed_wait(self._feedback, min(left, _WAIT_SLICE_S), self.channel))

    def _has_room(self) -> bool:
        subscribers = self._services.frames.dynamic_config.number_of_subscribers
        return subscribers > 0 and self._in_flight < self.capacity

    def _take_credits(self, activations: list[Any]) -> None:
        # A subscriber says it connects before its port exists, so no message is in
        # its buffer yet when the count restarts here.
        for activation in activations:
            event = activation.id.as_value
            if event == SUBSCRIBER_CONNECTED_EVENT:
                self._in_flight = 0
            elif event == END_TAKEN_EVENT:
                self._end_taken = True
            else:
                taken = event - CONSUMED_MANY_EVENT if event > CONSUMED_MANY_EVENT else 1
                self._in_flight = max(0, self._in_flight - taken * activation.count)

    # -- state -------------------------------------------------------------------------

    @property
    def subscriber_count(self) -> int:
        """Subscribers connected now (0 or 1; a crashed one counts until cleaned up)."""
        self._check_open()
        return int(self._services.frames.dynamic_config.number_of_subscribers)

    def wait_for_subscriber(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the subscriber to connect; whether it did.

        Frames sent before it connects are lost (for ``latest`` and ``fifo``), so a
        producer that must not lose its first frames waits here first.
        """
        deadline = time.monotonic() + timeout_s
        while self.subscriber_count == 0:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            # Woken by the subscriber's "connecting" event; the slice re-checks the count
            # in case that event came before this publisher's listener existed.
            self._take_credits(timed_wait(self._feedback, min(left, _WAIT_SLICE_S), self.channel))
        return True

    def statistics(self) -> PublisherStatistics:
        """A snapshot of this publisher's counters."""
        return PublisherStatistics(
            channel=self.channel,
            profile=self.profile.value,
            capacity=self.capacity,
            sent=self._sent,
            sent_in_place=self._sent_in_place,
            undelivered=self._undelivered,
            backpressure_waits=self._waits,
            gpu_downloads=self._gpu_downloads,
            gpu_download_ms=self._gpu_download_ns / 1e6,
            ended=self._ended,
        )

    @property
    def ended(self) -> bool:
        """Whether :meth:`end` was called."""
        return self._ended

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionClosedError(f"the publisher of channel {self.channel!r} was closed")

    def wait_until_end_taken(self, timeout_s: float) -> bool:
        """After :meth:`end`: wait up to ``timeout_s`` for the subscriber to read the end.

        True once it has (so it has read or dropped every frame before it), False on
        timeout or when no subscriber is connected.
        """
        self._check_open()
        if not self._ended:
            raise StreamEndedError(
                f"channel {self.channel!r} has not ended; call end() before waiting for "
                "the subscriber to take the end"
            )
        self._announce()
        deadline = time.monotonic() + timeout_s
        self._take_credits(self._feedback.try_wait())
        while not self._end_taken:
            left = deadline - time.monotonic()
            if left <= 0 or self.subscriber_count == 0:
                return False
            self._take_credits(timed_wait(self._feedback, min(left, _WAIT_SLICE_S), self.channel))
        return True

    def close(self, *, linger_s: float = DEFAULT_LINGER_S) -> None:
        """Release the ports, services and node (their shared memory goes with the last user).

        After :meth:`end`, first waits up to ``linger_s`` for the subscriber to read
        the end of stream: what a closed publisher left unread may be lost to a
        subscriber that never read from it, so a process that ends, closes and exits
        loses nothing. Without ``end`` (a stop, an error) it does not wait. Calling
        it again does nothing.
        """
        if self._closed:
            return
        self._announce()
        if self._ended and linger_s > 0:
            self.wait_until_end_taken(linger_s)
        self._closed = True
        # Dropping the last reference releases each iceoryx2 object at once, in this order.
        self._feedback = None
        self._notifier = None
        self._publisher = None
        self._services = None  # type: ignore[assignment]
        self._node = None

    def __enter__(self) -> FramePublisher:
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
        return f"FramePublisher({self.channel!r}, {self.profile.value}, {state})"
