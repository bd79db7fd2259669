"""Built-in processors. Each is registered under its class name (``streamlib list``).

Beside the processors, only the statistics records they return are here
(``AudioDeviceStatistics``, ``ClapEffectStatistics``); devices are listed by
``streamlib.audio.list_audio_devices`` and ``streamlib.media.list_cameras``.

Names are resolved on first use (PEP 562), so ``from streamlib.processors import
TestPattern`` loads only the module that defines it: an install without the GPU, media,
audio or WebRTC extra still imports every processor it can run, and the class modules
themselves import their optional library only when a processor is set up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._audio_codecs import AudioDecoder, AudioEncoder
    from ._audio_devices import AudioCapture, AudioDeviceStatistics, AudioOutput
    from ._audio_mixing import AudioChannelConverter, AudioMixer
    from ._audio_resampler import AudioResampler
    from ._brightness import Brightness
    from ._buffer_rechunker import BufferRechunker
    from ._camera import Camera
    from ._chord import ChordGenerator
    from ._clap_effect import ClapEffect, ClapEffectStatistics
    from ._compositor import Compositor
    from ._display import Display
    from ._effects import ChromaKey, ColorInvert, ColorMatrix, GaussianBlur, Grayscale
    from ._ffmpeg_source import FFmpegSource
    from ._gain_meter import Gain, LevelMeter
    from ._media_file import MediaFile
    from ._mp4_writer import Mp4Writer
    from ._overlays import ImageOverlay, TextOverlay
    from ._passthrough import Passthrough
    from ._performance_overlay import PerformanceOverlay
    from ._shader_effect import ShaderEffect
    from ._sinks import Collector, NullSink
    from ._test_pattern import TestPattern
    from ._tone_source import ToneSource
    from ._video_codecs import VideoDecoder, VideoEncoder
    from ._video_convert import VideoConvert
    from ._webrtc_play import WhepPlayer
    from ._webrtc_publish import WhipPublisher
    from ._webrtc_servers import WhepServer, WhipServer

# Public name -> the private module that defines it.
_HOME: dict[str, str] = {
    "AudioCapture": "_audio_devices",
    "AudioChannelConverter": "_audio_mixing",
    "AudioDecoder": "_audio_codecs",
    "AudioDeviceStatistics": "_audio_devices",
    "AudioEncoder": "_audio_codecs",
    "AudioMixer": "_audio_mixing",
    "AudioOutput": "_audio_devices",
    "AudioResampler": "_audio_resampler",
    "Brightness": "_brightness",
    "BufferRechunker": "_buffer_rechunker",
    "Camera": "_camera",
    "ChordGenerator": "_chord",
    "ChromaKey": "_effects",
    "ClapEffect": "_clap_effect",
    "ClapEffectStatistics": "_clap_effect",
    "Collector": "_sinks",
    "ColorInvert": "_effects",
    "ColorMatrix": "_effects",
    "Compositor": "_compositor",
    "Display": "_display",
    "FFmpegSource": "_ffmpeg_source",
    "Gain": "_gain_meter",
    "GaussianBlur": "_effects",
    "Grayscale": "_effects",
    "ImageOverlay": "_overlays",
    "LevelMeter": "_gain_meter",
    "MediaFile": "_media_file",
    "Mp4Writer": "_mp4_writer",
    "NullSink": "_sinks",
    "Passthrough": "_passthrough",
    "PerformanceOverlay": "_performance_overlay",
    "ShaderEffect": "_shader_effect",
    "TestPattern": "_test_pattern",
    "TextOverlay": "_overlays",
    "ToneSource": "_tone_source",
    "VideoConvert": "_video_convert",
    "VideoDecoder": "_video_codecs",
    "VideoEncoder": "_video_codecs",
    "WhepPlayer": "_webrtc_play",
    "WhepServer": "_webrtc_servers",
    "WhipPublisher": "_webrtc_publish",
    "WhipServer": "_webrtc_servers",
}

__all__ = [
    "AudioCapture",
    "AudioChannelConverter",
    "AudioDecoder",
    "AudioDeviceStatistics",
    "AudioEncoder",
    "AudioMixer",
    "AudioOutput",
    "AudioResampler",
    "Brightness",
    "BufferRechunker",
    "Camera",
    "ChordGenerator",
    "ChromaKey",
    "ClapEffect",
    "ClapEffectStatistics",
    "Collector",
    "ColorInvert",
    "ColorMatrix",
    "Compositor",
    "Display",
    "FFmpegSource",
    "Gain",
    "GaussianBlur",
    "Grayscale",
    "ImageOverlay",
    "LevelMeter",
    "MediaFile",
    "Mp4Writer",
    "NullSink",
    "Passthrough",
    "PerformanceOverlay",
    "ShaderEffect",
    "TestPattern",
    "TextOverlay",
    "ToneSource",
    "VideoConvert",
    "VideoDecoder",
    "VideoEncoder",
    "WhepPlayer",
    "WhepServer",
    "WhipPublisher",
    "WhipServer",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use and keep the name here."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
