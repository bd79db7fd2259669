"""Pictures for overlays, drawn on the CPU with Pillow: text panels and loaded images.

Overlays change rarely (a caption, once a second for a clock), so they are drawn
here when their content changes and uploaded as one small RGBA texture::

    panel = text_panel(["Jane Doe", "Reporter"], size=32, color=(255, 255, 255, 255),
                       background=(0, 0, 0, 160), padding=12)
    panel.shape        # (height, width, 4) uint8, straight alpha
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...core import ConfigError

__all__ = ["load_rgba", "text_panel"]

Color = tuple[int, int, int, int]


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if not path:
        return ImageFont.load_default(size=size)  # Pillow's bundled scalable font
    try:
        return ImageFont.truetype(path, size)
    except OSError as error:
        raise ConfigError(f"cannot load the font {path!r}: {error}") from None


def text_panel(
    lines: list[str],
    *,
    size: int,
    color: Color,
    background: Color,
    padding: int,
    font: str = "",
    min_width: int = 0,
) -> np.ndarray[Any, Any]:
    """``lines`` of text on a filled rectangle, as an RGBA array (straight alpha).

    The first line is drawn at ``size``, the others at three quarters of it
    (a name and its caption, say).
    """
    fonts = [
        _font(font, size if index == 0 else max(6, size * 3 // 4)) for index in range(len(lines))
    ]
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    boxes = [
        probe.textbbox((0, 0), line or " ", font=f) for line, f in zip(lines, fonts, strict=True)
    ]
    gap = max(2, size // 5)
    width = max([min_width, *(int(box[2]) + 2 * padding for box in boxes)])
    heights = [int(box[3]) for box in boxes]
    height = sum(heights) + gap * (len(lines) - 1) + 2 * padding
    image = Image.new("RGBA", (max(1, width), max(1, height)), background)
    draw = ImageDraw.Draw(image)
    y = padding
    for line, f, line_height in zip(lines, fonts, heights, strict=True):
        draw.text((padding, y), line, font=f, fill=color)
        y += line_height + gap
    return np.asarray(image, dtype=np.uint8).copy()


def load_rgba(
    path: str | Path, *, width: int | None = None, height: int | None = None
) -> np.ndarray[Any, Any]:
    """An image file (PNG with alpha, JPEG...) as RGBA, optionally resized (keeping the
    aspect when only one of ``width`` and ``height`` is given)."""
    try:
        with Image.open(path) as opened:
            image = opened.convert("RGBA")
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read the image {str(path)!r}: {error}") from None
    if width or height:
        w, h = image.size
        new_w = width or max(1, round(w * (height or h) / h))
        new_h = height or max(1, round(h * (width or w) / w))
        image = image.resize((new_w, new_h), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8).copy()
