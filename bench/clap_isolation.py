"""What crash isolation costs: ZamVerb in this process vs. in a worker process, and memory.

Throughput: 48 kHz stereo in 256-sample blocks, ``ToneSource(realtime=False)`` ->
``ClapEffect(ZamVerb)`` -> a sink that notes when each block arrives, every
connection lossless, so the source goes exactly as fast as the chain accepts. The
first ``--warmup`` blocks (the worker's start, cold caches) are not timed; the next
``--blocks`` are, from the sink's last warm-up block to its last block. Two ways,
alternated ``--repeats`` times in one run; the median of each is reported:

- ``in_process``: ``rt.add(ClapEffect, plugin="ZamVerb")``;
- ``isolated``: the same with ``isolation="process"``: every block crosses to the
  worker and back through iceoryx2 shared memory (one copy in, read in place out).

``isolated_vs_in_process`` is isolated time / in-process time (the issue's target:
<= 1.2). The worker and this process run at once where cores are free, which hides
part of the hops' cost in wall time; ``cpu_us_per_block`` (this process's CPU plus the
worker's over the timed blocks, ``worker_cpu_us_per_block`` the worker's share) shows
all of it, and is less sensitive to other load on the machine than the wall clock.

Memory: ``N`` isolated ``Gain`` processors (N = 1, 4, 8), fed by one real-time tone,
each into a ``NullSink``; after a second of running, each worker's ``rss_mb`` as
``rt.statistics()`` shows it, and its private memory (USS: what ending it would give
back; RSS also counts the shared libraries every worker maps), from
``/proc/<pid>/smaps_rollup``. The same for one isolated ZamVerb. Prints JSON::

    python bench/clap_isolation.py [--blocks 2000] [--warmup 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import streamlib as sl
from streamlib.processors import ClapEffect, Gain, NullSink, ToneSource

RATE = 48_000
BLOCK = 256
CHANNELS = 2
MEMORY_COUNTS = (1, 4, 8)
SETTLE_S = 1.0
START_LIMIT_S = 120.0  # eight workers importing streamlib at once on a small machine
RUN_LIMIT_S = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Isolation = Literal["thread", "process"]
WAYS: tuple[tuple[Isolation, str], ...] = (("thread", "in_process"), ("process", "isolated"))


class ArrivalClock(sl.Processor):
    """A sink that notes when each audio block arrives (``time.perf_counter()``) and, at
    the blocks in ``cpu_marks``, the CPU seconds spent so far by this process and by the
    worker (``cpu_seconds()``)."""

    audio = sl.Input(sl.AudioFrame, profile="lossless", description="Blocks to time.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.arrivals: list[float] = []
        self.cpu_marks: set[int] = set()
        self.cpu_seconds: Callable[[], tuple[float, float]] = lambda: (time.process_time(), 0.0)
        self.cpu_at: dict[int, tuple[float, float]] = {}

    def process(self) -> None:
        for _ in self.audio.read_all():
            self.arrivals.append(time.perf_counter())
            if len(self.arrivals) in self.cpu_marks:
                self.cpu_at[len(self.arrivals)] = self.cpu_seconds()


def worker_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_throughput(isolation: Isolation, warmup: int, blocks: int) -> dict[str, Any]:
    """One lossless run of ``warmup + blocks`` blocks through ZamVerb; the timed part."""
    total = warmup + blocks
    with sl.Runtime() as rt:
        src = rt.add(ToneSource, block_size=BLOCK, channels=CHANNELS, realtime=False, frames=total)
        verb = rt.add(ClapEffect, id="verb", isolation=isolation, plugin="ZamVerb")
        clock = rt.add(ArrivalClock, id="clock")
        rt.connect(src.audio, verb.audio_in, profile="lossless")
        rt.connect(verb.audio_out, clock.audio, profile="lossless")
        sink = rt.processor("clock")
        assert isinstance(sink, ArrivalClock)
        sink.cpu_marks = {warmup, total}
        if isolation == "process":  # this process's CPU and the worker's
            worker: list[int] = []

            def both_cpu_seconds() -> tuple[float, float]:
                if not worker:
                    process = rt.statistics().processors["verb"].process
                    assert process is not None
                    worker.append(process["pid"])
                return time.process_time(), worker_cpu_seconds(worker[0])

            sink.cpu_seconds = both_cpu_seconds
        outcome = rt.run(duration_s=RUN_LIMIT_S)
        arrivals = sink.arrivals
        process = rt.statistics().processors["verb"].process
    if outcome is not sl.RunOutcome.ENDED or len(arrivals) != total:
        raise RuntimeError(f"{isolation}: {outcome}, {len(arrivals)} of {total} blocks arrived")
    seconds = arrivals[-1] - arrivals[warmup - 1]
    (here_0, worker_0), (here_1, worker_1) = sink.cpu_at[warmup], sink.cpu_at[total]
    result: dict[str, Any] = {
        "seconds": seconds,
        "cpu_seconds": here_1 - here_0 + worker_1 - worker_0,
        "cpu_seconds_worker": worker_1 - worker_0,
    }
    if process is not None:  # the hops prove that every block crossed both ways
        result["hops"] = {k: process[k] for k in ("hops_in", "hops_out", "hop_drops_in")}
    return result


def private_memory_mb(pid: int) -> dict[str, float] | None:
    """USS (private pages) and PSS (shared pages split between their users) of ``pid``."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
    except OSError:
        return None
    fields = {}
    for line in text.splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) / 1024  # kB -> MiB
    return {
        "uss_mb": round(fields["Private_Clean"] + fields["Private_Dirty"], 1),
        "pss_mb": round(fields["Pss"], 1),
    }


