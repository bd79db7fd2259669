"""Measured fusion against fusion by structure, a thread per stage and threads + Queue.

source -> 4 stages -> sink, every connection lossless with depth 3 (like a blocking
``put`` on ``queue.Queue(maxsize=3)``), the source sending as fast as accepted. The
stages do one of three kinds of work:

- ``cheap``: hand the frame on (what fusion is for: a hop costs a function call);
- ``numpy``: ``np.add`` over a 1920x1080x3 frame (native code, the GIL released);
- ``python``: 2 ms of pure Python per frame (holds the GIL), on a 64x64 frame.

Variants, all in the same run: ``auto`` (measured fusion, the default), ``structure``
(``fuse=True``), ``unfused`` (``fuse=False``), ``queue`` (plain threads +
``queue.Queue``) and, for the heavy stages, ``processes`` (each stage with
``isolation="process"``: frames cross in shared memory). Each runs ``--seconds``;
frames reaching the sink after the first ``--warmup`` seconds count (measured
fusion needs a review or two to split).
Each variant runs ``--repeats`` times (3), the variants alternated; the run with
the median rate is reported, and every run's rate beside it. Also a paced case
from the issue: a 30 fps TestPattern feeding two 20 ms stages. Prints JSON;
``--quick`` is a smoke test (one run each).

    python bench/measured_fusion.py            # about 6 minutes
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.processors import NullSink, TestPattern
from streamlib.runtime._worker_set import Fuse

STAGES = 4
WORKS = ("cheap", "numpy", "python")
VARIANTS: dict[str, Fuse | None] = {
    "auto": "auto",
    "structure": True,
    "unfused": False,
    "queue": None,
}


def make_work(kind: str) -> Callable[[np.ndarray[Any, Any]], None]:
    """The work one stage does on each frame's pixels."""
    if kind == "cheap":
        return lambda pixels: None
    if kind == "numpy":
        scratch = np.empty((1080, 1920, 3), np.uint8)

        def add(pixels: np.ndarray[Any, Any]) -> None:
            np.add(pixels, 1, out=scratch)

        return add
    if kind == "python":

        def spin(pixels: np.ndarray[Any, Any]) -> None:
            end = time.perf_counter() + 0.002
            while time.perf_counter() < end:
                pass

        return spin
    raise ValueError(kind)


class Counter:
    """Frames that reached the sink after the warm-up."""

    def __init__(self, warmup_until: float) -> None:
        self.warmup_until = warmup_until
        self.count = 0

    def seen(self) -> None:
        if time.monotonic() >= self.warmup_until:
            self.count += 1


# -- streamlib ------------------------------------------------------------------------


def frame_shape(work: str) -> tuple[int, int, int]:
    """1080p for the kinds that work on pixels; a small frame for pure Python work,
    whose cost is the Python, not the bytes (each process hop copies a frame once)."""
    return (64, 64, 3) if work == "python" else (1080, 1920, 3)


class Source(sl.Processor):
    """Sends the same frame (by reference) as fast as the chain accepts."""

    video = sl.Output(sl.VideoFrame)

    def __init__(self, shape: tuple[int, int, int], **fields: Any) -> None:
        super().__init__(**fields)
        self._pixels = np.zeros(shape, np.uint8)
        self._sent = 0

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.loop()

    def process(self) -> None:
        self.video.write(sl.VideoFrame(self._pixels, "rgb24", frame_number=self._sent))
        self._sent += 1


class StageConfig(sl.ProcessorConfig):
    work: str = "cheap"


