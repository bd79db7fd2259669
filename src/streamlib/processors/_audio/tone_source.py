"""ToneSource: a sine tone or a chord, block by block, in real time or as fast as consumed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from ...core import (
    AudioFrame,
    BufferPool,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Progress,
    Scheduling,
    live_field,
)
from .._source_limits import duration_field, frames_field, realtime_field
from ._blocks import BlockEmitter

__all__ = ["ToneSettings", "ToneSource"]


class ToneSettings(ProcessorConfig):
    """What every tone generator takes beside its tones: level, format, pacing, length.

    ToneSourceConfig adds the frequencies, ChordGeneratorConfig a chord by name.
    """

    amplitude: float = live_field(0.25, ge=0.0, le=1.0, description="Peak level (0..1).")
    sample_rate: int = Field(48_000, ge=8_000, le=384_000, description="Samples per second.")
    block_size: int = Field(480, ge=16, le=16_384, description="Samples per block.")
    channels: int = Field(2, ge=1, le=8, description="Channels (the same signal in each).")
    realtime: bool = realtime_field()
    duration_s: float | None = duration_field("audio (the last block is cut to fit)")
    frames: int | None = frames_field("audio blocks (of block_size samples)")


class ToneSourceConfig(ToneSettings):
    frequencies: tuple[float, ...] = live_field(
        (440.0,), description="Frequencies in Hz; several make a chord."
    )

    @field_validator("frequencies")
    @classmethod
    def _audible(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value:
            raise ValueError("give at least one frequency")
        if any(not 0 < f < 192_000 for f in value):
            raise ValueError("frequencies must be between 0 and 192000 Hz")
        return value


class ToneSource(Processor[ToneSourceConfig]):
    """A sine tone (or a chord of several) as float32 audio blocks.

    Phase carries over between blocks, so the signal is continuous; timestamps
    are sample-exact (start time + samples emitted / sample rate), paced in real
    time (``realtime: true``, a live source) or written as fast as the consumers
    take them (``realtime: false``: it waits for them and loses nothing).
    Frequency, chord and amplitude may change while running. With
    ``duration_s`` it ends after exactly that many samples (the last block is
    shorter), with ``frames`` after that many blocks.

    Example pipeline entry::

        tone: {type: ToneSource, config: {frequencies: [261.63, 329.63, 392.0], amplitude: 0.2}}
        beep: {type: ToneSource, config: {duration_s: 2.5, realtime: false}}
    """

    tags = ("audio", "source", "test")
    default_scheduling = Scheduling.timer(30.0)  # the real rate comes from the config

    audio = Output(AudioFrame, description="Blocks of block_size samples.")

    def __init__(
        self, config: ToneSourceConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        # Made here, not in setup: progress() reads its sample count, from other threads.
        self._out = BlockEmitter(self.audio)

    def scheduling(self) -> Scheduling:
        if self.config.realtime:
            return Scheduling.timer(self.config.sample_rate / self.config.block_size)
        return Scheduling.loop()

    def is_live(self) -> bool:
        return bool(self.config.realtime)

    def progress(self) -> Progress | None:
        limit = self._sample_limit()
        if limit is None:
            return None
        rate = self.config.sample_rate
        return Progress(self._out.samples / rate, limit / rate)

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        cfg = self.config
        self._pool = BufferPool((cfg.block_size, cfg.channels), np.float32)
        self._ramp = np.arange(cfg.block_size, dtype=np.float64)
        self._mono = np.empty(cfg.block_size, dtype=np.float64)
        self._scratch = np.empty(cfg.block_size, dtype=np.float64)
        self._phases = [0.0] * len(cfg.frequencies)
        self._out.reset()
        self._out.start(ctx.clock.now_ns(), cfg.sample_rate)

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
        limit = self._sample_limit()
        sent = self._out.samples
        if limit is not None and sent + cfg.block_size > limit:
            block = block[: limit - sent]  # the last block: exactly up to the limit
        self._out.emit(block)
        if limit is not None and self._out.samples >= limit:
            self.end_outputs()

    def _sample_limit(self) -> int | None:
        """Samples to write in all (None: no limit)."""
        cfg = self.config
        limits = []
        if cfg.frames is not None:
            limits.append(cfg.frames * cfg.block_size)
        if cfg.duration_s is not None:
            # At least one sample, so a tiny duration still ends after one block.
            limits.append(max(1, round(cfg.duration_s * cfg.sample_rate)))
        return min(limits, default=None)
