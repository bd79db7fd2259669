"""H.264 through libx264: presets, tunes (zerolatency), CRF or bitrate, profiles, lossless."""

from __future__ import annotations

from typing import ClassVar

from ._base import VideoCodec, VideoEncoderSettings, check_choice

__all__ = ["H264"]

_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)  # fmt: skip
_TUNES = ("film", "animation", "grain", "stillimage", "fastdecode", "zerolatency", "psnr", "ssim")
_PROFILES = ("baseline", "main", "high", "high10", "high422", "high444")


class H264(VideoCodec):
    """H.264/AVC with libx264 (every PyAV wheel has it).

    ``lossless`` encodes at quantiser 0 (x264 then uses the High 4:4:4
    Predictive profile, which decodes bit-exactly).
    """

    name: ClassVar[str] = "h264"
    encoders: ClassVar[tuple[str, ...]] = ("libx264",)

    def options(self, settings: VideoEncoderSettings) -> dict[str, str]:
        options = {
            "preset": check_choice("libx264", "preset", settings.preset or "medium", _PRESETS)
        }
        if settings.tune is not None:
            options["tune"] = check_choice("libx264", "tune", settings.tune, _TUNES)
        if settings.profile is not None:
            options["profile"] = check_choice("libx264", "profile", settings.profile, _PROFILES)
        if settings.lossless:
            options["qp"] = "0"
            options.pop("profile", None)  # x264 picks the lossless-capable profile itself
        elif settings.crf is not None:
            options["crf"] = f"{settings.crf:g}"
        elif settings.bitrate is None:
            options["crf"] = "23"
        # A keyframe exactly every interval (scene cuts would move them), so fragments
        # of a fragmented MP4 and a WebRTC receiver's recovery points come on time.
        options["sc_threshold"] = "0"
        return options
