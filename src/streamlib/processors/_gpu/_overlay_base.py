"""Overlay: the base of processors that draw a picture over each frame, on the GPU.

A subclass says what to draw (an RGBA array, redrawn only when its content
changes) and where; the base copies the frame, blends the picture over it and
keeps everything on the GPU::

    class Watermark(Overlay):
        def picture(self, frame):
            return ("fixed", self._rgba)            # a key: same key, same texture

        def place(self, frame, width, height):
            return (frame.width - width - 16, 16)
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Generic, Literal

from typing_extensions import TypeVar

from ...core import PixelFormat, ProcessorConfig, VideoFrame
from .._requirements import GPU_DRAWING
from ._effect_base import GpuEffect

if TYPE_CHECKING:
    from ...gpu import GpuContext, Texture

__all__ = ["Anchor", "Overlay", "anchored"]

Anchor = Literal["top-left", "top-right", "bottom-left", "bottom-right", "top", "bottom", "center"]


def anchored(
    anchor: str, margin: int, frame: tuple[int, int], size: tuple[int, int]
) -> tuple[int, int]:
    """Top-left corner of a ``size`` box placed at ``anchor`` in a ``frame``, ``margin`` in."""
    fw, fh = frame
    w, h = size
    x = (fw - w) // 2
    y = (fh - h) // 2
    if anchor.endswith("left"):
        x = margin
    elif anchor.endswith("right"):
        x = fw - w - margin
    if anchor.startswith("top"):
        y = margin
    elif anchor.startswith("bottom"):
        y = fh - h - margin
    return x, y


C = TypeVar("C", bound=ProcessorConfig, default=ProcessorConfig)


class Overlay(GpuEffect[C], Generic[C]):
    """Blend a CPU-drawn RGBA picture over every frame (subclasses say what and where)."""

    tags = ("video", "overlay", "gpu")
    requires = (GPU_DRAWING,)

    def build(self, gpu: GpuContext) -> None:
        from ...gpu import QuadRenderer

        self._quads = QuadRenderer(gpu)
        self._key: Any = None
        self._sprite: Texture | None = None

    @abc.abstractmethod
    def picture(self, frame: VideoFrame) -> tuple[Any, Any]:
        """``(key, rgba)``: the picture to draw over ``frame``; when ``key`` equals the
        last one, ``rgba`` is not used (return None then, to skip drawing it)."""

    @abc.abstractmethod
    def place(self, frame: VideoFrame, width: int, height: int) -> tuple[float, float]:
        """Where the picture's top-left corner goes, in frame pixels."""

    def opacity(self) -> float:
        """The picture's overall opacity (multiplies its alpha)."""
        return 1.0

    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        frame = self.frame
        assert frame is not None  # process() sets it before calling render()
        key, rgba = self.picture(frame)
        if key != self._key:
            self._key = key
            self._sprite = None if rgba is None else self.gpu.upload_array(rgba, PixelFormat.RGBA)
        encoder.copy_texture_to_texture(
            {"texture": source.handle}, {"texture": target.handle}, (source.width, source.height, 1)
        )
        sprite = self._sprite
        if sprite is None:
            return
        from ...gpu import Quad

        x, y = self.place(frame, sprite.width, sprite.height)
        self._quads.draw(
            encoder,
            target.view,
            (target.width, target.height),
            [Quad(sprite.view, (x, y, sprite.width, sprite.height), alpha=self.opacity())],
        )
