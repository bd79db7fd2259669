"""FFV1: FFmpeg's own lossless intra-frame codec (Matroska and MOV; archival recording)."""

from __future__ import annotations

from typing import ClassVar

from ...core import ConfigError
from ._base import VideoCodec, VideoEncoderSettings

__all__ = ["FFV1"]


class FFV1(VideoCodec):
    """FFV1 version 3, always lossless; every frame is a keyframe-like slice set.

    It encodes the frame's own color model (``bgr0`` for RGB input, ``yuv420p``
    for 4:2:0 input is the default), so pictures come back bit-exact.
    """

    name: ClassVar[str] = "ffv1"
    encoders: ClassVar[tuple[str, ...]] = ("ffv1",)
    containers: ClassVar[frozenset[str]] = frozenset({"mkv", "mov"})

    def options(self, settings: VideoEncoderSettings) -> dict[str, str]:
        for what in ("preset", "tune", "profile", "crf", "bitrate"):
            if getattr(settings, what) is not None:
                raise ConfigError(f"ffv1 is always lossless and takes no {what}; leave it unset")
        return {"level": "3", "slicecrc": "1"}
