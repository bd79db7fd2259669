"""Per-hop latency and throughput: source -> K passthrough stages -> sink.

Compares streamlib (chains fused onto one worker, the default, and one thread
per processor with ``fuse=False``) against a plain threads + ``queue.Queue(maxsize=3)``
pipeline of the same shape, in the same run, for a 1920x1080x3 uint8 video
frame passed by reference and for a 64-byte data payload. Prints JSON.

    python bench/pipeline_latency.py                 # the full run (about 1-2 min)
    python bench/pipeline_latency.py --quick         # fewer frames, for a smoke test

Every connection is lossless with depth 3, like the queue's blocking put.
Latency: frames are sent at a steady rate into an idle pipeline; each frame's
(arrival - send) time is divided by the K + 1 hops. Throughput: the source sends
as fast as the pipeline accepts, and the sink's frames per second are reported.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import queue
import statistics
import sys
import threading
import time
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.processors import Passthrough

Payload = Callable[[int], sl.Frame]

STAGE_COUNTS = (1, 5, 10)


def video_payload() -> Payload:
    pixels = np.zeros((1080, 1920, 3), np.uint8)  # shared by every frame: passed by reference

    def make(number: int) -> sl.Frame:
        return sl.VideoFrame(pixels, "rgb24", timestamp_ns=time.monotonic_ns(), frame_number=number)

    return make


def data_payload() -> Payload:
    blob = bytes(64)

    def make(number: int) -> sl.Frame:
        return sl.DataFrame(blob, timestamp_ns=time.monotonic_ns(), frame_number=number)

    return make


PAYLOADS: dict[str, Callable[[], Payload]] = {
    "video_1080p": video_payload,
    "data_64B": data_payload,
}


# -- streamlib ------------------------------------------------------------------------


class BenchSource(sl.Processor):
    """Sends ``count`` frames: at ``rate_hz`` (timer), or as fast as accepted when 0 (loop)."""

    class Config(sl.ProcessorConfig):
        count: int = 1000
        rate_hz: float = 0.0

    frames_out = sl.Output(sl.Frame)

    def __init__(self, make: Payload, **fields: Any) -> None:
        super().__init__(**fields)
        self._make = make
        self._sent = 0

    def scheduling(self) -> sl.Scheduling:
        rate = self.config.rate_hz
        return sl.Scheduling.timer(rate) if rate > 0 else sl.Scheduling.loop()

    def process(self) -> None:
        if self._sent < self.config.count:
            self.frames_out.write(self._make(self._sent))
            self._sent += 1
        else:
            time.sleep(0.001)


class BenchSink(sl.Processor):
    """Records each frame's latency; sets ``done`` after ``count`` frames."""

    class Config(sl.ProcessorConfig):
        count: int = 1000

    frames_in = sl.Input(sl.Frame)

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)
        self.latencies_ns = array("q", bytes(8 * self.config.count))
        self.received = 0
        self.first_ns = 0
        self.last_ns = 0
        self.done = threading.Event()

    def process(self) -> None:
        frame = self.frames_in.read()
        while frame is not None:
            now = time.monotonic_ns()
            if self.received < self.config.count:
                self.latencies_ns[self.received] = now - frame.timestamp_ns
                if self.received == 0:
                    self.first_ns = frame.timestamp_ns
                self.received += 1
                self.last_ns = now
                if self.received == self.config.count:
                    self.done.set()
            frame = self.frames_in.read()


def run_streamlib(
    make: Payload, stages: int, count: int, rate_hz: float, *, fuse: bool
) -> BenchSink:
    sink = BenchSink(count=count)
    with sl.Runtime(fuse=fuse) as rt:
        chain = [rt.add(BenchSource(make, count=count, rate_hz=rate_hz), id="source")]
        chain += [rt.add(Passthrough, id=f"stage{n}") for n in range(stages)]
        chain.append(rt.add(sink, id="sink"))
        # lossless depth 3: like the baseline's blocking put on Queue(maxsize=3)
        for upstream, downstream in itertools.pairwise(chain):
            rt.connect(upstream.frames_out, downstream.frames_in, profile="lossless", capacity=3)
        rt.start()
        if not sink.done.wait(timeout=120):
            raise RuntimeError(f"streamlib run got {sink.received} of {count} frames")
    return sink


# -- baseline: threads + queue.Queue(maxsize=3) --------------------------------------


