"""TextOverlay and ImageOverlay: captions, lower thirds, a clock, a logo.

::

    lower: {type: TextOverlay, config: {style: lower_third, text: "Jane Doe|Reporter"}}
    clock: {type: TextOverlay, config: {style: clock, anchor: top-right}}
    logo:  {type: ImageOverlay, config: {path: logo.png, anchor: top-left, width: 160}}
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from ...core import DataFrame, Input, ProcessorConfig, VideoFrame, live_field, path_field
from ._overlay_base import Anchor, Overlay, anchored

if TYPE_CHECKING:
    from ...gpu import GpuContext

__all__ = ["ImageOverlay", "TextOverlay"]


class TextOverlayConfig(ProcessorConfig):
    renamed_fields: ClassVar[Mapping[str, str]] = {"colour": "color"}
    text: str = live_field("", description="The text; | starts a new line.")
    style: Literal["caption", "lower_third", "clock"] = live_field(
        "caption", description="What to draw."
    )
    anchor: Anchor = live_field("bottom-left", description="Where (caption and clock).")
    margin: int = live_field(24, ge=0, le=2000, description="Pixels from the edges.")
    font_size: int = live_field(32, ge=6, le=400, description="Height of the first line.")
    color: tuple[int, int, int, int] = live_field(
        (255, 255, 255, 255), description="Text color R, G, B, A."
    )
    background: tuple[int, int, int, int] = live_field(
        (0, 0, 0, 160), description="Panel color R, G, B, A (A 0: no panel)."
    )
    clock_format: str = live_field("%H:%M:%S", description="strftime format of the clock.")
    font: str = path_field(
        "", access="read", description="A TrueType font file (default: Pillow's own)."
    )


class TextOverlay(Overlay[TextOverlayConfig]):
    """Text over the video: a caption, a lower third (name and title), or a clock.

    The text comes from ``text`` (``|`` starts a new line) or, when connected,
    from the ``text`` input: a DataFrame whose payload is a string or a
    mapping with ``"text"`` (live captions, scores). ``style``:

    - ``caption``: the text at ``anchor``;
    - ``lower_third``: a band across the lower third, first line large;
    - ``clock``: the local time as ``clock_format`` (strftime), redrawn each second.
    """

    renamed_ports: ClassVar[Mapping[str, str]] = {"text_in": "text"}

    text = Input(DataFrame, description="Text to show instead of the config's (optional).")

    def build(self, gpu: GpuContext) -> None:
        super().build(gpu)
        self._live_text: str | None = None

    def _text(self) -> str:
        for item in self.text.read_all():
            payload = item.payload
            if isinstance(payload, dict):
                payload = payload.get("text", "")
            self._live_text = str(payload)
        if self.config.style == "clock":
            # Wall-clock time is what a viewer wants to read; it never times media.
            return time.strftime(self.config.clock_format)
        return self._live_text if self._live_text is not None else self.config.text

    def picture(self, frame: VideoFrame) -> tuple[Any, Any]:
        cfg = self.config
        lines = self._text().split("|")
        min_width = frame.width if cfg.style == "lower_third" else 0
        key = (tuple(lines), cfg.style, cfg.font_size, cfg.color, cfg.background, min_width)
        if key == self._key:
            return key, None
        if not any(lines):
            return key, None
        from ._overlay_drawing import text_panel  # Pillow, the gpu extra

        rgba = text_panel(
            lines,
            size=cfg.font_size,
            color=cfg.color,
            background=cfg.background,
            padding=max(4, cfg.font_size // 3),
            font=cfg.font,
            min_width=min_width,
        )
        return key, rgba

    def place(self, frame: VideoFrame, width: int, height: int) -> tuple[float, float]:
        cfg = self.config
        if cfg.style == "lower_third":  # full width, its bottom a sixth of the frame up
            return 0.0, float(max(0, frame.height - frame.height // 6 - height))
        x, y = anchored(cfg.anchor, cfg.margin, (frame.width, frame.height), (width, height))
        return float(x), float(y)


class ImageOverlayConfig(ProcessorConfig):
    path: str = path_field(
        ..., access="read", description="The image file (PNG with alpha, JPEG...)."
    )
    anchor: Anchor = live_field("top-right", description="Where the image goes.")
    margin: int = live_field(24, ge=0, le=2000, description="Pixels from the edges.")
    width: int | None = Field(None, ge=1, le=7680, description="Resize to this width.")
    height: int | None = Field(None, ge=1, le=4320, description="Resize to this height.")
    alpha: float = live_field(1.0, ge=0.0, le=1.0, description="Opacity of the whole image.")


class ImageOverlay(Overlay[ImageOverlayConfig]):
    """An image (a logo PNG with transparency) over the video, at ``anchor``.

    ``width`` / ``height`` resize it (one of them keeps the aspect); ``alpha``
    fades the whole image. The file is read when the processor starts.
    """

    def build(self, gpu: GpuContext) -> None:
        super().build(gpu)
        from ._overlay_drawing import load_rgba  # Pillow, the gpu extra

        cfg = self.config
        self._rgba = load_rgba(cfg.path, width=cfg.width, height=cfg.height)

    def picture(self, frame: VideoFrame) -> tuple[Any, Any]:
        return self.config.path, self._rgba

    def place(self, frame: VideoFrame, width: int, height: int) -> tuple[float, float]:
        cfg = self.config
        x, y = anchored(cfg.anchor, cfg.margin, (frame.width, frame.height), (width, height))
        return float(x), float(y)

    def opacity(self) -> float:
        return float(self.config.alpha)
