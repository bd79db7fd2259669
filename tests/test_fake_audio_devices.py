"""AudioCapture and AudioOutput on streamlib.testing's fake devices: no sound server needed.

The processors run their real code (device lookup, stream setup, callbacks on a device
thread, FIFO, resampling, statistics); only PortAudio is replaced. The same behaviors
through a real PulseAudio null sink are in tests/test_audio_devices.py.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator

import numpy as np
import pytest

import streamlib as sl
from audio_support import dominant_frequency
from runtime_support import WAIT_S, streamlib_threads, wait_until
from streamlib.audio import audio_backend, find_device, list_audio_devices
from streamlib.cli._audio_devices import audio_devices_json
from streamlib.processors import AudioCapture, AudioOutput, Collector, ToneSource
from streamlib.testing import FakeMicrophone, FakeSpeaker, fake_audio_devices

RATE = 48_000


@pytest.fixture
def rt() -> Iterator[sl.Runtime]:
    runtime = sl.Runtime()
    try:
        yield runtime
    finally:
        runtime.close()
    assert streamlib_threads() == []


def test_fake_devices_are_listed_and_found_by_name_or_index() -> None:
    real = audio_backend()
    with fake_audio_devices(FakeMicrophone("Desk Mic", channels=1), FakeSpeaker("Headphones")):
        devices = list_audio_devices()
        assert [(d.index, d.name) for d in devices] == [(0, "Desk Mic"), (1, "Headphones")]
        assert devices[0].is_default_input
        assert devices[1].is_default_output
        assert find_device("desk", kind="input") == 0
        assert find_device(None, kind="output") == 1
        assert find_device("1", kind="output") == 1
        with pytest.raises(sl.DeviceError, match=r"no output audio device 'hdmi'.*Headphones"):
            find_device("hdmi", kind="output")
        listed = audio_devices_json()["devices"]
        assert [d["name"] for d in listed] == ["Desk Mic", "Headphones"]
    assert audio_backend() is real  # PortAudio again after the block


def test_capture_delivers_the_microphones_samples_exactly(rt: sl.Runtime) -> None:
    mic = FakeMicrophone("Desk Mic", channels=1, frequency=1000.0, amplitude=0.25)
    with fake_audio_devices(mic, FakeSpeaker()):
        source = rt.add(AudioCapture, device="Desk Mic", channels=1, block_size=256, id="mic")
        sink = rt.add(Collector, id="sink")
        rt.connect(source.audio, sink.audio, profile="lossless")
        rt.start()
        collector = rt.processor("sink")
        assert isinstance(collector, Collector)
        frames = collector.wait_for(20, port="audio", timeout_s=WAIT_S)
        capture = rt.processor("mic")
        assert isinstance(capture, AudioCapture)
        stats = capture.statistics()
        rt.stop()
    data = np.concatenate([f.data for f in frames])
    assert data.shape[1] == 1
    expected = mic.signal(0, len(data), channels=1, sample_rate=RATE)
    np.testing.assert_array_equal(data, expected)
    stamps = [f.timestamp_ns for f in frames]
    assert {b - a for a, b in itertools.pairwise(stamps)} <= {
        256 * 1_000_000_000 // RATE,
        256 * 1_000_000_000 // RATE + 1,
    }
    assert [f.frame_number for f in frames] == list(range(len(frames)))
    assert stats.device == "Desk Mic"
    assert stats.blocks >= 20
    assert stats.device_xruns == 0


def test_output_plays_what_arrives_converted_to_the_devices_rate_and_channels(
    rt: sl.Runtime,
) -> None:
    speaker = FakeSpeaker("Headphones", channels=2)
    with fake_audio_devices(FakeMicrophone(), speaker, speed=2.0) as fake:
        tone = rt.add(
            ToneSource,
            frequencies=(700.0,),
            amplitude=0.5,
            sample_rate=44_100,
            block_size=441,
            channels=1,
        )
        output = rt.add(AudioOutput, device="Headphones", channels=2, id="speaker")
        rt.connect(tone.audio, output.audio)
        rt.start()
        wait_until(lambda: len(speaker.played()) > RATE, what="a second of playback")
        rt.stop()
    assert fake.callback_errors == []
    played = speaker.played()
    steady = played[-RATE // 2 :]
    np.testing.assert_array_equal(steady[:, 0], steady[:, 1])  # mono copied to both
    assert dominant_frequency(steady[:, 0], RATE) == pytest.approx(700.0, abs=2.0)
    assert float(np.max(np.abs(steady))) == pytest.approx(0.5, abs=0.02)


def test_a_dry_input_is_one_underrun_then_silence(rt: sl.Runtime) -> None:
    with fake_audio_devices(FakeMicrophone(), FakeSpeaker("Headphones")) as fake:
        tone = rt.add(ToneSource, amplitude=0.3, block_size=256, id="tone")
        speaker = rt.add(AudioOutput, device="Headphones", block_size=256, id="speaker")
        rt.connect(tone.audio, speaker.audio)
        rt.start()
        output = rt.processor("speaker")
        assert isinstance(output, AudioOutput)
        wait_until(lambda: output.statistics().blocks > 30, what="playback")
        assert sys.getswitchinterval() == pytest.approx(1e-4)  # lowered while audio runs
        earlier = output.statistics().underruns
        rt.disconnect(tone.audio, speaker.audio)
        wait_until(lambda: output.statistics().underruns > earlier, what="an underrun")
        played_then = len(fake.speaker.played())
        wait_until(
            lambda: len(fake.speaker.played()) > played_then + 20 * 256,
            what="silence to keep playing",
        )
        assert output.statistics().underruns == earlier + 1
        rt.stop()
    assert sys.getswitchinterval() == pytest.approx(0.005)  # restored
    assert not np.any(fake.speaker.played()[played_then + 256 :])


def test_device_xruns_are_counted(rt: sl.Runtime) -> None:
    with fake_audio_devices() as fake:
        mic = rt.add(AudioCapture, block_size=256, id="mic")
        rt.add(Collector, id="sink")
        rt.connect(mic.audio, "sink.audio")
        rt.start()
        capture = rt.processor("mic")
        assert isinstance(capture, AudioCapture)
        wait_until(lambda: capture.statistics().blocks > 3, what="capture")
        fake.microphone.xrun()
        fake.microphone.xrun()
        wait_until(lambda: capture.statistics().device_xruns == 2, what="two xruns counted")
        rt.stop()


@pytest.mark.parametrize(
    ("speaker", "config", "reason"),
    [
        (FakeSpeaker("Headphones", busy=True), {}, r"Device unavailable"),
        (FakeSpeaker("Headphones", channels=2), {"channels": 4}, r"4 channels.*channels"),
    ],
)
def test_a_device_that_refuses_fails_setup_with_the_settings_and_its_reason(
    rt: sl.Runtime, speaker: FakeSpeaker, config: dict[str, int], reason: str
) -> None:
    with fake_audio_devices(FakeMicrophone(), speaker):
        rt.add(AudioOutput, device="Headphones", error_policy="stop", id="out", **config)
        rt.start()
        wait_until(lambda: rt.processor_state("out").value == "failed", what="setup to fail")
        last_error = rt.statistics().processors["out"].last_error or ""
        rt.stop()
    assert "cannot open output device 'Headphones'" in last_error
    assert re.search(reason, last_error), last_error
