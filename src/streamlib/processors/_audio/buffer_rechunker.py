"""BufferRechunker: audio in blocks of any size out as blocks of exactly ``block_size``."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ...audio import SampleFifo
from ...core import (
    AudioFrame,
    BufferPool,
    FrameError,
    Input,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    SampleClock,
)

__all__ = ["BufferRechunker"]


class BufferRechunkerConfig(ProcessorConfig):
    block_size: int = Field(256, ge=1, le=65_536, description="Samples per block out.")
    pad_last: bool = Field(
        True, description="At the stream's end, pad a last partial block (false: drop it)."
    )


class BufferRechunker(Processor[BufferRechunkerConfig]):
    """Regroup audio into blocks of exactly ``block_size`` samples, in order, nothing lost.

    Put it in front of anything that needs a fixed block (an FFT, a plugin).
    Timestamps continue sample-exactly from the first input block. At the end
    of the stream, a last partial block is padded with silence (``pad_last``)
    or dropped; a stop without an end writes no tail.

    Example pipeline entry::

        chunk: {type: BufferRechunker, config: {block_size: 512}}
    """

    tags = ("audio", "convert")

    audio_in = Input(AudioFrame, description="Audio in blocks of any size.")
    audio_out = Output(AudioFrame, description="Audio in blocks of block_size.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._fifo: SampleFifo | None = None
        self._pool: BufferPool | None = None
        self._timeline = SampleClock()
        self._frame_number = 0

    def process(self) -> None:
        block = self.config.block_size
        for frame in self.audio_in.read_all():
            fifo = self._fifo
            if fifo is None:
                fifo = self._start(frame)
            elif frame.sample_rate != self._timeline.rate or frame.channels != fifo.channels:
                raise FrameError(
                    f"BufferRechunker got {frame.channels} channels at {frame.sample_rate} Hz "
                    f"after {fifo.channels} at {self._timeline.rate} Hz; a stream keeps its format"
                )
            if fifo.available + frame.samples > fifo.capacity:
                fifo = self._fifo = fifo.resized(2 * (fifo.available + frame.samples))
            fifo.write(frame.data)
            while fifo.available >= block:
                self._emit(fifo, block)

    def on_end_of_stream(self) -> None:
        fifo = self._fifo
        if fifo is not None and fifo.available and self.config.pad_last:
            self._emit(fifo, fifo.available)  # the tail, padded to a whole block

    def _start(self, frame: AudioFrame) -> SampleFifo:
        block = self.config.block_size
        self._timeline.start(frame.timestamp_ns, frame.sample_rate)
        # Room for a few blocks either way; process() grows it when a bigger block comes.
        self._fifo = SampleFifo(max(4 * block, 4 * frame.samples, 4096), frame.channels)
        self._pool = BufferPool((block, frame.channels), np.float32, max_buffers=16)
        return self._fifo

    def _emit(self, fifo: SampleFifo, count: int) -> None:
        assert self._pool is not None
        out = self._pool.acquire()
        got = fifo.read_into(out, count)
        out[got:] = 0.0
        self.audio_out.write(
            AudioFrame(
                out,
                self._timeline.rate,
                timestamp_ns=self._timeline.stamp(out.shape[0]),
                frame_number=self._frame_number,
            )
        )
        self._frame_number += 1
