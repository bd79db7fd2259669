"""AudioCapture and AudioOutput: microphones and speakers through PortAudio.

Both are pull-scheduled: PortAudio's callback, on PortAudio's own thread,
drives them. The callbacks copy into preallocated buffers (a pool of capture
blocks, a sample FIFO before the speaker), so the only object made per block
is the frame itself. While either runs, the GIL switch interval is lowered
(``switch_interval_ms``; see :func:`streamlib.audio.hold_switch_interval`),
so the callback gets the GIL back quickly from busy Python threads.
"""

from __future__ import annotations

import abc
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal

import numpy as np
from pydantic import Field
from typing_extensions import TypeVar

from ...audio import (
    AudioStream,
    ResampleQuality,
    SampleFifo,
    StreamResampler,
    SwitchIntervalHold,
    audio_backend,
    convert_channels,
    device_name,
    find_device,
    hold_switch_interval,
)
from ...core import (
    NS_PER_S,
    AudioFrame,
    BufferPool,
    CustomEvent,
    DeviceError,
    Input,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Scheduling,
    processor_topic,
    reach_field,
)
from .._requirements import AUDIO_DEVICES
from ._blocks import BlockEmitter

__all__ = ["AudioCapture", "AudioDeviceStatistics", "AudioOutput"]

Latency = Literal["low", "high"] | float

_WAIT_WINDOW = 1024  # callbacks whose wait is kept for the percentiles


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True, slots=True)
class AudioDeviceStatistics:
    """A snapshot of an audio device processor's counters.

    ``underruns``: blocks the speaker had to fill (partly) with silence because
    no audio had arrived in time (counted once audio started flowing).
    ``device_xruns``: over- and underflows PortAudio itself reported.
    ``dropped_samples``: samples thrown away because more than ``max_buffer_ms``
    was waiting. ``buffered_ms``: audio waiting to be played now.
    ``device_latency_ms``: PortAudio's latency for the stream.
    ``callback_wait_ms_*``: how long each callback waited between PortAudio
    calling it and its Python code running: mostly the wait for the GIL, which
    a shorter switch interval cuts (p50 and p99 over the last 1024 callbacks).
    """

    device: str
    sample_rate: int
    block_size: int
    channels: int
    blocks: int
    underruns: int
    device_xruns: int
    dropped_samples: int
    buffered_ms: float
    device_latency_ms: float
    callback_wait_ms_p50: float | None
    callback_wait_ms_p99: float | None
    callback_wait_ms_max: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "sample_rate": self.sample_rate,
            "block_size": self.block_size,
            "channels": self.channels,
            "blocks": self.blocks,
            "underruns": self.underruns,
            "device_xruns": self.device_xruns,
            "dropped_samples": self.dropped_samples,
            "buffered_ms": round(self.buffered_ms, 3),
            "device_latency_ms": round(self.device_latency_ms, 3),
            "callback_wait_ms_p50": _round(self.callback_wait_ms_p50),
            "callback_wait_ms_p99": _round(self.callback_wait_ms_p99),
            "callback_wait_ms_max": round(self.callback_wait_ms_max, 3),
        }


class _DeviceConfig(ProcessorConfig):
    device: int | str | None = reach_field(
        None,
        reaches="device",
        description="Device index, name or part of a name; none for the default device.",
    )
    sample_rate: int = Field(48_000, ge=8_000, le=384_000, description="Samples per second.")
    block_size: int = Field(256, ge=16, le=16_384, description="Samples per device callback.")
    channels: int = Field(2, ge=1, le=8, description="Channels to open the device with.")
    latency: Latency = Field(
        "low", description="PortAudio latency: 'low', 'high', or seconds of device buffer."
    )
    switch_interval_ms: float | None = Field(
        0.1,
        gt=0,
        le=100,
        description="GIL switch interval while running (ms); none leaves Python's as it is.",
    )


C = TypeVar("C", bound=_DeviceConfig, default=_DeviceConfig)


