"""The wire format of one frame in shared memory: a fixed header, the payload, a JSON trailer.

::

    offset 0     header (76 bytes used of HEADER_BYTES = 128): kind, sequence, stream id,
                 timestamp_ns, frame_number, pixel format or sample rate, shape, dtype,
                 payload and trailer lengths
    offset 128   payload: the pixels or samples exactly as the numpy array lays them
                 out (C order), a data frame's bytes or JSON, a packet's data + extradata
    after it     trailer: the frame's metadata as compact JSON (a packet's own fields too)

The payload starts 64-byte aligned (the service asks for that alignment and the
header block is a multiple of 64), so a received array is an aligned numpy view of
the shared memory itself. Nothing here touches iceoryx2: these functions read and
write at a memory address, which the publisher and subscriber get from loaned and
received samples.
"""

from __future__ import annotations

import ctypes
import enum
import json
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final, NamedTuple, NoReturn

import numpy as np

from ..core import (
    AudioFrame,
    DataFrame,
    EncodedPacket,
    Frame,
    FrameError,
    PixelFormat,
    VideoFrame,
)
from ..core._frame import EMPTY_METADATA

__all__ = [
    "AUDIO_KIND",
    "HEADER_BYTES",
    "PIXEL_FORMATS",
    "TYPESTRS",
    "VIDEO_KIND",
    "FrameKind",
    "Header",
    "OutgoingFrame",
    "describe_frame",
    "read_header",
    "read_trailer",
    "unknown_code",
]

HEADER_BYTES: Final = 128
"""Bytes before the payload: the packed header plus padding to keep the payload aligned."""

_MAGIC: Final = b"SLF\x01"  # streamlib frame, wire version 1
_HEADER = struct.Struct("<4sBBBBB3xQQqqI4IQI")
# The packed header where it lies in shared memory: struct packs into it and
# unpacks from it in place (cheaper than a bytes copy plus ctypes.memmove/string_at,
# on a path every frame takes).
_PackedHeader = ctypes.c_char * _HEADER.size
MAX_DIMS: Final = 4
"""The most dimensions a frame's array may have (video has 2 or 3, audio 2)."""

# Data frame payload flag: raw bytes rather than JSON text.
FLAG_BYTES: Final = 1


class FrameKind(enum.IntEnum):
    """What a message carries; ``END_OF_STREAM`` has no payload and comes after the last frame."""

    VIDEO = 1
    AUDIO = 2
    DATA = 3
    PACKET = 4
    END_OF_STREAM = 5


# The kinds every frame needs, as module globals: reading a member off an Enum class
# costs more than a global lookup (3.11), on paths every frame takes.
VIDEO_KIND: Final = FrameKind.VIDEO
AUDIO_KIND: Final = FrameKind.AUDIO

# Stable codes on the wire (never the enum's order, which may change).
_PIXEL_CODES: Final = {
    PixelFormat.RGB24: 1,
    PixelFormat.RGBA: 2,
    PixelFormat.BGRA: 3,
    PixelFormat.GRAY8: 4,
    PixelFormat.YUV420P: 5,
    PixelFormat.NV12: 6,
}
PIXEL_FORMATS: Final = {code: fmt for fmt, code in _PIXEL_CODES.items()}
_DTYPE_CODES: Final[dict[np.dtype[Any], int]] = {np.dtype(np.uint8): 1, np.dtype(np.float32): 2}
_DTYPES: Final[dict[int, np.dtype[Any]]] = {code: dt for dt, code in _DTYPE_CODES.items()}
# numpy's array-interface names of those dtypes (``dtype.str`` builds a new string per call).
TYPESTRS: Final[dict[int, str]] = {code: dt.str for code, dt in _DTYPES.items()}


def dtype_code(dtype: np.dtype[Any]) -> int:
    """The wire code of a payload dtype (uint8 pixels, float32 samples)."""
    try:
        return _DTYPE_CODES[dtype]
    except KeyError:
        known = ", ".join(str(d) for d in _DTYPE_CODES)
        raise FrameError(f"frames cross processes as {known} arrays, not {dtype}") from None


class Header(NamedTuple):
    """The fixed part of one received message, as packed (codes, not enums: it is read
    once per frame). ``read_header`` gives these fields as a plain tuple; ``Header._make``
    names them where that is worth an object."""

    magic: bytes
    kind: int
    """A :class:`FrameKind` value."""
    dtype_code: int
    ndim: int
    pixel_code: int
    flags: int
    stream_id: int
    """Random per publisher: a new publisher on the same channel starts a new sequence."""
    sequence: int
    timestamp_ns: int
    frame_number: int
    sample_rate: int
    dim0: int
    dim1: int
    dim2: int
    dim3: int
    payload_len: int
    trailer_len: int


