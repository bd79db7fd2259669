"""What the audio processors that make their own blocks share.

An audio processor that passes blocks through (Gain, LevelMeter,
AudioChannelConverter) keeps each block's timestamp and number. One that makes
blocks of its own (a source, a resampler, a rechunker, a mixer, a plug-in host)
must stamp and number them itself, and most also gather incoming audio into
blocks of one size. Both halves live here, once:

- :class:`BlockEmitter` writes a processor's blocks on one output, each stamped
  from the stream's sample timeline (:class:`~streamlib.core.SampleClock`) and
  numbered in order.
- :class:`BlockQueue` gathers audio of any block size into blocks of exactly
  ``block_size``; the stream's last, partial block comes out padded with silence.

BufferRechunker is a queue feeding an emitter; ClapEffect puts a plug-in between
the two; AudioMixer keeps a queue per input; AudioResampler, ToneSource (and so
ChordGenerator) and AudioCapture emit blocks they made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...audio import SampleFifo
from ...core import AudioFrame, OutputPort, SampleClock

__all__ = ["BlockEmitter", "BlockQueue"]


class BlockEmitter:
    """Writes the audio blocks a processor makes on one output, stamped and numbered.

    A block's timestamp is when its first sample plays on the stream's timeline
    (the timeline's start plus the samples emitted before it, exact over any
    length); its ``frame_number`` counts the blocks emitted. One processor owns
    it (its worker, or its device callback); ``samples`` may be read from other
    threads::

        self._out = BlockEmitter(self.audio_out)        # in setup
        self._out.start(first.timestamp_ns, first.sample_rate)
        self._out.emit(samples)                         # an AudioFrame on audio_out
    """

    __slots__ = ("_port", "_timeline", "blocks")

    def __init__(self, port: OutputPort[AudioFrame]) -> None:
        self._port = port
        self._timeline = SampleClock()
        self.blocks = 0  # emitted so far: the next block's frame_number

    @property
    def started(self) -> bool:
        """Whether :meth:`start` gave the timeline an origin and a rate."""
        return self._timeline.started

    @property
    def rate(self) -> int:
        """The blocks' sample rate (0 before :meth:`start`)."""
        return self._timeline.rate

    @property
    def samples(self) -> int:
        """Samples emitted since the timeline (or its last rate) started."""
        return self._timeline.samples

    def start(self, start_ns: int, rate: int) -> None:
        """Begin the timeline at ``start_ns`` with ``rate``; again after a change of
        format. Block numbers go on from where they were."""
        self._timeline.start(start_ns, rate)

    def reset(self) -> None:
        """Forget the timeline and number blocks from 0 again (a new setup)."""
        self._timeline.reset()
        self.blocks = 0

    def emit(self, samples: np.ndarray[Any, Any]) -> None:
        """Write ``(n, channels)`` samples as the next block."""
        self._port.write(
            AudioFrame(
                samples,
                self._timeline.rate,
                timestamp_ns=self._timeline.stamp(samples.shape[0]),
                frame_number=self.blocks,
            )
        )
        self.blocks += 1


class BlockQueue:
    """Audio of any block size in, blocks of exactly ``block_size`` out, in order.

    Nothing is dropped: a burst (many queued blocks read at once) grows the
    queue beyond ``capacity``, and the owner reading blocks out right after keeps
    it bounded in steady state. At the end of a stream, :meth:`read_block` with
    fewer than ``block_size`` samples waiting gives the tail padded with silence::

        queue.write(frame.data)
        while queue.has_block:
            queue.read_block(out)                   # out: (block_size, channels)
    """

    __slots__ = ("_fifo", "block_size")

    def __init__(self, block_size: int, channels: int, capacity: int) -> None:
        self.block_size = block_size
        self._fifo = SampleFifo(max(capacity, block_size), channels)

    @property
    def channels(self) -> int:
        return self._fifo.channels

    @property
    def available(self) -> int:
        """Samples waiting."""
        return self._fifo.available

    @property
    def has_block(self) -> bool:
        """Whether a whole block is waiting."""
        return self._fifo.available >= self.block_size

    def write(self, data: np.ndarray[Any, Any]) -> None:
        """Append ``(n, channels)`` samples, growing the queue rather than dropping any."""
        fifo = self._fifo
        wanted = fifo.available + data.shape[0]
        if wanted > fifo.capacity:
            fifo = self._fifo = fifo.resized(2 * wanted)
        fifo.write(data)

    def read_block(self, out: np.ndarray[Any, Any]) -> int:
        """Move the next block into ``out`` (``(block_size, channels)``, a view will do),
        silence after the samples when fewer wait; returns how many samples were audio."""
        got = self._fifo.read_into(out, self.block_size)
        out[got : self.block_size] = 0.0
        return got

    def clear(self) -> None:
        """Drop what is waiting (a change of format starts again)."""
        self._fifo.clear()
