"""VideoConvert: change pixel format and size with FFmpeg's swscale, into reused buffers."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from ...core import (
    Input,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    VideoFrame,
    live_field,
)
from .._raw_video import OutputPixelFormat, ScalingName
from .._requirements import MEDIA

if TYPE_CHECKING:
    from ...media import VideoConverter

__all__ = ["VideoConvert"]


class VideoConvertConfig(ProcessorConfig):
    pixel_format: OutputPixelFormat = live_field("yuv420p", description="Output pixel format.")
    width: int | None = live_field(None, ge=2, le=7680, description="Output width (default: same).")
    height: int | None = live_field(
        None, ge=2, le=4320, description="Output height (default: same)."
    )
    scaling: ScalingName = live_field("bilinear", description="swscale's scaling algorithm.")
    keep: int = Field(8, ge=1, le=64, description="Output buffers kept for reuse.")


class VideoConvert(Processor[VideoConvertConfig]):
    """Convert pictures to another pixel format and/or size (swscale).

    Output arrays come from a small pool and the swscale context is kept, so a
    steady stream allocates nothing per frame; a frame already in the wanted
    format and size passes through by reference. All fields may change live.

    Example pipeline entry::

        conv: {type: VideoConvert, config: {pixel_format: yuv420p, width: 1280, height: 720}}
    """

    tags: ClassVar[tuple[str, ...]] = ("video", "transform", "convert")
    requires = (MEDIA,)

    video_in = Input(VideoFrame, description="Pictures to convert (newest first).")
    video_out = Output(VideoFrame, description="Converted pictures.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._converter: VideoConverter = self._build()

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        self._converter = self._build()

    def process(self) -> None:
        frame = self.video_in.read()
        while frame is not None:
            self.video_out.write(self._converter.convert(frame))
            frame = self.video_in.read()

    def _build(self) -> VideoConverter:
        from ...media import VideoConverter

        cfg = self.config
        return VideoConverter(
            width=cfg.width,
            height=cfg.height,
            pixel_format=cfg.pixel_format,
            scaling=cfg.scaling,
            max_buffers=cfg.keep,
        )
