"""Built-in processors. Each is registered under its class name (``streamlib list``)."""

from ._audio_codecs import AudioDecoder, AudioEncoder
from ._audio_devices import AudioCapture, AudioDeviceStatistics, AudioOutput, list_audio_devices
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
    "list_audio_devices",
]
