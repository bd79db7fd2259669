"""Passthrough: hands every frame on unchanged, by reference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ...core import Frame, Input, Output, Processor, ProcessorConfig

__all__ = ["Passthrough"]


class Passthrough(Processor[ProcessorConfig]):
    """Forward each frame unchanged (no copy): a probe point, a benchmark stage, a tee.

    It carries any frame type; its output may feed any input. Frames are taken
    in order (``fifo``); override the profile per connection for video.
    """

    tags = ("utility",)

    renamed_ports: ClassVar[Mapping[str, str]] = {"input": "frames_in", "output": "frames_out"}

    frames_in = Input(Frame, description="Any frames.")
    frames_out = Output(Frame, description="The same frames, same objects.")

    def process(self) -> None:
        read, write = self.frames_in.read, self.frames_out.write
        frame = read()
        while frame is not None:
            write(frame)
            frame = read()
