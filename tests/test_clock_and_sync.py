"""Tests for media clocks, A/V sync decisions and RTP timestamps."""

from __future__ import annotations

import random
import threading
import time
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamlib.core import _clock, _sync
from streamlib.core._clock import ManualClock, MediaClock, MonotonicClock
from streamlib.core._errors import ConfigError
from streamlib.core._sync import (
    DEFAULT_SYNC_TOLERANCE_MS,
    RtpTimestamper,
    SyncAction,
    are_synchronized,
    av_sync_action,
    rtp_timestamp_diff,
    rtp_timestamp_newer,
    timestamp_delta_ms,
)

MS = 1_000_000  # nanoseconds per millisecond
RTP_MOD = 2**32
u32 = st.integers(min_value=0, max_value=RTP_MOD - 1)


def test_exported_names() -> None:
    assert sorted(_clock.__all__) == ["ManualClock", "MediaClock", "MonotonicClock", "NS_PER_S"]
    assert sorted(_sync.__all__) == [
        "DEFAULT_SYNC_TOLERANCE_MS",
        "RtpTimestamper",
        "SyncAction",
        "are_synchronized",
        "av_sync_action",
        "rtp_timestamp_diff",
        "rtp_timestamp_newer",
        "timestamp_delta_ms",
    ]


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


# --- A/V sync -------------------------------------------------------------------------


def test_timestamp_delta_ms_is_signed() -> None:
    assert timestamp_delta_ms(50 * MS, 20 * MS) == 30.0
    assert timestamp_delta_ms(20 * MS, 50 * MS) == -30.0
    assert timestamp_delta_ms(7, 7) == 0.0
    assert timestamp_delta_ms(1_500_000, 0) == 1.5


def test_default_tolerance_is_about_one_frame_at_60fps() -> None:
    assert DEFAULT_SYNC_TOLERANCE_MS == 16.6


@pytest.mark.parametrize(
    ("offset_ns", "expected"),
    [
        (0, True),
        (16_600_000, True),  # exactly the tolerance counts as in sync
        (-16_600_000, True),
        (16_600_001, False),
        (-16_600_001, False),
        (40 * MS, False),
    ],
)
def test_are_synchronized_tolerance_edges(offset_ns: int, expected: bool) -> None:
    base = 10**12
    assert are_synchronized(base + offset_ns, base) is expected
    assert are_synchronized(base, base + offset_ns) is expected


def test_are_synchronized_custom_tolerance() -> None:
    assert are_synchronized(0, 5 * MS, tolerance_ms=5.0)
    assert not are_synchronized(0, 5 * MS + 1, tolerance_ms=5.0)
    assert are_synchronized(3, 3, tolerance_ms=0.0)
    assert not are_synchronized(3, 4, tolerance_ms=0.0)


@pytest.mark.parametrize("bad", [-0.1, float("nan")])
def test_negative_or_nan_tolerance_is_a_config_error(bad: float) -> None:
    with pytest.raises(ConfigError, match="0 ms or more"):
        are_synchronized(0, 0, tolerance_ms=bad)
    with pytest.raises(ConfigError, match="0 ms or more"):
        av_sync_action(0, 0, tolerance_ms=bad)


def test_sync_action_values() -> None:
    assert SyncAction.NONE.value == "none"
    assert SyncAction.DROP_VIDEO.value == "drop_video"
    assert SyncAction.DUPLICATE_VIDEO.value == "duplicate_video"
    assert SyncAction("drop_video") is SyncAction.DROP_VIDEO


@pytest.mark.parametrize(
    ("video_minus_audio_ns", "expected"),
    [
        (0, SyncAction.NONE),
        (16_600_000, SyncAction.NONE),
        (-16_600_000, SyncAction.NONE),
        (-16_600_001, SyncAction.DROP_VIDEO),  # video behind: drop to catch up
        (-200 * MS, SyncAction.DROP_VIDEO),
        (16_600_001, SyncAction.DUPLICATE_VIDEO),  # video ahead: hold a frame
        (200 * MS, SyncAction.DUPLICATE_VIDEO),
    ],
)
def test_av_sync_action(video_minus_audio_ns: int, expected: SyncAction) -> None:
    audio_ns = 3_600 * 10**9
    assert av_sync_action(audio_ns + video_minus_audio_ns, audio_ns) is expected


def test_av_sync_action_custom_tolerance() -> None:
    assert av_sync_action(0, 40 * MS, tolerance_ms=40.0) is SyncAction.NONE
    assert av_sync_action(0, 40 * MS + 1, tolerance_ms=40.0) is SyncAction.DROP_VIDEO
    assert av_sync_action(40 * MS + 1, 0, tolerance_ms=40.0) is SyncAction.DUPLICATE_VIDEO


