"""A 60 s mic -> reverb -> speaker run through PulseAudio while another pipeline loads the CPU.

Starts a private PulseAudio server with a null sink (the test suite's), then,
for each GIL switch interval (``0.1 ms``, streamlib's default for audio
devices, and Python's own 5 ms, ``switch_interval_ms: null``), runs:

- the audio pipeline: AudioCapture (the sink's monitor, "the mic") and a
  ChordGenerator ("a voice") -> AudioMixer -> AudioChannelConverter (stereo)
  -> ClapEffect (ZamVerb) -> Gain (-12 dB, so the mic's loop decays) ->
  AudioOutput (the null sink);
- a load pipeline in the same process: TestPattern -> a processor that spends
  about 4 ms per frame in pure Python -> NullSink;
- then, still under load, five round trips of a tone burst from a source
  through AudioOutput into the sink and back through AudioCapture.

Reports the speaker's underruns (target 0), device xruns and drops, how long
device callbacks waited for the GIL (p99, max), the plugin's overruns, and the
round-trip latency, as JSON::

    python bench/audio_soak.py [--seconds 60] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.processors import (
    AudioCapture,
    AudioChannelConverter,
    AudioMixer,
    AudioOutput,
    ChordGenerator,
    ClapEffect,
    Collector,
    Gain,
    NullSink,
    TestPattern,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from audio_support import pulse_server  # type: ignore[import-not-found]  # tests/ helper

RATE = 48_000
BLOCK = 256
DEVICE = "pulse"
STARTUP_S = 3.0  # underruns after this are the steady state's (the target is 0)


class PythonLoad(sl.Processor):
    """Spends ``busy_ms`` in pure Python per frame: a CPU-bound Python thread."""

    class Config(sl.ProcessorConfig):
        busy_ms: float = 4.0

    video = sl.Input(sl.VideoFrame)

    def process(self) -> None:
        if self.video.read_latest() is None:
            return
        deadline = time.perf_counter() + self.config.busy_ms / 1000
        total = 0
        while time.perf_counter() < deadline:
            for value in range(200):
                total += value * value


class Burst(sl.Processor):
    """Silence, then a 1 kHz tone from block ``start_block``; records when the tone began."""

    class Config(sl.ProcessorConfig):
        start_block: int = 30

    audio: sl.Output[sl.AudioFrame] = sl.Output(sl.AudioFrame.with_channels(2))

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.timer(RATE / BLOCK)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.blocks = 0
        self.onset_ns: int | None = None

    def process(self) -> None:
        assert self.ctx is not None
        now = self.ctx.clock.now_ns()
        block = np.zeros((BLOCK, 2), np.float32)
        if self.blocks >= self.config.start_block:
            t = ((self.blocks - self.config.start_block) * BLOCK + np.arange(BLOCK)) / RATE
            block[:] = (0.5 * np.sin(2 * np.pi * 1000 * t))[:, None]
            if self.onset_ns is None:
                self.onset_ns = now
        self.audio.write(sl.AudioFrame(block, RATE, timestamp_ns=now))
        self.blocks += 1


def round_trip_ms(switch_ms: float | None) -> float | None:
    with sl.Runtime() as rt:
        burst = rt.add(Burst, id="burst")
        speaker = rt.add(AudioOutput, device=DEVICE, buffer_ms=10, switch_interval_ms=switch_ms)
        mic = rt.add(AudioCapture, device=DEVICE, switch_interval_ms=switch_ms)
        sink = rt.add(Collector, id="sink")
        rt.connect(burst.audio, speaker.audio)
        rt.connect(mic.audio, sink.audio)
        rt.start()
        collector = rt.processor("sink")
        source = rt.processor("burst")
        assert isinstance(collector, Collector)
        assert isinstance(source, Burst)
        deadline = time.monotonic() + 5
        heard = None
        while heard is None and time.monotonic() < deadline:
            time.sleep(0.02)
            frames = collector.received("audio")
            for frame in frames:
                assert isinstance(frame, sl.AudioFrame)
                loud = np.flatnonzero(np.abs(frame.data[:, 0]) > 0.2)
                if loud.size:
                    heard = frame.timestamp_ns + int(loud[0]) * 1_000_000_000 // RATE
                    break
        rt.stop()
        if heard is None or source.onset_ns is None:
            return None
        return (heard - source.onset_ns) / 1e6


def soak(seconds: float, switch_ms: float | None, buffer_ms: float = 20.0) -> dict[str, Any]:
    load = sl.Runtime()
    load_src = load.add(TestPattern, width=320, height=240, fps=100)
    load_fx = load.add(PythonLoad)
    load_sink = load.add(NullSink)
    load.connect(load_src.video, load_fx.video)
    load.connect(load_src.video, load_sink.video)
    with sl.Runtime() as rt:
        mic = rt.add(
            AudioCapture, device=DEVICE, block_size=BLOCK, switch_interval_ms=switch_ms, id="mic"
        )
        voice = rt.add(ChordGenerator, channels=1, block_size=BLOCK, amplitude=0.2)
        mix = rt.add(AudioMixer, block_size=BLOCK)
        stereo = rt.add(AudioChannelConverter, channels=2)
        verb = rt.add(ClapEffect, plugin="ZamVerb", block_size=BLOCK, id="verb")
        gain = rt.add(Gain, gain_db=-12.0)
        speaker = rt.add(
            AudioOutput,
            device=DEVICE,
            block_size=BLOCK,
            buffer_ms=buffer_ms,
            switch_interval_ms=switch_ms,
            id="speaker",
        )
        rt.connect(mic.audio, mix.audio_in_0)
        rt.connect(voice.audio, mix.audio_in_1)
        rt.connect(mix.audio_out, stereo.audio_in)
        rt.connect(stereo.audio_out, verb.audio_in)
        rt.connect(verb.audio_out, gain.audio_in)
        rt.connect(gain.audio_out, speaker.audio)
        load.start()
        rt.start()
        output = rt.processor("speaker")
        effect = rt.processor("verb")
        assert isinstance(output, AudioOutput)
        assert isinstance(effect, ClapEffect)
        warmup = min(STARTUP_S, seconds / 2)
        time.sleep(warmup)
        startup_underruns = output.statistics().underruns
        time.sleep(seconds - warmup)
        switch_while_running = sys.getswitchinterval()
        out_stats = output.statistics()
        capture = rt.processor("mic")
        assert isinstance(capture, AudioCapture)
        mic_stats = capture.statistics()
        fx_stats = effect.statistics()
        load_fps = load.statistics().processors[str(load_fx)].fps
        rt.stop()
    trips = [round_trip_ms(switch_ms) for _ in range(5)]  # still under load
    load.close()
    measured = [t for t in trips if t is not None]
    return {
        "switch_interval_ms": round(switch_while_running * 1000, 6),
        "seconds": seconds,
        "speaker": out_stats.to_dict(),
        "mic": mic_stats.to_dict(),
        "underruns": out_stats.underruns,
        "underruns_after_startup": out_stats.underruns - startup_underruns,
        "device_xruns": out_stats.device_xruns,
        "plugin_blocks": fx_stats.blocks,
        "plugin_overruns": fx_stats.overruns,
        "plugin_max_block_ms": round(fx_stats.max_block_ms, 3),
        "load_pipeline_fps": round(load_fps, 1),
        "round_trip_ms": [None if t is None else round(t, 2) for t in trips],
        "round_trip_ms_median": round(statistics.median(measured), 2) if measured else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each soak")
    parser.add_argument("--rounds", type=int, default=1, help="alternating pairs of runs")
    parser.add_argument("--buffer-ms", type=float, default=20.0, help="the speaker's buffer_ms")
    args = parser.parse_args()
    pulse_server()
    runs = []
    for _ in range(args.rounds):  # alternated, so drifting machine load hits both alike
        runs += [
            soak(args.seconds, 0.1, args.buffer_ms),
            soak(args.seconds, None, args.buffer_ms),
        ]
    summary = {}
    for label, wanted in (("switch_0.1ms", 0.1), ("switch_5ms_python_default", 5.0)):
        mine = [r for r in runs if abs(r["switch_interval_ms"] - wanted) < 1e-6]
        trips = [t for r in mine for t in r["round_trip_ms"] if t is not None]
        summary[label] = {
            "runs": len(mine),
            "underruns": [r["underruns"] for r in mine],
            "underruns_after_startup": [r["underruns_after_startup"] for r in mine],
            "device_xruns": [r["device_xruns"] for r in mine],
            "dropped_samples": [r["speaker"]["dropped_samples"] for r in mine],
            "plugin_overruns": [r["plugin_overruns"] for r in mine],
            "speaker_callback_wait_ms_p99": [r["speaker"]["callback_wait_ms_p99"] for r in mine],
            "speaker_callback_wait_ms_max": [r["speaker"]["callback_wait_ms_max"] for r in mine],
            "mic_callback_wait_ms_p99": [r["mic"]["callback_wait_ms_p99"] for r in mine],
            "round_trip_ms_median": round(statistics.median(trips), 2) if trips else None,
        }
    report = {"benchmark": "audio_soak", "buffer_ms": args.buffer_ms, "summary": summary}
    print(json.dumps({**report, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
