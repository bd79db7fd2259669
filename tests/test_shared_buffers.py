"""Producers in a worker process make their frames in loaned shared memory (issue 15).

A worker's runtime runs the isolated processor fused with the :class:`IpcOutlet`
that publishes its output; the outlet lends the channel's shared memory to the
``BufferPool`` of the processor on that thread (``streamlib.ipc.PoolLender``), so
the only copy is the one the processor makes. Most tests build that arrangement
in this process (a fused runtime, the outlet, a subscriber reading the channel),
where the thread and the counters can be seen; the last ones run real workers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

iceoryx2 = pytest.importorskip(
    "iceoryx2", reason="iceoryx2 is not installed (pip install 'streamlib[process]')"
)

import streamlib as sl  # noqa: E402
from runtime_support import WAIT_S  # noqa: E402
from shared_buffers_support import (  # noqa: E402
    SHAPE,
    Numbered,
    PooledAdd,
    RunningSum,
    is_loan,
    numbered,
    running_sums,
)
from streamlib.ipc import FramePublisher, FrameSubscriber, PoolLender  # noqa: E402
from streamlib.processors import Brightness, Collector  # noqa: E402
from streamlib.runtime._isolation._bridges import POOL_LOANS, IpcOutlet  # noqa: E402
from streamlib.runtime._isolation._child import _inlet_batch, _inlet_queue  # noqa: E402

CAPACITY = 8


def channel_name() -> str:
    return f"test-shared-buffers-{uuid.uuid4().hex[:12]}/out"


class ThreadRecordingOutlet(IpcOutlet):
    """The worker's outlet, noting the threads its ``process()`` ran on."""

    def setup(self, ctx: Any) -> None:
        self.threads: set[int] = set()
        super().setup(ctx)

    def process(self) -> None:
        self.threads.add(threading.get_ident())
        super().process()


def received(sub: FrameSubscriber) -> Iterator[sl.VideoFrame]:
    """Each frame until the end of stream; the caller lets go of one before the next,
    so its shared memory goes back to the publisher and later loans reuse it."""
    for _ in range(100_000):
        if sub.ended:
            return
        if sub.wait(timeout_s=WAIT_S):
            frame = sub.receive()
            if frame is not None:
                assert isinstance(frame, sl.VideoFrame)
                yield frame
    raise AssertionError("the stream never ended")


def run_into_outlet(
    producer: sl.Processor,
    *,
    frames: int = 20,
    burst: int = 1,
    also_to: sl.Processor | None = None,
) -> tuple[list[tuple[int, np.ndarray[Any, Any], bool]], ThreadRecordingOutlet]:
    """numbered frames -> ``producer`` -> an outlet, as a worker runs them (fused);
    (frame number, pixels, whether the producer's buffer was a loan) for each frame
    read from the channel, and the outlet."""
    channel = channel_name()
    got: list[tuple[int, np.ndarray[Any, Any], bool]] = []
    with (
        FrameSubscriber(channel, profile="lossless", capacity=CAPACITY) as sub,
        sl.Runtime(fuse=True) as rt,
    ):
        src = rt.add(Numbered, id="src", frames=frames, burst=burst)
        fx = rt.add(producer, id="fx")
        outlet = ThreadRecordingOutlet(channel=channel, profile="lossless", capacity=CAPACITY)
        out = rt.add(outlet, id="outlet")
        rt.connect(src.video, fx.port("video_in"), profile="lossless")
        rt.connect(fx.port("video_out"), out.frames_in, profile="lossless", capacity=4)
        if also_to is not None:
            rt.connect(fx.port("video_out"), rt.add(also_to, id="also").port("video"))
        rt.start()
        for frame in received(sub):
            got.append((frame.frame_number, frame.to_ndarray().copy(), frame.metadata["loan"]))
            del frame
        rt.stop()
    return got, outlet


def test_a_pooled_producer_fused_with_the_outlet_sends_every_frame_without_a_copy() -> None:
    adder = PooledAdd(add=3)
    got, outlet = run_into_outlet(adder, frames=30)

    assert [number for number, _, _ in got] == list(range(30))
    for number, pixels, _ in got:
        np.testing.assert_array_equal(pixels, numbered(number).data + np.uint8(3))
    assert all(loan for _, _, loan in got)
    assert outlet.sent_in_place == 30
    assert adder.pool.lent == 30
    assert adder.pool.allocated == 0  # the pool keeps no loan
    # Loans are made only on the thread that sends them: the outlet's, fused.
    assert adder.threads == outlet.threads
    assert len(outlet.threads) == 1


def test_audio_from_a_pool_goes_in_place_too() -> None:
    channel = channel_name()
    with (
        FrameSubscriber(channel, profile="lossless", capacity=CAPACITY) as sub,
        FramePublisher(channel, profile="lossless", capacity=CAPACITY, max_loans=3) as pub,
    ):
        lender = PoolLender(pub)
        lender.install()
        try:
            pool = sl.BufferPool((256, 2), np.float32)
            for number in range(5):
                samples = pool.acquire()
                samples[...] = number / 10
                frame = sl.AudioFrame(samples, 48_000, frame_number=number)
                del samples
                lender.send(frame)
                del frame
                got = sub.receive()
                assert isinstance(got, sl.AudioFrame)
                np.testing.assert_array_equal(got.data, np.full((256, 2), number / 10, np.float32))
        finally:
            lender.close()
        assert lender.statistics().sent_in_place == 5
        assert pool.lent == 5


