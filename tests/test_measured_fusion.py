"""Measured fusion: a saturated fused chain is split where its load divides evenly,
a calm cut rejoins only after staying calm, and nothing thrashes."""

from __future__ import annotations

import threading
import time

import streamlib as sl
from runtime_support import EventLog, wait_until
from streamlib.core import ProcessorErrored, ProcessorId, WorkersRegrouped
from streamlib.processors import NullSink, TestPattern
from streamlib.runtime._measured_fusion import MeasuredFusion
from streamlib.runtime._stats import CallTimings

A, B, C, D = (ProcessorId(name) for name in "abcd")


def producer(pid: ProcessorId) -> ProcessorId | None:
    return {B: A, C: B, D: C}.get(pid)


def fusion(*, calm_for_s: float = 5.0, cooldown_s: float = 10.0) -> MeasuredFusion:
    return MeasuredFusion(cores=2, calm_for_s=calm_for_s, cooldown_s=cooldown_s)


def test_a_saturated_chain_is_cut_where_the_load_divides_most_evenly() -> None:
    plan = fusion()
    advice = plan.review(
        [(A, B, C, D)], {A: 0.05, B: 0.45, C: 0.45, D: 0.02}, 0.0, producer_of=producer
    )
    assert advice is not None
    assert advice.cuts == {C}  # a+b = 0.50 | c+d = 0.47
    assert "c moves to a worker of its own" in advice.reason


def test_a_busy_but_cheap_chain_or_a_single_heavy_member_is_left_alone() -> None:
    plan = fusion()
    # Below the saturation mark: fused is cheaper.
    assert plan.review([(A, B)], {A: 0.3, B: 0.3}, 0.0, producer_of=producer) is None
    # One member is the whole load: a cut would leave its side as busy as before.
    assert plan.review([(A, B)], {A: 0.01, B: 0.95}, 1.0, producer_of=producer) is None
    assert plan.cuts == frozenset()


def test_no_cut_when_every_core_already_has_a_busy_thread() -> None:
    plan = fusion()
    groups = [(A, B), (C,), (D,)]
    busy = {A: 0.45, B: 0.45, C: 0.9, D: 0.9}
    assert plan.review(groups, busy, 0.0, producer_of=producer) is None


def test_a_cut_rejoins_only_after_staying_calm_and_cooling_down() -> None:
    plan = fusion()
    assert plan.review([(A, B)], {A: 0.45, B: 0.45}, 0.0, producer_of=producer) is not None
    assert plan.cuts == {B}
    calm = {A: 0.1, B: 0.1}
    # Calm, but not for long enough yet (and still cooling down from the cut).
    for now in (1.0, 4.0, 9.0):
        assert plan.review([(A,), (B,)], calm, now, producer_of=producer) is None
    # A busy moment in between restarts the calm period.
    assert plan.review([(A,), (B,)], {A: 0.3, B: 0.3}, 10.0, producer_of=producer) is None
    assert plan.review([(A,), (B,)], calm, 11.0, producer_of=producer) is None
    advice = plan.review([(A,), (B,)], calm, 16.5, producer_of=producer)
    assert advice is not None
    assert advice.cuts == frozenset()
    assert "share a worker again" in advice.reason


def test_load_between_calm_and_saturated_changes_nothing() -> None:
    plan = fusion()
    plan.review([(A, B)], {A: 0.45, B: 0.45}, 0.0, producer_of=producer)
    for now in range(1, 60):
        between = {A: 0.3, B: 0.3}  # 0.6 together: too busy to rejoin, not saturated
        assert plan.review([(A,), (B,)], between, float(now), producer_of=producer) is None
    assert plan.cuts == {B}


def test_the_same_cut_is_not_made_again_within_the_cooldown() -> None:
    plan = fusion(calm_for_s=0.0, cooldown_s=10.0)
    plan.review([(A, B)], {A: 0.45, B: 0.45}, 0.0, producer_of=producer)
    plan.cuts = frozenset()  # as if it had rejoined at once
    assert plan.review([(A, B)], {A: 0.45, B: 0.45}, 5.0, producer_of=producer) is None
    assert plan.review([(A, B)], {A: 0.45, B: 0.45}, 10.5, producer_of=producer) is not None


def test_reviews_come_at_most_once_per_interval() -> None:
    plan = MeasuredFusion(review_interval_s=1.0)
    assert plan.due(100.0)
    plan.review([], {}, 100.0, producer_of=producer)
    assert not plan.due(100.5)
    assert plan.due(101.0)


def test_busy_fraction_is_cost_times_rate_over_the_last_second() -> None:
    timings = CallTimings()
    now = 10_000_000_000
    for k in range(50):  # 50 calls of 4 ms in the last second: 20 % busy
        timings.record(now - 1_000_000_000 + k * 20_000_000, 4_000_000)
    assert abs(timings.busy_fraction(now) - 0.2) < 0.01
    assert timings.busy_fraction(now + 5_000_000_000) == 0.0  # idle since


def test_busy_fraction_of_a_fast_processor_uses_the_calls_it_kept() -> None:
    timings = CallTimings()
    now = 10_000_000_000
    for k in range(1000):  # 1000 calls of 0.5 ms each ms: 50 % busy, 256 kept
        timings.record(now - 1_000_000_000 + k * 1_000_000, 500_000)
    assert abs(timings.busy_fraction(now) - 0.5) < 0.02


class Heavy(sl.Processor):
    """A stage that holds its thread for 20 ms per frame (sleep: the GIL stays free)."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def process(self) -> None:
        for frame in self.video_in.read_all():
            time.sleep(0.02)
            self.video_out.write(frame)


def test_the_runtime_splits_a_saturated_chain_and_says_so() -> None:
    """A 30 fps source feeding two 20 ms stages fills one thread 120 %: measured fusion
    moves the second stage to a worker of its own, with an event, and the statistics
    show where each processor runs."""
    with sl.Runtime() as rt:
        assert rt.fuse == "auto"
        log = EventLog(rt.events, "runtime")
        src = rt.add(TestPattern, id="src", width=32, height=32, fps=30)
        first = rt.add(Heavy, id="first")
        second = rt.add(Heavy, id="second")
        sink = rt.add(NullSink, id="sink")
        rt.connect(src.video, first.video_in)
        rt.connect(first.video_out, second.video_in)
        rt.connect(second.video_out, sink.video)
        rt.start()
        assert rt.worker_groups() == [("src", "first", "second", "sink")]
        wait_until(lambda: bool(log.of(WorkersRegrouped)), what="a regroup")
        event = log.of(WorkersRegrouped)[0]
        assert "second moves to a worker of its own" in event.reason
        assert event.groups == (("src", "first"), ("second", "sink"))
        stats = rt.statistics().processors
        assert stats["first"].worker != stats["second"].worker
        assert stats["second"].worker == stats["sink"].worker
        wait_until(lambda: rt.statistics().processors["sink"].frames_in > 10, what="frames")
        assert "streamlib-fusion-reviews" in thread_names()
        rt.stop()
        assert "streamlib-fusion-reviews" not in thread_names()
    assert log.of(ProcessorErrored) == []


def thread_names() -> set[str]:
    return {thread.name for thread in threading.enumerate()}


def test_fusion_by_structure_alone_never_reviews() -> None:
    with sl.Runtime(fuse=True) as rt:
        assert rt.fuse is True
        assert rt._workers.fusion is None
