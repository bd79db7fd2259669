"""Audio devices through PortAudio (PyPI ``sounddevice``): list them, find one by name or index.

Every device call goes through one seam, the :class:`AudioBackend` in use: PortAudio's
by default, or another one a test installs with :func:`use_audio_backend`
(``streamlib.testing.fake_audio_devices`` installs fake microphones and speakers).
The processors, device lookup and ``streamlib devices`` run unchanged on either.

::

    for device in list_audio_devices():
        print(device.index, device.name, device.max_input_channels, device.max_output_channels)
    index = find_device("pulse", kind="output")   # DeviceError naming the devices if none fits

PortAudio reads the device list once, when it starts; a device that appeared
since (a PulseAudio server started later, a headset plugged in) is found by
:func:`rescan_devices`, which :func:`find_device` calls once before failing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, Protocol

import numpy as np

from ..core import DeviceError

__all__ = [
    "AudioBackend",
    "AudioDeviceInfo",
    "AudioStream",
    "PortAudioBackend",
    "StreamCallback",
    "audio_backend",
    "device_name",
    "find_device",
    "list_audio_devices",
    "portaudio",
    "rescan_devices",
    "use_audio_backend",
]

DeviceKind = Literal["input", "output"]

_lock = threading.Lock()


def portaudio() -> ModuleType:
    """The ``sounddevice`` module (imported on first use: it loads the PortAudio library)."""
    try:
        import sounddevice  # type: ignore[import-untyped]  # ships no type information
    except (ImportError, OSError) as error:
        raise DeviceError(
            f"audio devices need PortAudio and the sounddevice package ({error}); install them "
            "with `apt-get install libportaudio2` (Debian/Ubuntu) and `pip install "
            "'streamlib[audio]'`"
        ) from None
    module: ModuleType = sounddevice
    return module


@dataclass(frozen=True, slots=True)
class AudioDeviceInfo:
    """One PortAudio device: what ``streamlib devices`` lists."""

    index: int
    name: str
    host_api: str
    max_input_channels: int
    max_output_channels: int
    default_sample_rate: float
    is_default_input: bool
    is_default_output: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "host_api": self.host_api,
            "max_input_channels": self.max_input_channels,
            "max_output_channels": self.max_output_channels,
            "default_sample_rate": self.default_sample_rate,
            "default_input": self.is_default_input,
            "default_output": self.is_default_output,
        }

    def describe(self) -> str:
        """One line: ``[3] pulse (ALSA) in 32, out 32, 44100 Hz, default output``."""
        defaults = [
            label
            for label, flag in (
                ("input", self.is_default_input),
                ("output", self.is_default_output),
            )
            if flag
        ]
        suffix = f", default {' and '.join(defaults)}" if defaults else ""
        return (
            f"[{self.index}] {self.name} ({self.host_api}) in {self.max_input_channels}, "
            f"out {self.max_output_channels}, {self.default_sample_rate:g} Hz{suffix}"
        )


# -- the seam ---------------------------------------------------------------------------


class StreamCallback(Protocol):
    """The device's per-block call, with sounddevice's signature.

    ``data`` is the block, ``(frames, channels)`` float32: captured samples on an input
    stream, the buffer to fill on an output stream. ``when`` has PortAudio's stream
    times in seconds (``currentTime``, ``inputBufferAdcTime``, ``outputBufferDacTime``);
    ``status`` is true when the device over- or underflowed since the last block.
    """

    def __call__(self, data: np.ndarray[Any, Any], frames: int, when: Any, status: Any) -> None:
        """Handle one block, on the device's own thread."""


class AudioStream(Protocol):
    """An open device stream. Calls its callback once per block between start and stop."""

    @property
    def latency(self) -> float:
        """The device's latency for this stream, in seconds."""

    @property
    def time(self) -> float:
        """The stream's clock now, in seconds (the clock of the callback's ``when``)."""

    def start(self) -> None:
        """Begin calling the callback."""

    def stop(self) -> None:
        """Stop calling the callback; returns once the last call has finished."""

    def close(self) -> None:
        """Release the device."""


class AudioBackend(Protocol):
    """What reaches audio devices: list them, re-read the list, open a stream on one.

    :class:`PortAudioBackend` is the real one; ``streamlib.testing.FakeAudioDevices``
    stands in for it in tests. Install another with :func:`use_audio_backend`.
    """

    def devices(self) -> list[AudioDeviceInfo]:
        """Every device, inputs and outputs."""

    def rescan(self) -> None:
        """Re-read the device list (devices that appeared or went since the last look)."""

    def open_stream(
        self,
        kind: DeviceKind,
        *,
        device: int,
        sample_rate: int,
        block_size: int,
        channels: int,
        latency: str | float,
        callback: StreamCallback,
    ) -> AudioStream:
        """Open device ``device`` (an index from :meth:`devices`), not yet started.

        Raises ``DeviceError`` with the device's own reason when it refuses the settings
        or is busy.
        """


