"""AudioCapture and AudioOutput through PortAudio and a real PulseAudio null sink.

The suite starts its own PulseAudio server (``audio_support.pulse_server``);
AudioOutput plays into the null sink, AudioCapture records the sink's monitor,
both through PortAudio's ALSA ``pulse`` device.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from audio_support import dominant_frequency, pulse_server
from runtime_support import WAIT_S, streamlib_threads, wait_until
from streamlib.audio import find_device, list_audio_devices
from streamlib.processors import AudioCapture, AudioOutput, Collector, ToneSource

RATE = 48_000
DEVICE = "pulse"


@pytest.fixture(scope="module", autouse=True)
def _pulse() -> None:
    pulse_server()


@pytest.fixture
def rt() -> Iterator[sl.Runtime]:
    runtime = sl.Runtime()
    try:
        yield runtime
    finally:
        runtime.close()
    assert streamlib_threads() == []


class Burst(sl.Processor):
    """Silence, then from block ``start_block`` on a loud 1 kHz tone; stamped when made."""

    class Config(sl.ProcessorConfig):
        start_block: int = 40
        block_size: int = 256
        sample_rate: int = RATE

    audio = sl.Output(sl.AudioFrame[2])

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.timer(self.config.sample_rate / self.config.block_size)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.blocks = 0
        self.onset_ns: int | None = None

    def process(self) -> None:
        cfg = self.config
        assert self.ctx is not None
        now = self.ctx.clock.now_ns()
        block = np.zeros((cfg.block_size, 2), np.float32)
        if self.blocks >= cfg.start_block:
            first = (self.blocks - cfg.start_block) * cfg.block_size
            t = (first + np.arange(cfg.block_size)) / cfg.sample_rate
            block[:] = (0.5 * np.sin(2 * np.pi * 1000 * t))[:, None]
            if self.onset_ns is None:
                self.onset_ns = now
        self.audio.write(sl.AudioFrame(block, cfg.sample_rate, timestamp_ns=now))
        self.blocks += 1


def level_db(signal_: np.ndarray, amplitude: float) -> float:
    """A sine's level against one of ``amplitude``, from its loudest 10 ms blocks.

    Blocks, not the whole: a gap a busy machine puts in the stream (an underrun,
    counted elsewhere) must not read as a wrong level.
    """
    blocks = signal_[: len(signal_) // 480 * 480].reshape(-1, 480)
    per_block = np.sqrt(np.mean(np.square(blocks.astype(np.float64)), axis=1))
    return float(20 * np.log10(np.percentile(per_block, 90) / (amplitude / np.sqrt(2))))


def captured(collector: Collector) -> tuple[np.ndarray, list[Any]]:
    frames = collector.received("audio")
    return np.concatenate([f.data for f in frames]), frames


def test_devices_are_listed() -> None:
    devices = list_audio_devices()
    pulse = [d for d in devices if d.name == DEVICE]
    assert pulse, [d.describe() for d in devices]
    assert pulse[0].max_input_channels > 0
    assert pulse[0].max_output_channels > 0
    assert f"] {DEVICE} (" in pulse[0].describe()
    assert find_device(DEVICE, kind="output") == pulse[0].index
    assert find_device(str(pulse[0].index), kind="input") == pulse[0].index


def test_a_missing_device_names_the_ones_that_exist(rt: sl.Runtime) -> None:
    with pytest.raises(sl.DeviceError, match=r"no output audio device 'no-such-card'.*pulse"):
        find_device("no-such-card", kind="output")
    mic = rt.add(AudioCapture, device="no-such-mic", error_policy="stop", id="mic")
    rt.start()
    wait_until(lambda: rt.processor_state(mic).value == "failed", what="setup to fail")
    stats = rt.statistics().processors["mic"]
    assert "no-such-mic" in (stats.last_error or "")
    assert "pulse" in (stats.last_error or "")


def test_tone_plays_into_the_null_sink_and_is_captured(rt: sl.Runtime) -> None:
    tone = rt.add(ToneSource, frequencies=(1000.0,), amplitude=0.5, block_size=256, channels=2)
    speaker = rt.add(AudioOutput, device=DEVICE, channels=2, block_size=256, id="speaker")
    mic = rt.add(AudioCapture, device=DEVICE, channels=1, block_size=256, id="mic")
    sink = rt.add(Collector, id="sink")
    rt.connect(tone.audio, speaker.audio)
    rt.connect(mic.audio, sink.audio)
    rt.start()
    collector = rt.processor("sink")
    assert isinstance(collector, Collector)
    blocks = int(1.5 * RATE / 256)
    collector.wait_for(blocks, port="audio", timeout_s=WAIT_S)
    output = rt.processor("speaker")
    assert isinstance(output, AudioOutput)
    stats = output.statistics()
    rt.stop()
    data, frames = captured(collector)
    assert all(f.sample_rate == RATE and f.channels == 1 for f in frames)
    steady = data[-RATE // 2 :, 0]  # the last half second, well after the start
    assert dominant_frequency(steady, RATE) == pytest.approx(1000.0, abs=2.0)
    # Stereo 0.5 peak, captured as a mono downmix by PulseAudio: the same level.
    assert level_db(steady, 0.5) == pytest.approx(0.0, abs=1.0)
    assert stats.blocks > 100
    assert stats.device == DEVICE
    stamps = [f.timestamp_ns for f in frames]
    assert stamps[1] - stamps[0] == 256 * 1_000_000_000 // RATE


def test_round_trip_latency(rt: sl.Runtime, record_property: Any) -> None:
    burst = rt.add(Burst, id="burst")
    speaker = rt.add(AudioOutput, device=DEVICE, block_size=256, buffer_ms=10)
    mic = rt.add(AudioCapture, device=DEVICE, channels=1, block_size=256)
    sink = rt.add(Collector, id="sink")
    rt.connect(burst.audio, speaker.audio)
    rt.connect(mic.audio, sink.audio)
    rt.start()
    collector = rt.processor("sink")
    assert isinstance(collector, Collector)
    source = rt.processor("burst")
    assert isinstance(source, Burst)

    def heard() -> bool:
        if len(collector.received("audio")) < 5:
            return False
        data, _ = captured(collector)
        return bool(np.max(np.abs(data)) > 0.2)

    wait_until(heard, what="the burst to come back through PulseAudio")
    rt.stop()
    data, frames = captured(collector)
    onset = int(np.argmax(np.abs(data[:, 0]) > 0.2))
    heard_ns = frames[0].timestamp_ns + onset * 1_000_000_000 // RATE
    assert source.onset_ns is not None
    latency_ms = (heard_ns - source.onset_ns) / 1e6
    record_property("round_trip_ms", latency_ms)
    print(f"round-trip latency through PulseAudio: {latency_ms:.1f} ms")
    assert 0 < latency_ms < 1000  # it came back, after it was made


def test_output_resamples_and_converts_other_input(rt: sl.Runtime) -> None:
    tone = rt.add(
        ToneSource,
        frequencies=(700.0,),
        amplitude=0.5,
        sample_rate=44_100,
        block_size=441,
        channels=1,
    )
    speaker = rt.add(AudioOutput, device=DEVICE, channels=2, id="speaker")
    mic = rt.add(AudioCapture, device=DEVICE, channels=1)
    sink = rt.add(Collector, id="sink")
    rt.connect(tone.audio, speaker.audio)
    rt.connect(mic.audio, sink.audio)
    rt.start()
    collector = rt.processor("sink")
    assert isinstance(collector, Collector)
    collector.wait_for(int(1.2 * RATE / 256), port="audio")
    rt.stop()
    data, _ = captured(collector)
    steady = data[-RATE // 2 :, 0]
    assert dominant_frequency(steady, RATE) == pytest.approx(700.0, abs=2.0)
    assert level_db(steady, 0.5) == pytest.approx(0.0, abs=1.0)


def test_underruns_are_counted_and_filled_with_silence(rt: sl.Runtime) -> None:
    tone = rt.add(ToneSource, amplitude=0.3, block_size=256, id="tone")
    speaker = rt.add(AudioOutput, device=DEVICE, block_size=256, id="speaker")
    rt.connect(tone.audio, speaker.audio)
    rt.start()
    output = rt.processor("speaker")
    assert isinstance(output, AudioOutput)
    wait_until(lambda: output.statistics().blocks > 50, what="playback")
    assert sys.getswitchinterval() == pytest.approx(1e-4)  # lowered while audio runs
    earlier = output.statistics().underruns  # zero unless this machine is very busy
    rt.disconnect(tone.audio, speaker.audio)  # the speaker's input runs dry
    wait_until(lambda: output.statistics().underruns > earlier, what="an underrun")
    before = output.statistics().blocks
    wait_until(lambda: output.statistics().blocks > before + 20, what="silence to keep playing")
    # Counted once: then it plays silence and waits for buffer_ms of audio again.
    assert output.statistics().underruns == earlier + 1
    rt.stop()
    assert sys.getswitchinterval() == pytest.approx(0.005)  # restored


def test_streamlib_devices_lists_audio(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("av", reason="`streamlib devices` lists cameras through PyAV first")
    from streamlib.cli import main

    assert main(["devices"]) == 0
    table = capsys.readouterr().out
    assert "audio devices (PortAudio" in table
    assert f"] {DEVICE} " in table
    assert main(["devices", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["audio"]["devices"]
    assert any(d["name"] == DEVICE and d["max_output_channels"] > 0 for d in listed)


def test_piled_up_audio_is_dropped_back_to_the_buffer(rt: sl.Runtime) -> None:
    """A source faster than the device: latency stays near buffer_ms, drops are counted."""
    fast = rt.add(ToneSource, amplitude=0.2, block_size=256, sample_rate=RATE)
    speaker = rt.add(
        AudioOutput, device=DEVICE, block_size=256, buffer_ms=20, max_buffer_ms=60, id="speaker"
    )
    rt.connect(fast.audio, speaker.audio)
    rt.start()
    output = rt.processor("speaker")
    assert isinstance(output, AudioOutput)
    wait_until(lambda: output.statistics().blocks > 20, what="playback")
    # Feed a burst of 0.5 s at once, far past max_buffer_ms.
    burst = sl.AudioFrame(np.zeros((RATE // 2, 2), np.float32), RATE)
    connection = rt.connection(str(fast) + ".audio", "speaker.audio")
    connection.push(burst, 0)
    # The pile goes in two steps (what the FIFO cannot hold as it arrives, then the rest
    # past max_buffer_ms at the next callback): wait for both, not the first alone.
    piled = RATE // 2 - int(0.06 * RATE) - 2 * 256
    wait_until(lambda: output.statistics().dropped_samples >= piled, what="the pile dropped")
    stats = output.statistics()
    rt.stop()
    assert stats.buffered_ms <= 60 + 256 * 1000 / RATE
    assert stats.dropped_samples >= piled
    assert stats.callback_wait_ms_p50 is not None
    assert stats.callback_wait_ms_max >= stats.callback_wait_ms_p50 >= 0
