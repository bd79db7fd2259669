"""LevelMeter: RMS and peak per audio block, as data."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field

from ...core import (
    AudioFrame,
    DataFrame,
    Input,
    Output,
    Processor,
    ProcessorConfig,
)

__all__ = ["LevelMeter", "to_db"]

SILENCE_DB = -120.0
"""What silence measures (the level of a block of zeros), in dBFS."""


def to_db(amplitude: float) -> float:
    """An amplitude as dBFS (1.0 is 0 dB), never below :data:`SILENCE_DB`."""
    return SILENCE_DB if amplitude <= 1e-6 else max(SILENCE_DB, 20.0 * math.log10(amplitude))


class LevelMeterConfig(ProcessorConfig):
    pass_audio: bool = Field(True, description="Forward the audio on audio_out.")


class LevelMeter(Processor[LevelMeterConfig]):
    """Measure each audio block's RMS and peak level per channel, as a DataFrame.

    The audio passes through unchanged on ``audio_out``; ``levels`` gets one
    DataFrame per block (same timestamp and number as the block)::

        {"rms": [0.18, 0.17], "peak": [0.25, 0.25],
         "rms_db": [-14.9, -15.4], "peak_db": [-12.0, -12.0], "samples": 256}

    Levels in dBFS (1.0 is 0 dB); silence is -120 dB.

    Example pipeline entry::

        meter: {type: LevelMeter}
    """

    tags = ("audio", "analysis")

    audio_in = Input(AudioFrame, description="Audio to measure.")
    audio_out = Output(AudioFrame, description="The same audio, unchanged.")
    levels = Output(DataFrame, description="RMS and peak per channel, one per block.")

    def process(self) -> None:
        for frame in self.audio_in.read_all():
            self.levels.write(
                DataFrame(
                    measure_levels(frame.data),
                    timestamp_ns=frame.timestamp_ns,
                    frame_number=frame.frame_number,
                )
            )
            if self.config.pass_audio:
                self.audio_out.write(frame)


def measure_levels(data: np.ndarray[Any, Any]) -> dict[str, Any]:
    """RMS and peak per channel of a ``(samples, channels)`` block, linear and in dBFS."""
    if data.shape[0] == 0:
        zeros = [0.0] * data.shape[1]
        return {
            "rms": zeros,
            "peak": zeros,
            "rms_db": [SILENCE_DB] * data.shape[1],
            "peak_db": [SILENCE_DB] * data.shape[1],
            "samples": 0,
        }
    squares = np.einsum("ij,ij->j", data, data, dtype=np.float64)
    rms = np.sqrt(squares / data.shape[0]).tolist()
    peak = np.max(np.abs(data), axis=0).astype(np.float64).tolist()
    return {
        "rms": rms,
        "peak": peak,
        "rms_db": [to_db(value) for value in rms],
        "peak_db": [to_db(value) for value in peak],
        "samples": int(data.shape[0]),
    }
