"""Opus through libopus: WebM's and WebRTC's audio codec."""

from __future__ import annotations

from typing import ClassVar

from ._base import AudioCodec, AudioEncoderSettings

__all__ = ["Opus"]


class Opus(AudioCodec):
    """Opus (libopus), 20 ms frames, at 48 kHz or one of its lower rates."""

    name: ClassVar[str] = "opus"
    encoders: ClassVar[tuple[str, ...]] = ("libopus", "opus")
    containers: ClassVar[frozenset[str]] = frozenset({"mp4", "mkv", "webm"})
    sample_rates: ClassVar[tuple[int, ...]] = (48_000, 24_000, 16_000, 12_000, 8_000)
    default_bitrate: ClassVar[int] = 96_000

    def options(self, settings: AudioEncoderSettings) -> dict[str, str]:
        del settings
        return {"application": "audio"}