@pytest.mark.parametrize("keep", ["array", "view", "frame"])
def test_a_producer_that_keeps_its_last_output_has_it_copied_and_sees_it_unchanged(
    keep: str,
) -> None:
    """Sent in place, its last output would be the subscriber's memory, reused by a
    later loan once the subscriber lets go; so it is copied, and the sums stay right."""
    got, outlet = run_into_outlet(RunningSum(keep=keep), frames=30)

    assert [number for number, _, _ in got] == list(range(30))
    for (number, pixels, loan), expected in zip(got, running_sums(30), strict=True):
        np.testing.assert_array_equal(pixels, expected, err_msg=f"frame {number}")
        assert loan  # made in shared memory, still
    assert outlet.sent_in_place == 0
    assert outlet._lender is not None
    assert outlet._lender.statistics().copied_while_held == 30


def test_a_kept_loan_is_never_lent_again_while_its_keeper_reads_it() -> None:
    """The hazard itself, step by step on one thread: each frame is read and let go
    before the next loan, so a loan sent in place would come straight back as the
    next buffer, the very memory the filter keeps and reads."""
    channel = channel_name()
    with (
        FrameSubscriber(channel, capacity=CAPACITY) as sub,
        FramePublisher(channel, capacity=CAPACITY, max_loans=3) as pub,
    ):
        lender = PoolLender(pub)
        lender.install()
        pool = sl.BufferPool(SHAPE, np.uint8)
        kept: np.ndarray[Any, Any] | None = None
        sums = []
        try:
            for number in range(10):
                out = pool.acquire()
                np.copyto(out, numbered(number).data)
                if kept is not None:
                    out += kept
                kept = out
                frame = sl.VideoFrame(out, "rgb24", frame_number=number)
                del out
                lender.send(frame)
                del frame
                got = sub.receive()
                assert got is not None
                sums.append(got.to_ndarray().copy())
                del got  # its memory goes back to the publisher now
        finally:
            lender.close()
    for number, (got_sum, expected) in enumerate(zip(sums, running_sums(10), strict=True)):
        np.testing.assert_array_equal(got_sum, expected, err_msg=f"frame {number}")
    assert lender.statistics().sent_in_place == 0
    assert lender.statistics().copied_while_held == 10
    assert pool.lent == 10


def test_when_every_loan_is_out_the_pool_uses_its_own_buffers_and_nothing_fails() -> None:
    """Ten frames per call, all queued before the outlet runs: four loans at most are
    out (one more stays free for copies), the rest come from the pool itself."""
    adder = PooledAdd(add=1, copies=10)
    got, outlet = run_into_outlet(adder, frames=6)

    assert len(got) == 60
    for index, (number, pixels, _) in enumerate(got):
        assert number == index // 10
        np.testing.assert_array_equal(pixels, numbered(number).data + np.uint8(1))
    loans = [loan for _, _, loan in got]
    assert loans.count(True) == adder.pool.lent == outlet.sent_in_place
    assert 0 < adder.pool.lent < 60
    assert adder.pool.allocated > 0
    assert outlet._lender is not None
    assert outlet._lender.statistics().refused > 0


def test_an_output_fanned_out_inside_the_worker_is_copied_not_lent() -> None:
    """An output with a second consumer is not fused with the outlet: nothing is lent,
    and the other consumer's frames stay its own."""
    adder = PooledAdd(add=5)
    other = Collector()
    got, outlet = run_into_outlet(adder, frames=10, also_to=other)

    assert [number for number, _, _ in got] == list(range(10))
    for number, pixels, loan in got:
        np.testing.assert_array_equal(pixels, numbered(number).data + np.uint8(5))
        assert not loan
    assert adder.pool.lent == outlet.sent_in_place == 0
    assert [f.frame_number for f in other.received()] == list(range(10))


def test_a_producer_on_another_thread_than_the_outlet_gets_no_loans() -> None:
    class Unfused(PooledAdd):
        fusible = False  # a thread of its own: the outlet cannot be fused behind it

    adder = Unfused(add=2)
    got, outlet = run_into_outlet(adder, frames=10)

    for number, pixels, loan in got:
        np.testing.assert_array_equal(pixels, numbered(number).data + np.uint8(2))
        assert not loan
    assert adder.pool.lent == outlet.sent_in_place == 0
    assert adder.threads.isdisjoint(outlet.threads)


