"""Translate FFmpeg's errors (PyAV's ``av.FFmpegError`` family) into streamlib's at the seam.

::

    try:
        packets = context.encode(frame)
    except av.FFmpegError as error:
        raise codec_error(error, "encoding h264 frame #12") from error
"""

from __future__ import annotations

import av

from ..core import CodecError, DeviceError

__all__ = ["FFMPEG_ERRORS", "codec_error", "device_error"]

FFMPEG_ERRORS: tuple[type[BaseException], ...] = (av.FFmpegError,)
"""What PyAV raises for FFmpeg failures (catch these at the seam, nothing broader)."""


def _reason(error: BaseException) -> str:
    # PyAV's messages repeat the errno and the C call ("[Errno 1094995529] Invalid
    # data found when processing input: 'avcodec_send_packet()'"); keep the words.
    strerror = getattr(error, "strerror", None)
    return str(strerror) if strerror else str(error)


def codec_error(error: BaseException, where: str) -> CodecError:
    """A :class:`CodecError` saying ``where`` it happened and FFmpeg's reason."""
    return CodecError(f"{where}: {_reason(error)}")


def device_error(error: BaseException, where: str, *, hint: str = "") -> DeviceError:
    """A :class:`DeviceError` for a capture device FFmpeg could not open or read."""
    suffix = f"; {hint}" if hint else ""
    return DeviceError(f"{where}: {_reason(error)}{suffix}")