class _AudioDevice(Processor[C], Generic[C], metaclass=abc.ABCMeta):
    """What the capture and output processors share: the stream's lifecycle and counters."""

    tags = ("audio", "device")
    requires = (AUDIO_DEVICES,)
    default_scheduling = Scheduling.pull()
    fusible = False  # PortAudio's thread drives it; its worker only keeps it alive
    capabilities = frozenset({"audio"})
    _kind: Literal["input", "output"] = "input"

    def __init__(self, config: C | Mapping[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._stream: AudioStream | None = None
        self._hold: SwitchIntervalHold | None = None
        self._blocks = 0
        self._underruns = 0
        self._xruns = 0
        self._device_name = ""
        self._waits = array("d", bytes(8 * _WAIT_WINDOW))
        self._wait_max = 0.0

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        cfg = self.config
        backend = audio_backend()  # PortAudio, or the fake devices a test installed
        index = find_device(cfg.device, kind=self._kind)
        self._device_name = device_name(index)
        self._blocks = 0
        self._wait_max = 0.0
        self._prepare()
        try:
            self._stream = backend.open_stream(
                self._kind,
                device=index,
                sample_rate=cfg.sample_rate,
                block_size=cfg.block_size,
                channels=cfg.channels,
                latency=cfg.latency,
                callback=self._callback,
            )
        except DeviceError as error:
            raise DeviceError(
                f"{self.type_name}: cannot open {self._kind} device {self._device_name!r} at "
                f"{cfg.sample_rate} Hz, {cfg.channels} channels, blocks of {cfg.block_size}: "
                f"{error}"
            ) from None
        if cfg.switch_interval_ms is not None:
            self._hold = hold_switch_interval(cfg.switch_interval_ms / 1000.0)
        self._stream.start()

    def teardown(self) -> None:
        stream, self._stream = self._stream, None
        try:
            if stream is not None:
                stream.stop()
                stream.close()
        finally:
            hold, self._hold = self._hold, None
            if hold is not None:
                hold.release()
            super().teardown()

    def statistics(self) -> AudioDeviceStatistics:
        """Blocks, underruns, device over/underflows and buffering so far."""
        cfg = self.config
        stream = self._stream
        latency = float(stream.latency) if stream is not None else 0.0
        n = min(self._blocks, _WAIT_WINDOW)
        waits = sorted(self._waits[:n])
        p50 = waits[(n - 1) // 2] * 1000.0 if n else None
        p99 = waits[min(n - 1, round(0.99 * (n - 1)))] * 1000.0 if n else None
        return AudioDeviceStatistics(
            device=self._device_name,
            sample_rate=cfg.sample_rate,
            block_size=cfg.block_size,
            channels=cfg.channels,
            blocks=self._blocks,
            underruns=self._underruns,
            device_xruns=self._xruns,
            dropped_samples=self._dropped(),
            buffered_ms=self._buffered_samples() * 1000.0 / cfg.sample_rate,
            device_latency_ms=latency * 1000.0,
            callback_wait_ms_p50=p50,
            callback_wait_ms_p99=p99,
            callback_wait_ms_max=self._wait_max * 1000.0,
        )

    # -- what each kind fills in ---------------------------------------------------

    @abc.abstractmethod
    def _prepare(self) -> None:
        """Allocate the buffers the callback uses (before the stream opens)."""

    @abc.abstractmethod
    def _callback(self, data: Any, frames: int, when: Any, status: Any) -> None:
        """PortAudio's callback: one block in (capture) or out (playback)."""

    def _note_wait(self, when: Any) -> None:
        """Record how late this callback's Python code runs (PortAudio's clock)."""
        stream = self._stream
        if stream is None:
            return
        wait = max(0.0, float(stream.time) - float(when.currentTime))
        self._waits[self._blocks % _WAIT_WINDOW] = wait
        self._wait_max = max(wait, self._wait_max)

    def _dropped(self) -> int:
        return 0

    def _buffered_samples(self) -> int:
        return 0

    def _report(self, name: str, payload: dict[str, Any]) -> None:
        ctx = self.ctx
        if ctx is not None:
            ctx.events.publish(
                CustomEvent(
                    custom_topic=processor_topic(str(ctx.processor_id)),
                    name=name,
                    payload=payload,
                    timestamp_ns=ctx.clock.now_ns(),
                )
            )


class AudioCaptureConfig(_DeviceConfig):
    channels: int = Field(1, ge=1, le=8, description="Channels to capture.")


class AudioCapture(_AudioDevice[AudioCaptureConfig]):
    """Capture audio from a microphone or any PortAudio input, block by block.

    Each PortAudio callback becomes one ``AudioFrame`` of ``block_size``
    samples. Timestamps are sample-exact from the capture time of the first
    block (monotonic clock): ``start + samples / sample_rate``. A missing
    device gives a ``DeviceError`` naming the devices that exist.

    Example pipeline entry::

        mic: {type: AudioCapture, config: {device: default, channels: 1, block_size: 256}}
    """

    audio = Output(AudioFrame, description="Captured blocks of block_size samples.")

    _kind = "input"

    def _prepare(self) -> None:
        cfg = self.config
        # Consumers keep frames a while (a fifo input holds 32): enough buffers for that.
        self._pool = BufferPool((cfg.block_size, cfg.channels), np.float32, max_buffers=64)
        self._out = BlockEmitter(self.audio)
        self._clock = self.ctx.clock if self.ctx is not None else None

    def _callback(self, data: Any, frames: int, when: Any, status: Any) -> None:
        self._note_wait(when)
        if status:
            self._xruns += 1
        rate = self.config.sample_rate
        if not self._out.started:
            assert self._clock is not None
            # When the block's first sample was captured: now, less how long ago the
            # ADC took it (PortAudio's stream times), less nothing else we could know.
            age_s = max(0.0, float(when.currentTime) - float(when.inputBufferAdcTime))
            if age_s > 1.0:  # a backend without stream times: fall back to one block
                age_s = frames / rate
            self._out.start(self._clock.now_ns() - round(age_s * NS_PER_S), rate)
        block = self._pool.acquire()
        block[:frames] = data
        self._out.emit(block if frames == block.shape[0] else block[:frames])
        self._blocks += 1


class AudioOutputConfig(_DeviceConfig):
    buffer_ms: float = Field(
        20.0, ge=0, le=2000, description="Audio to gather before playing (jitter buffer)."
    )
    max_buffer_ms: float = Field(
        100.0,
        gt=0,
        le=10_000,
        description="Most audio kept waiting; past it the oldest goes, back to buffer_ms.",
    )
    resample_quality: ResampleQuality = Field(
        "high", description="Quality when the input's rate differs from the device's."
    )


class AudioOutput(_AudioDevice[AudioOutputConfig]):
    """Play audio on a speaker or any PortAudio output, fed by its input.

    Incoming blocks of any size go into a preallocated FIFO that the device
    callback reads ``block_size`` samples from. Playback starts once
    ``buffer_ms`` of audio is waiting; when the FIFO runs dry the rest of the
    block is silence, counted as an underrun, and playback waits for
    ``buffer_ms`` again. When more than ``max_buffer_ms`` piles up (the device
    stalled, or its clock is slower than the source's), the oldest samples are
    dropped back to ``buffer_ms`` (counted), so latency stays bounded. Input
    at another sample rate is resampled to the device's rate, and other
    channel counts are converted (mono is copied to every channel, more
    channels are mixed down or cut).

    Example pipeline entry::

        speaker: {type: AudioOutput, config: {device: default, buffer_ms: 20}}
    """

    audio = Input(AudioFrame, description="Audio to play, any block size.")
    renamed_ports: ClassVar[Mapping[str, str]] = {"audio_in": "audio"}

    _kind = "output"

    def _prepare(self) -> None:
        cfg = self.config
        rate = cfg.sample_rate
        self._high_water = max(int(cfg.max_buffer_ms * rate / 1000), 2 * cfg.block_size)
        # Room above the high-water mark for a burst that arrives within one callback.
        self._fifo = SampleFifo(2 * self._high_water + 4 * cfg.block_size, cfg.channels)
        self._prebuffer = min(self._high_water, int(cfg.buffer_ms * rate / 1000))
        self._priming = True
        self._started = False
        self._resampler: StreamResampler | None = None
        self._scratch = np.empty((cfg.block_size * 4, cfg.channels), np.float32)

    def _callback(self, data: Any, frames: int, when: Any, status: Any) -> None:
        self._note_wait(when)
        if status:
            self._xruns += 1
        fifo = self._fifo
        port = self.audio
        frame = port.read()
        while frame is not None:
            self._accept(frame)
            frame = port.read()
        target = max(self._prebuffer, frames)
        if fifo.available > self._high_water:
            # Audio piled up (the device stalled, or its clock runs slower than the
            # source's): drop the oldest back to the target, so latency stays bounded.
            fifo.discard(fifo.available - target)
        if self._priming:
            if fifo.available >= target:
                self._priming = False
            else:
                data.fill(0.0)
                self._blocks += 1
                return
        got = fifo.read_into(data, frames)
        if got < frames:
            data[got:] = 0.0
            if self._started:
                self._underruns += 1
            self._priming = True
        self._started = True
        self._blocks += 1

    def _accept(self, frame: AudioFrame) -> None:
        cfg = self.config
        samples = frame.data
        if frame.channels != cfg.channels:
            n = samples.shape[0]
            if n > self._scratch.shape[0]:
                self._scratch = np.empty((n, cfg.channels), np.float32)
            samples = convert_channels(samples, cfg.channels, "auto", out=self._scratch[:n])
        if frame.sample_rate != cfg.sample_rate:
            resampler = self._resampler
            if resampler is None or resampler.rate_in != frame.sample_rate:
                resampler = StreamResampler(
                    frame.sample_rate, cfg.sample_rate, cfg.channels, cfg.resample_quality
                )
                self._resampler = resampler
                self._report("resampling", {"from_hz": frame.sample_rate, "to_hz": cfg.sample_rate})
            samples = resampler.process(samples)  # allocates: only when the rates differ
        self._fifo.write(samples)

    def _dropped(self) -> int:
        return self._fifo.dropped if hasattr(self, "_fifo") else 0

    def _buffered_samples(self) -> int:
        return self._fifo.available if hasattr(self, "_fifo") else 0
