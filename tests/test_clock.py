"""Media clocks: monotonic by default, moved by hand in tests."""

from __future__ import annotations

import threading
import time

import pytest

from streamlib.core import _clock
from streamlib.core._clock import ManualClock, MediaClock, MonotonicClock


def test_exported_names() -> None:
    assert sorted(_clock.__all__) == ["ManualClock", "MediaClock", "MonotonicClock", "NS_PER_S"]


# --- clocks ---------------------------------------------------------------------------


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(MonotonicClock(), MediaClock)
    assert isinstance(ManualClock(), MediaClock)
    assert not isinstance(object(), MediaClock)


def test_monotonic_clock_reads_monotonic_time_and_never_decreases() -> None:
    clock = MonotonicClock()
    before = time.monotonic_ns()
    readings = [clock.now_ns() for _ in range(1000)]
    after = time.monotonic_ns()
    assert all(isinstance(r, int) for r in readings)
    assert readings == sorted(readings)
    assert before <= readings[0] <= readings[-1] <= after


def test_manual_clock_starts_where_told_and_advances() -> None:
    assert ManualClock().now_ns() == 0
    clock = ManualClock(start_ns=1_000)
    assert clock.now_ns() == 1_000
    clock.advance(33_333_333)
    assert clock.now_ns() == 33_334_333
    clock.advance(0)
    assert clock.now_ns() == 33_334_333


def test_manual_clock_refuses_negative_advance() -> None:
    clock = ManualClock(start_ns=500)
    with pytest.raises(ValueError, match="never go backwards"):
        clock.advance(-1)
    assert clock.now_ns() == 500


def test_manual_clock_set_moves_forward_or_stays() -> None:
    clock = ManualClock(start_ns=100)
    clock.set(100)
    assert clock.now_ns() == 100
    clock.set(5_000)
    assert clock.now_ns() == 5_000


def test_manual_clock_set_refuses_going_backwards() -> None:
    clock = ManualClock(start_ns=5_000)
    with pytest.raises(ValueError, match="never go backwards"):
        clock.set(4_999)
    assert clock.now_ns() == 5_000


def test_manual_clock_loses_no_steps_across_threads() -> None:
    clock = ManualClock()
    steps_per_thread = 10_000

    def worker() -> None:
        for _ in range(steps_per_thread):
            clock.advance(1)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now_ns() == 4 * steps_per_thread


def test_clock_reprs() -> None:
    assert repr(MonotonicClock()) == "MonotonicClock()"
    assert repr(ManualClock(7)) == "ManualClock(now_ns=7)"
