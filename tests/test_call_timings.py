"""Per-processor call timings: the numbers every statistics snapshot is made of."""

from __future__ import annotations

import random

import numpy as np
import pytest

from streamlib.runtime._stats import CallTimings

SECOND_NS = 1_000_000_000


def _timings(calls: int, *, spread_ns: int, now_ns: int, seed: int) -> CallTimings:
    """``calls`` calls started over ``spread_ns`` before ``now_ns``, in order (one
    processor's calls follow each other), with random durations."""
    rng = random.Random(seed)
    timings = CallTimings()
    for start in sorted(now_ns - rng.randrange(spread_ns) for _ in range(calls)):
        timings.record(start, rng.randrange(1_000, 900_000))
    return timings


def _reference(timings: CallTimings, now_ns: int) -> tuple[float, float, float]:
    """The summary as numpy computes it: the same order statistics and rate."""
    n = min(timings.calls, 256)
    durations = np.sort(np.frombuffer(timings._durations, np.int64, n))
    starts = np.frombuffer(timings._starts, np.int64, n)
    low, high = (n - 1) // 2, min(n - 1, round(0.99 * (n - 1)))
    recent = int(np.count_nonzero(starts >= now_ns - SECOND_NS))
    if recent < n:
        fps = float(recent)
    else:
        span = max(now_ns, int(starts.max())) - int(starts.min())
        fps = (n - 1) / (span / 1e9)
    return fps, int(durations[low]) / 1e6, int(durations[high]) / 1e6


@pytest.mark.parametrize(
    ("calls", "spread_s", "age_s"),
    [
        (300, 0.5, 0.0),  # a full window, every call in the last second
        (1000, 3.0, 0.0),  # a full window, some calls older
        (40, 1.0, 0.0),  # a partial window
        (256, 10.0, 20.0),  # stalled: nothing in the last second
    ],
)
def test_the_summary_is_the_order_statistics_and_rate_of_the_calls_kept(
    calls: int, spread_s: float, age_s: float
) -> None:
    now = 50 * SECOND_NS
    timings = _timings(
        calls, spread_ns=int(spread_s * SECOND_NS), now_ns=now - int(age_s * SECOND_NS), seed=calls
    )
    assert timings.summary(now) == pytest.approx(_reference(timings, now))


def test_a_processor_never_called_has_no_percentiles() -> None:
    assert CallTimings().summary(SECOND_NS) == (0.0, None, None)
