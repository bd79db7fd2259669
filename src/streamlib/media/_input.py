"""Reading media through FFmpeg: demux one packet at a time, decode it, say where it was.

Anything FFmpeg opens works: files (mp4, mkv, webm...), URLs (RTSP, HTTP),
lavfi graphs (``format="lavfi"``) and capture devices (``format="v4l2"``)::

    reader = MediaInput("clip.mp4")
    while (decoded := reader.read()) is not None:
        for item in decoded:
            print(item.kind, item.time_ns)
    reader.close()

A packet FFmpeg cannot decode raises :class:`CodecError` naming its stream,
time and byte offset; the reader stays usable, so the caller may report it
and go on with the next packet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import av
from av.container import InputContainer

from ..core import NS_PER_S, CodecError
from ._errors import FFMPEG_ERRORS, codec_error

__all__ = ["Decoded", "MediaInput", "MediaKind", "ns_to_ticks", "ticks_to_ns"]

MediaKind = Literal["video", "audio"]


def ticks_to_ns(ticks: int, time_base: Fraction) -> int:
    """``ticks`` of ``time_base`` as integer nanoseconds (exact, no float rounding)."""
    return ticks * time_base.numerator * NS_PER_S // time_base.denominator


def ns_to_ticks(ns: int, time_base: Fraction) -> int:
    """``ns`` nanoseconds in ticks of ``time_base``, rounded to the nearest tick."""
    scale = time_base.numerator * NS_PER_S
    return (2 * ns * time_base.denominator + scale) // (2 * scale)


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded picture or audio block and its time from the start of the input."""

    kind: MediaKind
    frame: Any  # av.VideoFrame or av.AudioFrame
    time_ns: int


class MediaInput:
    """An FFmpeg input, demuxed and decoded packet by packet.

    Args:
        url: a path, URL, lavfi graph or device name.
        input_format: FFmpeg's input format (``"lavfi"``, ``"v4l2"``); None lets FFmpeg probe.
        options: FFmpeg input options (``{"rtsp_transport": "tcp"}``,
            ``{"video_size": "1280x720"}``).
        video / audio: decode the first stream of that kind, if there is one.
        threads: decoder threads (0: as many as FFmpeg thinks useful); video
            decodes with frame threading, which FFmpeg pipelines across frames.
        timeout_s: give up opening or reading a network input after this long.
    """

    def __init__(
        self,
        url: str,
        *,
        input_format: str | None = None,
        options: Mapping[str, str] | None = None,
        video: bool = True,
        audio: bool = True,
        threads: int = 0,
        timeout_s: float | None = None,
    ) -> None:
        self.url = url
        try:
            container = av.open(
                url, mode="r", format=input_format, options=dict(options or {}), timeout=timeout_s
            )
        except FFMPEG_ERRORS as error:
            raise codec_error(error, f"cannot open {url!r}") from error
        assert isinstance(container, InputContainer)
        self._container = container
        self.video_stream = (
            container.streams.video[0] if video and container.streams.video else None
        )
        self.audio_stream = (
            container.streams.audio[0] if audio and container.streams.audio else None
        )
        if self.video_stream is None and self.audio_stream is None:
            container.close()
            wanted = " or ".join(k for k, on in (("video", video), ("audio", audio)) if on)
            raise CodecError(f"{url!r} has no {wanted} stream")
        if self.video_stream is not None:
            self.video_stream.thread_type = "AUTO"
            self.video_stream.thread_count = threads
        self._streams = [s for s in (self.video_stream, self.audio_stream) if s is not None]
        # The common origin of every stream: where the input starts, so audio and
        # video times stay aligned the way the file aligns them.
        start = container.start_time
        self._origin_ns = 0 if start is None else start * 1000  # AV_TIME_BASE is microseconds
        self._packets = container.demux(self._streams)
        # (stream index, pts) of packets never to decode again (they failed once).
        self.skip: set[tuple[int, int]] = set()
        # After a corrupt video packet the pictures that refer to it cannot decode
        # (and a frame-threaded decoder reports the error a few packets late):
        # video resumes at the first keyframe after this time.
        self.resync_after_ns: int | None = None
        self.packets_read = 0
        self.position_ns = 0  # time of the last packet read, for messages and resuming

    @property
    def duration_ns(self) -> int | None:
        """The input's duration, when the container says (files do; live streams do not)."""
        duration = self._container.duration
        return None if duration is None else duration * 1000

    @property
    def format_name(self) -> str:
        return str(self._container.format.name)

    def read(self) -> list[Decoded] | None:
        """Demux one packet and decode it: its pictures or audio blocks (maybe none yet).

        Returns None at the end of the input (after the decoders were drained).

        Raises:
            CodecError: the packet (or the data before it) could not be read or decoded.
        """
        try:
            packet = next(self._packets)
        except StopIteration:
            return None
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error, f"{self.url!r}: unreadable data after {self.position_ns / NS_PER_S:.3f} s"
            ) from error
        self.packets_read += 1
        stream = packet.stream
        kind: MediaKind = "video" if stream.type == "video" else "audio"
        when = packet.pts if packet.pts is not None else packet.dts
        if when is not None and packet.time_base is not None:
            self.position_ns = ticks_to_ns(when, packet.time_base) - self._origin_ns
            if (stream.index, when) in self.skip:
                return []
        if kind == "video" and self.resync_after_ns is not None:
            if not (packet.is_keyframe and self.position_ns > self.resync_after_ns):
                return []  # not decodable until the next keyframe
            self.resync_after_ns = None
        try:
            frames = packet.decode()
        except FFMPEG_ERRORS as error:
            if when is not None:
                self.skip.add((stream.index, when))  # never feed it to a decoder again
            if kind == "video":
                self.resync_after_ns = self.position_ns
                stream.codec_context.flush_buffers()
            raise codec_error(
                error,
                f"{self.url!r}: corrupt {kind} packet at {self.position_ns / NS_PER_S:.3f} s "
                f"(byte {packet.pos})",
            ) from error
        decoded: list[Decoded] = []
        for frame in frames:
            if not isinstance(frame, (av.VideoFrame, av.AudioFrame)):
                continue  # subtitles are never selected; keeps the types honest
            pts = frame.pts
            time_base = frame.time_base
            if pts is None or time_base is None:
                time_ns = self.position_ns
            else:
                time_ns = ticks_to_ns(pts, time_base) - self._origin_ns
            decoded.append(Decoded(kind, frame, time_ns))
        return decoded

    def seek(self, time_ns: int) -> None:
        """Jump to the keyframe at or before ``time_ns`` (from the input's start).

        Decoders are reset; frames before ``time_ns`` come out again, so callers
        resuming a stream drop those they already had.
        """
        stream = self.video_stream or self.audio_stream
        assert stream is not None
        assert stream.time_base is not None
        target = (time_ns + self._origin_ns) * stream.time_base.denominator
        target //= NS_PER_S * stream.time_base.numerator
        try:
            self._container.seek(target, stream=stream, backward=True, any_frame=False)
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error, f"{self.url!r}: cannot seek to {time_ns / NS_PER_S:.3f} s"
            ) from error
        for each in self._streams:
            each.codec_context.flush_buffers()
        self._packets = self._container.demux(self._streams)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> MediaInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
