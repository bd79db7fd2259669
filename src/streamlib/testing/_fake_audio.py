"""Fake microphones and speakers behind the audio device seam (``streamlib.audio``).

``AudioCapture`` and ``AudioOutput`` run their real code: device lookup by name or
index, opening a stream, their callbacks on a device thread paced at the sample rate,
statistics. Only PortAudio is replaced: a fake microphone hands the callback a known
signal, a fake speaker keeps every block the callback fills.
"""

from __future__ import annotations

import threading
import time
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..audio import AudioDeviceInfo, AudioStream, StreamCallback, use_audio_backend
from ..core import DeviceError

__all__ = [
    "FakeAudioDevices",
    "FakeMicrophone",
    "FakeSpeaker",
    "fake_audio_devices",
]

HOST_API = "streamlib fake"

# PortAudio's time info, as sounddevice hands it to a callback (its field names).
_StreamTime = namedtuple("_StreamTime", "currentTime inputBufferAdcTime outputBufferDacTime")


class _FakeDevice:
    """What microphones and speakers share: a name, channels, a busy flag, xrun injection."""

    def __init__(self, name: str, *, channels: int, sample_rate: int, busy: bool) -> None:
        if channels < 1:
            raise ValueError(f"a device needs at least one channel, not {channels}")
        self.name = name
        self.channels = channels
        self.sample_rate = sample_rate
        self.busy = busy
        self.blocks = 0  # callbacks made so far, over every stream opened on it
        self.streams_opened = 0
        self._xruns_due = 0
        self._lock = threading.Lock()

    def xrun(self) -> None:
        """Have the next callback report an over/underflow, as a device that fell behind."""
        with self._lock:
            self._xruns_due += 1

    def _take_status(self) -> bool:
        with self._lock:
            if self._xruns_due:
                self._xruns_due -= 1
                return True
            return False


class FakeMicrophone(_FakeDevice):
    """A microphone that hears a known signal: a sine at ``frequency``, or ``samples``.

    ``samples`` (``(n,)`` or ``(n, channels)`` float32) play once, then silence; without
    them every channel hears ``amplitude * sin(2 pi frequency t)`` from the first sample
    captured. :meth:`signal` says what any stretch of the capture holds, so a test can
    compare a processor's output sample for sample::

        mic = FakeMicrophone("Desk Mic", channels=1, frequency=1000.0)
        expected = mic.signal(0, 256, channels=1, sample_rate=48_000)
    """

    def __init__(
        self,
        name: str = "Fake Microphone",
        *,
        channels: int = 2,
        sample_rate: int = 48_000,
        frequency: float = 440.0,
        amplitude: float = 0.5,
        samples: np.ndarray[Any, Any] | None = None,
        busy: bool = False,
    ) -> None:
        super().__init__(name, channels=channels, sample_rate=sample_rate, busy=busy)
        self.frequency = frequency
        self.amplitude = amplitude
        self.samples = None if samples is None else np.asarray(samples, np.float32)
        self.captured_samples = 0

    def signal(
        self, start: int, frames: int, *, channels: int, sample_rate: int
    ) -> np.ndarray[Any, Any]:
        """Samples ``start`` to ``start + frames`` of the capture, ``(frames, channels)``."""
        if self.samples is None:
            t = (start + np.arange(frames)) / sample_rate
            mono = (self.amplitude * np.sin(2 * np.pi * self.frequency * t)).astype(np.float32)
            return np.repeat(mono[:, None], channels, axis=1)
        source = self.samples if self.samples.ndim == 2 else self.samples[:, None]
        block = np.zeros((frames, channels), np.float32)
        part = source[start : start + frames]
        if len(part):
            # Fewer recorded channels than opened: repeat the last, as a mono mic does.
            block[: len(part)] = part[:, np.minimum(np.arange(channels), source.shape[1] - 1)]
        return block


class FakeSpeaker(_FakeDevice):
    """A speaker that keeps everything played on it; :meth:`played` returns it.

    ::

        speaker = FakeSpeaker("Headphones")
        with fake_audio_devices(speaker):
            ...  # run AudioOutput(device="Headphones")
        assert np.max(np.abs(speaker.played())) > 0.4
    """

    def __init__(
        self,
        name: str = "Fake Speaker",
        *,
        channels: int = 2,
        sample_rate: int = 48_000,
        busy: bool = False,
    ) -> None:
        super().__init__(name, channels=channels, sample_rate=sample_rate, busy=busy)
        self._played: list[np.ndarray[Any, Any]] = []

    def played(self) -> np.ndarray[Any, Any]:
        """Every sample the callbacks filled so far, ``(samples, channels)`` float32."""
        with self._lock:
            blocks = list(self._played)
        if not blocks:
            return np.zeros((0, self.channels), np.float32)
        return np.concatenate(blocks)

    def _keep(self, block: np.ndarray[Any, Any]) -> None:
        with self._lock:
            self._played.append(block.copy())


