"""streamlib's adapters over FFmpeg (through PyAV): read, decode, encode, convert, mux.

Processors (``MediaFile``, ``VideoEncoder``, ``Mp4Writer``...) use these; they are
public for programs that want FFmpeg without a graph::

    from streamlib.media import MediaInput

    with MediaInput("clip.mp4") as reader:
        while (decoded := reader.read()) is not None:
            ...

Importing this package needs PyAV: ``pip install 'streamlib[media]'``.
"""

from ._convert import (
    AV_PIXEL_FORMATS,
    AudioConverter,
    Scaling,
    VideoConverter,
    channel_layout,
    pixel_format_of,
    to_av_audio,
    to_av_video,
)
from ._devices import CameraInfo, camera_input_format, list_cameras, open_camera
from ._input import Decoded, MediaInput, MediaKind, ns_to_ticks, ticks_to_ns
from ._writer import CONTAINERS, ContainerName, MediaWriter, container_for_path

__all__ = [
    "AV_PIXEL_FORMATS",
    "CONTAINERS",
    "AudioConverter",
    "CameraInfo",
    "ContainerName",
    "Decoded",
    "MediaInput",
    "MediaKind",
    "MediaWriter",
    "Scaling",
    "VideoConverter",
    "camera_input_format",
    "channel_layout",
    "container_for_path",
    "list_cameras",
    "ns_to_ticks",
    "open_camera",
    "pixel_format_of",
    "ticks_to_ns",
    "to_av_audio",
    "to_av_video",
]