@given(
    video_ns=st.integers(min_value=0, max_value=10**15),
    audio_ns=st.integers(min_value=0, max_value=10**15),
)
def test_av_sync_action_agrees_with_are_synchronized(video_ns: int, audio_ns: int) -> None:
    action = av_sync_action(video_ns, audio_ns)
    assert (action is SyncAction.NONE) == are_synchronized(video_ns, audio_ns)
    if action is SyncAction.DROP_VIDEO:
        assert video_ns < audio_ns
    if action is SyncAction.DUPLICATE_VIDEO:
        assert video_ns > audio_ns


# --- RTP timestamps -------------------------------------------------------------------


def test_first_timestamp_anchors_at_base() -> None:
    stamper = RtpTimestamper(90_000, base=1_000)
    anchor_before = stamper.anchor_ns
    assert stamper.rtp_timestamp(5 * 10**9) == 1_000
    assert (anchor_before, stamper.anchor_ns) == (None, 5 * 10**9)
    assert stamper.rtp_timestamp(5 * 10**9) == 1_000


def test_video_and_audio_clock_rates() -> None:
    video = RtpTimestamper.for_video(base=0)
    audio = RtpTimestamper.for_audio(base=0)
    assert video.clock_rate == RtpTimestamper.VIDEO_CLOCK_RATE == 90_000
    assert audio.clock_rate == RtpTimestamper.AUDIO_CLOCK_RATE == 48_000
    video.rtp_timestamp(0)
    audio.rtp_timestamp(0)
    assert video.rtp_timestamp(10**9) == 90_000
    assert audio.rtp_timestamp(10**9) == 48_000
    # 20 ms Opus packet = 960 samples at 48 kHz
    assert audio.rtp_timestamp(10**9 + 20 * MS) == 48_960


def test_rounds_to_the_nearest_tick() -> None:
    stamper = RtpTimestamper(90_000, base=0)  # one tick = 11111.1... ns
    stamper.rtp_timestamp(0)
    assert stamper.rtp_timestamp(5_555) == 0  # 0.49995 tick
    assert stamper.rtp_timestamp(5_556) == 1  # 0.50004 tick
    assert stamper.rtp_timestamp(33_333_333) == 3_000  # 2999.99997 ticks
    # exact ties go to even, as round() does: 1 kHz, 0.5 ms = 0.5 tick
    khz = RtpTimestamper(1_000, base=10)
    khz.rtp_timestamp(0)
    assert khz.rtp_timestamp(500_000) == 10  # 0.5 -> 0
    assert khz.rtp_timestamp(1_500_000) == 12  # 1.5 -> 2
    assert khz.rtp_timestamp(2_500_000) == 12  # 2.5 -> 2
    assert khz.rtp_timestamp(-500_000) == 10  # -0.5 -> 0
    assert khz.rtp_timestamp(-1_500_000) == 8  # -1.5 -> -2


