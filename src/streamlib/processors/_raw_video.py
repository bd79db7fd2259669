"""Config fields shared by processors that output decoded pictures, across families.

Processor modules import ``streamlib.media`` (and so PyAV) only inside methods,
so ``import streamlib.processors`` works without the ``media`` extra; building
one of these processors without PyAV says how to install it (``requires = (MEDIA,)``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core import ProcessorConfig

__all__ = [
    "OutputPixelFormat",
    "RawVideoOptions",
    "ScalingName",
]

OutputPixelFormat = Literal["rgb24", "rgba", "bgra", "gray8", "yuv420p", "nv12"]
ScalingName = Literal["fast_bilinear", "bilinear", "bicubic", "area", "lanczos", "point"]


class RawVideoOptions(ProcessorConfig):
    """Config fields of processors that output decoded pictures."""

    pixel_format: OutputPixelFormat = Field(
        "rgb24", description="Pixel format of the output frames (converted with swscale)."
    )
    width: int | None = Field(
        None, ge=2, le=7680, description="Scale to this width (default: as decoded)."
    )
    height: int | None = Field(
        None, ge=2, le=4320, description="Scale to this height (default: as decoded)."
    )
