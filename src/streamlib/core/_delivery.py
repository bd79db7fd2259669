"""Delivery profiles: how an input wants its data when the producer is faster."""

from __future__ import annotations

import enum

from ._audio_frame import AudioFrame
from ._errors import ConfigError
from ._frame import Frame
from ._video_frame import VideoFrame

__all__ = ["DeliveryProfile", "default_capacity", "default_profile"]


class DeliveryProfile(enum.Enum):
    """What a full connection does, chosen per input and visible in every descriptor.

    - ``LATEST``: keep only the newest few; the oldest is dropped. Video default.
    - ``FIFO``: every item in order; when full, the oldest is dropped. Audio and data default.
    - ``LOSSLESS``: never drop; the producer waits for room (with a timeout). Recorders.

    Every drop is counted in the connection's statistics.
    """

    LATEST = "latest"
    FIFO = "fifo"
    LOSSLESS = "lossless"

    @classmethod
    def parse(cls, value: DeliveryProfile | str) -> DeliveryProfile:
        if isinstance(value, DeliveryProfile):
            return value
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(p.value for p in cls)
            raise ConfigError(f"unknown delivery profile {value!r}; use one of: {known}") from None


def default_profile(frame_class: type[Frame]) -> DeliveryProfile:
    """``latest`` for video, ``fifo`` for everything else."""
    return DeliveryProfile.LATEST if issubclass(frame_class, VideoFrame) else DeliveryProfile.FIFO


def default_capacity(profile: DeliveryProfile, frame_class: type[Frame]) -> int:
    """Queue depth when neither the input nor the connection sets one.

    ``latest`` keeps 3; ``fifo`` keeps 32 audio blocks (about 170 ms of 256-sample
    blocks at 48 kHz), 16 data items or 8 video frames; ``lossless`` lets 16 video
    frames or 64 other items wait before the producer blocks.
    """
    if profile is DeliveryProfile.LATEST:
        return 3
    is_video = issubclass(frame_class, VideoFrame)
    if profile is DeliveryProfile.FIFO:
        if is_video:
            return 8
        return 32 if issubclass(frame_class, AudioFrame) else 16
    return 16 if is_video else 64
