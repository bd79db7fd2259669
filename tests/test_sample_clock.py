"""SampleClock: one timeline per audio stream, exact however long it runs."""

from __future__ import annotations

import pytest

from streamlib.core import NS_PER_S, FrameError, SampleClock


def test_blocks_follow_each_other_by_their_sample_count() -> None:
    timeline = SampleClock()
    timeline.start(5_000, 48_000)
    assert [timeline.stamp(480) for _ in range(3)] == [5_000, 10_005_000, 20_005_000]
    assert timeline.samples == 1440
    assert timeline.next_ns == 5_000 + 30_000_000


def test_an_hour_of_blocks_lands_on_the_exact_nanosecond() -> None:
    timeline = SampleClock()
    timeline.start(0, 44_100)
    blocks = 3600 * 100  # 441-sample blocks: 10 ms each, an hour
    for _ in range(blocks):
        last = timeline.stamp(441)
    assert last == (blocks - 1) * 10_000_000
    assert timeline.next_ns == 3600 * NS_PER_S


def test_a_rounded_cursor_would_drift_where_the_timeline_does_not() -> None:
    timeline = SampleClock()
    timeline.start(0, 48_000)
    cursor = 0
    for _ in range(100_000):
        timeline.stamp(7)  # 7 samples: 145833.33 ns, truncated by a cursor each time
        cursor += 7 * NS_PER_S // 48_000
    assert timeline.next_ns == 700_000 * NS_PER_S // 48_000
    assert timeline.next_ns - cursor == 33_333  # a third of a nanosecond per block, lost


def test_a_new_rate_continues_from_where_the_last_block_ended() -> None:
    timeline = SampleClock()
    timeline.follow(48_000, 1_000)  # not started: starts here
    timeline.stamp(48_000)
    timeline.follow(48_000, 99)  # the same rate changes nothing
    assert timeline.next_ns == 1_000 + NS_PER_S
    timeline.follow(44_100)
    assert (timeline.rate, timeline.samples) == (44_100, 0)
    assert timeline.stamp(44_100) == 1_000 + NS_PER_S
    assert timeline.next_ns == 1_000 + 2 * NS_PER_S


def test_reset_forgets_and_start_begins_again() -> None:
    timeline = SampleClock()
    assert not timeline.started
    timeline.start(10, 8_000)
    timeline.stamp(80)
    timeline.reset()
    assert (timeline.started, timeline.rate, timeline.samples, timeline.next_ns) == (False, 0, 0, 0)
    with pytest.raises(FrameError, match="no rate yet"):
        timeline.stamp(1)


@pytest.mark.parametrize("rate", [0, -48_000])
def test_a_rate_must_be_positive(rate: int) -> None:
    with pytest.raises(FrameError, match="must be positive"):
        SampleClock().start(0, rate)


def test_repr_names_the_timeline() -> None:
    timeline = SampleClock()
    timeline.start(1, 48_000)
    assert repr(timeline) == "SampleClock(start_ns=1, rate=48000, samples=0)"
