"""Video frames: a numpy array plus the pixel format that says how to read it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ._errors import FrameError
from ._frame import ArrayFrame

__all__ = ["PixelFormat", "VideoFrame"]


class PixelFormat(enum.Enum):
    """How a video frame's array is laid out (names follow FFmpeg's).

    Packed formats are ``(height, width, channels)``; ``gray8`` is
    ``(height, width)``; the 4:2:0 formats keep all planes in one
    ``(height * 3 // 2, width)`` array, as PyAV's ``to_ndarray()`` does.
    """

    RGB24 = "rgb24"
    RGBA = "rgba"
    BGRA = "bgra"
    GRAY8 = "gray8"
    YUV420P = "yuv420p"
    NV12 = "nv12"

    @classmethod
    def parse(cls, value: PixelFormat | str) -> PixelFormat:
        """Accept a ``PixelFormat`` or its FFmpeg name (``"rgb24"``)."""
        if isinstance(value, PixelFormat):
            return value
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(f.value for f in cls)
            raise FrameError(f"unknown pixel format {value!r}; use one of: {known}") from None

    @property
    def is_planar_420(self) -> bool:
        return self in (PixelFormat.YUV420P, PixelFormat.NV12)

    def array_shape(self, width: int, height: int) -> tuple[int, ...]:
        """The numpy shape of a ``width`` x ``height`` frame in this format."""
        if self.is_planar_420:
            return (height * 3 // 2, width)
        if self is PixelFormat.GRAY8:
            return (height, width)
        return (height, width, _PACKED_CHANNELS[self])

    def size_of(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """``(width, height)`` of an array of ``shape``; ``FrameError`` if it does not fit."""
        if self.is_planar_420:
            if len(shape) != 2 or shape[0] % 3:
                raise FrameError(
                    f"{self.value} frames are one (height*3/2, width) array; got shape {shape}"
                )
            width, height = shape[1], shape[0] * 2 // 3
            if width % 2 or height % 2:
                raise FrameError(
                    f"{self.value} needs an even width and height; got {width}x{height}"
                )
            return width, height
        if self is PixelFormat.GRAY8:
            if len(shape) != 2:
                raise FrameError(f"gray8 frames are (height, width) arrays; got shape {shape}")
            return shape[1], shape[0]
        channels = _PACKED_CHANNELS[self]
        if len(shape) != 3 or shape[2] != channels:
            raise FrameError(
                f"{self.value} frames are (height, width, {channels}) arrays; got shape {shape}"
            )
        return shape[1], shape[0]


_PACKED_CHANNELS = {PixelFormat.RGB24: 3, PixelFormat.RGBA: 4, PixelFormat.BGRA: 4}


class VideoFrame(ArrayFrame):
    """One picture: a uint8 numpy array in a :class:`PixelFormat`.

    The size is read from the array and checked against the format, so a frame
    never claims a size its data does not have::

        frame = VideoFrame(np.zeros((480, 640, 3), np.uint8), "rgb24",
                           timestamp_ns=clock.now_ns(), frame_number=7)
        frame.width, frame.height                 # (640, 480)
        darker = frame.replace(data=frame.to_ndarray() // 2)
    """

    __slots__ = ("height", "pixel_format", "width")

    port_type_name: ClassVar[str] = "VideoFrame"

    pixel_format: PixelFormat
    width: int
    height: int

    def __init__(
        self,
        data: np.ndarray[Any, Any],
        pixel_format: PixelFormat | str = PixelFormat.RGB24,
        *,
        timestamp_ns: int = 0,
        frame_number: int = 0,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        fmt = PixelFormat.parse(pixel_format)
        if not isinstance(data, np.ndarray):
            raise FrameError(f"VideoFrame data must be a numpy array, not {type(data).__name__}")
        if data.dtype != np.uint8:
            raise FrameError(f"{fmt.value} frames hold uint8 pixels; got a {data.dtype} array")
        width, height = fmt.size_of(data.shape)
        super().__init__(timestamp_ns=timestamp_ns, frame_number=frame_number, metadata=metadata)
        setter = object.__setattr__
        setter(self, "data", data)
        setter(self, "pixel_format", fmt)
        setter(self, "width", width)
        setter(self, "height", height)

    @classmethod
    def blank(
        cls,
        width: int,
        height: int,
        pixel_format: PixelFormat | str = PixelFormat.RGB24,
        *,
        timestamp_ns: int = 0,
        frame_number: int = 0,
    ) -> VideoFrame:
        """A black (zeroed) frame of the given size."""
        fmt = PixelFormat.parse(pixel_format)
        data = np.zeros(fmt.array_shape(width, height), dtype=np.uint8)
        return cls(data, fmt, timestamp_ns=timestamp_ns, frame_number=frame_number)

    def replace(
        self,
        *,
        data: np.ndarray[Any, Any] | None = None,
        pixel_format: PixelFormat | str | None = None,
        timestamp_ns: int | None = None,
        frame_number: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> VideoFrame:
        """A new frame with some fields changed; the others (the array too, unless given) shared."""
        return VideoFrame(
            self.data if data is None else data,
            self.pixel_format if pixel_format is None else pixel_format,
            timestamp_ns=self.timestamp_ns if timestamp_ns is None else timestamp_ns,
            frame_number=self.frame_number if frame_number is None else frame_number,
            metadata=self.metadata if metadata is None else metadata,
        )

    def __repr__(self) -> str:
        return (
            f"VideoFrame({self.width}x{self.height} {self.pixel_format.value}, "
            f"#{self.frame_number} at {self.timestamp_ns} ns)"
        )
