"""Fake cameras behind the Camera processor's seam (the camera opener).

``Camera`` runs its real code: it opens the device by name, reads decoded pictures
in loop mode, converts them with swscale to the size and pixel format asked and
stamps them. Only the FFmpeg capture device is replaced: a fake camera makes
``av.VideoFrame`` pictures at its frame rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import DeviceError
from ..processors._video.camera import CameraInput, use_camera_opener

if TYPE_CHECKING:
    from ..media import Decoded

__all__ = ["FakeCamera", "FakeCameras", "fake_cameras"]

_NS_PER_S = 1_000_000_000


class FakeCamera:
    """A camera that shows a known picture: :meth:`picture` of frame ``n``.

    The picture is an RGB gradient whose red channel at the top-left pixel holds
    ``n % 256``, so a test can tell the frames apart and check their order. It is made
    at the size the Camera asks for, unless ``width``/``height`` fix the camera's own
    (then the Camera scales, as with a real camera that ignores the request).
    ``frames`` ends the capture after that many pictures, as an unplugged camera does::

        cam = FakeCamera("/dev/video0", frames=10)
        assert cam.picture(3, 64, 48)[0, 0, 0] == 3
    """

    def __init__(
        self,
        name: str = "/dev/video-fake",
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        frames: int | None = None,
        busy: bool = False,
    ) -> None:
        self.name = name
        self.width = width
        self.height = height
        self.fps = fps
        self.frames = frames
        self.busy = busy
        self.opened = 0
        self.pictures_sent = 0
        self.closed = 0

    def picture(self, number: int, width: int, height: int) -> np.ndarray[Any, Any]:
        """Frame ``number``'s picture, ``(height, width, 3)`` uint8 RGB."""
        image = np.empty((height, width, 3), np.uint8)
        image[:, :, 0] = number % 256
        image[:, :, 1] = (np.arange(width) * 255 // max(1, width - 1)).astype(np.uint8)
        image[:, :, 2] = (np.arange(height) * 255 // max(1, height - 1)).astype(np.uint8)[:, None]
        return image


class _FakeCameraInput:
    """One open fake camera: ``read()`` waits for the next picture's time, as a device does."""

    def __init__(
        self, camera: FakeCamera, *, width: int, height: int, fps: float, speed: float
    ) -> None:
        import av  # here, not above: streamlib.testing imports without the media extra

        from ..media import Decoded

        self._av = av
        self._decoded = Decoded
        self._camera = camera
        self._width = camera.width or width
        self._height = camera.height or height
        self._period_ns = round(_NS_PER_S / (camera.fps or fps))
        self._speed = speed
        self._number = 0
        self._started_ns = time.monotonic_ns()
        self._closed = threading.Event()

    def read(self) -> list[Decoded] | None:
        camera = self._camera
        if self._closed.is_set() or (camera.frames is not None and self._number >= camera.frames):
            return None
        time_ns = self._number * self._period_ns
        wait_ns = self._started_ns + time_ns / self._speed - time.monotonic_ns()
        if wait_ns > 0 and self._closed.wait(wait_ns / _NS_PER_S):
            return None
        image = camera.picture(self._number, self._width, self._height)
        frame = self._av.VideoFrame.from_ndarray(image, format="rgb24")
        self._number += 1
        camera.pictures_sent += 1
        return [self._decoded("video", frame, time_ns)]

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._camera.closed += 1


class FakeCameras:
    """A camera opener over fake cameras; install it with :func:`fake_cameras`.

    ``device=None`` opens the first camera; a name no fake camera has raises
    ``DeviceError`` naming the ones there are, as FFmpeg's opener does.
    """

    def __init__(self, *cameras: FakeCamera, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be above 0, not {speed}")
        self.cameras = list(cameras) if cameras else [FakeCamera()]
        self.speed = speed

    @property
    def camera(self) -> FakeCamera:
        """The first (default) camera."""
        return self.cameras[0]

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
        del input_pixel_format, input_format  # a fake camera has one format
        names = ", ".join(c.name for c in self.cameras) or "none"
        found = next((c for c in self.cameras if device in (None, c.name)), None)
        if found is None:
            raise DeviceError(f"camera {device!r} does not exist; the cameras here: {names}")
        if found.busy:
            raise DeviceError(
                f"camera {found.name!r} is busy (another program has it open); close that "
                f"program or pick another: {names}"
            )
        found.opened += 1
        return _FakeCameraInput(found, width=width, height=height, fps=fps, speed=self.speed)


@contextmanager
def fake_cameras(*cameras: FakeCamera, speed: float = 1.0) -> Iterator[FakeCameras]:
    """Replace the cameras of this process with fakes until the block ends.

    Without arguments, one ``FakeCamera`` named ``/dev/video-fake``. Needs PyAV (the
    ``media`` extra), as the Camera processor does::

        from streamlib.processors import Camera, Collector
        from streamlib.testing import FakeCamera, fake_cameras

        with fake_cameras(FakeCamera("/dev/video0", frames=5)) as fake:
            with sl.Runtime() as rt:
                cam = rt.add(Camera, device="/dev/video0", width=64, height=48)
                sink = rt.add(Collector)
                rt.connect(cam.video, sink.video)
                rt.start()
                rt.processor(str(sink)).wait_for(5, port="video")
        assert fake.camera.pictures_sent == 5
    """
    opener = FakeCameras(*cameras, speed=speed)
    with use_camera_opener(opener):
        yield opener
