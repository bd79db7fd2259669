"""RGB <-> YUV 4:2:0 on the CPU, with the color matrix and range as parameters.

One conversion serves streamlib where a picture changes color model outside
FFmpeg: ``TestPattern`` drawing its ``yuv420p`` frames and the MCP snapshot turning
``yuv420p``/``nv12`` frames into an image. Why numpy and not swscale (PyAV's
``VideoConverter``, which video processors use): ``TestPattern`` is in the core
install, which has no PyAV, and one helper that always works beats two paths that
could disagree. It follows swscale's maths (BT.601 or BT.709 coefficients, limited
16-235/240 or full 0-255 range, 2x2 chroma averaged down and repeated up) and the
tests hold it to swscale wherever PyAV is installed: within one level from RGB, within
three from YUV (swscale's fast fixed-point path rounds its own way there)::

    y, u, v = rgb_to_yuv420(rgb)                   # BT.601 limited, FFmpeg's default
    rgb = yuv420_to_rgb(y, u, v, matrix="bt709")   # HD video that says so
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

__all__ = ["ColorMatrix", "rgb_to_yuv420", "yuv420_to_rgb"]

ColorMatrix = Literal["bt601", "bt709"]

_KR_KB: dict[str, tuple[float, float]] = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}

Array = np.ndarray[Any, Any]


def _scales(full_range: bool) -> tuple[float, float, float]:
    """Luma offset, luma scale and chroma scale of 8-bit codes."""
    return (0.0, 255.0, 255.0) if full_range else (16.0, 219.0, 224.0)


def rgb_to_yuv420(
    rgb: Array, *, matrix: ColorMatrix = "bt601", full_range: bool = False
) -> tuple[Array, Array, Array]:
    """The Y, U and V planes (uint8) of an ``(height, width, 3)`` uint8 RGB picture of even size."""
    kr, kb = _KR_KB[matrix]
    offset, luma_scale, chroma_scale = _scales(full_range)
    r, g, b = (rgb[:, :, i].astype(np.float64) / 255.0 for i in range(3))
    luma = kr * r + (1.0 - kr - kb) * g + kb * b
    y = offset + luma_scale * luma
    u = 128.0 + chroma_scale * (b - luma) / (2.0 * (1.0 - kb))
    v = 128.0 + chroma_scale * (r - luma) / (2.0 * (1.0 - kr))

    def subsample(plane: Array) -> Array:
        h, w = plane.shape
        averaged: Array = plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        return averaged

    y_plane, u_plane, v_plane = (
        np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, subsample(u), subsample(v))
    )
    return y_plane, u_plane, v_plane


def yuv420_to_rgb(
    y: Array, u: Array, v: Array, *, matrix: ColorMatrix = "bt601", full_range: bool = False
) -> Array:
    """An ``(height, width, 3)`` uint8 RGB picture from Y and half-size U and V planes."""
    kr, kb = _KR_KB[matrix]
    offset, luma_scale, chroma_scale = _scales(full_range)
    height, width = y.shape
    luma = (y.astype(np.float32) - offset) * np.float32(255.0 / luma_scale)
    cb = (_upsample(u)[:height, :width].astype(np.float32) - 128.0) * np.float32(
        255.0 / chroma_scale
    )
    cr = (_upsample(v)[:height, :width].astype(np.float32) - 128.0) * np.float32(
        255.0 / chroma_scale
    )
    kg = 1.0 - kr - kb
    rgb = np.empty((height, width, 3), np.float32)
    rgb[..., 0] = luma + np.float32(2.0 * (1.0 - kr)) * cr
    rgb[..., 2] = luma + np.float32(2.0 * (1.0 - kb)) * cb
    rgb[..., 1] = luma - np.float32(2.0 * kb * (1.0 - kb) / kg) * cb
    rgb[..., 1] -= np.float32(2.0 * kr * (1.0 - kr) / kg) * cr
    converted: Array = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    return converted


def _upsample(plane: Array) -> Array:
    upsampled: Array = plane.repeat(2, axis=0).repeat(2, axis=1)
    return upsampled
