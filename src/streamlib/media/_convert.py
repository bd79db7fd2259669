"""Conversion between streamlib frames and PyAV frames, and swscale scaling with reused buffers.

::

    converter = VideoConverter(width=640, height=360, pixel_format="yuv420p")
    small = converter.convert(frame)          # a VideoFrame from the converter's pool
    av_frame = to_av_video(small)             # shares the array with FFmpeg, no copy
"""

from __future__ import annotations

from typing import Any, Literal

import av
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from ..core import AudioFrame, BufferPool, FrameError, PixelFormat, VideoFrame

__all__ = [
    "AV_PIXEL_FORMATS",
    "AudioConverter",
    "Scaling",
    "VideoConverter",
    "channel_layout",
    "copy_into",
    "pixel_format_of",
    "to_av_audio",
    "to_av_video",
]

AV_PIXEL_FORMATS: dict[PixelFormat, str] = {
    PixelFormat.RGB24: "rgb24",
    PixelFormat.RGBA: "rgba",
    PixelFormat.BGRA: "bgra",
    PixelFormat.GRAY8: "gray",  # FFmpeg's name for 8-bit luma
    PixelFormat.YUV420P: "yuv420p",
    PixelFormat.NV12: "nv12",
}
"""FFmpeg's name for each streamlib pixel format."""

_FROM_AV = {name: fmt for fmt, name in AV_PIXEL_FORMATS.items()}

Scaling = Literal["fast_bilinear", "bilinear", "bicubic", "area", "lanczos", "point"]
"""swscale's scaling algorithms that streamlib offers (FFmpeg's ``-sws_flags``)."""


def pixel_format_of(av_format_name: str) -> PixelFormat | None:
    """The streamlib format for an FFmpeg pixel format name, or None if streamlib has none."""
    return _FROM_AV.get(av_format_name)


def to_av_video(frame: VideoFrame) -> av.VideoFrame:
    """The frame as a PyAV frame that shares its array (FFmpeg reads it, never writes it)."""
    data = frame.data
    name = AV_PIXEL_FORMATS[frame.pixel_format]
    if data.flags.c_contiguous:
        return av.VideoFrame.from_numpy_buffer(data, format=name)
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(data), format=name)


def _copy_plane(plane: Any, rows: int, row_bytes: int, out: np.ndarray[Any, Any]) -> None:
    # FFmpeg pads each row to line_size bytes; copy only the picture.
    source = np.frombuffer(plane, np.uint8)[: plane.line_size * rows]
    np.copyto(out, source.reshape(rows, plane.line_size)[:, :row_bytes])


