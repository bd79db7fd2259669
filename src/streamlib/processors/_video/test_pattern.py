"""TestPattern: a moving synthetic picture, for pipelines without a camera."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from ...core import (
    BufferPool,
    Output,
    PixelFormat,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Progress,
    Scheduling,
    VideoFrame,
    live_field,
    rgb_to_yuv420,
)
from .._source_limits import duration_field, frames_field, realtime_field, seconds_to_ns

__all__ = ["TestPattern"]

# SMPTE-like color bars: white, yellow, cyan, green, magenta, red, blue.
_BARS = np.array(
    [[235, 235, 235], [235, 235, 16], [16, 235, 235], [16, 235, 16],
     [235, 16, 235], [235, 16, 16], [16, 16, 235]],
    dtype=np.uint8,
)  # fmt: skip


class TestPatternConfig(ProcessorConfig):
    width: int = Field(640, ge=16, le=7680, description="Frame width in pixels.")
    height: int = Field(480, ge=16, le=4320, description="Frame height in pixels.")
    fps: float = live_field(30.0, gt=0, le=1000, description="Frames per second.")
    pattern: Literal["bars", "gradient", "checker"] = live_field(
        "bars", description="What to draw."
    )
    speed: int = live_field(4, ge=0, le=256, description="Pixels scrolled per frame.")
    pixel_format: Literal["rgb24", "rgba", "bgra", "gray8", "yuv420p"] = Field(
        "rgb24",
        description="Pixel format of the frames (yuv420p feeds encoders without conversion).",
    )
    realtime: bool = realtime_field()
    duration_s: float | None = duration_field("pictures (frame n starts at n / fps s)")
    frames: int | None = frames_field("video frames")

    @model_validator(mode="after")
    def _even_for_420(self) -> TestPatternConfig:
        if self.pixel_format == "yuv420p" and (self.width % 2 or self.height % 2):
            raise ValueError(
                f"yuv420p needs an even width and height, got {self.width}x{self.height}"
            )
        return self


class TestPattern(Processor[TestPatternConfig]):
    """A moving test picture (bars, gradient or checker) at a fixed frame rate.

    The pattern scrolls by ``speed`` pixels per frame, so frozen or dropped
    frames show. Frames come from a small pool of reused buffers: nothing is
    allocated per frame once the pool is warm.

    Frame *n* is stamped *n / fps* seconds after the first, whether it is paced
    by a timer (``realtime: true``, a live source) or written as fast as the
    consumers take it (``realtime: false``: it waits for them and loses
    nothing). With ``frames`` or ``duration_s`` it ends its stream at that limit.

    Example pipeline entry::

        src: {type: TestPattern, config: {width: 1280, height: 720, fps: 30, pattern: bars}}
        clip: {type: TestPattern, config: {frames: 300, realtime: false}}
    """

    __test__ = False  # not a pytest test class, despite the name

    tags = ("video", "source", "test")
    default_scheduling = Scheduling.timer(30.0)  # the real rate comes from the config

    video = Output(VideoFrame, description="The pattern, one frame per tick.")

    def __init__(
        self, config: TestPatternConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        # Read by progress() from other threads, so they exist before setup.
        self._frame_number = 0
        self._anchor_frame = 0  # frame times count from here at the rate in force
        self._anchor_ns = 0  # ... where that frame starts (content time)
        self._fps: float = self.config.fps

    def scheduling(self) -> Scheduling:
        if self.config.realtime:
            return Scheduling.timer(self.config.fps)
        return Scheduling.loop()

    def is_live(self) -> bool:
        return bool(self.config.realtime)

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        cfg = self.config
        self._format = PixelFormat(cfg.pixel_format)
        self._pool = BufferPool(self._format.array_shape(cfg.width, cfg.height), np.uint8)
        self._strips = self._render(cfg.pattern)
        self._pattern = cfg.pattern
        self._frame_number = 0
        self._anchor_frame = 0
        self._anchor_ns = 0
        self._fps = cfg.fps
        self._start_ns = ctx.clock.now_ns()

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        if self.config.pattern != self._pattern:
            self._strips = self._render(self.config.pattern)
            self._pattern = self.config.pattern
        if self.config.fps != self._fps:
            # Frames so far keep their times; later ones are 1 / new fps apart.
            self._anchor_ns = self._content_ns(self._frame_number)
            self._anchor_frame = self._frame_number
            self._fps = self.config.fps

    def progress(self) -> Progress | None:
        length_ns = self._length_ns()
        if length_ns is None:
            return None
        return Progress(self._content_ns(self._frame_number) / 1e9, length_ns / 1e9)

    def process(self) -> None:
        width, height = self.config.width, self.config.height
        offset = (self._frame_number * self.config.speed) % width
        buffer = self._pool.acquire()
        if self._format is PixelFormat.YUV420P:
            offset -= offset % 2  # chroma moves by whole samples
            y, u, v = self._strips
            quarter = height // 4
            np.copyto(buffer[:height], y[:, offset : offset + width])
            chroma_u = buffer[height : height + quarter].reshape(height // 2, width // 2)
            chroma_v = buffer[height + quarter :].reshape(height // 2, width // 2)
            half = offset // 2
            np.copyto(chroma_u, u[:, half : half + width // 2])
            np.copyto(chroma_v, v[:, half : half + width // 2])
        else:
            np.copyto(buffer, self._strips[0][:, offset : offset + width])
        self.video.write(
            VideoFrame(
                buffer,
                self._format,
                timestamp_ns=self._start_ns + self._content_ns(self._frame_number),
                frame_number=self._frame_number,
            )
        )
        self._frame_number += 1
        if self._reached_limit(self._frame_number):
            self.end_outputs()  # at once, not a tick later: the end follows the last frame

    def _content_ns(self, frame_number: int) -> int:
        """Where frame ``frame_number`` starts, from the first frame."""
        return self._anchor_ns + round((frame_number - self._anchor_frame) * 1e9 / self._fps)

    def _reached_limit(self, frame_number: int) -> bool:
        """Whether frame ``frame_number`` lies past the limit (so is not written)."""
        cfg = self.config
        if cfg.frames is not None and frame_number >= cfg.frames:
            return True
        if cfg.duration_s is not None:
            return self._content_ns(frame_number) >= seconds_to_ns(cfg.duration_s)
        return False

    def _length_ns(self) -> int | None:
        cfg = self.config
        lengths = []
        if cfg.frames is not None:
            lengths.append(self._content_ns(cfg.frames))
        if cfg.duration_s is not None:
            lengths.append(seconds_to_ns(cfg.duration_s))
        return min(lengths, default=None)

    def _render(self, pattern: str) -> tuple[np.ndarray[Any, Any], ...]:
        """The pattern twice side by side, so any scroll offset is one slice (one strip
        per plane: three for yuv420p)."""
        cfg = self.config
        width, height = cfg.width, cfg.height
        x = np.arange(width)
        y = np.arange(height)
        if pattern == "bars":
            rgb = np.broadcast_to(_BARS[x * len(_BARS) // width], (height, width, 3))
        elif pattern == "gradient":
            red = (x[None, :] * 255 // max(1, width - 1)).repeat(height, 0)
            green = (y[:, None] * 255 // max(1, height - 1)).repeat(width, 1)
            blue = 255 - (red + green) // 2
            rgb = np.stack([red, green, blue], axis=-1).astype(np.uint8)
        else:
            cell = max(8, min(width, height) // 8)
            on = ((x[None, :] // cell + y[:, None] // cell) % 2).astype(np.uint8) * 255
            rgb = np.repeat(on[:, :, None], 3, axis=2)
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        planes = rgb_to_yuv420(rgb) if self._format is PixelFormat.YUV420P else (
            _to_format(rgb, self._format),
        )  # fmt: skip
        return tuple(np.concatenate([plane, plane], axis=1) for plane in planes)


def _to_format(rgb: np.ndarray[Any, Any], fmt: PixelFormat) -> np.ndarray[Any, Any]:
    if fmt is PixelFormat.RGB24:
        return rgb
    if fmt is PixelFormat.GRAY8:
        weights = np.array([0.299, 0.587, 0.114])
        gray: np.ndarray[Any, Any] = (rgb @ weights).round().astype(np.uint8)
        return gray
    alpha = np.full((*rgb.shape[:2], 1), 255, np.uint8)
    if fmt is PixelFormat.RGBA:
        return np.concatenate([rgb, alpha], axis=2)
    return np.concatenate([rgb[:, :, ::-1], alpha], axis=2)  # BGRA