def measure_memory(kind: str, count: int) -> dict[str, Any]:
    """Start ``count`` isolated processors of ``kind``; their memory after a second."""
    with sl.Runtime() as rt:
        src = rt.add(ToneSource, block_size=BLOCK, channels=CHANNELS)
        ids = [f"w{i}" for i in range(count)]
        for processor_id in ids:
            if kind == "Gain":
                worker = rt.add(Gain, id=processor_id, isolation="process", gain_db=-6.0)
            else:
                worker = rt.add(ClapEffect, id=processor_id, isolation="process", plugin=kind)
            sink = rt.add(NullSink)
            rt.connect(src.audio, worker.audio_in)
            rt.connect(worker.audio_out, sink.audio)
        rt.start()
        deadline = time.monotonic() + START_LIMIT_S
        while any(rt.processor_state(i) is not sl.ProcessorState.RUNNING for i in ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} x {kind}: workers not running after {START_LIMIT_S} s")
            time.sleep(0.05)
        time.sleep(SETTLE_S)
        workers = []
        for processor_id in ids:
            process = rt.statistics().processors[processor_id].process
            assert process is not None
            workers.append(
                {
                    "pid": process["pid"],
                    "rss_mb": process["rss_mb"],
                    "hops_in": process["hops_in"],
                    **(private_memory_mb(process["pid"]) or {}),
                }
            )
        parent = private_memory_mb(os.getpid())
    rss = [w["rss_mb"] for w in workers]
    uss = [w["uss_mb"] for w in workers if "uss_mb" in w]
    return {
        "processor": kind,
        "workers": count,
        "rss_mb_per_worker": round(statistics.mean(rss), 1),
        "rss_mb_total": round(sum(rss), 1),
        "uss_mb_per_worker": round(statistics.mean(uss), 1) if uss else None,
        "uss_mb_total": round(sum(uss), 1) if uss else None,
        "parent": parent,
        "each": workers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--blocks", type=int, default=2000, help="timed blocks per run")
    parser.add_argument("--warmup", type=int, default=200, help="untimed blocks first")
    parser.add_argument("--repeats", type=int, default=5, help="alternated runs of each")
    args = parser.parse_args()
    load_before = os.getloadavg()  # other work on the machine shows in every number
    runs: dict[str, list[dict[str, Any]]] = {name: [] for _, name in WAYS}
    for _ in range(args.repeats):
        for isolation, name in WAYS:
            runs[name].append(run_throughput(isolation, args.warmup, args.blocks))
    throughput: dict[str, Any] = {}
    medians: dict[str, float] = {}
    cpu_medians: dict[str, float] = {}
    for name, done in runs.items():
        times = [run["seconds"] for run in done]
        medians[name] = statistics.median(times)
        cpu_medians[name] = statistics.median(run["cpu_seconds"] for run in done)
        blocks_per_s = args.blocks / medians[name]
        throughput[name] = {
            "blocks_per_s": round(blocks_per_s, 1),
            "us_per_block": round(1e6 / blocks_per_s, 1),
            "x_realtime": round(blocks_per_s * BLOCK / RATE, 2),
            "cpu_us_per_block": round(cpu_medians[name] / args.blocks * 1e6, 1),
            "worker_cpu_us_per_block": round(
                statistics.median(run["cpu_seconds_worker"] for run in done) / args.blocks * 1e6,
                1,
            ),
            "runs_s": [round(t, 4) for t in times],
        }
        if "hops" in done[-1]:
            throughput[name]["hops_last_run"] = done[-1]["hops"]
    ratio = medians["isolated"] / medians["in_process"]
    memory = [measure_memory("Gain", count) for count in MEMORY_COUNTS]
    memory.append(measure_memory("ZamVerb", 1))
    report = {
        "benchmark": "clap_isolation",
        "plugin": "ZamVerb (zam-plugins CLAP)",
        "sample_rate": RATE,
        "block": BLOCK,
        "channels": CHANNELS,
        "warmup_blocks": args.warmup,
        "timed_blocks": args.blocks,
        "repeats": args.repeats,
        "throughput": throughput,
        "isolated_vs_in_process": round(ratio, 3),
        "target_ratio": "<= 1.2",
        "meets_target": ratio <= 1.2,
        "cpu_isolated_vs_in_process": round(cpu_medians["isolated"] / cpu_medians["in_process"], 3),
        "memory": memory,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m": {
            "before": round(load_before[0], 2),
            "after": round(os.getloadavg()[0], 2),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
