"""Audio/video synchronisation and RTP timestamps.

All media timestamps here are ``int`` nanoseconds from a
:class:`~streamlib.core._clock.MediaClock`. RTP timestamps are unsigned 32-bit
counters of clock-rate ticks (RFC 3550 section 5.1) that wrap around, so they are
compared with :func:`rtp_timestamp_diff`, never with ``<``.
"""

from __future__ import annotations

import enum
import math
import random
import secrets
from typing import ClassVar, Final, Self

from streamlib.core._errors import ConfigError

__all__ = [
    "DEFAULT_SYNC_TOLERANCE_MS",
    "RtpTimestamper",
    "SyncAction",
    "are_synchronized",
    "av_sync_action",
    "rtp_timestamp_diff",
    "rtp_timestamp_newer",
    "timestamp_delta_ms",
]

DEFAULT_SYNC_TOLERANCE_MS: Final = 16.6
"""How far apart two streams may drift and still count as in sync: about one
frame at 60 fps, and well inside what viewers notice as lip-sync error."""

_NS_PER_SECOND: Final = 1_000_000_000
_RTP_MODULUS: Final = 1 << 32
_RTP_HALF: Final = 1 << 31


def timestamp_delta_ms(a_ns: int, b_ns: int) -> float:
    """Return ``a_ns - b_ns`` in milliseconds; negative when ``a`` is earlier.

    Example::

        >>> timestamp_delta_ms(50_000_000, 20_000_000)
        30.0
    """
    return (a_ns - b_ns) / 1e6


def _check_tolerance(tolerance_ms: float) -> None:
    if not tolerance_ms >= 0:  # also refuses NaN
        raise ConfigError(
            f"sync tolerance must be 0 ms or more, got {tolerance_ms!r}; "
            f"the default is {DEFAULT_SYNC_TOLERANCE_MS} ms"
        )


def are_synchronized(a_ns: int, b_ns: int, tolerance_ms: float = DEFAULT_SYNC_TOLERANCE_MS) -> bool:
    """Return whether two timestamps are at most ``tolerance_ms`` apart (inclusive).

    Raises:
        ConfigError: ``tolerance_ms`` is negative or NaN.

    Example::

        >>> are_synchronized(1_000_000_000, 1_010_000_000)  # 10 ms apart
        True
    """
    _check_tolerance(tolerance_ms)
    return abs(timestamp_delta_ms(a_ns, b_ns)) <= tolerance_ms


class SyncAction(enum.Enum):
    """What to do with the next video frame to keep it in step with audio."""

    NONE = "none"
    """In sync: show the frame as it is."""
    DROP_VIDEO = "drop_video"
    """Video lags audio: drop this frame to catch up."""
    DUPLICATE_VIDEO = "duplicate_video"
    """Video leads audio: show the previous frame again until audio catches up."""


def av_sync_action(
    video_ns: int, audio_ns: int, tolerance_ms: float = DEFAULT_SYNC_TOLERANCE_MS
) -> SyncAction:
    """Decide how to keep video in step with audio, which is the master clock.

    Audio is never dropped or repeated because gaps and repeats are audible;
    video absorbs the drift instead:

    - video *behind* audio by more than ``tolerance_ms`` (its timestamp is
      earlier): :attr:`SyncAction.DROP_VIDEO`, skip the frame to catch up;
    - video *ahead* of audio by more than ``tolerance_ms``:
      :attr:`SyncAction.DUPLICATE_VIDEO`, hold the frame on screen (repeat the
      previous one) until audio catches up;
    - otherwise, including a gap of exactly ``tolerance_ms``:
      :attr:`SyncAction.NONE`.

    Raises:
        ConfigError: ``tolerance_ms`` is negative or NaN.

    Example::

        >>> av_sync_action(video_ns=1_000_000_000, audio_ns=1_040_000_000)
        <SyncAction.DROP_VIDEO: 'drop_video'>
    """
    _check_tolerance(tolerance_ms)
    video_lead_ms = timestamp_delta_ms(video_ns, audio_ns)
    if video_lead_ms < -tolerance_ms:
        return SyncAction.DROP_VIDEO
    if video_lead_ms > tolerance_ms:
        return SyncAction.DUPLICATE_VIDEO
    return SyncAction.NONE


