"""AAC through FFmpeg's native encoder: the MP4 default audio codec."""

from __future__ import annotations

from typing import ClassVar

from ._base import AudioCodec

__all__ = ["AAC"]


class AAC(AudioCodec):
    """AAC-LC (FFmpeg's ``aac`` encoder), 1024-sample frames."""

    name: ClassVar[str] = "aac"
    encoders: ClassVar[tuple[str, ...]] = ("aac",)
    containers: ClassVar[frozenset[str]] = frozenset({"mp4", "mov", "mkv"})
    sample_rates: ClassVar[tuple[int, ...]] = (
        96_000, 88_200, 64_000, 48_000, 44_100, 32_000,
        24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
    )  # fmt: skip
