"""A running video encoder: streamlib frames in, :class:`EncodedPacket` out.

::

    settings = VideoEncoderSettings(1280, 720, fps=30, tune="zerolatency")
    session = VideoEncoderSession(H264(), settings)
    for frame in frames:
        for packet in session.encode(frame):
            send(packet)
    tail = session.flush()
"""

from __future__ import annotations

from contextlib import nullcontext
from fractions import Fraction
from typing import Any

import av

from ...core import NS_PER_S, EncodedPacket, VideoFrame
from .._convert import to_av_video
from .._errors import FFMPEG_ERRORS, codec_error
from .._input import ns_to_ticks
from .._thread_scheduling import keep_thread_scheduling
from ._base import VideoCodec, VideoEncoderSettings

__all__ = ["VIDEO_TIME_BASE", "VideoEncoderSession"]

VIDEO_TIME_BASE = Fraction(1, 90_000)
"""Ticks of video timestamps: MPEG's 90 kHz clock, fine enough for any frame rate."""


class VideoEncoderSession:
    """One open FFmpeg video encoder.

    Timestamps: a frame's ``pts`` is its ``timestamp_ns`` relative to
    ``origin_ns`` (by default the first frame's), in :data:`VIDEO_TIME_BASE`
    ticks, so variable frame rates keep their real timing. Pts never repeat or
    go back: a frame stamped no later than the one before gets the next tick.

    ``global_header`` puts the codec's parameter sets in ``extradata`` (what
    MP4/Matroska and SDP want) instead of in front of every keyframe.
    ``context`` is an unopened encoder context to configure and use (a
    recorder passes its output stream's own), instead of a new one.
    """

    def __init__(
        self,
        codec: VideoCodec,
        settings: VideoEncoderSettings,
        *,
        origin_ns: int | None = None,
        global_header: bool = True,
        context: av.VideoCodecContext | None = None,
    ) -> None:
        self.codec = codec
        self.settings = settings
        self.origin_ns = origin_ns
        encoder = codec.require_encoder()
        options = codec.options(settings)
        if context is None:
            created = av.CodecContext.create(encoder, "w")
            assert isinstance(created, av.VideoCodecContext)
            context = created
        context.width = settings.width
        context.height = settings.height
        context.pix_fmt = codec.pixel_format_for(settings)
        context.time_base = VIDEO_TIME_BASE
        context.framerate = Fraction(settings.fps).limit_denominator(1001)
        context.gop_size = settings.keyframe_interval
        context.thread_count = settings.threads
        # As the ffmpeg command line does: frame threads where the encoder has them (PyAV's
        # default, slice threads only, left x264 about 15 % slower at 1080p on 2 cores).
        # A zerolatency tune still makes x264 use slice threads (no frame delay).
        context.thread_type = "AUTO"
        if settings.bitrate is not None:
            context.bit_rate = settings.bitrate
        elif codec.name in ("vp9",):
            context.bit_rate = 0  # constant quality: libvpx reads crf only with b:v 0
        if global_header:
            context.flags |= av.codec.context.Flags.global_header
        context.options = options
        self._guard = keep_thread_scheduling if codec.alters_thread_scheduling else nullcontext
        try:
            with self._guard():
                context.open()
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error,
                f"cannot open the {encoder} encoder with {options} at "
                f"{settings.width}x{settings.height}",
            ) from error
        self._context = context
        self._encoder = encoder
        self._frame_ticks = max(1, round(VIDEO_TIME_BASE.denominator / settings.fps))
        self._last_pts = -1
        self._frames = 0
        self._packets = 0
        self._stamps: dict[int, int] = {}  # pts -> timestamp_ns, to stamp packets

    @property
    def extradata(self) -> bytes | None:
        data = self._context.extradata
        return bytes(data) if data else None

    @property
    def frames_in(self) -> int:
        return self._frames

    def encode(self, frame: VideoFrame) -> list[EncodedPacket]:
        """Encode one picture (converted to the encoder's size and format as needed)."""
        if self.origin_ns is None:
            self.origin_ns = frame.timestamp_ns
        pts = ns_to_ticks(frame.timestamp_ns - self.origin_ns, VIDEO_TIME_BASE)
        pts = max(pts, self._last_pts + 1)
        self._last_pts = pts
        converted = to_av_video(frame)
        converted.pts = pts
        converted.time_base = VIDEO_TIME_BASE
        self._stamps[pts] = frame.timestamp_ns
        self._frames += 1
        try:
            with self._guard():
                packets = self._context.encode(converted)
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error, f"{self._encoder}: cannot encode frame #{frame.frame_number}"
            ) from error
        return [self._wrap(packet) for packet in packets]

    def flush(self) -> list[EncodedPacket]:
        """Drain the encoder's delayed frames (call once, at the end)."""
        try:
            with self._guard():
                packets = self._context.encode(None)
        except FFMPEG_ERRORS as error:
            raise codec_error(error, f"{self._encoder}: cannot flush") from error
        return [self._wrap(packet) for packet in packets]

    def _wrap(self, packet: av.Packet[Any]) -> EncodedPacket:
        pts = packet.pts
        stamp = self._stamps.pop(pts, None) if pts is not None else None
        if stamp is None:
            stamp = (self.origin_ns or 0) + (pts or 0) * NS_PER_S // VIDEO_TIME_BASE.denominator
        number = self._packets
        self._packets += 1
        return EncodedPacket(
            bytes(packet),
            codec=self.codec.name,
            media_kind="video",
            time_base=VIDEO_TIME_BASE,
            keyframe=packet.is_keyframe,
            pts=pts,
            dts=packet.dts,
            # Encoders leave durations unset; the nominal frame time keeps the last
            # frame of a recording (and a fragment) its length.
            duration=packet.duration or self._frame_ticks,
            extradata=self.extradata,
            width=self.settings.width,
            height=self.settings.height,
            timestamp_ns=stamp,
            frame_number=number,
        )
