"""The codec families' common shape: which FFmpeg encoder, and how settings become its options.

Each family (H.264, VP8/VP9, AV1, FFV1, AAC, Opus) lives in its own module and
subclasses :class:`VideoCodec` or :class:`AudioCodec`::

    class H264(VideoCodec):
        name = "h264"
        encoders = ("libx264",)

        def options(self, settings):
            return {"preset": settings.preset or "medium", "crf": "23"}

Encoder *sessions* (``_video_encoder``, ``_audio_encoder``) do the encoding;
these classes only say what to ask FFmpeg for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import av

from ...core import ConfigError

__all__ = [
    "AudioCodec",
    "AudioEncoderSettings",
    "VideoCodec",
    "VideoEncoderSettings",
    "check_choice",
]


@dataclass(frozen=True, slots=True)
class VideoEncoderSettings:
    """What a video encoder is asked for; ``None`` means the codec's own default.

    ``bitrate`` (bits/s) and ``crf`` (constant quality) are alternatives;
    ``lossless`` asks for a mathematically lossless encode where the codec has one.
    ``keyframe_interval`` counts frames at the nominal ``fps``.
    """

    width: int
    height: int
    fps: float = 30.0
    preset: str | None = None
    tune: str | None = None
    bitrate: int | None = None
    crf: float | None = None
    keyframe_interval: int = 60
    profile: str | None = None
    lossless: bool = False
    threads: int = 0


@dataclass(frozen=True, slots=True)
class AudioEncoderSettings:
    """What an audio encoder is asked for: rate, channels and bits per second."""

    sample_rate: int = 48_000
    channels: int = 2
    bitrate: int | None = None


class _Codec(ABC):
    name: ClassVar[str]
    """streamlib's (and FFmpeg's) codec name, also what ``EncodedPacket.codec`` says."""
    encoders: ClassVar[tuple[str, ...]]
    """FFmpeg encoders for this codec, the preferred first."""
    decoders: ClassVar[tuple[str, ...]] = ()
    """FFmpeg decoders to prefer (empty: FFmpeg's default for the codec)."""
    containers: ClassVar[frozenset[str]] = frozenset({"mp4", "mov", "mkv"})
    """Containers streamlib writes this codec into."""
    alters_thread_scheduling: ClassVar[bool] = False
    """True when the encoder library changes its calling thread's scheduling (SVT-AV1
    makes it real-time); sessions then restore it after every call."""

    @classmethod
    def encoder_name(cls) -> str | None:
        """The first of ``encoders`` this FFmpeg build has, or None."""
        return next((name for name in cls.encoders if name in av.codecs_available), None)

    @classmethod
    def decoder_name(cls) -> str:
        return next((name for name in cls.decoders if name in av.codecs_available), cls.name)

    @classmethod
    def is_available(cls) -> bool:
        return cls.encoder_name() is not None

    @classmethod
    def require_encoder(cls) -> str:
        """The encoder to use; ``ConfigError`` naming what is missing if there is none."""
        name = cls.encoder_name()
        if name is None:
            raise ConfigError(
                f"this FFmpeg build has no {cls.name} encoder (looked for "
                f"{', '.join(cls.encoders)}); install a PyAV build with one or pick another codec"
            )
        return name


class VideoCodec(_Codec):
    """A video codec family: encoder choice, pixel format and option mapping."""

    pixel_format: ClassVar[str] = "yuv420p"
    """The pixel format the encoder is fed (frames are converted to it)."""

    @abstractmethod
    def options(self, settings: VideoEncoderSettings) -> dict[str, str]:
        """FFmpeg private options for ``settings``; ``ConfigError`` for ones it cannot honor."""

    def pixel_format_for(self, settings: VideoEncoderSettings) -> str:
        """The pixel format to encode in (some codecs switch for lossless)."""
        del settings
        return self.pixel_format


class AudioCodec(_Codec):
    """An audio codec family: encoder choice, sample rates, option mapping."""

    sample_rates: ClassVar[tuple[int, ...]] = ()
    """Rates the codec takes (empty: any)."""
    default_bitrate: ClassVar[int] = 128_000

    def check(self, settings: AudioEncoderSettings) -> None:
        """``ConfigError`` if the codec cannot encode at this rate or channel count."""
        if self.sample_rates and settings.sample_rate not in self.sample_rates:
            rates = ", ".join(str(r) for r in self.sample_rates)
            raise ConfigError(
                f"{self.name} cannot encode at {settings.sample_rate} Hz; use one of {rates} "
                "(resample first)"
            )

    def options(self, settings: AudioEncoderSettings) -> dict[str, str]:
        """FFmpeg private options for ``settings`` (none by default)."""
        del settings
        return {}


def check_choice(codec: str, what: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``, else a ``ConfigError`` listing them."""
    if value not in allowed:
        raise ConfigError(f"{codec} has no {what} {value!r}; use one of: {', '.join(allowed)}")
    return value
