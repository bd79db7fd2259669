"""What the FFmpeg-backed processors share: the PyAV check and the common config fields.

Processor modules import ``streamlib.media`` (and so PyAV) only inside methods,
so ``import streamlib.processors`` works without the ``media`` extra; building
one of these processors without PyAV says how to install it.
"""

from __future__ import annotations

import importlib.util
from typing import Literal

from pydantic import Field

from ..core import ConfigError, ProcessorConfig

__all__ = [
    "OutputPixelFormat",
    "RawVideoOptions",
    "ScalingName",
    "require_pyav",
]

OutputPixelFormat = Literal["rgb24", "rgba", "bgra", "gray8", "yuv420p", "nv12"]
ScalingName = Literal["fast_bilinear", "bilinear", "bicubic", "area", "lanczos", "point"]


def require_pyav(owner: str) -> None:
    """``ConfigError`` with the install command when PyAV (FFmpeg) is missing."""
    if importlib.util.find_spec("av") is None:
        raise ConfigError(f"{owner} needs PyAV (FFmpeg for Python): pip install 'streamlib[media]'")


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
