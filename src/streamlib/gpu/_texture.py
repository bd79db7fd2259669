"""GPU textures that video frames carry, and a pool that reuses them.

Every frame texture is ``rgba8unorm`` whatever the frame's pixel format: the
format only says what a CPU consumer gets from ``download()``. Textures come
from a :class:`TexturePool`, so a running pipeline allocates no GPU memory per
frame once the pool is warm::

    texture = gpu.textures.acquire(1280, 720, PixelFormat.RGB24)
    ...                                  # render or compute into texture.view
    frame = VideoFrame(texture, timestamp_ns=now)
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import wgpu

from ..core import ConfigError, FrameError, PixelFormat

if TYPE_CHECKING:
    from ._context import GpuContext

__all__ = ["TEXTURE_FORMAT", "TEXTURE_USAGE", "Texture", "TexturePool"]

TEXTURE_FORMAT = "rgba8unorm"
"""The storage format of every frame texture."""

TEXTURE_USAGE = (
    wgpu.TextureUsage.TEXTURE_BINDING
    | wgpu.TextureUsage.STORAGE_BINDING
    | wgpu.TextureUsage.RENDER_ATTACHMENT
    | wgpu.TextureUsage.COPY_SRC
    | wgpu.TextureUsage.COPY_DST
)
"""Frame textures are sampled, written by compute and render passes, and copied."""

# Formats a frame texture can download as; 4:2:0 frames come back as rgb24.
DOWNLOADABLE = frozenset({PixelFormat.RGBA, PixelFormat.BGRA, PixelFormat.RGB24, PixelFormat.GRAY8})


class Texture:
    """One ``rgba8unorm`` texture on a :class:`GpuContext`'s device; a ``GpuTexture``.

    ``pixel_format`` is what :meth:`download` returns. Never write to a texture
    a frame already carries: make a new one (the pool makes that cheap).
    """

    __slots__ = ("__weakref__", "context", "handle", "height", "pixel_format", "view", "width")

    def __init__(self, context: GpuContext, width: int, height: int, pixel_format: PixelFormat):
        if width < 1 or height < 1:
            raise FrameError(f"a texture needs a positive size, got {width}x{height}")
        limit = context.max_texture_size
        if width > limit or height > limit:
            raise FrameError(
                f"{width}x{height} is larger than this GPU's textures may be ({limit}); "
                "scale the video down first"
            )
        self.context = context
        self.width = width
        self.height = height
        self.pixel_format = pixel_format
        self.handle: Any = context.device.create_texture(
            label=f"frame {width}x{height}",
            size=(width, height, 1),
            format=TEXTURE_FORMAT,
            usage=TEXTURE_USAGE,
        )
        self.view: Any = self.handle.create_view()

    def download(self) -> np.ndarray[Any, Any]:
        """The pixels as a new array in ``pixel_format`` (waits for the GPU)."""
        return self.context.download(self)

    def __repr__(self) -> str:
        return f"<Texture {self.width}x{self.height} as {self.pixel_format.value}>"


def _own_references() -> int:
    """References a pooled texture has inside ``acquire`` when nothing else holds it
    (measured with the same code shape, as ``BufferPool`` does)."""
    items = [object()]
    for item in items:
        return sys.getrefcount(item)
    raise AssertionError("unreachable")


_OWN_REFERENCES = _own_references()


class TexturePool:
    """Frame textures by size, handed out again once no frame refers to them.

    A texture is free when only the pool holds it, so a consumer that keeps a
    frame keeps its texture. GPU work already submitted on a texture runs
    before anything submitted later on the same queue, so reuse needs no wait.
    """

    def __init__(self, context: GpuContext, *, max_per_size: int = 12) -> None:
        if max_per_size < 1:
            raise ConfigError(f"max_per_size must be at least 1, got {max_per_size}")
        self._context = context
        self.max_per_size = max_per_size
        self._textures: dict[tuple[int, int], list[Texture]] = {}
        self._lock = threading.Lock()
        self.misses = 0

    def acquire(self, width: int, height: int, pixel_format: PixelFormat) -> Texture:
        """A texture of that size no frame refers to; its contents are stale."""
        if pixel_format not in DOWNLOADABLE:
            pixel_format = PixelFormat.RGB24
        key = (width, height)
        with self._lock:
            pooled = self._textures.setdefault(key, [])
            for texture in pooled:
                if sys.getrefcount(texture) <= _OWN_REFERENCES:
                    texture.pixel_format = pixel_format
                    return texture
            fresh = Texture(self._context, width, height, pixel_format)
            if len(pooled) < self.max_per_size:
                pooled.append(fresh)
            else:
                self.misses += 1
            return fresh

    @property
    def allocated(self) -> int:
        """Textures the pool owns, all sizes together."""
        return sum(len(textures) for textures in self._textures.values())

    def clear(self) -> None:
        """Forget every pooled texture (frames that hold one keep it alive)."""
        with self._lock:
            self._textures.clear()