def run_baseline(make: Payload, stages: int, count: int, rate_hz: float) -> BenchSink:
    sink = BenchSink(count=count)
    queues: list[queue.Queue[sl.Frame | None]] = [queue.Queue(maxsize=3) for _ in range(stages + 1)]

    def source() -> None:
        period = 1.0 / rate_hz if rate_hz > 0 else 0.0
        next_tick = time.monotonic()
        for number in range(count):
            if period:
                delay = next_tick - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                next_tick += period
            queues[0].put(make(number))
        queues[0].put(None)

    def stage(inbox: queue.Queue[sl.Frame | None], outbox: queue.Queue[sl.Frame | None]) -> None:
        while True:
            item = inbox.get()
            outbox.put(item)
            if item is None:
                return

    def drain(inbox: queue.Queue[sl.Frame | None]) -> None:
        received = 0
        while True:
            item = inbox.get()
            if item is None:
                break
            now = time.monotonic_ns()
            sink.latencies_ns[received] = now - item.timestamp_ns
            if received == 0:
                sink.first_ns = item.timestamp_ns
            received += 1
            sink.last_ns = now
        sink.received = received
        sink.done.set()

    threads = [threading.Thread(target=source)]
    threads += [
        threading.Thread(target=stage, args=(queues[n], queues[n + 1])) for n in range(stages)
    ]
    threads.append(threading.Thread(target=drain, args=(queues[stages],)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sink


# -- measuring -----------------------------------------------------------------------


def latency_result(sink: BenchSink, stages: int) -> dict[str, float]:
    hops = stages + 1
    per_hop_us = sorted(v / hops / 1e3 for v in sink.latencies_ns[: sink.received])
    n = len(per_hop_us)
    return {
        "per_hop_us_p50": round(statistics.median(per_hop_us), 2),
        "per_hop_us_p99": round(per_hop_us[min(n - 1, round(0.99 * (n - 1)))], 2),
        "end_to_end_us_p50": round(statistics.median(per_hop_us) * hops, 2),
    }


def throughput(sink: BenchSink) -> float:
    return round(sink.received / ((sink.last_ns - sink.first_ns) / 1e9), 1)


VARIANTS = ("streamlib", "streamlib_unfused", "queue_baseline")


def measure(variant: str, make: Payload, stages: int, count: int, rate_hz: float) -> BenchSink:
    if variant == "queue_baseline":
        return run_baseline(make, stages, count, rate_hz)
    return run_streamlib(make, stages, count, rate_hz, fuse=variant == "streamlib")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames (smoke test)")
    parser.add_argument("--latency-frames", type=int, default=400)
    parser.add_argument("--latency-rate", type=float, default=250.0, help="frames/s when idle")
    parser.add_argument("--throughput-frames", type=int, default=5000)
    args = parser.parse_args()
    latency_frames = 60 if args.quick else args.latency_frames
    throughput_frames = 300 if args.quick else args.throughput_frames

    results: list[dict[str, Any]] = []
    for payload_name, payload_factory in PAYLOADS.items():
        make = payload_factory()
        for stages in STAGE_COUNTS:
            for variant in VARIANTS:
                paced = measure(variant, make, stages, latency_frames, args.latency_rate)
                flat_out = measure(variant, make, stages, throughput_frames, 0.0)
                row = {
                    "payload": payload_name,
                    "stages": stages,
                    "variant": variant,
                    **latency_result(paced, stages),
                    "throughput_fps": throughput(flat_out),
                }
                results.append(row)
                print(json.dumps(row), file=sys.stderr)

    def pick(payload: str, stages: int, variant: str) -> dict[str, Any]:
        return next(
            r for r in results
            if (r["payload"], r["stages"], r["variant"]) == (payload, stages, variant)
        )  # fmt: skip

    ratios: dict[str, dict[str, float]] = {}
    for payload_name in PAYLOADS:
        base = pick(payload_name, 10, "queue_baseline")
        for variant in ("streamlib", "streamlib_unfused"):
            ours = pick(payload_name, 10, variant)
            ratios[f"{payload_name}/{variant}"] = {
                "per_hop_p50_latency_vs_baseline": round(
                    ours["per_hop_us_p50"] / base["per_hop_us_p50"], 3
                ),
                "throughput_vs_baseline": round(ours["throughput_fps"] / base["throughput_fps"], 2),
            }
    report = {
        "benchmark": "pipeline_latency",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": _cpu_count(),
        "latency_frames": latency_frames,
        "latency_rate_hz": args.latency_rate,
        "throughput_frames": throughput_frames,
        "targets_at_k10": {
            "per_hop_p50_latency_vs_baseline": "<= 0.5",
            "throughput_vs_baseline": ">= 2",
        },
        "ratios_at_k10": ratios,
        "results": results,
    }
    print(json.dumps(report, indent=2))


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
