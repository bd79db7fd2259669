"""Where each compositor input goes: picture-in-picture, grid, or explicit rectangles.

Pure geometry, so layouts are easy to check::

    plan = plan_layout(config, {0: (1920, 1080), 1: (640, 480)}, (1280, 720))
    [(p.input, p.rect) for p in plan]   # [(0, (0, 0, 1280, 720)), (1, (872, 472, 384, 224))]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from ...gpu import Fit, Rect, fit_rect

__all__ = ["LayerConfig", "Placement", "plan_layout"]


class LayerConfig(BaseModel):
    """Per-input settings: opacity, stacking, fitting, and (for ``rects``) the rectangle."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: int = Field(ge=0, le=7, description="Which input (0 for video_in_0 ...).")
    x: int | None = Field(None, description="Left edge in output pixels (rects layout).")
    y: int | None = Field(None, description="Top edge in output pixels (rects layout).")
    width: int | None = Field(None, ge=1, description="Width in output pixels (rects layout).")
    height: int | None = Field(None, ge=1, description="Height in output pixels (rects layout).")
    alpha: float = Field(1.0, ge=0.0, le=1.0, description="Opacity (multiplies the input's alpha).")
    z: int = Field(0, description="Stacking order: higher is drawn later, on top.")
    fit: Fit | None = Field(
        None, description="How the picture fits its rectangle (default: the compositor's)."
    )

    def rect(self) -> Rect | None:
        """``(x, y, width, height)`` when all four are set (the rects layout needs them)."""
        if self.x is None or self.y is None or self.width is None or self.height is None:
            return None
        return (float(self.x), float(self.y), float(self.width), float(self.height))


@dataclass(frozen=True, slots=True)
class Placement:
    """One input drawn at ``rect`` (output pixels), showing ``uv`` of its picture."""

    input: int
    rect: Rect
    uv: Rect
    alpha: float
    z: int


def plan_layout(
    *,
    layout: str,
    layers: tuple[LayerConfig, ...],
    fit: Fit,
    pip_scale: float,
    pip_corner: str,
    pip_margin: int,
    active: Mapping[int, tuple[int, int]],
    size: tuple[int, int],
) -> list[Placement]:
    """Placements for the ``active`` inputs (index -> picture size), bottom first."""
    width, height = size
    settings = {layer.input: layer for layer in layers}
    inputs = sorted(active)
    cells: dict[int, Rect] = {}
    default_z: dict[int, int] = {}
    if layout == "rects":
        for index in inputs:
            layer = settings.get(index)
            rect = None if layer is None else layer.rect()
            if rect is None:
                continue  # an input without a rectangle is not shown
            cells[index] = rect
            default_z[index] = 0
    elif layout == "grid":
        count = len(inputs)
        columns = max(1, math.ceil(math.sqrt(count)))
        rows = max(1, math.ceil(count / columns))
        cw, ch = width / columns, height / rows
        for slot, index in enumerate(inputs):
            row, column = divmod(slot, columns)
            cells[index] = (column * cw, row * ch, cw, ch)
            default_z[index] = 0
    else:  # pip: the first active input fills the frame, the others stack in a corner
        small_w, small_h = width * pip_scale, height * pip_scale
        right = pip_corner.endswith("right")
        bottom = pip_corner.startswith("bottom")
        for slot, index in enumerate(inputs):
            if slot == 0:
                cells[index] = (0.0, 0.0, float(width), float(height))
                default_z[index] = 0
                continue
            step = (slot - 1) * (small_h + pip_margin)
            x = width - pip_margin - small_w if right else float(pip_margin)
            y = height - pip_margin - small_h - step if bottom else pip_margin + step
            cells[index] = (x, y, small_w, small_h)
            default_z[index] = slot
    placements = []
    for index, cell in cells.items():
        layer = settings.get(index)
        rect, uv = fit_rect(cell, active[index], (layer.fit if layer and layer.fit else fit))
        placements.append(
            Placement(
                input=index,
                rect=rect,
                uv=uv,
                alpha=layer.alpha if layer else 1.0,
                z=layer.z if layer and "z" in layer.model_fields_set else default_z[index],
            )
        )
    placements.sort(key=lambda p: (p.z, p.input))
    return placements
