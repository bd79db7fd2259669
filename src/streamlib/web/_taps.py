"""Taps: watch a port live, for as long as the request stays open.

::

    GET /api/taps/fx/video_out?fps=5&width=480     multipart/x-mixed-replace (MJPEG): one
                                                   JPEG part per frame shown
    GET /api/taps/tone/audio?fps=5                 Server-Sent Events named ``levels``:
                                                   peak and RMS per channel (dBFS), spectrum

Each request opens a :class:`~streamlib.control._tap.Tap` (a watcher on the output, not a
consumer in the graph, so the producer never waits for it and a fused chain stays fused)
and closes it when the client goes away, the runtime stops, or the tapped output is
removed. Reading and encoding run on the server, never on the runtime's threads, and only
``fps`` times a second: a video tap takes the frame kept since its last look (the first one
written after it), picks every k-th pixel of every k-th row so the picture is at most
``width`` wide (a strided view: no resampling of the full frame) and encodes that. Every
thread that wakes in the runtime's process takes the GIL from the pipeline for a moment,
so a tap wakes none: its reads never wait, and a preview of the usual size is encoded on
the event loop itself.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from ..control import PipelineHost
from ..control._snapshot_analysis import analyze_audio
from ..control._tap import Tap
from ..core import AudioFrame, FrameError, PixelFormat, StreamError, VideoFrame, yuv420_to_rgb
from ._streams import sse

__all__ = ["TapResponse", "preview_pixels", "tap_stream"]

MIN_FPS, MAX_FPS, DEFAULT_FPS = 1, 15, 5
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 16, 3840, 480
JPEG_QUALITY = 75
BOUNDARY = "streamlib-tap"
_ENCODE_ON_LOOP_PIXELS = 640 * 360  # larger previews are encoded on a worker thread
_RESEND_S = 2.0  # an idle video tap repeats its last image, so a gone client is noticed
_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class TapResponse(StreamingResponse):
    """A streaming response that detaches its tap however the stream ends: finished,
    the client gone (the stream is cancelled), or the server shutting down."""

    def __init__(self, content: AsyncIterator[str | bytes], tap: Tap, **options: Any) -> None:
        super().__init__(content, **options)
        self.tap = tap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.tap.close)


async def tap_stream(host: PipelineHost, request: Request) -> Response:
    """``GET /api/taps/{processor}/{port}?fps=N&width=W``: MJPEG for a video port, level
    readings for an audio port; an input shows its producer's output."""
    port = f"{request.path_params['processor']}.{request.path_params['port']}"
    fps = _bounded(request, "fps", (MIN_FPS, DEFAULT_FPS, MAX_FPS), "images or readings a second")
    width = _bounded(request, "width", (MIN_WIDTH, DEFAULT_WIDTH, MAX_WIDTH), "pixels, video")
    if isinstance(fps, Response):
        return fps
    if isinstance(width, Response):
        return width
    try:
        tap = await anyio.to_thread.run_sync(Tap.open, host, port)
    except StreamError as error:
        return JSONResponse({"error": type(error).__name__, "message": str(error)}, 400)
    if issubclass(tap.frame_class, VideoFrame):
        content_type = f"multipart/x-mixed-replace; boundary={BOUNDARY}"
        return TapResponse(_jpeg_parts(tap, fps, width), tap, media_type=content_type)
    if issubclass(tap.frame_class, AudioFrame):
        levels = _levels(tap, fps)
        return TapResponse(levels, tap, media_type="text/event-stream", headers=_HEADERS)
    await anyio.to_thread.run_sync(tap.close)
    message = (
        f"{tap.source} sends {tap.frame_class.__name__}; a tap shows video and audio ports. "
        "Use the snapshot operation to see one frame of it"
    )
    return JSONResponse({"error": "ConfigError", "message": message}, 400)


def _bounded(
    request: Request, name: str, limits: tuple[int, int, int], unit: str
) -> int | Response:
    low, default, high = limits
    text = request.query_params.get(name, str(default))
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if low <= value <= high:
        return value
    message = f"{name}={text} is out of range: use an integer {low}..{high} ({unit})"
    return JSONResponse({"error": "ConfigError", "message": message}, 400)


async def _paced(tap: Tap, fps: int, read: Callable[[], Any]) -> AsyncIterator[Any]:
    """``read()`` at most ``fps`` times a second while the tap is live, on the event loop:
    the reads never wait (the frames were kept since the last one), and each thread
    hop would take the GIL from the pipeline once more. On the loop clock's grid of
    the period, as the stats streams are: a tap at 5 or 10 fps wakes the server when a
    10 Hz stats stream does, not in between."""
    loop = asyncio.get_running_loop()
    period = 1.0 / fps
    while tap.is_live():
        yield read()
        await asyncio.sleep(period - loop.time() % period)


async def _jpeg_parts(tap: Tap, fps: int, width: int) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    last = b""
    sent_at = loop.time()
    async for frame in _paced(tap, fps, partial(_newest_video, tap)):
        if frame is not None:
            part = await _encoded(frame, tap, width)
            last, sent_at = part, loop.time()
            yield part
        elif last and loop.time() - sent_at > _RESEND_S:
            sent_at = loop.time()
            yield last


