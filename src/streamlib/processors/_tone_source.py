"""ToneSource: a sine tone or a chord, block by block in real time."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, field_validator

from ..core import (
    AudioFrame,
    BufferPool,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Scheduling,
    live_field,
)

__all__ = ["ToneSource"]


class ToneSource(Processor):
    """A sine tone (or a chord of several) as float32 audio blocks, paced in real time.

    Phase carries over between blocks, so the signal is continuous; timestamps
    are sample-exact (start time + samples emitted / sample rate). Frequency,
    chord and amplitude may change while running.

    Example pipeline entry::

        tone: {type: ToneSource, config: {frequencies: [261.63, 329.63, 392.0], amplitude: 0.2}}
    """

    tags = ("audio", "source", "test")
    default_scheduling = Scheduling.timer(30.0)  # the real rate comes from the config

    class Config(ProcessorConfig):
        frequencies: tuple[float, ...] = live_field(
            (440.0,), description="Frequencies in Hz; several make a chord."
        )
        amplitude: float = live_field(0.25, ge=0.0, le=1.0, description="Peak level (0..1).")
        sample_rate: int = Field(48_000, ge=8_000, le=384_000, description="Samples per second.")
        block_size: int = Field(480, ge=16, le=16_384, description="Samples per block.")
        channels: int = Field(2, ge=1, le=8, description="Channels (the same tone in each).")

        @field_validator("frequencies")
        @classmethod
        def _audible(cls, value: tuple[float, ...]) -> tuple[float, ...]:
            if not value:
                raise ValueError("give at least one frequency")
            if any(not 0 < f < 192_000 for f in value):
                raise ValueError("frequencies must be between 0 and 192000 Hz")
            return value

    audio = Output(AudioFrame, description="Blocks of block_size samples.")

    def scheduling(self) -> Scheduling:
        return Scheduling.timer(self.config.sample_rate / self.config.block_size)

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        cfg = self.config
        self._pool = BufferPool((cfg.block_size, cfg.channels), np.float32)
        self._ramp = np.arange(cfg.block_size, dtype=np.float64)
        self._mono = np.empty(cfg.block_size, dtype=np.float64)
        self._scratch = np.empty(cfg.block_size, dtype=np.float64)
        self._phases = [0.0] * len(cfg.frequencies)
        self._samples = 0
        self._start_ns = ctx.clock.now_ns()
        self._block_number = 0

    def process(self) -> None:
        cfg = self.config
        rate = cfg.sample_rate
        if len(self._phases) != len(cfg.frequencies):  # the chord changed live
            self._phases = [0.0] * len(cfg.frequencies)
        mono = self._mono
        mono.fill(0.0)
        scale = cfg.amplitude / len(cfg.frequencies)
        for index, frequency in enumerate(cfg.frequencies):
            step = 2.0 * math.pi * frequency / rate
            np.multiply(self._ramp, step, out=self._scratch)
            self._scratch += self._phases[index]
            np.sin(self._scratch, out=self._scratch)
            mono += self._scratch
            self._phases[index] = (self._phases[index] + step * cfg.block_size) % (2.0 * math.pi)
        mono *= scale
        block = self._pool.acquire()
        block[:] = mono[:, None]
        self.audio.write(
            AudioFrame(
                block,
                rate,
                timestamp_ns=self._start_ns + self._samples * 1_000_000_000 // rate,
                frame_number=self._block_number,
            )
        )
        self._samples += cfg.block_size
        self._block_number += 1
