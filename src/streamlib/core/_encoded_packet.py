"""Encoded packets: compressed media (H.264, AAC, Opus...) travelling between processors.

An encoder writes them, a recorder muxes them and a network sender sends them,
without decoding and encoding again. The stream's parameters (codec, time base,
extradata, picture size or sample rate) ride on every packet, so a consumer that
joins late needs nothing but the packets themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar, Literal

from ._errors import FrameError
from ._frame import Frame

__all__ = ["EncodedPacket", "MediaKind"]

MediaKind = Literal["video", "audio"]


class EncodedPacket(Frame):
    """One compressed packet of a video or audio stream.

    ``pts``/``dts``/``duration`` count ticks of ``time_base`` (a fraction of a
    second), as in FFmpeg; ``timestamp_ns`` is the media-clock time of the frame
    it was encoded from. ``extradata`` is the codec's global header (H.264
    SPS/PPS, AAC AudioSpecificConfig), shared by every packet of a stream::

        packet = EncodedPacket(
            data, codec="h264", media_kind="video", keyframe=True, pts=0, dts=0,
            time_base=Fraction(1, 90_000), width=1280, height=720,
        )
        packet.seconds     # 0.0: where the packet sits on the stream's timeline
    """

    __slots__ = (
        "channels",
        "codec",
        "data",
        "dts",
        "duration",
        "extradata",
        "height",
        "keyframe",
        "media_kind",
        "pts",
        "sample_rate",
        "time_base",
        "width",
    )

    port_type_name: ClassVar[str] = "EncodedPacket"

    data: bytes
    codec: str
    media_kind: MediaKind
    keyframe: bool
    pts: int | None
    dts: int | None
    duration: int
    time_base: Fraction
    extradata: bytes | None
    width: int
    height: int
    sample_rate: int
    channels: int

    def __init__(
        self,
        data: bytes,
        *,
        codec: str,
        media_kind: MediaKind,
        time_base: Fraction,
        keyframe: bool = False,
        pts: int | None = None,
        dts: int | None = None,
        duration: int = 0,
        extradata: bytes | None = None,
        width: int = 0,
        height: int = 0,
        sample_rate: int = 0,
        channels: int = 0,
        timestamp_ns: int = 0,
        frame_number: int = 0,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(data, bytes):
            raise FrameError(
                f"EncodedPacket data must be bytes, not {type(data).__name__} (use bytes(packet))"
            )
        if media_kind not in ("video", "audio"):
            raise FrameError(f"media_kind is 'video' or 'audio', not {media_kind!r}")
        if time_base <= 0:
            raise FrameError(f"time_base must be a positive fraction of a second, got {time_base}")
        if media_kind == "video" and (width <= 0 or height <= 0):
            raise FrameError(f"a video packet needs its picture size; got {width}x{height}")
        if media_kind == "audio" and (sample_rate <= 0 or channels <= 0):
            raise FrameError(
                f"an audio packet needs its sample rate and channel count; "
                f"got {sample_rate} Hz, {channels} channels"
            )
        super().__init__(timestamp_ns=timestamp_ns, frame_number=frame_number, metadata=metadata)
        setter = object.__setattr__
        setter(self, "data", data)
        setter(self, "codec", codec)
        setter(self, "media_kind", media_kind)
        setter(self, "keyframe", keyframe)
        setter(self, "pts", pts)
        setter(self, "dts", dts)
        setter(self, "duration", duration)
        setter(self, "time_base", time_base)
        setter(self, "extradata", extradata)
        setter(self, "width", width)
        setter(self, "height", height)
        setter(self, "sample_rate", sample_rate)
        setter(self, "channels", channels)

    @property
    def size(self) -> int:
        """Bytes of compressed data."""
        return len(self.data)

    @property
    def seconds(self) -> float | None:
        """The presentation time in seconds (``pts * time_base``), if the packet has one."""
        return None if self.pts is None else float(self.pts * self.time_base)

    def replace(self, **changes: Any) -> EncodedPacket:
        """A new packet with some fields changed (``pts=...``, ``keyframe=...``); others shared."""
        fields = {name: getattr(self, name) for name in _FIELDS}
        unknown = set(changes) - set(fields)
        if unknown:
            raise FrameError(f"EncodedPacket has no field(s) {sorted(unknown)}")
        fields.update(changes)
        data = fields.pop("data")
        return EncodedPacket(data, **fields)

    def __repr__(self) -> str:
        key = " key" if self.keyframe else ""
        return (
            f"EncodedPacket({self.codec}{key}, {self.size} B, pts={self.pts} "
            f"tb={self.time_base}, #{self.frame_number})"
        )


_FIELDS = (
    "data",
    "codec",
    "media_kind",
    "keyframe",
    "pts",
    "dts",
    "duration",
    "time_base",
    "extradata",
    "width",
    "height",
    "sample_rate",
    "channels",
    "timestamp_ns",
    "frame_number",
    "metadata",
)