class _FakeStream:
    """A stream on a fake device: a thread calls the callback once per block, on time."""

    def __init__(
        self,
        device: FakeMicrophone | FakeSpeaker,
        *,
        sample_rate: int,
        block_size: int,
        channels: int,
        callback: StreamCallback,
        speed: float,
        errors: list[BaseException],
    ) -> None:
        self._device = device
        self._rate = sample_rate
        self._block_size = block_size
        self._channels = channels
        self._callback = callback
        self._speed = speed
        self._errors = errors
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def latency(self) -> float:
        return self._block_size / self._rate

    @property
    def time(self) -> float:
        return time.monotonic()

    def start(self) -> None:
        if self._closed:
            raise DeviceError(f"fake device {self._device.name!r}: the stream is closed")
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"fake-audio:{self._device.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def close(self) -> None:
        self.stop()
        self._closed = True

    def _run(self) -> None:
        device = self._device
        frames = self._block_size
        period_s = frames / self._rate / self._speed
        out = np.zeros((frames, self._channels), np.float32)
        started = time.monotonic()
        position = 0
        block = 0
        while not self._stop.wait(max(0.0, started + block * period_s - time.monotonic())):
            now = time.monotonic()
            when = _StreamTime(now, now - frames / self._rate, now + self.latency)
            status = device._take_status()
            try:
                if isinstance(device, FakeMicrophone):
                    data = device.signal(
                        position, frames, channels=self._channels, sample_rate=self._rate
                    )
                    self._callback(data, frames, when, status)
                    device.captured_samples = position + frames
                else:
                    out.fill(0.0)
                    self._callback(out, frames, when, status)
                    device._keep(out)
            except Exception as error:  # PortAudio aborts a stream whose callback raised
                self._errors.append(error)
                return
            device.blocks += 1
            position += frames
            block += 1


class FakeAudioDevices:
    """An audio backend of fake devices; install it with :func:`fake_audio_devices`.

    Devices are numbered in the order given; the first microphone is the default
    input, the first speaker the default output. A stream's callback runs on a
    thread of its own, one block every ``block_size / sample_rate / speed`` seconds.
    Opening more channels than a device has, or a ``busy`` device, raises
    ``DeviceError`` as PortAudio would.
    """

    def __init__(self, *devices: FakeMicrophone | FakeSpeaker, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be above 0, not {speed}")
        self.all: list[FakeMicrophone | FakeSpeaker] = (
            list(devices) if devices else [FakeMicrophone(), FakeSpeaker()]
        )
        self.speed = speed
        self.rescans = 0
        self.callback_errors: list[BaseException] = []

    @property
    def microphones(self) -> list[FakeMicrophone]:
        return [d for d in self.all if isinstance(d, FakeMicrophone)]

    @property
    def speakers(self) -> list[FakeSpeaker]:
        return [d for d in self.all if isinstance(d, FakeSpeaker)]

    @property
    def microphone(self) -> FakeMicrophone:
        """The first (default) microphone."""
        return self.microphones[0]

    @property
    def speaker(self) -> FakeSpeaker:
        """The first (default) speaker."""
        return self.speakers[0]

    def devices(self) -> list[AudioDeviceInfo]:
        first_mic = next((d for d in self.all if isinstance(d, FakeMicrophone)), None)
        first_speaker = next((d for d in self.all if isinstance(d, FakeSpeaker)), None)
        return [
            AudioDeviceInfo(
                index=index,
                name=device.name,
                host_api=HOST_API,
                max_input_channels=device.channels if isinstance(device, FakeMicrophone) else 0,
                max_output_channels=device.channels if isinstance(device, FakeSpeaker) else 0,
                default_sample_rate=float(device.sample_rate),
                is_default_input=device is first_mic,
                is_default_output=device is first_speaker,
            )
            for index, device in enumerate(self.all)
        ]

    def rescan(self) -> None:
        self.rescans += 1

    def open_stream(
        self,
        kind: str,
        *,
        device: int,
        sample_rate: int,
        block_size: int,
        channels: int,
        latency: str | float,
        callback: StreamCallback,
    ) -> AudioStream:
        del latency  # a fake device has no buffer to size
        wanted = FakeMicrophone if kind == "input" else FakeSpeaker
        if not 0 <= device < len(self.all) or not isinstance(self.all[device], wanted):
            raise DeviceError(f"Invalid device [PaErrorCode -9996]: no {kind} device {device}")
        found = self.all[device]
        if found.busy:
            raise DeviceError("Device unavailable [PaErrorCode -9985]")
        if channels > found.channels:
            raise DeviceError(
                f"Invalid number of channels [PaErrorCode -9998]: {found.name!r} has "
                f"{found.channels}, {channels} asked"
            )
        found.streams_opened += 1
        return _FakeStream(
            found,
            sample_rate=sample_rate,
            block_size=block_size,
            channels=channels,
            callback=callback,
            speed=self.speed,
            errors=self.callback_errors,
        )


@contextmanager
def fake_audio_devices(
    *devices: FakeMicrophone | FakeSpeaker, speed: float = 1.0
) -> Iterator[FakeAudioDevices]:
    """Replace the audio devices of this process with fakes until the block ends.

    Without arguments: one stereo ``FakeMicrophone`` (a 440 Hz sine) and one stereo
    ``FakeSpeaker``, both the defaults. A callback that raised is raised again at the
    end of the block, so a bug in a processor's callback fails the test::

        from streamlib.processors import AudioCapture, AudioOutput, Collector
        from streamlib.testing import FakeMicrophone, FakeSpeaker, fake_audio_devices

        with fake_audio_devices(FakeMicrophone("mic", frequency=1000.0), FakeSpeaker()) as fake:
            with sl.Runtime() as rt:
                mic = rt.add(AudioCapture, device="mic")
                speaker = rt.add(AudioOutput)
                rt.connect(mic.audio, speaker.audio)
                rt.run(duration_s=0.5)
        assert fake.speaker.played().shape[1] == 2
    """
    backend = FakeAudioDevices(*devices, speed=speed)
    with use_audio_backend(backend):
        yield backend
    if backend.callback_errors:
        raise backend.callback_errors[0]