class Stage(sl.Processor[StageConfig]):
    """One stage of the chain; its work is named in its config, so a worker process
    (``isolation="process"``) builds the same stage from the same config."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._work = make_work(self.config.work)

    def process(self) -> None:
        for frame in self.video_in.read_all():
            self._work(frame.data)
            self.video_out.write(frame)


class Sink(sl.Processor):
    video = sl.Input(sl.VideoFrame, profile="lossless")

    def __init__(self, counter: Counter, **fields: Any) -> None:
        super().__init__(**fields)
        self._counter = counter

    def process(self) -> None:
        for _ in self.video.read_all():
            self._counter.seen()


def run_streamlib(
    work: str, fuse: Fuse, seconds: float, warmup: float, *, isolation: str = "thread"
) -> dict[str, Any]:
    counter = Counter(time.monotonic() + warmup)
    regroups: list[str] = []
    with sl.Runtime(fuse=fuse) as rt:
        subscription = rt.events.subscribe(
            "runtime", lambda event: regroups.append(getattr(event, "reason", ""))
            if event.kind == "workers_regrouped" else None,
        )  # fmt: skip
        chain = [rt.add(Source(frame_shape(work)), id="source")]
        chain += [
            rt.add(Stage, id=f"stage{n}", work=work, isolation=isolation)  # type: ignore[arg-type]
            for n in range(STAGES)
        ]
        chain.append(rt.add(Sink(counter), id="sink"))
        for upstream, downstream in itertools.pairwise(chain):
            out = "video" if upstream is chain[0] else "video_out"
            into = "video" if downstream is chain[-1] else "video_in"
            rt.connect(upstream.port(out), downstream.port(into), capacity=3)
        rt.start()
        time.sleep(seconds)
        groups = rt.worker_groups()
        rt.stop()
        del subscription
    return {
        "msgs_per_s": round(counter.count / (seconds - warmup), 1),
        "workers": [list(map(str, group)) for group in groups],
        "regroups": len(regroups),
    }


# -- baseline: threads + queue.Queue(maxsize=3) --------------------------------------


def run_queue(work: str, seconds: float, warmup: float) -> dict[str, Any]:
    counter = Counter(time.monotonic() + warmup)
    stop = threading.Event()
    pipes: list[queue.Queue[np.ndarray[Any, Any] | None]] = [
        queue.Queue(maxsize=3) for _ in range(STAGES + 1)
    ]
    pixels = np.zeros(frame_shape(work), np.uint8)

    def source() -> None:
        while not stop.is_set():
            pipes[0].put(pixels)
        pipes[0].put(None)

    def stage(inbox: queue.Queue[Any], outbox: queue.Queue[Any]) -> None:
        do = make_work(work)
        while (item := inbox.get()) is not None:
            do(item)
            outbox.put(item)
        outbox.put(None)

    def sink(inbox: queue.Queue[Any]) -> None:
        while inbox.get() is not None:
            counter.seen()

    threads = [threading.Thread(target=source)]
    threads += [
        threading.Thread(target=stage, args=(pipes[n], pipes[n + 1])) for n in range(STAGES)
    ]
    threads.append(threading.Thread(target=sink, args=(pipes[STAGES],)))
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return {"msgs_per_s": round(counter.count / (seconds - warmup), 1)}


# -- the paced case: 30 fps into two 20 ms stages --------------------------------------


class Sleepy(sl.Processor):
    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def process(self) -> None:
        for frame in self.video_in.read_all():
            time.sleep(0.02)
            self.video_out.write(frame)


def run_paced(fuse: Fuse, seconds: float, warmup: float) -> float:
    with sl.Runtime(fuse=fuse) as rt:
        rt.add(TestPattern, id="src", width=64, height=64, fps=30)
        rt.add(Sleepy, id="a")
        rt.add(Sleepy, id="b")
        rt.add(NullSink, id="sink")
        for link in ("src.video -> a.video_in", "a.video_out -> b.video_in"):
            rt.connect(*link.split(" -> "))
        rt.connect("b.video_out", "sink.video")
        rt.start()
        time.sleep(warmup)
        before = rt.statistics().processors["sink"].frames_in
        time.sleep(seconds - warmup)
        after = rt.statistics().processors["sink"].frames_in
        rt.stop()
    return round((after - before) / (seconds - warmup), 1)


def median_run(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rate (the lower middle one of an even count)."""
    ordered = sorted(rows, key=lambda row: float(row["msgs_per_s"]))
    return ordered[(len(ordered) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not counted")
    parser.add_argument(
        "--no-processes", action="store_true", help="leave out the process-per-stage runs"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each variant (the median is reported)"
    )
    args = parser.parse_args()
    seconds, warmup = (4.0, 2.5) if args.quick else (args.seconds, args.warmup)
    repeats = 1 if args.quick else args.repeats

    table: dict[str, dict[str, Any]] = {}
    every_run: dict[str, dict[str, list[float]]] = {}
    for work in WORKS:
        runs: dict[str, list[dict[str, Any]]] = {}
        for _ in range(repeats):  # the variants alternated, so a slow minute hits them all
            for variant, fuse in VARIANTS.items():
                if fuse is None:
                    row = run_queue(work, seconds, warmup)
                else:
                    row = run_streamlib(work, fuse, seconds, warmup)
                runs.setdefault(variant, []).append(row)
                print(json.dumps({"work": work, "variant": variant, **row}), file=sys.stderr)
            if work != "cheap" and not args.no_processes:  # a process per stage
                row = run_streamlib(work, True, seconds, warmup, isolation="process")
                runs.setdefault("processes", []).append(row)
                print(json.dumps({"work": work, "variant": "processes", **row}), file=sys.stderr)
        table[work] = {variant: median_run(rows) for variant, rows in runs.items()}
        every_run[work] = {
            variant: [row["msgs_per_s"] for row in rows] for variant, rows in runs.items()
        }
    paced = {
        variant: run_paced(fuse, seconds, warmup)
        for variant, fuse in VARIANTS.items()
        if fuse is not None
    }

    def ratio(work: str, variant: str, base: str) -> float:
        ours: float = table[work][variant]["msgs_per_s"]
        theirs: float = table[work][base]["msgs_per_s"]
        return round(ours / theirs, 2)

    print(
        json.dumps(
            {
                "benchmark": "measured_fusion",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "stages": STAGES,
                "seconds": seconds,
                "warmup_s": warmup,
                "repeats": repeats,
                "throughput": table,
                "msgs_per_s_of_every_run": every_run,
                "paced_30fps_two_20ms_stages_fps": paced,
                "ratios": {
                    work: {
                        "auto_vs_structure": ratio(work, "auto", "structure"),
                        "auto_vs_unfused": ratio(work, "auto", "unfused"),
                        "auto_vs_queue": ratio(work, "auto", "queue"),
                        **(
                            {
                                "processes_vs_queue": ratio(work, "processes", "queue"),
                                "processes_vs_unfused": ratio(work, "processes", "unfused"),
                            }
                            if "processes" in table[work]
                            else {}
                        ),
                    }
                    for work in WORKS
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
