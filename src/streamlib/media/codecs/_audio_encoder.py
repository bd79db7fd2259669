"""A running audio encoder: float32 blocks in, :class:`EncodedPacket` out, sample-exact timing.

::

    session = AudioEncoderSession(AAC(), AudioEncoderSettings(48_000, 2))
    packets = session.encode(block) + session.flush()
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av

from ...core import NS_PER_S, AudioFrame, CodecError, EncodedPacket
from .._convert import channel_layout, to_av_audio
from .._errors import FFMPEG_ERRORS, codec_error
from .._input import ns_to_ticks
from ._base import AudioCodec, AudioEncoderSettings

__all__ = ["AudioEncoderSession"]


class AudioEncoderSession:
    """One open FFmpeg audio encoder.

    Timing counts samples, not clock readings: the first block's pts is its
    offset from ``origin_ns`` (by default its own timestamp, so 0), and every
    later block follows right after the samples before it. Audio therefore never
    drifts against the sample rate, however the blocks were scheduled.
    ``context``: an unopened encoder context to use instead of a new one.
    """

    def __init__(
        self,
        codec: AudioCodec,
        settings: AudioEncoderSettings,
        *,
        origin_ns: int | None = None,
        global_header: bool = True,
        context: av.AudioCodecContext | None = None,
    ) -> None:
        codec.check(settings)
        self.codec = codec
        self.settings = settings
        self.origin_ns = origin_ns
        self.time_base = Fraction(1, settings.sample_rate)
        encoder = codec.require_encoder()
        if context is None:
            created = av.CodecContext.create(encoder, "w")
            assert isinstance(created, av.AudioCodecContext)
            context = created
        context.sample_rate = settings.sample_rate
        context.layout = channel_layout(settings.channels)
        formats = [f.name for f in context.codec.audio_formats or ()]
        context.format = "flt" if "flt" in formats else (formats[0] if formats else "fltp")
        context.time_base = self.time_base
        context.bit_rate = settings.bitrate or codec.default_bitrate
        if global_header:
            context.flags |= av.codec.context.Flags.global_header
        context.options = codec.options(settings)
        try:
            context.open()
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error,
                f"cannot open the {encoder} encoder at {settings.sample_rate} Hz, "
                f"{settings.channels} channels",
            ) from error
        self._context = context
        self._encoder = encoder
        self._next_pts: int | None = None
        self._first_pts = 0
        self._packets = 0

    @property
    def extradata(self) -> bytes | None:
        data = self._context.extradata
        return bytes(data) if data else None

    @property
    def samples_in(self) -> int:
        """Samples encoded so far, counted from the first block."""
        return 0 if self._next_pts is None else self._next_pts - self._first_pts

    def encode(self, block: AudioFrame) -> list[EncodedPacket]:
        """Encode one block (any length: FFmpeg regroups it into codec frames)."""
        if (
            block.sample_rate != self.settings.sample_rate
            or block.channels != self.settings.channels
        ):
            raise CodecError(
                f"{self._encoder} was opened for {self.settings.sample_rate} Hz x "
                f"{self.settings.channels}; this block is {block.sample_rate} Hz x "
                f"{block.channels} (convert it first)"
            )
        if self._next_pts is None:
            if self.origin_ns is None:
                self.origin_ns = block.timestamp_ns
            offset = block.timestamp_ns - self.origin_ns
            self._first_pts = self._next_pts = ns_to_ticks(offset, self.time_base)
        converted = to_av_audio(block)
        converted.pts = self._next_pts
        converted.time_base = self.time_base
        self._next_pts += block.samples
        try:
            packets = self._context.encode(converted)
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error, f"{self._encoder}: cannot encode block #{block.frame_number}"
            ) from error
        return [self._wrap(packet) for packet in packets]

    def flush(self) -> list[EncodedPacket]:
        """Drain the encoder (the last partial frame is padded with silence)."""
        try:
            packets = self._context.encode(None)
        except FFMPEG_ERRORS as error:
            raise codec_error(error, f"{self._encoder}: cannot flush") from error
        return [self._wrap(packet) for packet in packets]

    def _wrap(self, packet: av.Packet[Any]) -> EncodedPacket:
        pts = packet.pts
        origin = self.origin_ns or 0
        number = self._packets
        self._packets += 1
        return EncodedPacket(
            bytes(packet),
            codec=self.codec.name,
            media_kind="audio",
            time_base=self.time_base,
            keyframe=True,  # every audio frame decodes on its own
            pts=pts,
            dts=packet.dts,
            duration=packet.duration or 0,
            extradata=self.extradata,
            sample_rate=self.settings.sample_rate,
            channels=self.settings.channels,
            timestamp_ns=origin + (pts or 0) * NS_PER_S // self.settings.sample_rate,
            frame_number=number,
        )
