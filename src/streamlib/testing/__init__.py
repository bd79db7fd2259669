"""Helpers for testing processors: a collector sink, a controllable clock, a harness,
and fake devices.

::

    from streamlib.testing import run_processor

    out = run_processor(Invert, inputs={"video_in": [frame_a, frame_b]})
    assert out["video_out"][0].to_ndarray()[0, 0, 0] == 255 - frame_a.to_ndarray()[0, 0, 0]

Fake devices stand in for the hardware behind one seam each, so the device processors
run their real code on any machine: :func:`fake_audio_devices` (microphones and speakers
for ``AudioCapture``/``AudioOutput``) and :func:`fake_cameras` (for ``Camera``)::

    with fake_audio_devices(FakeMicrophone("mic", frequency=1000.0)) as fake:
        ...  # a runtime with AudioCapture(device="mic") and AudioOutput
    played = fake.speaker.played()
"""

from ..core import ManualClock
from ..processors import Collector
from ..processors._utility.sinks import FrameLog
from ._fake_audio import FakeAudioDevices, FakeMicrophone, FakeSpeaker, fake_audio_devices
from ._fake_camera import FakeCamera, FakeCameras, fake_cameras
from ._harness import run_processor

__all__ = [
    "Collector",
    "FakeAudioDevices",
    "FakeCamera",
    "FakeCameras",
    "FakeMicrophone",
    "FakeSpeaker",
    "FrameLog",
    "ManualClock",
    "fake_audio_devices",
    "fake_cameras",
    "run_processor",
]