class PortAudioBackend:
    """The real devices, through PortAudio (``sounddevice``, imported on first use)."""

    def devices(self) -> list[AudioDeviceInfo]:
        sd = portaudio()
        with _lock:
            devices = sd.query_devices()
            apis = sd.query_hostapis()
            default_in, default_out = _defaults(sd)
        found: list[AudioDeviceInfo] = []
        for device in devices:
            index = int(device["index"])
            found.append(
                AudioDeviceInfo(
                    index=index,
                    name=str(device["name"]),
                    host_api=str(apis[device["hostapi"]]["name"]),
                    max_input_channels=int(device["max_input_channels"]),
                    max_output_channels=int(device["max_output_channels"]),
                    default_sample_rate=float(device["default_samplerate"]),
                    is_default_input=index == default_in,
                    is_default_output=index == default_out,
                )
            )
        return found

    def rescan(self) -> None:
        """Restart PortAudio so it lists the devices present now (no stream may be open)."""
        sd = portaudio()
        with _lock:
            sd._terminate()  # sounddevice's documented way to re-read the device list
            sd._initialize()

    def open_stream(
        self,
        kind: DeviceKind,
        *,
        device: int,
        sample_rate: int,
        block_size: int,
        channels: int,
        latency: str | float,
        callback: StreamCallback,
    ) -> AudioStream:
        sd = portaudio()
        stream_type = sd.InputStream if kind == "input" else sd.OutputStream
        try:
            stream: AudioStream = stream_type(
                device=device,
                samplerate=sample_rate,
                blocksize=block_size,
                channels=channels,
                dtype="float32",
                latency=latency,
                callback=callback,  # PortAudio calls it directly: nothing in between
            )
        except sd.PortAudioError as error:
            raise DeviceError(str(error)) from None
        return stream


_PORTAUDIO = PortAudioBackend()
# Backends installed by use_audio_backend, innermost last; none: PortAudio.
_installed: list[AudioBackend] = []
_installed_lock = threading.Lock()  # guards _installed only, never held across a device call


def audio_backend() -> AudioBackend:
    """The backend device calls go to now: PortAudio's unless one was installed."""
    with _installed_lock:
        return _installed[-1] if _installed else _PORTAUDIO


@contextmanager
def use_audio_backend(backend: AudioBackend) -> Iterator[AudioBackend]:
    """Send every device call in this process to ``backend`` until the block ends.

    For tests and simulations; the processors open their streams through it in
    ``setup``, so install it before the runtime starts::

        with use_audio_backend(FakeAudioDevices()):
            runtime.run(duration_s=1.0)
    """
    with _installed_lock:
        _installed.append(backend)
    try:
        yield backend
    finally:
        with _installed_lock:
            _installed.remove(backend)


def list_audio_devices() -> list[AudioDeviceInfo]:
    """Every audio device the backend knows (PortAudio's, by default), inputs and outputs."""
    return audio_backend().devices()


def rescan_devices() -> None:
    """Re-read the device list (PortAudio restarts: no stream may be open)."""
    audio_backend().rescan()


def device_name(index: int) -> str:
    """The name of device ``index``; ``DeviceError`` if there is none."""
    for device in list_audio_devices():
        if device.index == index:
            return device.name
    raise DeviceError(f"no audio device has index {index}; see `streamlib devices`")


def find_device(device: int | str | None, *, kind: DeviceKind) -> int:
    """The index of the ``kind`` device named ``device`` (an index, a name or part of one).

    ``None`` or ``"default"`` is the default device. ``DeviceError`` names the
    devices that exist when none fits.
    """
    for attempt in range(2):
        index = _match(device, kind)
        if index is not None:
            return index
        if attempt == 0:
            rescan_devices()
    have = [d for d in list_audio_devices() if _channels(d, kind) > 0]
    listing = "; ".join(d.describe() for d in have) or "none"
    wanted = "the default" if device in (None, "default") else repr(device)
    raise DeviceError(
        f"no {kind} audio device {wanted}: the {kind} devices here are: {listing} "
        "(name one of them, by index or by name)"
    )


def _match(device: int | str | None, kind: DeviceKind) -> int | None:
    devices = list_audio_devices()
    usable = [d for d in devices if _channels(d, kind) > 0]
    if device is None or device == "default":
        for d in usable:
            if d.is_default_input if kind == "input" else d.is_default_output:
                return d.index
        return None
    if isinstance(device, int) or (isinstance(device, str) and device.isdigit()):
        number = int(device)
        return next((d.index for d in usable if d.index == number), None)
    exact = [d for d in usable if d.name == device]
    if exact:
        return exact[0].index
    lowered = device.lower()
    partial = [d for d in usable if lowered in d.name.lower()]
    return partial[0].index if partial else None


def _channels(device: AudioDeviceInfo, kind: DeviceKind) -> int:
    return device.max_input_channels if kind == "input" else device.max_output_channels


def _defaults(sd: Any) -> tuple[int, int]:
    default_in, default_out = sd.default.device
    if default_in is None or int(default_in) < 0:
        default_in = _api_default(sd, "default_input_device")
    if default_out is None or int(default_out) < 0:
        default_out = _api_default(sd, "default_output_device")
    return int(default_in), int(default_out)


def _api_default(sd: Any, key: str) -> int:
    try:
        return int(sd.query_hostapis(sd.default.hostapi)[key])
    except Exception:  # no host API at all
        return -1
