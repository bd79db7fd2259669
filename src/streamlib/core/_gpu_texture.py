"""What the core knows of GPU pictures: two small protocols, no GPU library.

A :class:`VideoFrame` may carry a :class:`GpuTexture` instead of a numpy array,
so GPU processors pass pictures to each other without a trip through the CPU.
The core never imports a GPU API: ``streamlib.gpu`` implements these protocols
over wgpu, and anything else could::

    texture = frame.to_gpu(gpu)          # uploads once, then cached on the frame
    out = VideoFrame(run_effect(texture), timestamp_ns=frame.timestamp_ns)
    out.to_ndarray()                     # a CPU consumer: downloaded once, cached
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from ._video_frame import PixelFormat, VideoFrame

__all__ = ["GpuTexture", "GpuUploader"]


@runtime_checkable
class GpuTexture(Protocol):
    """A picture in GPU memory that can be read back as a numpy array.

    ``pixel_format`` is the layout ``download()`` returns (what a CPU consumer
    of the frame sees); the texture itself may be stored differently.
    Textures are never changed once a frame carries them.
    """

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def pixel_format(self) -> PixelFormat: ...

    def download(self) -> np.ndarray[Any, Any]:
        """The pixels as a new uint8 array shaped for ``pixel_format``."""
        ...


@runtime_checkable
class GpuUploader(Protocol):
    """Puts a frame's pixels on a GPU (``streamlib.gpu.GpuContext`` is one)."""

    def upload(self, frame: VideoFrame) -> GpuTexture:
        """A texture holding ``frame``'s pixels."""
        ...

    def owns(self, texture: GpuTexture) -> bool:
        """Whether ``texture`` lives on this uploader's device (so it needs no upload)."""
        ...
