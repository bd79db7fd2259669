"""100 forced crashes of an isolated processor's worker: does anything leak?

A TestPattern feeds a processor in a worker process (``isolation="process"``, the
``restart`` policy) that dies on its second frame in each fresh worker: 25 times by an
exception, 25 by ``os._exit``, 25 by SIGSEGV and 25 by ``kill -9`` from outside. After
the runtime stops it counts what is left: worker processes still alive, iceoryx2
nodes of dead workers, and iceoryx2 files in /dev/shm and /tmp/iceoryx2 that belong to
no living node (the one ``*.global_mgmt`` file iceoryx2 keeps per domain is not
counted). Prints JSON; exits 1 if anything leaked.

    python bench/worker_crashes.py                 # 100 crashes (about 4 min here)
    python bench/worker_crashes.py --per-way 2     # 8 crashes, a smoke test
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import streamlib as sl
from _crashing import WAYS, CrashesOnFrame
from streamlib.core import ProcessorErrored, RestartBackoff
from streamlib.ipc import cleanup_dead_nodes, resource_files
from streamlib.processors import NullSink, TestPattern

CRASH_WAIT_S = 60.0  # one crash and the restart after it, on a loaded machine


def iceoryx_nodes() -> list[tuple[str, int, bool]]:
    """Every iceoryx2 node: its id, its pid, whether it lives."""
    import iceoryx2

    ipc = iceoryx2.ServiceType.Ipc
    nodes = []
    for state in iceoryx2.Node.list(ipc, iceoryx2.config.global_config()):
        if isinstance(state, iceoryx2.NodeState.Alive | iceoryx2.NodeState.Dead):
            node = state._0.id
            alive = isinstance(state, iceoryx2.NodeState.Alive)
            nodes.append((str(node.value), node.pid(ipc), alive))
    return nodes


def is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def leftover_files(before: set[Path]) -> list[str]:
    """New iceoryx2 files that belong to no living node, once what this process still
    held is let go (a closed runtime's last references, then iceoryx2's own clean-up;
    up to 5 s: another program may be half-way through making a channel)."""
    gc.collect()
    deadline = time.monotonic() + 5.0
    while True:
        cleanup_dead_nodes()
        living = {node for node, _, alive in iceoryx_nodes() if alive}
        left = sorted(
            str(path)
            for path in set(resource_files()) - before
            if path.suffix != ".global_mgmt" and not any(node in str(path) for node in living)
        )
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def worker_pid(rt: sl.Runtime) -> int | None:
    """The running worker's pid (None between a crash and the fresh worker)."""
    process = rt.statistics().processors["fx"].process or {}
    pid = process.get("pid")
    return int(pid) if pid and process.get("rss_mb", 0) > 0 and not is_gone(int(pid)) else None


def crash(way: str, times: int) -> tuple[set[int], list[float], int]:
    """Run until ``times`` workers died ``way``; every worker pid seen, and the time from
    one crash to the next (a fresh worker started, took frames, and died), and how
    many died."""
    errors: list[ProcessorErrored] = []
    cycles_s: list[float] = []
    pids: set[int] = set()

    def on_event(event: Any) -> None:
        if isinstance(event, ProcessorErrored) and event.processor_id == "fx":
            errors.append(event)

    with sl.Runtime(backoff=RestartBackoff(initial_s=0.01, max_s=0.05)) as rt:
        subscription = rt.events.subscribe("*", on_event)
        src = rt.add(TestPattern, id="src", width=64, height=48, fps=50)
        fail_on = 10**9 if way == "kill" else 2
        fx = rt.add(CrashesOnFrame, id="fx", isolation="process", way=way, fail_on=fail_on)
        out = rt.add(NullSink, id="out")
        rt.connect(src.video, fx.video_in)
        rt.connect(fx.video_out, out.video)
        rt.start()
        frames_when_seen: dict[int, int] = {}  # per worker: frames out when it appeared
        deadline = time.monotonic() + CRASH_WAIT_S * times
        while len(errors) < times and time.monotonic() < deadline:
            seen = len(errors)
            started = time.monotonic()
            while len(errors) == seen and time.monotonic() - started < CRASH_WAIT_S:
                pid = worker_pid(rt)
                if pid is not None:
                    pids.add(pid)
                    first = frames_when_seen.setdefault(pid, out_frames(rt))
                    # kill -9 a worker once it has passed frames on (a running one, not
                    # one still starting: that is the setup's failure, another policy)
                    if way == "kill" and first >= 0 and out_frames(rt) > first:
                        frames_when_seen[pid] = -1
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.01)
            cycles_s.append(time.monotonic() - started)
        rt.stop()
        subscription.close()
    return pids, cycles_s, len(errors)


def out_frames(rt: sl.Runtime) -> int:
    return rt.statistics().processors["out"].frames_in


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-way", type=int, default=25, help="crashes of each kind")
    args = parser.parse_args()
    cleanup_dead_nodes()
    files_before = set(resource_files())
    nodes_before = {node for node, _, _ in iceoryx_nodes()}
    rows: list[dict[str, Any]] = []
    dead: set[int] = set()
    begun = time.monotonic()
    for way in WAYS:
        pids, cycles, crashes = crash(way, args.per_way)
        dead |= pids
        rows.append({"way": way, "crashes": crashes, "median_cycle_s": _median(cycles)})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    leaked_files = leftover_files(files_before)
    leaked_nodes = [
        node for node, pid, _ in iceoryx_nodes() if node not in nodes_before and pid in dead
    ]
    alive = sorted(pid for pid in dead if not is_gone(pid))
    report = {
        "benchmark": "worker_crashes",
        "crashes": sum(row["crashes"] for row in rows),
        "by_way": rows,
        "seconds": round(time.monotonic() - begun, 1),
        "workers_still_alive": alive,
        "iceoryx2_nodes_of_dead_workers": leaked_nodes,
        "shared_memory_files_of_no_living_node": leaked_files,
    }
    print(json.dumps(report, indent=2))
    return 1 if alive or leaked_nodes or leaked_files else 0


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    return round(ordered[len(ordered) // 2], 3) if ordered else None


if __name__ == "__main__":
    sys.exit(main())