def read_header(address: int, message_len: int) -> tuple[Any, ...]:
    """The header at ``address``: its fields in :class:`Header`'s order, as a plain tuple
    (the consumer's wake-up path unpacks them; a named tuple costs microseconds more
    there, cold); ``FrameError`` if it is not a streamlib frame."""
    if message_len < HEADER_BYTES:
        raise FrameError(
            f"a {message_len}-byte message is too short for a streamlib frame; "
            "is something else publishing on this channel?"
        )
    fields = _HEADER.unpack_from(_PackedHeader.from_address(address))
    magic, payload_len, trailer_len = fields[0], fields[15], fields[16]
    if magic != _MAGIC:
        raise FrameError(
            f"not a streamlib frame (magic {magic!r}, expected {_MAGIC!r}); both ends "
            "must run the same streamlib wire version"
        )
    if HEADER_BYTES + payload_len + trailer_len > message_len:
        raise FrameError(
            f"a frame header claims {payload_len} + {trailer_len} bytes, "
            f"but the message holds {message_len - HEADER_BYTES}"
        )
    return fields


def unknown_code(what: str, code: int) -> NoReturn:
    """Raise for a ``what`` code this streamlib does not know (``TYPESTRS.get(code) or
    unknown_code("dtype", code)``)."""
    raise FrameError(f"a frame arrived with an unknown {what} code {code}")


def read_trailer(address: int, payload_len: int, trailer_len: int) -> Any:
    """The JSON trailer after the payload (None when empty)."""
    if not trailer_len:
        return None
    return json.loads(ctypes.string_at(address + HEADER_BYTES + payload_len, trailer_len))


def metadata_from(value: Any) -> Mapping[str, Any]:
    """Received metadata, read-only like the frame that carries it."""
    if not value:
        return EMPTY_METADATA
    if not isinstance(value, dict):
        raise FrameError(f"frame metadata arrived as {type(value).__name__}, not an object")
    return value


@dataclass(slots=True)
class OutgoingFrame:
    """A frame taken apart for the wire: what goes in the header, payload and trailer."""

    kind: FrameKind
    timestamp_ns: int = 0
    frame_number: int = 0
    array: np.ndarray[Any, Any] | None = None
    """Video pixels or audio samples, copied (or already in place, for a loan)."""
    blob: bytes = b""
    """A data frame's or packet's payload bytes."""
    trailer: bytes = b""
    pixel_code: int = 0
    """The pixel format's wire code (0: not video)."""
    sample_rate: int = 0
    flags: int = 0
    download_ns: int | None = None
    """How long downloading a GPU frame's texture took (None: the frame had an array)."""

    @property
    def payload_len(self) -> int:
        return self.array.nbytes if self.array is not None else len(self.blob)

    @property
    def message_len(self) -> int:
        return HEADER_BYTES + self.payload_len + len(self.trailer)

    def write(
        self, address: int, *, stream_id: int, sequence: int, payload_in_place: bool = False
    ) -> None:
        """Write the message at ``address`` (a loaned sample): header, payload, trailer.

        ``payload_in_place``: the payload already lies there (a loan the producer filled).
        """
        array = self.array
        start = address + HEADER_BYTES
        if array is None:
            shape: tuple[int, ...] = ()
            code = 0
            payload_len = len(self.blob)
            if payload_len:
                ctypes.memmove(start, self.blob, payload_len)
        else:
            shape = array.shape
            code = dtype_code(array.dtype)
            payload_len = array.nbytes
            if not payload_in_place:
                np.copyto(writable_view(start, shape, array.dtype), array)
        trailer = self.trailer
        if trailer:
            ctypes.memmove(start + payload_len, trailer, len(trailer))
        dims = (*shape, 0, 0, 0, 0)
        _HEADER.pack_into(
            _PackedHeader.from_address(address),
            0,
            _MAGIC,
            self.kind,
            code,
            len(shape),
            self.pixel_code,
            self.flags,
            stream_id,
            sequence,
            self.timestamp_ns,
            self.frame_number,
            self.sample_rate,
            dims[0],
            dims[1],
            dims[2],
            dims[3],
            payload_len,
            len(trailer),
        )


def end_of_stream() -> OutgoingFrame:
    return OutgoingFrame(FrameKind.END_OF_STREAM)


