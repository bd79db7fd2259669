"""VP8 and VP9 through libvpx: realtime or good-quality deadlines, CRF or bitrate, VP9 lossless."""

from __future__ import annotations

from typing import ClassVar

from ...core import ConfigError
from ._base import VideoCodec, VideoEncoderSettings, check_choice

__all__ = ["VP8", "VP9"]

# libvpx's speed/quality trade-off is a deadline plus cpu-used, not x264's presets.
_PRESETS = {"realtime": ("realtime", "8"), "good": ("good", "4"), "best": ("best", "0")}


class _Vpx(VideoCodec):
    containers: ClassVar[frozenset[str]] = frozenset({"mp4", "mkv", "webm"})
    max_crf: ClassVar[int] = 63

    def options(self, settings: VideoEncoderSettings) -> dict[str, str]:
        preset = check_choice(self.name, "preset", settings.preset or "realtime", tuple(_PRESETS))
        deadline, cpu_used = _PRESETS[preset]
        options = {"deadline": deadline, "cpu-used": cpu_used}
        if settings.tune is not None:
            check_choice(self.name, "tune", settings.tune, ("zerolatency",))
            options["lag-in-frames"] = "0"  # emit each frame's packet at once
        if settings.profile is not None:
            raise ConfigError(f"{self.name}: profile applies to h264 only; leave it unset")
        if settings.crf is not None:
            if not 0 <= settings.crf <= self.max_crf:
                raise ConfigError(f"{self.name}: crf must be 0..{self.max_crf}, got {settings.crf}")
            options["crf"] = f"{int(settings.crf)}"
        return options


class VP8(_Vpx):
    """VP8 with libvpx (WebM, WebRTC). No lossless mode."""

    name: ClassVar[str] = "vp8"
    encoders: ClassVar[tuple[str, ...]] = ("libvpx",)
    max_crf: ClassVar[int] = 63

    def options(self, settings: VideoEncoderSettings) -> dict[str, str]:
        if settings.lossless:
            raise ConfigError("vp8 has no lossless mode; use vp9, h264 or ffv1")
        options = super().options(settings)
        if "crf" in options and settings.bitrate is None:
            # libvpx-vp8 treats crf as a cap under a target bitrate, so it needs one.
            raise ConfigError("vp8 with crf needs a bitrate too (it caps the quality under it)")
        return options


class VP9(_Vpx):
    """VP9 with libvpx-vp9; ``lossless`` is VP9's own lossless mode."""

    name: ClassVar[str] = "vp9"
    encoders: ClassVar[tuple[str, ...]] = ("libvpx-vp9",)

    def options(self, settings: VideoEncoderSettings) -> dict[str, str]:
        options = super().options(settings)
        if settings.lossless:
            options["lossless"] = "1"
        elif settings.crf is None and settings.bitrate is None:
            options["crf"] = "32"  # constant quality (with b:v 0, set by the session)
        if "deadline" in options and options["deadline"] == "realtime":
            options["row-mt"] = "1"
        return options
