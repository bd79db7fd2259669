"""Passthrough: hands every frame on unchanged, by reference."""

from __future__ import annotations

from ...core import Frame, Input, Output, Processor, ProcessorConfig

__all__ = ["Passthrough"]


class Passthrough(Processor[ProcessorConfig]):
    """Forward each frame unchanged (no copy): a probe point, a benchmark stage, a tee.

    It carries any frame type; its output may feed any input. Frames are taken
    in order (``fifo``); override the profile per connection for video.
    """

    tags = ("utility",)

    input = Input(Frame, description="Any frames.")
    output = Output(Frame, description="The same frames, same objects.")

    def process(self) -> None:
        read, write = self.input.read, self.output.write
        frame = read()
        while frame is not None:
            write(frame)
            frame = read()
