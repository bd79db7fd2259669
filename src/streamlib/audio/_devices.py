"""Audio devices through PortAudio (PyPI ``sounddevice``): list them, find one by name or index.

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
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from ..core import DeviceError

__all__ = [
    "AudioDeviceInfo",
    "find_device",
    "list_audio_devices",
    "portaudio",
    "rescan_devices",
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


def list_audio_devices() -> list[AudioDeviceInfo]:
    """Every audio device PortAudio knows, inputs and outputs."""
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


def rescan_devices() -> None:
    """Restart PortAudio so it lists the devices present now (no stream may be open)."""
    sd = portaudio()
    with _lock:
        sd._terminate()  # sounddevice's documented way to re-read the device list
        sd._initialize()


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
