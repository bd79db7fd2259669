"""Compositor: up to eight video inputs into one picture, on the GPU, at a fixed rate.

::

    mix:
      type: Compositor
      config: {width: 1280, height: 720, fps: 30, layout: pip, pip_corner: top-right}
    connections:
      - camera.video -> mix.video_in_0   # full frame
      - slides.video -> mix.video_in_1   # the small window

Each tick takes the newest frame of every input (the last one is kept while
an input is quiet, for ``hold_s``; then that input disappears), places them by
the layout, blends them with their alpha in z order, and writes one frame that
stays on the GPU.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from ...core import (
    Input,
    Output,
    PixelFormat,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Scheduling,
    VideoFrame,
    live_field,
)
from .._requirements import GPU
from ._compositor_layout import LayerConfig, plan_layout

if TYPE_CHECKING:
    from ...gpu import GpuContext

__all__ = ["MAX_INPUTS", "Compositor"]

MAX_INPUTS = 8


class CompositorConfig(ProcessorConfig):
    width: int = Field(1280, ge=16, le=7680, description="Output width in pixels.")
    height: int = Field(720, ge=16, le=4320, description="Output height in pixels.")
    fps: float = live_field(30.0, gt=0, le=240, description="Output frames per second.")
    layout: Literal["pip", "grid", "rects"] = live_field("pip", description="How to place inputs.")
    layers: tuple[LayerConfig, ...] = live_field(
        (), description="Per-input alpha, z, fit, and rectangles for the rects layout."
    )
    fit: Literal["stretch", "letterbox", "crop"] = live_field(
        "letterbox", description="How each picture fits its place (unless its layer says)."
    )
    background: tuple[int, int, int] = live_field(
        (0, 0, 0), description="Color behind everything, R, G, B (0..255)."
    )
    pip_scale: float = live_field(0.3, gt=0.0, le=1.0, description="Size of pip windows.")
    pip_corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = live_field(
        "bottom-right", description="Where pip windows go."
    )
    pip_margin: int = live_field(24, ge=0, le=1000, description="Pixels from the edges.")
    hold_s: float = live_field(
        1.0, ge=0.0, le=3600.0, description="How long a quiet input keeps its last frame."
    )
    pixel_format: Literal["rgb24", "rgba", "bgra"] = Field(
        "rgb24", description="What CPU consumers receive (the GPU copy is always RGBA)."
    )


class Compositor(Processor[CompositorConfig]):
    """Mix up to 8 video inputs into one frame: picture-in-picture, grid or rectangles.

    Layouts: ``pip`` (the lowest-numbered active input fills the frame, the
    others are small windows stacked in ``pip_corner``), ``grid`` (active inputs
    in rows and columns), ``rects`` (each input where its ``layers`` entry says).
    ``layers`` also sets per-input ``alpha``, ``z`` and ``fit`` in every layout.
    Runs on the GPU; inputs from GPU processors are used without a copy.
    """

    tags = ("video", "mixer", "gpu")
    renamed_ports: ClassVar[Mapping[str, str]] = {
        **{f"video_{n}": f"video_in_{n}" for n in range(MAX_INPUTS)},
        "video": "video_out",
    }
    requires = (GPU,)
    default_scheduling = Scheduling.timer(30.0)
    fusible = False  # GPU work every tick; its own thread keeps producers unhindered

    video_in_0 = Input(VideoFrame, description="Input 0 (the full frame in pip).")
    video_in_1 = Input(VideoFrame, description="Input 1.")
    video_in_2 = Input(VideoFrame, description="Input 2.")
    video_in_3 = Input(VideoFrame, description="Input 3.")
    video_in_4 = Input(VideoFrame, description="Input 4.")
    video_in_5 = Input(VideoFrame, description="Input 5.")
    video_in_6 = Input(VideoFrame, description="Input 6.")
    video_in_7 = Input(VideoFrame, description="Input 7.")
    video_out = Output(VideoFrame, description="The composed picture, kept on the GPU.")

    gpu: GpuContext

    def scheduling(self) -> Scheduling:
        return Scheduling.timer(self.config.fps)

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...gpu import QuadRenderer, shared_gpu_context

        self.gpu = shared_gpu_context()
        self._quads = QuadRenderer(self.gpu)
        self._ports = [self.inputs[f"video_in_{index}"] for index in range(MAX_INPUTS)]
        self._held: list[tuple[VideoFrame, float] | None] = [None] * MAX_INPUTS
        self._frame_number = 0
        self._clock = ctx.clock

    def teardown(self) -> None:
        self._held = [None] * MAX_INPUTS  # frames (and their textures) go back to pools
        super().teardown()

    def process(self) -> None:
        cfg = self.config
        now = time.monotonic()
        for index, port in enumerate(self._ports):
            frame = port.read_latest()
            if frame is not None:
                self._held[index] = (frame, now)
            else:
                held = self._held[index]
                if held is not None and now - held[1] > cfg.hold_s:
                    self._held[index] = None
        frames = {index: held[0] for index, held in enumerate(self._held) if held is not None}
        placements = plan_layout(
            layout=cfg.layout,
            layers=cfg.layers,
            fit=cfg.fit,
            pip_scale=cfg.pip_scale,
            pip_corner=cfg.pip_corner,
            pip_margin=cfg.pip_margin,
            active={index: (f.width, f.height) for index, f in frames.items()},
            size=(cfg.width, cfg.height),
        )
        from ...gpu import Quad

        gpu = self.gpu
        quads = [
            Quad(gpu.texture_of(frames[p.input]).view, p.rect, p.uv, p.alpha) for p in placements
        ]
        target = gpu.textures.acquire(cfg.width, cfg.height, PixelFormat(cfg.pixel_format))
        red, green, blue = (channel / 255.0 for channel in cfg.background)
        encoder = gpu.device.create_command_encoder(label="Compositor")
        self._quads.draw(
            encoder, target.view, (cfg.width, cfg.height), quads, clear=(red, green, blue, 1.0)
        )
        gpu.queue.submit([encoder.finish()])
        self.video_out.write(
            VideoFrame(target, timestamp_ns=self._clock.now_ns(), frame_number=self._frame_number)
        )
        self._frame_number += 1

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        del previous  # every tick reads the layout from self.config

    def held_inputs(self) -> list[int]:
        """Inputs currently shown (for tests and statistics)."""
        return [index for index, held in enumerate(self._held) if held is not None]
