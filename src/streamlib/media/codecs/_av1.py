"""AV1 through SVT-AV1 (or libaom where that is what the build has)."""

from __future__ import annotations

from typing import ClassVar

from ...core import ConfigError
from ._base import VideoCodec, VideoEncoderSettings, check_choice

__all__ = ["AV1"]


class AV1(VideoCodec):
    """AV1: SVT-AV1 presets 0 (slowest) .. 13 (fastest); decoded with dav1d.

    ``tune: zerolatency`` turns SVT-AV1's look-ahead off.
    """

    name: ClassVar[str] = "av1"
    encoders: ClassVar[tuple[str, ...]] = ("libsvtav1", "libaom-av1")
    decoders: ClassVar[tuple[str, ...]] = ("libdav1d", "libaom-av1")
    containers: ClassVar[frozenset[str]] = frozenset({"mp4", "mkv", "webm"})
    alters_thread_scheduling: ClassVar[bool] = True  # SVT-AV1 makes its caller SCHED_FIFO

    def options(self, settings: VideoEncoderSettings) -> dict[str, str]:
        if settings.profile is not None:
            raise ConfigError("av1: profile applies to h264 only; leave it unset")
        if self.encoder_name() == "libaom-av1":
            return self._aom_options(settings)
        presets = tuple(str(n) for n in range(14))
        options = {"preset": check_choice("libsvtav1", "preset", settings.preset or "10", presets)}
        params: list[str] = []
        if settings.tune is not None:
            check_choice("av1", "tune", settings.tune, ("zerolatency",))
            params.append("lookahead=0")
        if settings.lossless:
            params.append("lossless=1")
        elif settings.crf is not None:
            options["crf"] = f"{int(settings.crf)}"
        elif settings.bitrate is None:
            options["crf"] = "35"
        if params:
            options["svtav1-params"] = ":".join(params)
        return options

    @staticmethod
    def _aom_options(settings: VideoEncoderSettings) -> dict[str, str]:
        options = {"cpu-used": settings.preset or "8", "usage": "realtime"}
        if settings.lossless:
            options["lossless"] = "1"
        elif settings.crf is not None:
            options["crf"] = f"{int(settings.crf)}"
        return options
