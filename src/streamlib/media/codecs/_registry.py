"""Which codec families streamlib knows, by name, and which this FFmpeg build can encode.

::

    video_codec("h264")            # an H264 instance
    available_video_codecs()       # ("h264", "vp8", "vp9", "av1", "ffv1") where the build has them
"""

from __future__ import annotations

from ...core import ConfigError
from ._aac import AAC
from ._av1 import AV1
from ._base import AudioCodec, VideoCodec
from ._ffv1 import FFV1
from ._h264 import H264
from ._opus import Opus
from ._vpx import VP8, VP9

__all__ = [
    "AUDIO_CODECS",
    "VIDEO_CODECS",
    "audio_codec",
    "available_audio_codecs",
    "available_video_codecs",
    "decoder_name_for",
    "video_codec",
]

VIDEO_CODECS: dict[str, type[VideoCodec]] = {
    codec.name: codec for codec in (H264, VP8, VP9, AV1, FFV1)
}
AUDIO_CODECS: dict[str, type[AudioCodec]] = {codec.name: codec for codec in (AAC, Opus)}


def video_codec(name: str) -> VideoCodec:
    """The video codec family called ``name``; ``ConfigError`` listing the known ones."""
    try:
        return VIDEO_CODECS[name]()
    except KeyError:
        raise ConfigError(
            f"unknown video codec {name!r}; use one of: {', '.join(VIDEO_CODECS)}"
        ) from None


def audio_codec(name: str) -> AudioCodec:
    """The audio codec family called ``name``; ``ConfigError`` listing the known ones."""
    try:
        return AUDIO_CODECS[name]()
    except KeyError:
        raise ConfigError(
            f"unknown audio codec {name!r}; use one of: {', '.join(AUDIO_CODECS)}"
        ) from None


def available_video_codecs() -> tuple[str, ...]:
    """Video codecs this FFmpeg build can encode."""
    return tuple(name for name, codec in VIDEO_CODECS.items() if codec.is_available())


def available_audio_codecs() -> tuple[str, ...]:
    """Audio codecs this FFmpeg build can encode."""
    return tuple(name for name, codec in AUDIO_CODECS.items() if codec.is_available())


def decoder_name_for(codec: str) -> str:
    """The FFmpeg decoder to use for packets of ``codec`` (dav1d for AV1, and so on)."""
    family = VIDEO_CODECS.get(codec) or AUDIO_CODECS.get(codec)
    return family.decoder_name() if family is not None else codec
