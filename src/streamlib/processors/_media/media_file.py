"""MediaFile: play any file or URL FFmpeg opens (mp4, mkv, webm, RTSP, HTTP) as video and audio."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from ...core import ConfigError, reach_field
from ._ffmpeg_input import FFmpegInputConfig, FFmpegInputProcessor

__all__ = ["MediaFile"]

_URL_SCHEMES = (
    "rtsp://",
    "rtsps://",
    "http://",
    "https://",
    "rtmp://",
    "udp://",
    "tcp://",
    "srt://",
)


class MediaFileConfig(FFmpegInputConfig):
    path: str = reach_field(
        ...,
        reaches="media",
        description="A file path or a URL FFmpeg opens (rtsp://, http://...).",
        min_length=1,
    )
    input_format: str | None = reach_field(
        None,
        reaches="ffmpeg_format",
        media_field="path",
        description="FFmpeg's input format, when probing cannot tell (e.g. 'mpegts').",
    )
    options: dict[str, str] = reach_field(
        {},
        reaches="ffmpeg_options",
        media_field="path",
        description="FFmpeg input options, e.g. {rtsp_transport: tcp}.",
    )
    video_enabled: bool = Field(True, description="Decode the first video stream.")
    audio_enabled: bool = Field(True, description="Decode the first audio stream.")


class MediaFile(FFmpegInputProcessor[MediaFileConfig]):
    """Decode a file or stream with FFmpeg and write its pictures and audio.

    Frames are paced by the file's own timestamps (``realtime: true``, a live
    source) or written as fast as the consumers take them (``realtime: false``,
    for transcoding: the file waits for its consumers and nothing is lost).
    At the end of the file (or at a ``duration_s`` / ``frames`` limit) the
    stream ends, so a transcode finishes by itself; ``loop`` plays it again
    from the start instead. Network streams stay live whatever
    ``realtime`` says. Timestamps are mapped onto the runtime's ``MediaClock``,
    so audio and video stay aligned the way the file aligns them. A corrupt
    packet raises ``CodecError`` (an error event); the processor then resumes
    after it. Progress (position and length) is in its statistics.

    Example pipeline entry::

        clip: {type: MediaFile, config: {path: clip.mp4, loop: true, pixel_format: yuv420p}}
        job: {type: MediaFile, config: {path: in.mp4, realtime: false}}
    """

    tags: ClassVar[tuple[str, ...]] = ("video", "audio", "source", "file", "network")
    # What it reaches depends on the path (a file to read or a URL): its fields say so.

    def __init__(
        self, config: MediaFileConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        # Here, not in a validator: whoever grants permissions validates configs (and so
        # runs validators) before checking paths, and must learn nothing about files there.
        path = self.config.path
        is_url = path.lower().startswith(_URL_SCHEMES) or "://" in path
        if not is_url and not os.path.isfile(path):
            raise ConfigError(
                f"invalid {self.type_name} config: path: no file at {path!r} "
                "(give an existing file or a URL)"
            )

    def input_spec(self) -> tuple[str, str | None, dict[str, str]]:
        cfg = self.config
        return cfg.path, cfg.input_format, dict(cfg.options)

    def input_is_live(self) -> bool:
        # A network stream runs at the sender's pace; only a file can wait. (Devices
        # are Camera's and AudioCapture's: a path here is a regular file.)
        path = self.config.path.lower()
        return "://" in path and not path.startswith("file:")

    def wants(self) -> tuple[bool, bool]:
        return self.config.video_enabled, self.config.audio_enabled
