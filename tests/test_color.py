"""Core's one RGB <-> YUV 4:2:0 conversion, held to FFmpeg's swscale where PyAV is installed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from streamlib.core import rgb_to_yuv420, yuv420_to_rgb
from streamlib.core._color import ColorMatrix

COLORS = np.random.default_rng(7).integers(0, 256, (24, 3), dtype=np.uint8)
CASES = [("bt601", False), ("bt601", True), ("bt709", False), ("bt709", True)]


def test_known_levels_of_bt601_limited_range() -> None:
    white = np.full((2, 2, 3), 255, np.uint8)
    black = np.zeros((2, 2, 3), np.uint8)
    assert [int(p[0, 0]) for p in rgb_to_yuv420(white)] == [235, 128, 128]
    assert [int(p[0, 0]) for p in rgb_to_yuv420(black)] == [16, 128, 128]
    y = np.full((2, 2), 235, np.uint8)
    u = v = np.full((1, 1), 128, np.uint8)
    assert (yuv420_to_rgb(y, u, v) == 255).all()


@pytest.mark.parametrize(("matrix", "full_range"), CASES)
def test_a_round_trip_comes_back_within_two_levels(matrix: ColorMatrix, full_range: bool) -> None:
    for color in COLORS:
        rgb = np.broadcast_to(color, (4, 6, 3)).copy()
        planes = rgb_to_yuv420(rgb, matrix=matrix, full_range=full_range)
        back = yuv420_to_rgb(*planes, matrix=matrix, full_range=full_range)
        assert np.abs(back.astype(int) - rgb).max() <= 2


def _swscale_planes(frame: Any) -> tuple[np.ndarray[Any, Any], ...]:
    flat = frame.to_ndarray().reshape(-1)
    size = frame.width * frame.height
    quarter = size // 4
    y = flat[:size].reshape(frame.height, frame.width)
    u = flat[size : size + quarter].reshape(frame.height // 2, frame.width // 2)
    v = flat[size + quarter :].reshape(frame.height // 2, frame.width // 2)
    return y, u, v


@pytest.mark.parametrize(("matrix", "full_range"), CASES)
def test_it_agrees_with_swscale(matrix: ColorMatrix, full_range: bool) -> None:
    av = pytest.importorskip("av", reason="swscale comes with PyAV (the media extra)")
    space = {"bt601": "itu601", "bt709": "itu709"}[matrix]
    color_range = 2 if full_range else 1  # AVCOL_RANGE_JPEG / _MPEG
    for color in COLORS:
        rgb = np.broadcast_to(color, (16, 16, 3)).copy()
        yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
            format="yuv420p", dst_colorspace=space, dst_color_range=color_range
        )
        theirs = _swscale_planes(yuv)
        ours = rgb_to_yuv420(rgb, matrix=matrix, full_range=full_range)
        for mine, swscale in zip(ours, theirs, strict=True):
            assert np.abs(mine.astype(int) - swscale).max() <= 1
        back = yuv.reformat(format="rgb24", src_colorspace=space, src_color_range=color_range)
        mine_rgb = yuv420_to_rgb(*theirs, matrix=matrix, full_range=full_range)
        # swscale's YUV->RGB runs a fixed-point path of its own rounding: 3 levels at most.
        assert np.abs(mine_rgb.astype(int) - back.to_ndarray()).max() <= 3
