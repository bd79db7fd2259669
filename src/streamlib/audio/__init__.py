"""Audio building blocks below the processors: devices, sample FIFOs, channels, resampling.

- PortAudio devices (``sounddevice``): :func:`list_audio_devices`, :func:`find_device`.
- :func:`hold_switch_interval`: a shorter GIL switch interval while real-time audio runs.
- :class:`SampleFifo`: a preallocated ring of samples between differing block sizes.
- :func:`convert_channels`: duplicate, left, right, downmix.
- :class:`StreamResampler`: streaming sample-rate conversion (libsoxr) in quality tiers.

::

    from streamlib.audio import list_audio_devices
    for device in list_audio_devices():
        print(device.describe())
"""

from ._channels import ChannelMode, convert_channels
from ._devices import (
    AudioDeviceInfo,
    find_device,
    list_audio_devices,
    portaudio,
    rescan_devices,
)
from ._fifo import SampleFifo
from ._resampler import ResampleQuality, StreamResampler
from ._switch_interval import SwitchIntervalHold, hold_switch_interval, switch_interval_holds

__all__ = [
    "AudioDeviceInfo",
    "ChannelMode",
    "ResampleQuality",
    "SampleFifo",
    "StreamResampler",
    "SwitchIntervalHold",
    "convert_channels",
    "find_device",
    "hold_switch_interval",
    "list_audio_devices",
    "portaudio",
    "rescan_devices",
    "switch_interval_holds",
]
