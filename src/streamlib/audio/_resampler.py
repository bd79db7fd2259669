"""Streaming sample-rate conversion with libsoxr (PyPI ``soxr``), in quality tiers.

::

    resampler = StreamResampler(44_100, 48_000, channels=2, quality="high")
    out = resampler.process(block)          # (n, 2) float32 in, about n * 48000/44100 out
    tail = resampler.flush()                # what the filter still holds, at the end

Quality tiers map to soxr's recipes: ``quick`` (cubic), ``low``, ``medium``,
``high`` (the default), ``very_high``. The filter keeps state between blocks,
so a stream cut into blocks resamples exactly as it would in one piece.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..core import ConfigError

__all__ = ["ResampleQuality", "StreamResampler"]

ResampleQuality = Literal["quick", "low", "medium", "high", "very_high"]

_SOXR_QUALITY = {"quick": "QQ", "low": "LQ", "medium": "MQ", "high": "HQ", "very_high": "VHQ"}


class StreamResampler:
    """One stream's resampler from ``rate_in`` to ``rate_out`` Hz."""

    def __init__(
        self, rate_in: int, rate_out: int, channels: int, quality: ResampleQuality = "high"
    ) -> None:
        try:
            import soxr  # type: ignore[import-untyped]  # ships no type information
        except ImportError:
            raise ConfigError(
                "resampling needs the soxr package: pip install 'streamlib[audio]'"
            ) from None

        if quality not in _SOXR_QUALITY:
            raise ConfigError(
                f"unknown resampling quality {quality!r}; use one of {', '.join(_SOXR_QUALITY)}"
            )
        self.rate_in = rate_in
        self.rate_out = rate_out
        self.channels = channels
        self.quality = quality
        self._stream = soxr.ResampleStream(
            rate_in, rate_out, channels, dtype="float32", quality=_SOXR_QUALITY[quality]
        )

    def process(self, block: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Resample one ``(n, channels)`` block; the result may be a few samples short or long."""
        out: np.ndarray[Any, Any] = self._stream.resample_chunk(
            np.ascontiguousarray(block, dtype=np.float32), last=False
        )
        return out.reshape(-1, self.channels)

    def flush(self) -> np.ndarray[Any, Any]:
        """The samples the filter still holds; the stream ends here."""
        out: np.ndarray[Any, Any] = self._stream.resample_chunk(
            np.zeros((0, self.channels), np.float32), last=True
        )
        return out.reshape(-1, self.channels)

    @property
    def delay_s(self) -> float:
        """The filter's delay in seconds (output lags input by about this much)."""
        return float(self._stream.delay()) / self.rate_out