def test_a_lender_lends_only_on_its_thread_and_a_loan_never_sent_goes_back() -> None:
    with FramePublisher(channel_name(), max_loans=3) as pub:
        lender = PoolLender(pub)
        pool = sl.BufferPool(SHAPE, np.uint8)
        elsewhere: list[bool] = []
        lender.install()
        try:
            first = pool.acquire()
            assert is_loan(first)
            thread = threading.Thread(target=lambda: elsewhere.append(is_loan(pool.acquire())))
            thread.start()
            thread.join()
            assert elsewhere == [False]
            second = pool.acquire()
            assert is_loan(second)
            assert pub.loans_out == 2
            assert not is_loan(pool.acquire())  # the last loan is kept for copies
            del first, second  # never sent: back to the publisher
            assert pub.loans_out == 0
            assert is_loan(pool.acquire())
            assert pool.lent == 3
            assert pool.allocated == 1  # its own buffer, free again in between; no loan
        finally:
            lender.close()
        assert not is_loan(pool.acquire())  # closed: the pool is on its own again
        assert pub.loans_out == 0


def test_a_lender_needs_a_loan_to_spare() -> None:
    with (
        FramePublisher(channel_name(), max_loans=1) as pub,
        pytest.raises(sl.ConfigError, match="larger max_loans"),
    ):
        PoolLender(pub)


def test_a_pool_on_a_thread_without_a_lender_is_unchanged() -> None:
    pool = sl.BufferPool(SHAPE, np.uint8, max_buffers=1)
    first = pool.acquire()
    assert first.base is None
    assert not is_loan(first)
    del first
    again = pool.acquire()
    assert pool.allocated == 1
    assert pool.lent == 0
    assert pool.acquire() is not again
    assert pool.misses == 1


@pytest.mark.parametrize("capacity", range(1, 17))
def test_an_inlet_never_holds_more_received_frames_than_its_channel_may_lend(
    capacity: int,
) -> None:
    """A full queue to the member, as many in the member's hands and the batch the
    inlet waits to write stay within the subscriber's borrowing limit (capacity + 4),
    so no frame is copied out of shared memory on its way in; and a batch is never
    larger than what the member's pool may have loans for."""
    queue, batch = _inlet_queue(capacity), _inlet_batch(capacity)
    assert 1 <= batch <= min(capacity, POOL_LOANS)
    assert 2 * queue + batch <= capacity + 4
    # In a named process the members run fused: one frame through all of them at a time.
    assert _inlet_batch(capacity, alone=False) == 1


# -- real worker processes --------------------------------------------------------------


def in_place_hops(rt: sl.Runtime, processor_id: str) -> int:
    """Frames the processor's worker sent back without a copy, from its last stats."""
    stats = rt.processor(processor_id).worker_statistics()
    assert stats is not None
    # The worker sends it with its processor's counters, as it sends hop_drops_in,
    # which the stand-in moves to the process's; this one may move there too.
    where = stats["process"] if "hops_out_in_place" in stats["process"] else stats["processor"]
    count: int = where["hops_out_in_place"]
    return count


@pytest.fixture
def runtime() -> Iterator[sl.Runtime]:
    rt = sl.Runtime()
    try:
        yield rt
    finally:
        rt.close()


def test_an_isolated_pooled_processor_makes_its_frames_in_shared_memory(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    src = rt.add(Numbered, id="src", frames=30)
    fx = rt.add(PooledAdd, id="fx", isolation="process", add=9)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in, profile="lossless")
    rt.connect(fx.video_out, out.video, profile="lossless")

    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED

    frames = rt.processor("out").received()
    assert [f.frame_number for f in frames] == list(range(30))
    for frame in frames:
        np.testing.assert_array_equal(frame.data, numbered(frame.frame_number).data + np.uint8(9))
        assert not frame.data.flags.writeable
    # The worker's pool lent every buffer (its first frame's too): at most 4 frames
    # wait for it, and the outlet sends each one's output before it reads again.
    assert [f.metadata["loan"] for f in frames] == [True] * 30
    assert in_place_hops(rt, "fx") == 30


def test_an_isolated_filter_that_keeps_its_output_still_sends_the_right_frames(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    src = rt.add(Numbered, id="src", frames=30)
    fx = rt.add(RunningSum, id="fx", isolation="process", keep="array")
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in, profile="lossless")
    rt.connect(fx.video_out, out.video, profile="lossless")

    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED

    frames = rt.processor("out").received()
    assert [f.frame_number for f in frames] == list(range(30))
    for frame, expected in zip(frames, running_sums(30), strict=True):
        np.testing.assert_array_equal(frame.data, expected)
    # It reads every frame waiting (up to 4) and keeps only its last output: the others
    # of a call go in place, the kept one is copied.
    assert in_place_hops(rt, "fx") < 30


def test_brightness_in_a_worker_process_sends_the_right_pixels(runtime: sl.Runtime) -> None:
    rt = runtime
    src = rt.add(Numbered, id="src", frames=20)
    fx = rt.add(Brightness, id="fx", isolation="process", gain=1.5, offset=4)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in, profile="lossless")
    rt.connect(fx.video_out, out.video, profile="lossless")

    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED

    frames = rt.processor("out").received()
    assert [f.frame_number for f in frames] == list(range(20))
    for frame in frames:
        source = numbered(frame.frame_number).data.astype(np.float64)
        expected = np.clip(np.rint(source * 1.5 + 4), 0, 255).astype(np.uint8)
        np.testing.assert_array_equal(frame.data, expected)
    assert in_place_hops(rt, "fx") == 20
