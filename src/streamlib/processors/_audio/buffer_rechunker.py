"""BufferRechunker: audio in blocks of any size out as blocks of exactly ``block_size``."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ...core import (
    AudioFrame,
    BufferPool,
    FrameError,
    Input,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
)
from ._blocks import BlockEmitter, BlockQueue

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
        self._queue: BlockQueue | None = None
        self._pool: BufferPool | None = None
        self._out = BlockEmitter(self.audio_out)

    def process(self) -> None:
        for frame in self.audio_in.read_all():
            queue = self._queue
            if queue is None:
                queue = self._start(frame)
            elif frame.sample_rate != self._out.rate or frame.channels != queue.channels:
                raise FrameError(
                    f"BufferRechunker got {frame.channels} channels at {frame.sample_rate} Hz "
                    f"after {queue.channels} at {self._out.rate} Hz; a stream keeps its format"
                )
            queue.write(frame.data)
            while queue.has_block:
                self._emit(queue)

    def on_end_of_stream(self) -> None:
        queue = self._queue
        if queue is not None and queue.available and self.config.pad_last:
            self._emit(queue)  # the tail, padded to a whole block

    def _start(self, frame: AudioFrame) -> BlockQueue:
        block = self.config.block_size
        self._out.start(frame.timestamp_ns, frame.sample_rate)
        # Room for a few blocks either way; the queue grows when a bigger block comes.
        self._queue = BlockQueue(block, frame.channels, max(4 * block, 4 * frame.samples, 4096))
        self._pool = BufferPool((block, frame.channels), np.float32, max_buffers=16)
        return self._queue

    def _emit(self, queue: BlockQueue) -> None:
        assert self._pool is not None
        out = self._pool.acquire()
        queue.read_block(out)
        self._out.emit(out)
