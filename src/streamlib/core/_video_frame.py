"""Video frames: a numpy array (or a GPU texture) plus the pixel format that says how to read it."""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ._errors import FrameError
from ._frame import (
    _SET_FRAME_NUMBER,
    _SET_METADATA,
    _SET_TIMESTAMP_NS,
    EMPTY_METADATA,
    ArrayFrame,
)
from ._gpu_texture import GpuTexture, GpuUploader

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

    # Members are singletons compared by identity, so identity is the right hash, and
    # it is C code: Enum's own __hash__ runs Python, on every dict lookup by format.
    __hash__ = object.__hash__

    @classmethod
    def parse(cls, value: PixelFormat | str) -> PixelFormat:
        """Accept a ``PixelFormat`` or its FFmpeg name (``"rgb24"``)."""
        if isinstance(value, PixelFormat):
            return value
        fmt = _BY_NAME.get(value) if isinstance(value, str) else None
        if fmt is None:
            known = ", ".join(f.value for f in cls)
            raise FrameError(f"unknown pixel format {value!r}; use one of: {known}")
        return fmt

    @property
    def is_planar_420(self) -> bool:
        return self is _YUV420P or self is _NV12

    def array_shape(self, width: int, height: int) -> tuple[int, ...]:
        """The numpy shape of a ``width`` x ``height`` frame in this format."""
        if self.is_planar_420:
            return (height * 3 // 2, width)
        if self is PixelFormat.GRAY8:
            return (height, width)
        return (height, width, _PACKED_CHANNELS[self])

    def size_of(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """``(width, height)`` of an array of ``shape``; ``FrameError`` if it does not fit."""
        channels = _PACKED_CHANNELS.get(self)
        if channels is not None:
            if len(shape) != 3 or shape[2] != channels:
                raise FrameError(
                    f"{self.value} frames are (height, width, {channels}) arrays; got shape {shape}"
                )
            return shape[1], shape[0]
        if self is _GRAY8:
            if len(shape) != 2:
                raise FrameError(f"gray8 frames are (height, width) arrays; got shape {shape}")
            return shape[1], shape[0]
        # yuv420p, nv12: every plane in one array
        if len(shape) != 2 or shape[0] % 3:
            raise FrameError(
                f"{self.value} frames are one (height*3/2, width) array; got shape {shape}"
            )
        width, height = shape[1], shape[0] * 2 // 3
        if width % 2 or height % 2:
            raise FrameError(f"{self.value} needs an even width and height; got {width}x{height}")
        return width, height


_PACKED_CHANNELS = {PixelFormat.RGB24: 3, PixelFormat.RGBA: 4, PixelFormat.BGRA: 4}
_BY_NAME = {fmt.value: fmt for fmt in PixelFormat}
_RGB24, _GRAY8 = PixelFormat.RGB24, PixelFormat.GRAY8
_YUV420P, _NV12 = PixelFormat.YUV420P, PixelFormat.NV12
_UINT8 = np.dtype(np.uint8)


# The array slot declared by ArrayFrame, which VideoFrame's ``data`` property wraps.
_DATA_SLOT: Any = ArrayFrame.__dict__["data"]

# Converting between array and texture happens once per frame, but two consumers of
# a fanned-out frame may ask at once; striped locks keep that to one conversion
# without a lock object per frame.
_CONVERSION_LOCKS = tuple(threading.Lock() for _ in range(16))


class VideoFrame(ArrayFrame):
    """One picture: a uint8 numpy array in a :class:`PixelFormat`, or a GPU texture.

    The size is read from the array and checked against the format, so a frame
    never claims a size its data does not have::

        frame = VideoFrame(np.zeros((480, 640, 3), np.uint8), "rgb24",
                           timestamp_ns=clock.now_ns(), frame_number=7)
        frame.width, frame.height                 # (640, 480)
        darker = frame.replace(data=frame.to_ndarray() // 2)

    A frame made from a :class:`GpuTexture` keeps its pixels on the GPU:
    ``to_gpu(gpu)`` hands the texture to GPU processors as it is, and
    ``to_ndarray()`` (or ``data``) downloads it once and caches the array,
    read-only because every consumer of the frame shares it. Likewise an
    array frame's ``to_gpu`` uploads once and caches the texture.
    """

    __slots__ = ("_texture", "height", "pixel_format", "width")

    port_type_name: ClassVar[str] = "VideoFrame"

    pixel_format: PixelFormat
    width: int
    height: int
    _texture: GpuTexture | None

    def __init__(
        self,
        data: np.ndarray[Any, Any] | GpuTexture,
        pixel_format: PixelFormat | str | None = None,
        *,
        timestamp_ns: int = 0,
        frame_number: int = 0,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        # Every frame on every hop is made here: module-level names for the members
        # (reading one off an Enum class is slow in 3.11), each slot set through its
        # descriptor (see _frame.py) and Frame's fields set here, not by a super() call.
        if isinstance(data, np.ndarray):
            if isinstance(pixel_format, PixelFormat):
                fmt = pixel_format
            else:
                fmt = _RGB24 if pixel_format is None else PixelFormat.parse(pixel_format)
            if data.dtype != _UINT8:
                raise FrameError(f"{fmt.value} frames hold uint8 pixels; got a {data.dtype} array")
            width, height = fmt.size_of(data.shape)
            _SET_DATA(self, data)
            _SET_TEXTURE(self, None)
        elif isinstance(data, GpuTexture):
            fmt = data.pixel_format
            if pixel_format is not None and PixelFormat.parse(pixel_format) is not fmt:
                raise FrameError(
                    f"this texture downloads as {fmt.value}, not "
                    f"{PixelFormat.parse(pixel_format).value}; leave pixel_format out"
                )
            width, height = data.width, data.height
            _SET_TEXTURE(self, data)
        else:
            raise FrameError(
                f"VideoFrame data must be a numpy array, not {type(data).__name__} "
                "(or, for a frame kept on the GPU, a GpuTexture)"
            )
        _SET_TIMESTAMP_NS(self, timestamp_ns)
        _SET_FRAME_NUMBER(self, frame_number)
        _SET_METADATA(self, EMPTY_METADATA if metadata is None else metadata)
        _SET_PIXEL_FORMAT(self, fmt)
        _SET_WIDTH(self, width)
        _SET_HEIGHT(self, height)

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

    # -- array and texture ------------------------------------------------------------

    @property
    def data(self) -> np.ndarray[Any, Any]:  # type: ignore[override]  # frames are immutable
        """The pixels as a numpy array; a GPU frame is downloaded on first use."""
        try:
            array: np.ndarray[Any, Any] = _DATA_SLOT.__get__(self, VideoFrame)
        except AttributeError:
            return self._download()
        return array

    def to_ndarray(self) -> np.ndarray[Any, Any]:
        """The pixels as a numpy array (no copy; a GPU frame downloads once, then cached)."""
        return self.data

    @property
    def texture(self) -> GpuTexture | None:
        """The GPU texture holding the pixels, if the frame has one (made or cached)."""
        return self._texture

    @property
    def is_on_gpu(self) -> bool:
        """Whether the pixels are (also) on a GPU, so ``to_gpu`` costs nothing."""
        return self._texture is not None

    @property
    def has_array(self) -> bool:
        """Whether the pixels are (also) in a numpy array, so ``to_ndarray`` costs nothing."""
        try:
            _DATA_SLOT.__get__(self, VideoFrame)
        except AttributeError:
            return False
        return True

    def to_gpu(self, gpu: GpuUploader) -> GpuTexture:
        """The frame as a texture on ``gpu``'s device: the frame's own when it has one
        there, else uploaded once and cached on the frame."""
        texture = self._texture
        if texture is not None and gpu.owns(texture):
            return texture
        with _CONVERSION_LOCKS[id(self) % len(_CONVERSION_LOCKS)]:
            texture = self._texture
            if texture is None or not gpu.owns(texture):
                texture = gpu.upload(self)
                object.__setattr__(self, "_texture", texture)
            return texture

    def _download(self) -> np.ndarray[Any, Any]:
        with _CONVERSION_LOCKS[id(self) % len(_CONVERSION_LOCKS)]:
            try:
                array: np.ndarray[Any, Any] = _DATA_SLOT.__get__(self, VideoFrame)
            except AttributeError:
                texture = self._texture
                assert texture is not None  # a frame holds an array, a texture, or both
                array = texture.download()
                self.pixel_format.size_of(array.shape)  # a texture must keep its word
                array.flags.writeable = False  # shared by every consumer of this frame
                _DATA_SLOT.__set__(self, array)
            return array

    def freeze(self) -> None:
        """Make the array read-only (a GPU frame's download is read-only already)."""
        if self.has_array:
            super().freeze()

    @property
    def is_frozen(self) -> bool:
        return not self.has_array or not self.data.flags.writeable

    def replace(
        self,
        *,
        data: np.ndarray[Any, Any] | GpuTexture | None = None,
        pixel_format: PixelFormat | str | None = None,
        timestamp_ns: int | None = None,
        frame_number: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> VideoFrame:
        """A new frame with some fields changed; the others (the array or texture too,
        unless given) shared."""
        kept_texture = None
        if data is None:
            kept_texture = self._texture
            if self.has_array or kept_texture is None:
                data = self.data
            else:
                data, kept_texture = kept_texture, None
            if pixel_format is None:
                pixel_format = self.pixel_format
        elif pixel_format is None and isinstance(data, np.ndarray):
            pixel_format = self.pixel_format  # new pixels, same layout (255 - rgba is rgba)
        frame = VideoFrame(
            data,
            pixel_format,
            timestamp_ns=self.timestamp_ns if timestamp_ns is None else timestamp_ns,
            frame_number=self.frame_number if frame_number is None else frame_number,
            metadata=self.metadata if metadata is None else metadata,
        )
        if kept_texture is not None and frame.pixel_format is self.pixel_format:
            object.__setattr__(frame, "_texture", kept_texture)  # same pixels, same texture
        return frame

    def __repr__(self) -> str:
        where = " on GPU" if self._texture is not None and not self.has_array else ""
        return (
            f"VideoFrame({self.width}x{self.height} {self.pixel_format.value}{where}, "
            f"#{self.frame_number} at {self.timestamp_ns} ns)"
        )


_SET_DATA = _DATA_SLOT.__set__
_SET_TEXTURE = VideoFrame.__dict__["_texture"].__set__
_SET_PIXEL_FORMAT = VideoFrame.__dict__["pixel_format"].__set__
_SET_WIDTH = VideoFrame.__dict__["width"].__set__
_SET_HEIGHT = VideoFrame.__dict__["height"].__set__