def describe_frame(frame: Frame) -> OutgoingFrame:
    """Take ``frame`` apart for the wire; ``FrameError`` for what cannot cross a process."""
    metadata = frame.metadata
    if isinstance(frame, VideoFrame):
        download_ns = None
        if not frame.has_array:
            # Only in a GPU texture: textures stay in their process, so the pixels
            # cross as an array, downloaded here; the publisher counts what it cost.
            started = time.perf_counter_ns()
            array = frame.data
            download_ns = time.perf_counter_ns() - started
        else:
            array = frame.data
        return OutgoingFrame(
            VIDEO_KIND,
            frame.timestamp_ns,
            frame.frame_number,
            array=array,
            trailer=_metadata_json(metadata, frame) if metadata else b"",
            pixel_code=_PIXEL_CODES[frame.pixel_format],
            download_ns=download_ns,
        )
    if isinstance(frame, AudioFrame):
        return OutgoingFrame(
            AUDIO_KIND,
            frame.timestamp_ns,
            frame.frame_number,
            array=frame.data,
            trailer=_metadata_json(metadata, frame) if metadata else b"",
            sample_rate=frame.sample_rate,
        )
    if isinstance(frame, DataFrame):
        payload = frame.payload
        if isinstance(payload, bytes | bytearray | memoryview):
            blob, flags = bytes(payload), FLAG_BYTES
        else:
            blob, flags = _json(payload, frame, "payload"), 0
        return OutgoingFrame(
            FrameKind.DATA,
            frame.timestamp_ns,
            frame.frame_number,
            blob=blob,
            trailer=_metadata_json(metadata, frame),
            flags=flags,
        )
    if isinstance(frame, EncodedPacket):
        extradata = frame.extradata or b""
        fields = {
            "codec": frame.codec,
            "media_kind": frame.media_kind,
            "keyframe": frame.keyframe,
            "pts": frame.pts,
            "dts": frame.dts,
            "duration": frame.duration,
            "time_base": [frame.time_base.numerator, frame.time_base.denominator],
            "extradata": None if frame.extradata is None else len(extradata),
            "width": frame.width,
            "height": frame.height,
            "sample_rate": frame.sample_rate,
            "channels": frame.channels,
            "metadata": dict(metadata),
        }
        return OutgoingFrame(
            FrameKind.PACKET,
            frame.timestamp_ns,
            frame.frame_number,
            blob=frame.data + extradata,
            trailer=_json(fields, frame, "metadata"),
        )
    raise FrameError(
        f"a {type(frame).__name__} cannot cross a process: only VideoFrame, AudioFrame, "
        "DataFrame and EncodedPacket have a wire format"
    )


def data_payload(address: int, header: Header) -> Any:
    """A data frame's payload (copied out: data frames are small)."""
    raw = ctypes.string_at(address + HEADER_BYTES, header.payload_len)
    return raw if header.flags & FLAG_BYTES else json.loads(raw)


def packet_from(address: int, header: Header) -> EncodedPacket:
    """An encoded packet (its bytes copied out: ``EncodedPacket.data`` is ``bytes``)."""
    fields = read_trailer(address, header.payload_len, header.trailer_len)
    raw = ctypes.string_at(address + HEADER_BYTES, header.payload_len)
    extradata_len = fields["extradata"]
    if extradata_len is None:
        data, extradata = raw, None
    else:
        data, extradata = raw[: len(raw) - extradata_len], raw[len(raw) - extradata_len :]
    numerator, denominator = fields["time_base"]
    return EncodedPacket(
        data,
        codec=fields["codec"],
        media_kind=fields["media_kind"],
        time_base=Fraction(numerator, denominator),
        keyframe=fields["keyframe"],
        pts=fields["pts"],
        dts=fields["dts"],
        duration=fields["duration"],
        extradata=extradata,
        width=fields["width"],
        height=fields["height"],
        sample_rate=fields["sample_rate"],
        channels=fields["channels"],
        timestamp_ns=header.timestamp_ns,
        frame_number=header.frame_number,
        metadata=metadata_from(fields["metadata"]),
    )


def writable_view(
    address: int, shape: tuple[int, ...], dtype: np.dtype[Any]
) -> np.ndarray[Any, Any]:
    """A numpy array over raw memory (no owner: only for a copy made right now)."""
    return np.asarray(_RawMemory(address, shape, dtype, readonly=False))


class _RawMemory:
    """Exposes memory at an address to numpy through the array interface."""

    __slots__ = ("__array_interface__",)

    def __init__(
        self, address: int, shape: tuple[int, ...], dtype: np.dtype[Any], *, readonly: bool
    ) -> None:
        self.__array_interface__ = {
            "data": (address, readonly),
            "shape": shape,
            "typestr": dtype.str,
            "version": 3,
        }


def _metadata_json(metadata: Mapping[str, Any], frame: Frame) -> bytes:
    return b"" if not metadata else _json(dict(metadata), frame, "metadata")


def _json(value: Any, frame: Frame, what: str) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":")).encode()
    except (TypeError, ValueError) as error:
        raise FrameError(
            f"the {what} of {frame!r} cannot cross a process: {error}; between processes "
            "a frame carries JSON values (dict, list, str, number, bool, None) or bytes"
        ) from None
