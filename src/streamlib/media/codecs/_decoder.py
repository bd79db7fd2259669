"""A running decoder: :class:`EncodedPacket` in, PyAV frames out.

::

    decoder = PacketDecoder()
    for packet in packets:
        for picture in decoder.decode(packet):
            ...                                   # an av.VideoFrame
"""

from __future__ import annotations

from typing import Any

import av

from ...core import CodecError, EncodedPacket
from .._errors import FFMPEG_ERRORS, codec_error
from ._registry import decoder_name_for

__all__ = ["PacketDecoder"]


class PacketDecoder:
    """Decodes the packets of one stream; opens itself from the first packet's parameters.

    A packet of another codec (the producer was reconfigured) reopens the
    decoder. ``threads`` > 1 (or 0, automatic) decodes video with frame
    threading, which delays output by a few frames and raises throughput.
    """

    def __init__(self, *, threads: int = 0) -> None:
        self.threads = threads
        self._context: Any = None
        self._codec = ""
        self._extradata: bytes | None = None

    @property
    def codec(self) -> str:
        return self._codec

    def decode(self, packet: EncodedPacket) -> list[Any]:
        """The frames this packet completes (often one; none while the decoder fills up)."""
        if (
            self._context is None
            or packet.codec != self._codec
            or (packet.extradata is not None and packet.extradata != self._extradata)
        ):
            self._open(packet)
        av_packet = av.Packet(packet.data)
        av_packet.pts = packet.pts
        av_packet.dts = packet.dts
        av_packet.time_base = packet.time_base
        av_packet.is_keyframe = packet.keyframe
        try:
            return list(self._context.decode(av_packet))
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error,
                f"{self._codec} decoder: corrupt packet #{packet.frame_number} (pts {packet.pts})",
            ) from error

    def flush(self) -> list[Any]:
        """Frames still inside the decoder at the end of the stream."""
        if self._context is None:
            return []
        try:
            return list(self._context.decode(None))
        except FFMPEG_ERRORS as error:
            raise codec_error(error, f"{self._codec} decoder: cannot flush") from error

    def _open(self, packet: EncodedPacket) -> None:
        name = decoder_name_for(packet.codec)
        try:
            context: Any = av.CodecContext.create(name, "r")
        except (av.FFmpegError, ValueError) as error:
            raise CodecError(
                f"this FFmpeg build cannot decode {packet.codec!r} ({error}); "
                "install a PyAV build with that decoder"
            ) from error
        if packet.extradata:
            context.extradata = packet.extradata
        if packet.media_kind == "video":
            context.width = packet.width
            context.height = packet.height
            context.thread_type = "AUTO"
            context.thread_count = self.threads
        else:
            context.sample_rate = packet.sample_rate
            context.layout = {1: "mono", 2: "stereo"}.get(packet.channels, f"{packet.channels}c")
        self._context = context
        self._codec = packet.codec
        self._extradata = packet.extradata
