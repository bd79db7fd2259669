"""ZamVerb through ClapEffect vs. direct host calls vs. pedalboard's Reverb: x realtime.

48 kHz stereo in 256-sample blocks (ZamVerb needs fixed power-of-two blocks).
Three ways of running the same 10 s of noise, each timed over the whole run,
repeated and interleaved; the median run is reported:

- ``direct``: ``ClapPlugin.process(256)`` with the block copied into the plugin's
  de-interleaved input buffer and the output copied out (the least any host
  caller does);
- ``clap_effect``: the ``ClapEffect`` processor, one frame pushed into its input
  connection, ``process()`` called, the output frame popped (what a runtime does
  per block, without the thread wake-ups);
- ``pedalboard``: pedalboard's built-in ``Reverb`` (a different algorithm: a
  reference point for "x realtime", not the same work).

``overhead_ratio`` is clap_effect time / direct time (target <= 1.1). Prints JSON::

    python bench/clap_overhead.py [--seconds 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from types import SimpleNamespace
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.clap import ClapPlugin
from streamlib.core import Connection, DeliveryProfile, PortRef, ProcessorId
from streamlib.processors import ClapEffect

RATE = 48_000
BLOCK = 256


def noise(seconds: float) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(5)
    return rng.uniform(-0.3, 0.3, (int(seconds * RATE) // BLOCK * BLOCK, 2)).astype(np.float32)


def run_direct(audio: np.ndarray[Any, Any]) -> float:
    with ClapPlugin.load("ZamVerb") as plugin:
        plugin.activate(RATE, BLOCK, min_frames=BLOCK)
        buffer_in = plugin.input_buffers[0]
        buffer_out = plugin.output_buffers[0]
        out = np.empty((BLOCK, 2), np.float32)
        start = time.perf_counter()
        for offset in range(0, len(audio), BLOCK):
            buffer_in[:, :BLOCK] = audio[offset : offset + BLOCK].T
            plugin.process(BLOCK)
            np.copyto(out, buffer_out[:, :BLOCK].T)
        return time.perf_counter() - start


def run_clap_effect(audio: np.ndarray[Any, Any]) -> float:
    effect = ClapEffect(plugin="ZamVerb", block_size=BLOCK)
    feed: Connection[sl.AudioFrame] = Connection(
        PortRef(ProcessorId("bench"), "out"), PortRef(ProcessorId("verb"), "audio_in"),
        DeliveryProfile.FIFO, 32,
    )  # fmt: skip
    take: Connection[sl.AudioFrame] = Connection(
        PortRef(ProcessorId("verb"), "audio_out"), PortRef(ProcessorId("bench"), "in"),
        DeliveryProfile.FIFO, 32,
    )  # fmt: skip
    effect.inputs["audio_in"].attach(feed)
    effect.outputs["audio_out"].attach(take)
    context = SimpleNamespace(
        processor_id=ProcessorId("verb"), events=sl.EventBus(), clock=sl.MonotonicClock()
    )
    effect.setup(context)  # ClapEffect uses only these three of the context
    blocks = [
        sl.AudioFrame(np.ascontiguousarray(audio[o : o + BLOCK]), RATE, timestamp_ns=o)
        for o in range(0, len(audio), BLOCK)
    ]
    try:
        start = time.perf_counter()
        for frame in blocks:
            feed.push(frame, 0)
            effect.process()
            take.pop()
        return time.perf_counter() - start
    finally:
        effect.teardown()
        context.events.close()


def run_pedalboard(audio: np.ndarray[Any, Any]) -> float | None:
    try:
        from pedalboard import Reverb  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    reverb = Reverb(room_size=0.5)
    planar = np.ascontiguousarray(audio.T)
    start = time.perf_counter()
    for offset in range(0, planar.shape[1], BLOCK):
        reverb(planar[:, offset : offset + BLOCK], RATE, reset=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per run")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs of each")
    args = parser.parse_args()
    audio = noise(args.seconds)
    seconds = len(audio) / RATE
    blocks = len(audio) // BLOCK
    runs: dict[str, list[float]] = {"direct": [], "clap_effect": [], "pedalboard": []}
    for _ in range(args.repeats):
        runs["direct"].append(run_direct(audio))
        runs["clap_effect"].append(run_clap_effect(audio))
        pedal = run_pedalboard(audio)
        if pedal is not None:
            runs["pedalboard"].append(pedal)
    results: dict[str, Any] = {}
    for name, times in runs.items():
        if not times:
            results[name] = None
            continue
        median = statistics.median(times)
        results[name] = {
            "x_realtime": round(seconds / median, 2),
            "us_per_block": round(median / blocks * 1e6, 2),
            "runs_s": [round(t, 4) for t in times],
        }
    direct = statistics.median(runs["direct"])
    effect = statistics.median(runs["clap_effect"])
    report = {
        "benchmark": "clap_overhead",
        "plugin": "ZamVerb (zam-plugins CLAP)",
        "sample_rate": RATE,
        "block": BLOCK,
        "channels": 2,
        "audio_seconds": round(seconds, 3),
        "results": results,
        "overhead_ratio": round(effect / direct, 4),
        "overhead_us_per_block": round((effect - direct) / blocks * 1e6, 2),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
