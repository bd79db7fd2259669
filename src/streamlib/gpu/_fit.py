"""Fitting a picture into a rectangle: stretch, letterbox or crop.

::

    fit_rect((0, 0, 1280, 720), (640, 480), "letterbox")
    # ((160.0, 0.0, 960.0, 720.0), (0.0, 0.0, 1.0, 1.0))
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Fit", "Rect", "fit_rect"]

Fit = Literal["stretch", "letterbox", "crop"]
Rect = tuple[float, float, float, float]


def fit_rect(cell: Rect, picture: tuple[int, int], fit: str) -> tuple[Rect, Rect]:
    """``(rect, uv)`` showing a ``picture`` (width, height) in ``cell`` (x, y, w, h).

    ``stretch`` fills the cell, ``letterbox`` keeps the aspect and leaves bars,
    ``crop`` fills the cell and cuts the picture's overhang evenly (``uv`` is the
    part of the picture shown, in 0..1).
    """
    x, y, w, h = cell
    pw, ph = picture
    if fit == "stretch" or pw <= 0 or ph <= 0 or w <= 0 or h <= 0:
        return cell, (0.0, 0.0, 1.0, 1.0)
    if fit == "letterbox":
        scale = min(w / pw, h / ph)
        fw, fh = pw * scale, ph * scale
        return (x + (w - fw) / 2, y + (h - fh) / 2, fw, fh), (0.0, 0.0, 1.0, 1.0)
    cell_aspect, picture_aspect = w / h, pw / ph
    if picture_aspect > cell_aspect:
        keep = cell_aspect / picture_aspect
        return cell, ((1 - keep) / 2, 0.0, (1 + keep) / 2, 1.0)
    keep = picture_aspect / cell_aspect
    return cell, (0.0, (1 - keep) / 2, 1.0, (1 + keep) / 2)
