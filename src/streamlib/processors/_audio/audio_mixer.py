"""AudioMixer: several audio inputs mixed into one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from pydantic import Field

from ...core import (
    AudioFrame,
    BufferPool,
    FrameError,
    Input,
    InputPort,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    live_field,
)
from ._blocks import BlockEmitter, BlockQueue

__all__ = ["AudioMixer"]

MIXER_INPUTS = 8


class AudioMixerConfig(ProcessorConfig):
    block_size: int = Field(256, ge=16, le=16_384, description="Samples per mixed block.")
    normalize: bool = live_field(True, description="Divide the sum by the inputs connected.")
    clip: bool = live_field(True, description="Limit the mix to [-1, 1].")
    max_lag_blocks: int = Field(
        8, ge=1, le=1024, description="Blocks one input may get ahead before a gap is mixed."
    )


class AudioMixer(Processor[AudioMixerConfig]):
    """Mix up to eight audio inputs into one: summed, optionally normalized, clipped.

    Connect any of ``audio_in_0`` .. ``audio_in_7``; every connected input must carry
    the same sample rate and channel count. Blocks of ``block_size`` samples go
    out as soon as every connected input has that much waiting. An input that
    has fallen silent (nothing waiting while another holds ``max_lag_blocks``
    blocks) is mixed as silence for that block, counted in ``input_gaps``, so
    one stalled source never stops the mix.

    ``normalize`` divides the sum by the number of connected inputs (no input
    can clip the sum); ``clip`` limits the result to [-1, 1].

    Example pipeline entry::

        mix: {type: AudioMixer, config: {normalize: true, block_size: 256}}
    """

    tags = ("audio", "mixer")

    audio_in_0 = Input(AudioFrame, description="Mixer input 0.")
    audio_in_1 = Input(AudioFrame, description="Mixer input 1.")
    audio_in_2 = Input(AudioFrame, description="Mixer input 2.")
    audio_in_3 = Input(AudioFrame, description="Mixer input 3.")
    audio_in_4 = Input(AudioFrame, description="Mixer input 4.")
    audio_in_5 = Input(AudioFrame, description="Mixer input 5.")
    audio_in_6 = Input(AudioFrame, description="Mixer input 6.")
    audio_in_7 = Input(AudioFrame, description="Mixer input 7.")
    audio_out = Output(AudioFrame, description="The mix, in blocks of block_size.")
    renamed_ports: ClassVar[Mapping[str, str]] = {
        f"audio_{i}": f"audio_in_{i}" for i in range(MIXER_INPUTS)
    }

    input_gaps = 0  # blocks written with an input missing; counted per instance

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._ports: list[InputPort[AudioFrame]] = [
            self.inputs[f"audio_in_{i}"] for i in range(MIXER_INPUTS)
        ]
        self._queues: list[BlockQueue | None] = [None] * MIXER_INPUTS
        self._channels = 0
        self._pool: BufferPool | None = None
        self._scratch = np.empty(0, np.float32)
        self._out = BlockEmitter(self.audio_out)

    def process(self) -> None:
        cfg = self.config
        block = cfg.block_size
        for index, port in enumerate(self._ports):
            for frame in port.read_all():
                self._accept(index, frame)
        while True:
            live = [
                queue
                for port, queue in zip(self._ports, self._queues, strict=True)
                if queue is not None and (port.is_connected() or queue.available)
            ]
            if not live:
                return
            most = max(queue.available for queue in live)
            least = min(queue.available for queue in live)
            if most < block:
                return
            if least < block and most < block * cfg.max_lag_blocks:
                return  # wait for the slower inputs
            self._mix(live, block)

    def _accept(self, index: int, frame: AudioFrame) -> None:
        block = self.config.block_size
        if not self._out.started:  # the first block of any input sets the mix's format
            self._out.start(frame.timestamp_ns, frame.sample_rate)
            self._channels = frame.channels
            self._pool = BufferPool((block, self._channels), np.float32)
            self._scratch = np.empty((block, self._channels), np.float32)
        if frame.sample_rate != self._out.rate or frame.channels != self._channels:
            raise FrameError(
                f"AudioMixer input audio_in_{index} carries {frame.channels} channels at "
                f"{frame.sample_rate} Hz, the mix {self._channels} at {self._out.rate} Hz; put "
                "an AudioResampler or AudioChannelConverter in front"
            )
        queue = self._queues[index]
        if queue is None:
            # Grows past this for a burst; the lag rule mixes that out right after.
            capacity = block * (self.config.max_lag_blocks + 8)
            queue = self._queues[index] = BlockQueue(block, self._channels, capacity)
        queue.write(frame.data)

    def _mix(self, live: list[BlockQueue], block: int) -> None:
        assert self._pool is not None
        out = self._pool.acquire()
        out.fill(0.0)
        scratch = self._scratch
        for queue in live:
            if queue.read_block(scratch) < block:  # the rest of scratch is silence
                self.input_gaps += 1
            out += scratch
        cfg = self.config
        if cfg.normalize and len(live) > 1:
            out *= np.float32(1.0 / len(live))
        if cfg.clip:
            np.clip(out, -1.0, 1.0, out=out)
        self._out.emit(out)
