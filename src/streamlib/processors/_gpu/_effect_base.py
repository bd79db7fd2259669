"""GpuEffect: the base of video processors that run on the GPU, one frame in, one out.

A subclass compiles its passes in :meth:`build` and records them in
:meth:`render`; the base takes the newest frame, puts it on the GPU (a frame
from another GPU processor is already there), hands over a fresh texture from
the pool, submits, and writes a frame that stays on the GPU. Downstream CPU
processors get an array when they ask for one::

    class Sepia(GpuEffect):
        def build(self, gpu):
            self.pass_ = ComputeEffect(gpu, SEPIA_WGSL, label="Sepia")

        def render(self, encoder, source, target):
            self.pass_.encode(encoder, source, target)
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from ...core import (
    Input,
    Output,
    PixelFormat,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    VideoFrame,
)
from .._requirements import GPU

if TYPE_CHECKING:
    from ...gpu import GpuContext, Texture

__all__ = ["GpuEffect"]

C = TypeVar("C", bound=ProcessorConfig, default=ProcessorConfig)


class GpuEffect(Processor[C], abc.ABC, Generic[C]):
    """One input, one output, the work in WGSL on the shared GPU context."""

    tags = ("video", "effect", "gpu")
    # GPU submission and the occasional upload take milliseconds: never delay the producer.
    fusible = False
    requires = (GPU,)

    video_in = Input(VideoFrame, description="Frames to process (newest first).")
    video_out = Output(VideoFrame, description="Processed frames, kept on the GPU.")

    gpu: GpuContext
    frame: VideoFrame | None = None

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...gpu import shared_gpu_context

        self.gpu = shared_gpu_context()
        self.build(self.gpu)

    @abc.abstractmethod
    def build(self, gpu: GpuContext) -> None:
        """Compile pipelines and allocate what every frame reuses."""

    @abc.abstractmethod
    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        """Record the passes that turn ``source`` into ``target`` (same size)."""

    def output_format(self, source: PixelFormat) -> PixelFormat:
        """The pixel format CPU consumers see; by default the input's."""
        return source

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        # Effects read their uniforms from self.config on every frame.
        del previous

    def process(self) -> None:
        frame = self.video_in.read_latest()
        if frame is None:
            return
        self.frame = frame  # what render() is working on, for effects that read more than pixels
        gpu = self.gpu
        source = gpu.texture_of(frame)
        target = gpu.textures.acquire(
            frame.width, frame.height, self.output_format(source.pixel_format)
        )
        encoder = gpu.device.create_command_encoder(label=self.type_name)
        self.render(encoder, source, target)
        gpu.queue.submit([encoder.finish()])
        self.video_out.write(
            VideoFrame(
                target,
                timestamp_ns=frame.timestamp_ns,
                frame_number=frame.frame_number,
                metadata=frame.metadata,
            )
        )