def copy_into(frame: av.VideoFrame, fmt: PixelFormat, out: np.ndarray[Any, Any]) -> None:
    """Copy a PyAV frame already in ``fmt`` into ``out`` (shaped as ``fmt.array_shape``)."""
    width, height = frame.width, frame.height
    planes = frame.planes
    if fmt is PixelFormat.YUV420P:
        flat = out.reshape(-1)
        luma, chroma = width * height, (width // 2) * (height // 2)
        _copy_plane(planes[0], height, width, flat[:luma].reshape(height, width))
        half = (height // 2, width // 2)
        _copy_plane(planes[1], *half, flat[luma : luma + chroma].reshape(half))
        _copy_plane(planes[2], *half, flat[luma + chroma : luma + 2 * chroma].reshape(half))
    elif fmt is PixelFormat.NV12:
        _copy_plane(planes[0], height, width, out[:height])
        _copy_plane(planes[1], height // 2, width, out[height:])
    else:
        row_bytes = width * (1 if fmt is PixelFormat.GRAY8 else out.shape[2])
        _copy_plane(planes[0], height, row_bytes, out.reshape(height, row_bytes))


class VideoConverter:
    """Scale and convert pictures with FFmpeg's swscale, into a pool of reused arrays.

    The swscale context is kept between frames (rebuilt only when the input size
    or format changes) and output arrays come from a :class:`BufferPool`, so a
    steady stream allocates nothing per frame. ``width``/``height`` of ``None``
    keep the input's size.
    """

    def __init__(
        self,
        *,
        width: int | None = None,
        height: int | None = None,
        pixel_format: PixelFormat | str = PixelFormat.RGB24,
        scaling: Scaling = "bilinear",
        max_buffers: int = 8,
    ) -> None:
        self.width = width
        self.height = height
        self.pixel_format = PixelFormat.parse(pixel_format)
        if self.pixel_format.is_planar_420 and (width or 0) % 2 + (height or 0) % 2:
            raise FrameError(f"{self.pixel_format.value} needs an even size, got {width}x{height}")
        self.interpolation = Interpolation[scaling.upper()]
        self.max_buffers = max_buffers
        self._reformatter = VideoReformatter()
        self._pool: BufferPool | None = None

    def output_size(self, in_width: int, in_height: int) -> tuple[int, int]:
        width = self.width or in_width
        height = self.height or in_height
        if self.pixel_format.is_planar_420:  # 4:2:0 chroma needs even sizes
            width, height = width - width % 2, height - height % 2
        return width, height

    def convert_av(
        self, frame: av.VideoFrame, *, timestamp_ns: int = 0, frame_number: int = 0
    ) -> VideoFrame:
        """A decoded PyAV frame as a streamlib frame of the configured size and format."""
        width, height = self.output_size(frame.width, frame.height)
        name = AV_PIXEL_FORMATS[self.pixel_format]
        if (frame.width, frame.height, frame.format.name) != (width, height, name):
            frame = self._reformatter.reformat(
                frame, width=width, height=height, format=name, interpolation=self.interpolation
            )
        shape = self.pixel_format.array_shape(width, height)
        pool = self._pool
        if pool is None or pool.shape != shape:
            pool = self._pool = BufferPool(shape, np.uint8, max_buffers=self.max_buffers)
        out = pool.acquire()
        copy_into(frame, self.pixel_format, out)
        return VideoFrame(
            out, self.pixel_format, timestamp_ns=timestamp_ns, frame_number=frame_number
        )

    def convert(self, frame: VideoFrame) -> VideoFrame:
        """``frame`` scaled and converted; its timestamp, number and metadata kept."""
        if (frame.width, frame.height) == self.output_size(frame.width, frame.height) and (
            frame.pixel_format is self.pixel_format
        ):
            return frame  # nothing to do: pass it on by reference
        converted = self.convert_av(
            to_av_video(frame), timestamp_ns=frame.timestamp_ns, frame_number=frame.frame_number
        )
        if frame.metadata:
            converted = converted.replace(metadata=frame.metadata)
        return converted

    @property
    def buffers_allocated(self) -> int:
        """Output arrays the pool owns (stays small on a steady stream)."""
        return 0 if self._pool is None else self._pool.allocated


def channel_layout(channels: int) -> str:
    """FFmpeg's layout name for a channel count (``mono``, ``stereo``, then ``Nc``)."""
    if channels < 1:
        raise FrameError(f"a channel layout needs at least one channel, got {channels}")
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")


def to_av_audio(frame: AudioFrame) -> av.AudioFrame:
    """A streamlib block as a packed float PyAV frame (FFmpeg's ``flt``)."""
    interleaved = np.ascontiguousarray(frame.data).reshape(1, -1)
    converted = av.AudioFrame.from_ndarray(
        interleaved, format="flt", layout=channel_layout(frame.channels)
    )
    converted.sample_rate = frame.sample_rate
    return converted


class AudioConverter:
    """Decoded PyAV audio (any sample format or layout) to float32 ``(samples, channels)``.

    ``sample_rate``/``channels`` of ``None`` keep the input's; otherwise FFmpeg's
    resampler converts (it keeps state between blocks, so a stream resamples
    without clicks).
    """

    def __init__(self, *, sample_rate: int | None = None, channels: int | None = None) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self._resampler: av.AudioResampler | None = None
        self._rate = 0
        self._channels = 0

    def convert(self, frame: av.AudioFrame) -> list[np.ndarray[Any, Any]]:
        """The samples of ``frame`` as float32 arrays (a resampler may return 0, 1 or more)."""
        if self._resampler is None:
            self._rate = self.sample_rate or frame.sample_rate
            self._channels = self.channels or len(frame.layout.channels)
            self._resampler = av.AudioResampler(
                format="flt", layout=channel_layout(self._channels), rate=self._rate
            )
        return [self._to_array(out) for out in self._resampler.resample(frame)]

    def flush(self) -> list[np.ndarray[Any, Any]]:
        """What the resampler still holds at the end of a stream."""
        if self._resampler is None:
            return []
        return [self._to_array(out) for out in self._resampler.resample(None)]

    @property
    def output_rate(self) -> int:
        return self._rate

    def _to_array(self, frame: av.AudioFrame) -> np.ndarray[Any, Any]:
        samples: np.ndarray[Any, Any] = frame.to_ndarray().reshape(-1, self._channels)
        return samples
