"""Camera: pictures from a capture device through FFmpeg (v4l2, avfoundation, dshow).

The device is reached through one seam, the camera opener in use: FFmpeg's
(``streamlib.media.open_camera``) unless a test installed another with
:func:`use_camera_opener` (``streamlib.testing.fake_cameras`` does).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from pydantic import Field

from ...core import (
    DeviceError,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Scheduling,
    VideoFrame,
    reach_field,
)
from .._raw_video import OutputPixelFormat
from .._requirements import MEDIA

if TYPE_CHECKING:
    from ...media import Decoded, VideoConverter

__all__ = ["Camera", "CameraInput", "CameraOpener", "use_camera_opener"]

_log = logging.getLogger("streamlib.camera")


class CameraInput(Protocol):
    """An open camera: ``read()`` blocks for the next pictures (``None``: it stopped)."""

    def read(self) -> list[Decoded] | None:
        """The next decoded pictures (``kind == "video"``, ``frame`` an ``av.VideoFrame``)."""

    def close(self) -> None:
        """Release the device."""


class CameraOpener(Protocol):
    """Opens a camera by name (``None``: the first); ``DeviceError`` if it cannot."""

    def __call__(
        self,
        device: str | None,
        *,
        width: int,
        height: int,
        fps: float,
        input_pixel_format: str | None,
        input_format: str | None,
    ) -> CameraInput:
        """Open ``device`` at this size and rate, or raise ``DeviceError`` naming the cameras."""


# Openers installed by use_camera_opener, innermost last; none: FFmpeg's open_camera.
_openers: list[CameraOpener] = []
_openers_lock = threading.Lock()


@contextmanager
def use_camera_opener(opener: CameraOpener) -> Iterator[CameraOpener]:
    """Open every ``Camera`` in this process with ``opener`` until the block ends.

    For tests and simulations (``streamlib.testing.fake_cameras``); cameras open in
    ``setup``, so install it before the runtime starts.
    """
    with _openers_lock:
        _openers.append(opener)
    try:
        yield opener
    finally:
        with _openers_lock:
            _openers.remove(opener)


def _camera_opener() -> CameraOpener:
    with _openers_lock:
        if _openers:
            return _openers[-1]
    from ...media import open_camera

    return open_camera


class CameraConfig(ProcessorConfig):
    device: str | None = reach_field(
        None,
        reaches="device",
        description="Camera to open (default: the first; see `streamlib devices`).",
    )
    width: int = Field(640, ge=16, le=7680, description="Capture width.")
    height: int = Field(480, ge=16, le=4320, description="Capture height.")
    fps: float = Field(30.0, gt=0, le=1000, description="Capture frame rate.")
    input_pixel_format: str | None = Field(
        None, description="The camera's own format to ask for (e.g. mjpeg, yuyv422)."
    )
    pixel_format: OutputPixelFormat = Field(
        "rgb24", description="Pixel format of the output frames."
    )
    input_format: str | None = reach_field(
        None,
        reaches="ffmpeg_format",
        description="FFmpeg input device (default: v4l2 / avfoundation / dshow).",
    )
    fallback: Literal["none", "test_pattern"] = Field(
        "none",
        description="What to do without a camera: fail (none) or send FFmpeg's test picture.",
    )


class Camera(Processor[CameraConfig]):
    """Capture pictures from a camera: v4l2 on Linux, avfoundation on macOS, dshow on Windows.

    ``device`` names the camera (``/dev/video0``, a macOS index, a dshow
    ``video=Name``); by default the first one. ``streamlib devices`` lists them.
    A missing or busy camera raises ``DeviceError`` naming the cameras that do
    exist; with ``fallback: test_pattern`` it produces FFmpeg's ``testsrc2``
    picture at the same size and rate instead (frames then carry
    ``metadata["fallback"] = True``), so a pipeline runs on machines without one.

    Scheduling: FFmpeg capture is a blocking read, so the camera runs in
    ``loop`` mode, each ``process()`` waiting for the next picture on the
    camera's own thread (the runtime's ``pull`` mode is for devices that call
    back; a blocking read in ``loop`` lets the runtime report and restart a
    camera that fails).

    Example pipeline entry::

        cam: {type: Camera, config: {width: 1280, height: 720, fps: 30, fallback: test_pattern}}
    """

    tags: ClassVar[tuple[str, ...]] = ("video", "source", "device", "camera")
    requires = (MEDIA,)
    capabilities: ClassVar[frozenset[str]] = frozenset({"camera"})
    fusible: ClassVar[bool] = False  # blocks on the device
    default_scheduling = Scheduling.loop()

    video = Output(VideoFrame, description="Captured pictures, stamped on arrival.")

    using_fallback = False  # set per instance when the fallback opened

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...media import MediaInput, VideoConverter

        cfg = self.config
        self._clock = ctx.clock
        self._reader: CameraInput | None = None
        try:
            self._reader = _camera_opener()(
                cfg.device,
                width=cfg.width,
                height=cfg.height,
                fps=cfg.fps,
                input_pixel_format=cfg.input_pixel_format,
                input_format=cfg.input_format,
            )
            self.using_fallback = False
        except DeviceError as error:
            if cfg.fallback == "none":
                raise
            _log.warning("%s; sending a test pattern instead (fallback: test_pattern)", error)
            graph = f"testsrc2=size={cfg.width}x{cfg.height}:rate={cfg.fps:g}"
            self._reader = MediaInput(graph, input_format="lavfi", audio=False)
            self.using_fallback = True
        self._converter: VideoConverter = VideoConverter(
            width=cfg.width, height=cfg.height, pixel_format=cfg.pixel_format
        )
        self._metadata = {"fallback": True} if self.using_fallback else None
        self._number = 0
        self._started_ns = time.monotonic_ns()

    def process(self) -> None:
        reader = self._reader
        assert reader is not None
        decoded = reader.read()
        if decoded is None:
            raise DeviceError(f"camera {self.config.device or '(default)'} stopped sending")
        for item in decoded:
            if self.using_fallback:
                # lavfi makes pictures as fast as asked; a camera delivers at its rate.
                due = self._started_ns + item.time_ns
                delay = due - time.monotonic_ns()
                if delay > 0:
                    time.sleep(delay / 1e9)
            frame = self._converter.convert_av(
                item.frame, timestamp_ns=self._clock.now_ns(), frame_number=self._number
            )
            if self._metadata is not None:
                frame = frame.replace(metadata=self._metadata)
            self._number += 1
            self.video.write(frame)

    def teardown(self) -> None:
        reader = getattr(self, "_reader", None)
        self._reader = None
        if reader is not None:
            reader.close()
        super().teardown()
