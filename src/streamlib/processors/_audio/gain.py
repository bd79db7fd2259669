"""Gain: scale audio by decibels."""

from __future__ import annotations

import numpy as np

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

__all__ = ["Gain"]


class GainConfig(ProcessorConfig):
    gain_db: float = live_field(0.0, ge=-120.0, le=40.0, description="Gain in decibels.")


class Gain(Processor[GainConfig]):
    """Scale audio by ``gain_db`` decibels (0 dB leaves it as it is; -6 dB halves it).

    A live change ramps linearly across the next block, so it never clicks.

    Example pipeline entry::

        quieter: {type: Gain, config: {gain_db: -12}}
    """

    tags = ("audio", "effect")

    audio_in = Input(AudioFrame, description="Audio to scale.")
    audio_out = Output(AudioFrame, description="Scaled audio.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._pool: BufferPool | None = None
        self._current = self._factor()
        self._ramp = np.empty(0, np.float32)

    def _factor(self) -> float:
        return float(10.0 ** (self.config.gain_db / 20.0))

    def process(self) -> None:
        for frame in self.audio_in.read_all():
            pool = self._pool
            if pool is None or pool.shape != frame.data.shape:
                pool = self._pool = BufferPool(frame.data.shape, np.float32)
            out = pool.acquire()
            target = self._factor()
            if target == self._current:
                np.multiply(frame.data, np.float32(target), out=out)
            else:
                n = frame.samples
                if self._ramp.shape[0] != n:
                    self._ramp = np.empty(n, np.float32)
                # From the old factor to the new one across this block: no click.
                np.copyto(self._ramp, np.linspace(self._current, target, n, dtype=np.float32))
                np.multiply(frame.data, self._ramp[:, None], out=out)
                self._current = target
            self.audio_out.write(frame.replace(data=out))