def _newest_video(tap: Tap) -> VideoFrame | None:
    """The frame the tap kept since the last call (on demand: the first one written
    after it), or None; asking for the next one. Never waits."""
    video = [frame for frame in tap.take(0.0) if isinstance(frame, VideoFrame)]
    return video[-1] if video else None


async def _encoded(frame: VideoFrame, tap: Tap, width: int) -> bytes:
    """``frame`` as one MJPEG part. A preview of the usual size is encoded on the event
    loop (about a millisecond, with the GIL let go while libjpeg works); a larger one, or
    one whose pixels are still on the GPU, on a worker thread, so the loop never stalls
    for long."""
    step = max(1, -(-frame.width // width))
    shown = -(-frame.width // step) * -(-frame.height // step)
    if shown <= _ENCODE_ON_LOOP_PIXELS and frame.has_array:
        return _mjpeg_part(frame, tap, width)
    return await anyio.to_thread.run_sync(_mjpeg_part, frame, tap, width)


def _mjpeg_part(frame: VideoFrame, tap: Tap, width: int) -> bytes:
    from PIL import Image  # with the web extra; imported here as encode_image does

    image = Image.fromarray(preview_pixels(frame, width))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    data = out.getvalue()
    head = (
        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {len(data)}\r\nX-Frame-Number: {frame.frame_number}\r\n"
        f"X-Dropped: {tap.dropped}\r\n\r\n"
    )
    return head.encode("ascii") + data + b"\r\n"


def preview_pixels(frame: VideoFrame, width: int) -> np.ndarray[Any, Any]:
    """``frame`` as a contiguous RGB (or gray) uint8 array at most ``width`` pixels wide:
    every k-th pixel of every k-th row, k the smallest step that fits (aspect kept).

    Picking pixels is a strided view, so only the small picture is ever copied or
    converted: a 1920-wide frame shown 480 wide costs a sixteenth of the work of
    converting and resampling it whole. It aliases fine detail, which a preview may.
    """
    step = max(1, -(-frame.width // width))  # ceil: the picture is at most ``width`` wide
    data = frame.to_ndarray()
    fmt = frame.pixel_format
    if fmt is PixelFormat.RGB24 or fmt is PixelFormat.GRAY8:
        picked = data[::step, ::step]
    elif fmt is PixelFormat.RGBA:
        picked = data[::step, ::step, :3]  # JPEG has no alpha
    elif fmt is PixelFormat.BGRA:
        picked = data[::step, ::step, 2::-1]
    elif fmt.is_planar_420:
        full_width, full_height = frame.width, frame.height
        flat = data.reshape(-1)
        luma = flat[: full_width * full_height].reshape(full_height, full_width)
        chroma = flat[full_width * full_height :]
        half_width, half_height = full_width // 2, full_height // 2
        if fmt is PixelFormat.YUV420P:
            u = chroma[: half_width * half_height].reshape(half_height, half_width)
            v = chroma[half_width * half_height :].reshape(half_height, half_width)
        else:  # NV12: interleaved U and V
            pairs = chroma.reshape(half_height, half_width, 2)
            u, v = pairs[..., 0], pairs[..., 1]
        # The chroma planes picked with the same step stay at half the picked luma's size.
        return yuv420_to_rgb(luma[::step, ::step], u[::step, ::step], v[::step, ::step])
    else:
        raise FrameError(f"a tap cannot show {fmt.value} frames")
    return _contiguous(picked)


def _contiguous(picked: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``picked`` (rows, columns[, channels]) copied into one block, a channel at a time:
    numpy copies a strided view with 3-byte pixels pixel by pixel, a 3-element loop per
    pixel; one channel is one long strided loop. A 1920x1080 frame shown 480 wide:
    about 140 us instead of 570, in the pipeline's process."""
    if picked.flags.c_contiguous or picked.ndim == 2:
        return np.ascontiguousarray(picked)
    out = np.empty(picked.shape, picked.dtype)
    for channel in range(picked.shape[2]):
        out[:, :, channel] = picked[:, :, channel]
    return out


async def _levels(tap: Tap, fps: int) -> AsyncIterator[str]:
    yield f": streamlib tap of {tap.source}\n\n"  # the headers and a first line go out at once
    async for reading in _paced(tap, fps, partial(_next_levels, tap)):
        yield sse("levels", reading) if reading else ": keep-alive\n\n"
    yield sse("end", {"source": str(tap.source), "message": "the tap ended"})


def _next_levels(tap: Tap) -> dict[str, Any] | None:
    """Levels of the audio that arrived since the last reading (never waits)."""
    blocks = [frame for frame in tap.take(0.0) if isinstance(frame, AudioFrame)]
    if not blocks:
        return None
    reading = analyze_audio(blocks).to_dict()
    return {"source": str(tap.source), **reading, "dropped": tap.dropped}
