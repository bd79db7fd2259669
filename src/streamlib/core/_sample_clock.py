"""The timeline of an audio stream: each block's timestamp from the samples before it.

An audio block starts ``samples / rate`` seconds after the stream's first sample.
:class:`SampleClock` computes that from the running total every time
(``start_ns + samples * NS_PER_S // rate``), in integers, so it is exact to the
nanosecond after hours: a cursor that adds each block's rounded duration instead
drifts by up to a nanosecond per block, and never agrees with a sample count again::

    timeline = SampleClock()
    timeline.start(first.timestamp_ns, 48_000)
    timeline.stamp(480)     # first.timestamp_ns
    timeline.stamp(480)     # first.timestamp_ns + 10 ms
    timeline.follow(44_100) # a new rate continues from where the last block ended

Every audio processor that makes its own blocks (sources, resamplers, rechunkers,
mixers, decoders, plug-in hosts) stamps them with one.
"""

from __future__ import annotations

from ._clock import NS_PER_S
from ._errors import FrameError

__all__ = ["SampleClock"]


class SampleClock:
    """Timestamps of consecutive audio blocks at one sample rate, exact over any length.

    Not started until :meth:`start` (``started`` is false, ``rate`` 0). Not
    thread-safe: one processor owns it; ``samples`` may be read from other threads.
    """

    __slots__ = ("_rate", "_samples", "_start_ns")

    def __init__(self) -> None:
        self._start_ns = 0
        self._rate = 0
        self._samples = 0

    @property
    def started(self) -> bool:
        """Whether :meth:`start` gave the timeline an origin and a rate."""
        return self._rate > 0

    @property
    def rate(self) -> int:
        """Samples per second (0 before :meth:`start`)."""
        return self._rate

    @property
    def samples(self) -> int:
        """Samples stamped since the timeline (or its last rate) started."""
        return self._samples

    @property
    def next_ns(self) -> int:
        """When the next sample plays: where the last stamped block ended."""
        if not self._rate:
            return self._start_ns
        return self._start_ns + self._samples * NS_PER_S // self._rate

    def start(self, start_ns: int, rate: int) -> None:
        """Begin (or begin again) at ``start_ns`` with no samples counted."""
        if rate <= 0:
            raise FrameError(f"a sample rate must be positive, got {rate}")
        self._start_ns = start_ns
        self._rate = rate
        self._samples = 0

    def follow(self, rate: int, start_ns: int = 0) -> None:
        """Make ``rate`` the timeline's rate: a change continues from :attr:`next_ns`;
        before :meth:`start` the timeline starts at ``start_ns``. The same rate changes nothing.
        """
        if rate != self._rate:
            self.start(self.next_ns if self.started else start_ns, rate)

    def stamp(self, samples: int) -> int:
        """The timestamp of a block of ``samples`` samples that follows the last one (counted)."""
        if not self._rate:
            raise FrameError("this sample clock has no rate yet: call start() first")
        timestamp = self._start_ns + self._samples * NS_PER_S // self._rate
        self._samples += samples
        return timestamp

    def reset(self) -> None:
        """Forget the timeline (not started again until :meth:`start`)."""
        self._start_ns = self._rate = self._samples = 0

    def __repr__(self) -> str:
        return f"SampleClock(start_ns={self._start_ns}, rate={self._rate}, samples={self._samples})"
