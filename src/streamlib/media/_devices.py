"""Capture devices through FFmpeg's input devices: v4l2 on Linux, avfoundation, dshow.

::

    for camera in list_cameras():
        print(camera.name, camera.description)
    reader = open_camera("/dev/video0", width=1280, height=720, fps=30)
"""

from __future__ import annotations

import errno
import glob
import os
import sys
from dataclasses import dataclass

import av

from ..core import CodecError, DeviceError
from ._input import MediaInput

__all__ = ["CameraInfo", "camera_input_format", "list_cameras", "open_camera"]


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """A camera FFmpeg can open: its device name and a human description."""

    name: str
    description: str
    input_format: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description, "format": self.input_format}


def camera_input_format() -> str:
    """FFmpeg's camera input device on this platform."""
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    found = {"linux": "v4l2", "darwin": "avfoundation", "win32": "dshow"}.get(platform)
    if found is not None:
        return found
    raise DeviceError(f"streamlib does not know how FFmpeg opens cameras on {sys.platform!r}")


def _v4l2_description(path: str) -> str:
    node = os.path.basename(path)
    try:
        with open(f"/sys/class/video4linux/{node}/name", encoding="utf-8") as name_file:
            return name_file.read().strip()
    except OSError:
        return node


def list_cameras() -> list[CameraInfo]:
    """The cameras FFmpeg can see here (an empty list when there are none)."""
    input_format = camera_input_format()
    if input_format == "v4l2":
        # FFmpeg's v4l2 device lists nothing without a device; the nodes are the truth.
        return [
            CameraInfo(path, _v4l2_description(path), input_format)
            for path in sorted(glob.glob("/dev/video*"), key=lambda p: (len(p), p))
        ]
    try:
        devices = av.enumerate_input_devices(input_format)
    except (av.FFmpegError, ValueError) as error:
        raise DeviceError(f"cannot list {input_format} devices: {error}") from error
    return [
        CameraInfo(device.name, device.description or device.name, input_format)
        for device in devices
        if "video" in (device.media_types or ("video",))
    ]


def _describe(cameras: list[CameraInfo]) -> str:
    if not cameras:
        return "no camera was found on this machine"
    return "cameras here: " + ", ".join(f"{c.name} ({c.description})" for c in cameras)


def open_camera(
    device: str | None,
    *,
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    input_pixel_format: str | None = None,
    input_format: str | None = None,
) -> MediaInput:
    """Open a camera (``None``: the first one) for capture at the given size and rate.

    Raises:
        DeviceError: the device does not exist, is busy, or rejects the settings;
            the message names the cameras that do exist.
    """
    input_format = input_format or camera_input_format()
    cameras = list_cameras() if input_format == camera_input_format() else []
    if device is None:
        if not cameras:
            raise DeviceError(f"no camera to open: {_describe(cameras)}")
        device = cameras[0].name
    options: dict[str, str] = {}
    if width and height:
        options["video_size"] = f"{width}x{height}"
    if fps:
        options["framerate"] = f"{fps:g}"
    if input_pixel_format:
        options["input_format" if input_format == "v4l2" else "pixel_format"] = input_pixel_format
    if input_format == "v4l2" and not os.path.exists(device):
        raise DeviceError(f"camera {device!r} does not exist; {_describe(cameras)}")
    try:
        return MediaInput(device, input_format=input_format, options=options, audio=False)
    except CodecError as error:
        cause = error.__cause__
        code = getattr(cause, "errno", None)
        if code == errno.EBUSY:
            raise DeviceError(
                f"camera {device!r} is busy (another program has it open); close that program "
                f"or pick another: {_describe(cameras)}"
            ) from error
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
            raise DeviceError(f"camera {device!r} does not exist; {_describe(cameras)}") from error
        raise DeviceError(
            f"cannot open camera {device!r} with {options or 'default settings'}: {error}; "
            f"{_describe(cameras)}"
        ) from error