def test_wraps_past_2_pow_32() -> None:
    stamper = RtpTimestamper.for_video(base=RTP_MOD - 1_500)
    stamper.rtp_timestamp(0)
    one_frame = 10**9 // 30
    assert stamper.rtp_timestamp(one_frame) == 1_500  # 2**32 - 1500 + 3000
    assert stamper.rtp_timestamp(one_frame // 2) == 0  # exactly 2**32 wraps to 0


def test_timestamps_before_the_anchor_map_below_base() -> None:
    stamper = RtpTimestamper.for_video(base=10_000)
    stamper.rtp_timestamp(10**9)
    assert stamper.rtp_timestamp(10**9 - 10**9 // 30) == 7_000
    low = RtpTimestamper.for_video(base=1_000)
    low.rtp_timestamp(10**9)
    assert low.rtp_timestamp(10**9 - 10**9 // 30) == RTP_MOD - 2_000  # wrapped below 0
    assert rtp_timestamp_diff(low.rtp_timestamp(10**9 - 10**9 // 30), 1_000) == -3_000


def test_ten_hours_of_30fps_video_has_no_drift() -> None:
    # Frame timestamps as a 30 fps source produces them: floor(i * 1e9 / 30) ns.
    # Each is exactly 3000 ticks after the last at 90 kHz; a float or a rounded
    # per-frame increment would drift by many ticks over 1,080,000 frames.
    base = RTP_MOD - 123_456  # wraps in the first second, then ~0.75 more times
    stamper = RtpTimestamper.for_video(base=base)
    start_ns = 987_654_321_000
    frames = 10 * 3600 * 30
    for i in range(frames):
        t = start_ns + i * 10**9 // 30
        assert stamper.rtp_timestamp(t) == (base + 3_000 * i) % RTP_MOD, f"frame {i}"
    last_ns = start_ns + (frames - 1) * 10**9 // 30
    assert stamper.rtp_timestamp(last_ns) == (base + 3_239_997_000) % RTP_MOD
    assert stamper.rtp_timestamp(start_ns + 10 * 3600 * 10**9) == (base + 3_240_000_000) % RTP_MOD


def test_ten_hours_of_20ms_audio_packets_has_no_drift() -> None:
    stamper = RtpTimestamper.for_audio(base=42)
    packets = 10 * 3600 * 50
    for i in range(0, packets, 997):  # a spread of packets; all share one formula
        assert stamper.rtp_timestamp(i * 20 * MS) == (42 + 960 * i) % RTP_MOD


@given(
    clock_rate=st.integers(min_value=1, max_value=10**6),
    base=u32,
    anchor_ns=st.integers(min_value=-(10**15), max_value=10**15),
    delta_ns=st.integers(min_value=-(10**14), max_value=10**14),
)
def test_rtp_timestamp_matches_exact_rational_rounding(
    clock_rate: int, base: int, anchor_ns: int, delta_ns: int
) -> None:
    stamper = RtpTimestamper(clock_rate, base=base)
    assert stamper.rtp_timestamp(anchor_ns) == base
    expected = (base + round(Fraction(delta_ns * clock_rate, 10**9))) % RTP_MOD
    result = stamper.rtp_timestamp(anchor_ns + delta_ns)
    assert result == expected
    assert 0 <= result < RTP_MOD


def test_random_base_is_in_range_and_reproducible_with_seeded_rng() -> None:
    first = RtpTimestamper.for_video(rng=random.Random(1234))
    second = RtpTimestamper.for_video(rng=random.Random(1234))
    assert first.base == second.base == random.Random(1234).getrandbits(32)
    assert 0 <= first.base < RTP_MOD
    assert first.rtp_timestamp(77) == first.base
    bases = {RtpTimestamper.for_audio(rng=random.Random(seed)).base for seed in range(50)}
    assert all(0 <= b < RTP_MOD for b in bases)
    assert len(bases) > 40


def test_default_random_base_is_in_range_and_varies() -> None:
    bases = {RtpTimestamper(8_000).base for _ in range(20)}
    assert all(0 <= b < RTP_MOD for b in bases)
    assert len(bases) > 1  # 20 draws of 32 bits colliding to one value is ~impossible


def test_explicit_base_wins_over_rng() -> None:
    assert RtpTimestamper(90_000, base=5, rng=random.Random(1)).base == 5


@pytest.mark.parametrize("clock_rate", [0, -90_000])
def test_clock_rate_must_be_positive(clock_rate: int) -> None:
    with pytest.raises(ConfigError, match="clock_rate must be a positive"):
        RtpTimestamper(clock_rate)


@pytest.mark.parametrize("base", [-1, RTP_MOD, RTP_MOD + 5])
def test_base_must_fit_32_bits(base: int) -> None:
    with pytest.raises(ConfigError, match=r"\[0, 2\*\*32\)"):
        RtpTimestamper(90_000, base=base)
    with pytest.raises(ValueError, match="base=None"):  # ConfigError is a ValueError
        RtpTimestamper.for_video(base=base)


def test_boundary_bases_are_accepted() -> None:
    assert RtpTimestamper(90_000, base=0).base == 0
    assert RtpTimestamper(90_000, base=RTP_MOD - 1).base == RTP_MOD - 1


def test_rtp_timestamper_repr() -> None:
    stamper = RtpTimestamper(90_000, base=9)
    assert repr(stamper) == "RtpTimestamper(clock_rate=90000, base=9, anchor_ns=None)"
    stamper.rtp_timestamp(3)
    assert repr(stamper) == "RtpTimestamper(clock_rate=90000, base=9, anchor_ns=3)"


# --- RTP timestamp comparison -----------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (10, 3, 7),
        (3, 10, -7),
        (5, RTP_MOD - 5, 10),  # a wrapped past 2**32
        (RTP_MOD - 5, 5, -10),
        (0, RTP_MOD - 1, 1),
        (RTP_MOD - 1, 0, -1),
        (2**31 - 1, 0, 2**31 - 1),  # largest positive distance
        (2**31, 0, -(2**31)),  # exactly half way: ambiguous, reported as -2**31
        (0, 2**31, -(2**31)),
        (123, 123, 0),
    ],
)
def test_rtp_timestamp_diff(a: int, b: int, expected: int) -> None:
    assert rtp_timestamp_diff(a, b) == expected


def test_rtp_timestamp_newer() -> None:
    assert rtp_timestamp_newer(5, RTP_MOD - 5)
    assert not rtp_timestamp_newer(RTP_MOD - 5, 5)
    assert rtp_timestamp_newer(11, 10)
    assert not rtp_timestamp_newer(10, 10)
    assert not rtp_timestamp_newer(2**31, 0)
    assert not rtp_timestamp_newer(0, 2**31)


@given(a=u32, b=u32)
def test_rtp_timestamp_diff_properties(a: int, b: int) -> None:
    diff = rtp_timestamp_diff(a, b)
    assert -(2**31) <= diff < 2**31
    assert (b + diff) % RTP_MOD == a
    if diff != -(2**31):
        assert rtp_timestamp_diff(b, a) == -diff
        assert rtp_timestamp_newer(a, b) == (diff > 0)
        assert rtp_timestamp_newer(b, a) == (diff < 0)
