"""Per-processor call timings: the numbers every statistics snapshot is made of."""

from __future__ import annotations

import random

from streamlib.runtime._stats import CallTimings

SECOND_NS = 1_000_000_000


def _timings(calls: int, *, spread_ns: int, now_ns: int, seed: int) -> CallTimings:
    rng = random.Random(seed)
    timings = CallTimings()
    for _ in range(calls):
        timings.record(now_ns - rng.randrange(spread_ns), rng.randrange(1_000, 900_000))
    return timings


def test_the_summaries_of_many_at_once_are_each_ones_own() -> None:
    """``summaries`` (one numpy pass for every full window) gives what ``summary`` gives
    each: full windows of busy and of stalled processors, partial ones and empty ones."""
    now = 50 * SECOND_NS
    all_timings = [
        _timings(300, spread_ns=SECOND_NS // 2, now_ns=now, seed=1),  # every call recent
        _timings(1000, spread_ns=3 * SECOND_NS, now_ns=now, seed=2),  # some older
        _timings(40, spread_ns=SECOND_NS, now_ns=now, seed=3),  # a partial window
        CallTimings(),  # never called
        _timings(256, spread_ns=10 * SECOND_NS, now_ns=now - 20 * SECOND_NS, seed=4),  # stalled
    ]
    one_by_one = [timings.summary(now) for timings in all_timings]
    assert CallTimings.summaries(all_timings, now) == one_by_one
    assert one_by_one[3] == (0.0, None, None)
    assert one_by_one[4][0] == 0.0  # nothing in the last second
    assert CallTimings.summaries([], now) == []
