"""Audio building blocks below the processors: devices, sample FIFOs, channels, resampling.

- Devices: :func:`list_audio_devices`, :func:`find_device`, through one seam, the
  :class:`AudioBackend` in use (PortAudio's, or a fake one a test installs with
  :func:`use_audio_backend`; see ``streamlib.testing.fake_audio_devices``).
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
    AudioBackend,
    AudioDeviceInfo,
    AudioStream,
    PortAudioBackend,
    StreamCallback,
    audio_backend,
    device_name,
    find_device,
    list_audio_devices,
    portaudio,
    rescan_devices,
    use_audio_backend,
)
from ._fifo import SampleFifo
from ._resampler import ResampleQuality, StreamResampler
from ._switch_interval import SwitchIntervalHold, hold_switch_interval, switch_interval_holds

__all__ = [
    "AudioBackend",
    "AudioDeviceInfo",
    "AudioStream",
    "ChannelMode",
    "PortAudioBackend",
    "ResampleQuality",
    "SampleFifo",
    "StreamCallback",
    "StreamResampler",
    "SwitchIntervalHold",
    "audio_backend",
    "convert_channels",
    "device_name",
    "find_device",
    "hold_switch_interval",
    "list_audio_devices",
    "portaudio",
    "rescan_devices",
    "switch_interval_holds",
    "use_audio_backend",
]
