"""AudioResampler: change audio's sample rate (libsoxr), streaming."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from ...audio import ResampleQuality, StreamResampler
from ...core import (
    AudioFrame,
    Input,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
)
from .._requirements import RESAMPLING
from ._blocks import BlockEmitter

__all__ = ["AudioResampler"]


class AudioResamplerConfig(ProcessorConfig):
    renamed_fields: ClassVar[Mapping[str, str]] = {"quality": "resample_quality"}
    sample_rate: int = Field(48_000, ge=8_000, le=384_000, description="Rate out (Hz).")
    resample_quality: ResampleQuality = Field(
        "high", description="quick, low, medium, high, very_high."
    )


class AudioResampler(Processor[AudioResamplerConfig]):
    """Resample audio to ``sample_rate`` with libsoxr, keeping the filter's state between blocks.

    Quality tiers (``resample_quality``): ``quick`` (cubic), ``low``,
    ``medium``, ``high`` (default), ``very_high``. Output blocks hold however
    many samples the filter released (about ``n * rate_out / rate_in``); put a
    BufferRechunker after it for a fixed size. Input already at the target rate
    passes through untouched. A change of the input's rate or channel count
    starts a new filter. At the end of the stream the filter's last samples
    come out.

    Example pipeline entry::

        to48k: {type: AudioResampler, config: {sample_rate: 48000, resample_quality: high}}
    """

    tags = ("audio", "convert")
    requires = (RESAMPLING,)

    audio_in = Input(AudioFrame, description="Audio at any sample rate.")
    audio_out = Output(AudioFrame, description="Audio at sample_rate.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._resampler: StreamResampler | None = None
        self._out = BlockEmitter(self.audio_out)

    def process(self) -> None:
        rate = self.config.sample_rate
        for frame in self.audio_in.read_all():
            if frame.sample_rate == rate:
                self.audio_out.write(frame)
                continue
            resampler = self._resampler
            if (
                resampler is None
                or resampler.rate_in != frame.sample_rate
                or resampler.channels != frame.channels
            ):
                resampler = self._resampler = StreamResampler(
                    frame.sample_rate, rate, frame.channels, self.config.resample_quality
                )
                self._out.start(frame.timestamp_ns, rate)
            self._emit(resampler.process(frame.data))

    def on_end_of_stream(self) -> None:
        resampler, self._resampler = self._resampler, None
        if resampler is not None:
            self._emit(resampler.flush())  # the filter's last samples

    def teardown(self) -> None:
        self._resampler = None
        super().teardown()

    def _emit(self, samples: np.ndarray[Any, Any]) -> None:
        if samples.shape[0]:  # the filter holds the first samples back (its delay)
            self._out.emit(samples)