def _round_half_even_div(numerator: int, denominator: int) -> int:
    """Return ``round(numerator / denominator)`` exactly, for ``denominator > 0``."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


class RtpTimestamper:
    """Turns media timestamps (ns) into RTP timestamps for one RTP stream.

    The first call to :meth:`rtp_timestamp` anchors that media time at ``base``;
    every later call returns ``base`` plus the elapsed time in clock-rate ticks,
    modulo 2**32. The tick count is computed from the elapsed nanoseconds with
    integer arithmetic, rounded to the nearest tick (ties to even, as ``round``),
    so there is no drift however long the stream runs. RFC 3550 asks for a random
    ``base``; pass one (or a seeded ``rng``) only for reproducible tests.

    Example::

        stamper = RtpTimestamper.for_video(base=1000)
        stamper.rtp_timestamp(5_000_000_000)  # -> 1000 (anchor)
        stamper.rtp_timestamp(5_033_333_333)  # -> 4000 (one frame at 30 fps later)

    Raises:
        ConfigError: ``clock_rate`` is not positive or ``base`` is outside
            ``[0, 2**32)``.
    """

    VIDEO_CLOCK_RATE: ClassVar[int] = 90_000
    """RTP clock rate for video payloads (RFC 3551)."""
    AUDIO_CLOCK_RATE: ClassVar[int] = 48_000
    """RTP clock rate for Opus audio (RFC 7587)."""

    __slots__ = ("_anchor_ns", "_base", "_clock_rate", "_tick_den", "_tick_num")

    def __init__(
        self, clock_rate: int, *, base: int | None = None, rng: random.Random | None = None
    ) -> None:
        if clock_rate <= 0:
            raise ConfigError(
                f"RTP clock_rate must be a positive number of ticks per second, got "
                f"{clock_rate!r}; use {self.VIDEO_CLOCK_RATE} for video or "
                f"{self.AUDIO_CLOCK_RATE} for Opus audio"
            )
        if base is None:
            base = secrets.randbits(32) if rng is None else rng.getrandbits(32)
        elif not 0 <= base < _RTP_MODULUS:
            raise ConfigError(
                f"RTP base timestamp must be in [0, 2**32), got {base!r}; "
                "leave base=None to get a random one"
            )
        self._clock_rate = clock_rate
        self._base = base
        self._anchor_ns: int | None = None
        # ticks = elapsed_ns * clock_rate / 1e9, kept as a reduced fraction.
        common = math.gcd(clock_rate, _NS_PER_SECOND)
        self._tick_num = clock_rate // common
        self._tick_den = _NS_PER_SECOND // common

    @classmethod
    def for_video(cls, *, base: int | None = None, rng: random.Random | None = None) -> Self:
        """Return a timestamper at the 90 kHz video clock rate."""
        return cls(cls.VIDEO_CLOCK_RATE, base=base, rng=rng)

    @classmethod
    def for_audio(cls, *, base: int | None = None, rng: random.Random | None = None) -> Self:
        """Return a timestamper at the 48 kHz audio clock rate."""
        return cls(cls.AUDIO_CLOCK_RATE, base=base, rng=rng)

    @property
    def clock_rate(self) -> int:
        """RTP ticks per second."""
        return self._clock_rate

    @property
    def base(self) -> int:
        """The RTP timestamp given to the anchor (first) media timestamp."""
        return self._base

    @property
    def anchor_ns(self) -> int | None:
        """The media timestamp that maps to :attr:`base`; ``None`` before the first call."""
        return self._anchor_ns

    def rtp_timestamp(self, timestamp_ns: int) -> int:
        """Return the 32-bit RTP timestamp for a media timestamp in nanoseconds.

        Timestamps earlier than the anchor are allowed (B-frames, late audio);
        they map below :attr:`base`, wrapping modulo 2**32.
        """
        anchor_ns = self._anchor_ns
        if anchor_ns is None:
            self._anchor_ns = anchor_ns = timestamp_ns
        ticks = _round_half_even_div((timestamp_ns - anchor_ns) * self._tick_num, self._tick_den)
        return (self._base + ticks) % _RTP_MODULUS

    def __repr__(self) -> str:
        return (
            f"RtpTimestamper(clock_rate={self._clock_rate}, base={self._base}, "
            f"anchor_ns={self._anchor_ns})"
        )


def rtp_timestamp_diff(a: int, b: int) -> int:
    """Return ``a - b`` for two 32-bit RTP timestamps, allowing for wrap-around.

    The result is in ``[-2**31, 2**31)``: the shortest signed distance on the
    32-bit circle. Inputs are taken modulo 2**32. Two timestamps exactly 2**31
    apart are ambiguous; the result is then ``-2**31``.

    Example::

        >>> rtp_timestamp_diff(5, 2**32 - 5)  # 5 wrapped past 2**32 - 5
        10
    """
    return (a - b + _RTP_HALF) % _RTP_MODULUS - _RTP_HALF


def rtp_timestamp_newer(a: int, b: int) -> bool:
    """Return whether RTP timestamp ``a`` is later than ``b``, allowing for wrap-around.

    Example::

        >>> rtp_timestamp_newer(5, 2**32 - 5)
        True
    """
    return rtp_timestamp_diff(a, b) > 0
