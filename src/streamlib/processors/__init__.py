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

from typing import TYPE_CHECKING

from ..core._lazy import lazy_names

if TYPE_CHECKING:
    from ._audio.audio_channel_converter import AudioChannelConverter
    from ._audio.audio_devices import AudioCapture, AudioDeviceStatistics, AudioOutput
    from ._audio.audio_mixer import AudioMixer
    from ._audio.audio_resampler import AudioResampler
    from ._audio.buffer_rechunker import BufferRechunker
    from ._audio.chord_generator import ChordGenerator
    from ._audio.clap_effect import ClapEffect, ClapEffectStatistics
    from ._audio.gain import Gain
    from ._audio.level_meter import LevelMeter
    from ._audio.tone_source import ToneSource
    from ._gpu.compositor import Compositor
    from ._gpu.effects import ChromaKey, ColorInvert, ColorMatrix, GaussianBlur, Grayscale
    from ._gpu.overlays import ImageOverlay, TextOverlay
    from ._gpu.performance_overlay import PerformanceOverlay
    from ._gpu.shader_effect import ShaderEffect
    from ._media.audio_codecs import AudioDecoder, AudioEncoder
    from ._media.ffmpeg_source import FFmpegSource
    from ._media.media_file import MediaFile
    from ._media.mp4_writer import Mp4Writer
    from ._media.video_codecs import VideoDecoder, VideoEncoder
    from ._utility.passthrough import Passthrough
    from ._utility.sinks import Collector, NullSink
    from ._video.brightness import Brightness
    from ._video.camera import Camera
    from ._video.display import Display
    from ._video.test_pattern import TestPattern
    from ._video.video_convert import VideoConvert
    from ._webrtc.servers import WhepServer, WhipServer
    from ._webrtc.whep_player import WhepPlayer
    from ._webrtc.whip_publisher import WhipPublisher

# Public name -> the private module that defines it, inside its family subpackage.
_HOME: dict[str, str] = {
    "AudioCapture": "_audio.audio_devices",
    "AudioChannelConverter": "_audio.audio_channel_converter",
    "AudioDecoder": "_media.audio_codecs",
    "AudioDeviceStatistics": "_audio.audio_devices",
    "AudioEncoder": "_media.audio_codecs",
    "AudioMixer": "_audio.audio_mixer",
    "AudioOutput": "_audio.audio_devices",
    "AudioResampler": "_audio.audio_resampler",
    "Brightness": "_video.brightness",
    "BufferRechunker": "_audio.buffer_rechunker",
    "Camera": "_video.camera",
    "ChordGenerator": "_audio.chord_generator",
    "ChromaKey": "_gpu.effects",
    "ClapEffect": "_audio.clap_effect",
    "ClapEffectStatistics": "_audio.clap_effect",
    "Collector": "_utility.sinks",
    "ColorInvert": "_gpu.effects",
    "ColorMatrix": "_gpu.effects",
    "Compositor": "_gpu.compositor",
    "Display": "_video.display",
    "FFmpegSource": "_media.ffmpeg_source",
    "Gain": "_audio.gain",
    "GaussianBlur": "_gpu.effects",
    "Grayscale": "_gpu.effects",
    "ImageOverlay": "_gpu.overlays",
    "LevelMeter": "_audio.level_meter",
    "MediaFile": "_media.media_file",
    "Mp4Writer": "_media.mp4_writer",
    "NullSink": "_utility.sinks",
    "Passthrough": "_utility.passthrough",
    "PerformanceOverlay": "_gpu.performance_overlay",
    "ShaderEffect": "_gpu.shader_effect",
    "TestPattern": "_video.test_pattern",
    "TextOverlay": "_gpu.overlays",
    "ToneSource": "_audio.tone_source",
    "VideoConvert": "_video.video_convert",
    "VideoDecoder": "_media.video_codecs",
    "VideoEncoder": "_media.video_codecs",
    "WhepPlayer": "_webrtc.whep_player",
    "WhepServer": "_webrtc.servers",
    "WhipPublisher": "_webrtc.whip_publisher",
    "WhipServer": "_webrtc.servers",
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


__getattr__, __dir__ = lazy_names(__name__, _HOME)
