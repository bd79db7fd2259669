"""AudioChannelConverter: change the channel count of audio."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ...audio import convert_channels
from ...core import (
    AudioFrame,
    BufferPool,
    Input,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    live_field,
)

__all__ = ["AudioChannelConverter"]


class AudioChannelConverterConfig(ProcessorConfig):
    channels: int = Field(2, ge=1, le=8, description="Channels out.")
    mode: Literal["duplicate", "left", "right", "downmix"] = live_field(
        "duplicate", description="How input channels become output channels."
    )


class AudioChannelConverter(Processor[AudioChannelConverterConfig]):
    """Change the channel count of audio (1 to 8 channels).

    Modes: ``duplicate`` (output channel j takes input channel j mod n: mono to
    stereo copies it), ``left`` / ``right`` (every output channel takes the
    first / second input channel), ``downmix`` (every output channel takes the
    mean of all inputs).

    Example pipeline entry::

        to_stereo: {type: AudioChannelConverter, config: {channels: 2, mode: duplicate}}
    """

    tags = ("audio", "convert")

    audio_in = Input(AudioFrame, description="Audio with any channel count.")
    audio_out = Output(AudioFrame, description="Audio with `channels` channels.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._pool: BufferPool | None = None

    def process(self) -> None:
        channels = self.config.channels
        mode = self.config.mode
        for frame in self.audio_in.read_all():
            shape = (frame.samples, channels)
            pool = self._pool
            if pool is None or pool.shape != shape:
                pool = self._pool = BufferPool(shape, np.float32)
            out = convert_channels(frame.data, channels, mode, out=pool.acquire())
            self.audio_out.write(frame.replace(data=out))
