"""Audio frames: float32 samples shaped ``(samples, channels)`` at a sample rate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ._clock import NS_PER_S
from ._errors import FrameError
from ._frame import ArrayFrame, FrameType

__all__ = ["AudioFrame"]


class AudioFrame(ArrayFrame):
    """A block of interleaved float32 audio, one row per sample instant.

    ``AudioFrame[2]`` is the port type "stereo audio": the graph refuses to
    connect it to a mono input, and writes check each frame's channel count::

        class Gain(sl.Processor):
            audio_in = sl.Input(sl.AudioFrame[2])
            audio_out = sl.Output(sl.AudioFrame[2])

        block = AudioFrame(np.zeros((256, 2), np.float32), sample_rate=48_000)
        block.samples, block.channels, block.duration_ns   # (256, 2, 5333333)

    (For type checkers, ``AudioFrame.with_channels(2)`` means the same.)
    """

    __slots__ = ("sample_rate",)

    port_type_name: ClassVar[str] = "AudioFrame"

    sample_rate: int

    def __init__(
        self,
        data: np.ndarray[Any, Any],
        sample_rate: int,
        *,
        timestamp_ns: int = 0,
        frame_number: int = 0,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(data, np.ndarray):
            raise FrameError(f"AudioFrame data must be a numpy array, not {type(data).__name__}")
        if data.dtype != np.float32:
            raise FrameError(
                f"AudioFrame samples are float32 in [-1, 1]; got {data.dtype} "
                "(convert with data.astype(np.float32) / scale)"
            )
        if data.ndim != 2 or data.shape[1] < 1:
            raise FrameError(
                f"AudioFrame data is shaped (samples, channels); got shape {data.shape} "
                "(a mono block is data.reshape(-1, 1))"
            )
        if sample_rate <= 0:
            raise FrameError(f"sample_rate must be positive, got {sample_rate}")
        super().__init__(timestamp_ns=timestamp_ns, frame_number=frame_number, metadata=metadata)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "sample_rate", sample_rate)

    def __class_getitem__(cls, channels: int) -> FrameType:
        return cls.with_channels(channels)

    @classmethod
    def with_channels(cls, channels: int) -> FrameType:
        """The port type for audio of exactly ``channels`` channels."""
        if not isinstance(channels, int) or isinstance(channels, bool):
            raise FrameError(
                f"AudioFrame[...] takes a channel count, e.g. AudioFrame[2]; got {channels!r}"
            )
        return FrameType(cls, channels)

    @classmethod
    def silence(
        cls, samples: int, channels: int, sample_rate: int, *, timestamp_ns: int = 0
    ) -> AudioFrame:
        """A block of zeros."""
        return cls(
            np.zeros((samples, channels), np.float32), sample_rate, timestamp_ns=timestamp_ns
        )

    @property
    def samples(self) -> int:
        """Sample instants in the block (rows)."""
        return int(self.data.shape[0])

    @property
    def channels(self) -> int:
        return int(self.data.shape[1])

    @property
    def duration_ns(self) -> int:
        """How long the block plays, in nanoseconds (rounded down)."""
        return self.samples * NS_PER_S // self.sample_rate

    def replace(
        self,
        *,
        data: np.ndarray[Any, Any] | None = None,
        sample_rate: int | None = None,
        timestamp_ns: int | None = None,
        frame_number: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> AudioFrame:
        """A new block with some fields changed; the others shared."""
        return AudioFrame(
            self.data if data is None else data,
            self.sample_rate if sample_rate is None else sample_rate,
            timestamp_ns=self.timestamp_ns if timestamp_ns is None else timestamp_ns,
            frame_number=self.frame_number if frame_number is None else frame_number,
            metadata=self.metadata if metadata is None else metadata,
        )

    def __repr__(self) -> str:
        return (
            f"AudioFrame({self.samples}x{self.channels} at {self.sample_rate} Hz, "
            f"#{self.frame_number} at {self.timestamp_ns} ns)"
        )
