"""Codec families over FFmpeg: an abstract base plus one module per family.

``VideoEncoderSession``/``AudioEncoderSession`` encode streamlib frames into
:class:`~streamlib.EncodedPacket`; ``PacketDecoder`` decodes them again::

    from streamlib.media.codecs import VideoEncoderSession, VideoEncoderSettings, video_codec

    session = VideoEncoderSession(video_codec("h264"), VideoEncoderSettings(640, 480, crf=20))
"""

from ._aac import AAC
from ._audio_encoder import AudioEncoderSession
from ._av1 import AV1
from ._base import AudioCodec, AudioEncoderSettings, VideoCodec, VideoEncoderSettings
from ._decoder import PacketDecoder
from ._ffv1 import FFV1
from ._h264 import H264
from ._opus import Opus
from ._registry import (
    AUDIO_CODECS,
    VIDEO_CODECS,
    audio_codec,
    available_audio_codecs,
    available_video_codecs,
    decoder_name_for,
    video_codec,
)
from ._video_encoder import VIDEO_TIME_BASE, VideoEncoderSession
from ._vpx import VP8, VP9

__all__ = [
    "AAC",
    "AUDIO_CODECS",
    "AV1",
    "FFV1",
    "H264",
    "VIDEO_CODECS",
    "VIDEO_TIME_BASE",
    "VP8",
    "VP9",
    "AudioCodec",
    "AudioEncoderSession",
    "AudioEncoderSettings",
    "Opus",
    "PacketDecoder",
    "VideoCodec",
    "VideoEncoderSession",
    "VideoEncoderSettings",
    "audio_codec",
    "available_audio_codecs",
    "available_video_codecs",
    "decoder_name_for",
    "video_codec",
]
