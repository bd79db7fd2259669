"""What serving the web API to open pages costs a running pipeline.

The chain of ``bench/pipeline_latency.py`` (source -> 10 passthrough stages -> sink,
lossless depth 3, a 1920x1080x3 uint8 video frame passed by reference, fused: the
default), measured in one run:

- ``no_web``: the runtime alone, no server;
- ``web_5_pages``: the same runtime served by the web API (``PipelineHost(runtime=rt)``,
  ``serve_web`` on 127.0.0.1) to 5 simulated pages, each holding
  ``/api/stats/stream?interval_ms=100`` and ``/api/events`` open and reading them
  continuously (plain sockets, one thread each), plus one MJPEG tap at 5 fps on the
  output of the middle stage (``stage5``), read continuously;
- ``web_5_pages_no_tap``: the same pages without the tap, to tell the tap's share of
  the cost (the issue's costs are ``web_5_pages`` against ``no_web``).

A tap watches the output port (``OutputPort.watch``): it adds no consumer, so the chain
stays fused on one thread while it is open; the report shows it (``workers``: the
runtime's worker threads as the run ends; ``tap_jpeg_parts``: what the tap client read).

Latency: frames at a steady rate into an idle pipeline, per hop (p50, p99). Throughput:
flat out, the sink's frames per second. The variants alternate, ``--repeats`` times,
and the report gives the medians, the costs of both web variants against ``no_web``
(of the medians, and per repeat, so the spread shows) and whether they meet the targets.

On a shared machine other work swings a run by tens of percent, more than the costs
measured. So the report also has ``paired``: one pipeline and one server run
throughout (the source never stops), and in each of ``--paired-cycles`` cycles every
variant in turn gets its clients (none for ``no_web``: the server idles), 0.3 s to
settle and a 0.5 s window; the order rotates. Each variant's window is compared with
the ``no_web`` window of its own cycle, about a second apart, so background load mostly
hits both: throughput cost per cycle (and its median), p99 latency cost per cycle and
pooled over all windows. The runtime fuses by structure there (``fuse=True``): flat out
for minutes, measured fusion may split the saturated chain. Prints JSON.

    python bench/web_overhead.py              # the full run (about 4 minutes)
    python bench/web_overhead.py --output bench/results/web_overhead.json
    python bench/web_overhead.py --quick      # a smoke test

The tapped stage runs ``Passthrough``'s loop with ports typed ``VideoFrame`` (a tap shows
video and audio ports only; ``Passthrough``'s are ``Frame``); it is in the chain of all
variants. The source waits for a gate before its first frame, so the clients (or, with no
web, the same settling time) are in place before anything is measured.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import platform
import socket
import statistics
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import streamlib as sl
from streamlib.processors import Passthrough

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_latency import (  # the chain benchmark's own pieces
    BenchSink,
    BenchSource,
    Payload,
    _cpu_count,
    latency_result,
    throughput,
    video_payload,
)

STAGES = 10
TAPPED = "stage5"
PAGES = 5
STATS_INTERVAL_MS = 100
TAP_FPS = 5
SETTLE_S = 0.5  # after the clients are in place (or, with no web, after start)
READY_TIMEOUT_S = 15.0
RUN_TIMEOUT_S = 120.0
VARIANTS = ("no_web", "web_5_pages", "web_5_pages_no_tap")  # the last: to attribute the cost
PAIRED_SETTLE_S = 0.3  # after the clients of a paired window are in place
PAIRED_WINDOW_S = 0.5


class VideoPassthrough(sl.Processor):
    """``Passthrough`` (the same loop) with video-typed ports, so a tap may show its output."""

    frames_in = sl.Input(sl.VideoFrame)
    frames_out = sl.Output(sl.VideoFrame)

    def process(self) -> None:
        read, write = self.frames_in.read, self.frames_out.write
        frame = read()
        while frame is not None:
            write(frame)
            frame = read()


class GatedSource(BenchSource):
    """``BenchSource`` that sends nothing until ``gate`` is set."""

    def __init__(self, make: Payload, gate: threading.Event, **fields: Any) -> None:
        super().__init__(make, **fields)
        self._gate = gate

    def process(self) -> None:
        if self._gate.is_set():
            super().process()
        else:
            time.sleep(0.001)


# -- simulated page clients ------------------------------------------------------------


class StreamReader:
    """One streaming GET on loopback, read continuously on its own thread until stopped;
    counts bytes and occurrences of ``marker`` (SSE events or MJPEG parts)."""

    def __init__(self, port: int, path: str, marker: bytes, deadline: float) -> None:
        self.path = path
        self.marker = marker
        self.status = 0
        self.bytes = 0
        self.markers = 0
        self.ready = threading.Event()  # the response's headers came
        self.error: str | None = None
        self._stop = threading.Event()
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=5.0)
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n\r\n"
        self._sock.sendall(request.encode("ascii"))
        self._sock.settimeout(0.2)
        self._deadline = deadline
        self._thread = threading.Thread(target=self._read, name=f"page {path}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        head = b""
        carry = b""
        keep = len(self.marker) - 1
        try:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                try:
                    data = self._sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                self.bytes += len(data)
                if not self.ready.is_set():
                    head += data
                    end = head.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    self.status = int(head.split(b" ", 2)[1])
                    data = head[end + 4 :]
                    self.ready.set()
                window = carry + data
                self.markers += window.count(self.marker)
                carry = window[-keep:] if keep else b""
        except OSError as error:
            self.error = repr(error)
        finally:
            self.ready.set()
            self._sock.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)


@contextmanager
def serving(runtime: sl.Runtime) -> Iterator[int]:
    """Serve the web API over ``runtime`` on a free loopback port; yields the port."""
    import anyio

    from streamlib.control import PipelineHost
    from streamlib.web import serve_web

    host = PipelineHost(runtime=runtime)
    urls: list[str] = []
    ready = threading.Event()
    stop = threading.Event()
    failure: list[BaseException] = []

    def announce(url: str) -> None:
        urls.append(url)
        ready.set()

    def serve() -> None:
        try:
            anyio.run(partial(serve_web, host, port=0, on_ready=announce, stop=stop))
        except BaseException as error:  # reported below
            failure.append(error)
        finally:
            ready.set()

    server = threading.Thread(target=serve, name="web_overhead server", daemon=True)
    server.start()
    try:
        if not ready.wait(READY_TIMEOUT_S) or failure or not urls:
            raise RuntimeError(f"the web API did not start: {failure}")
        yield int(urls[0].rsplit(":", 1)[1].split("/", 1)[0])
    finally:
        stop.set()
        server.join(timeout=10.0)
        host.close()


@contextmanager
def page_clients(port: int, *, tap: bool) -> Iterator[dict[str, Any]]:
    """The page clients open on ``port`` and reading; yields their counters (filled in
    when the block ends)."""
    readers: list[StreamReader] = []
    summary: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S + 2 * READY_TIMEOUT_S
        stats_path = f"/api/stats/stream?interval_ms={STATS_INTERVAL_MS}"
        for _ in range(PAGES):
            readers.append(StreamReader(port, stats_path, b"event: stats", deadline))
            readers.append(StreamReader(port, "/api/events", b"event:", deadline))
        if tap:
            tap_path = f"/api/taps/{TAPPED}/frames_out?fps={TAP_FPS}"
            readers.append(StreamReader(port, tap_path, b"--streamlib-tap", deadline))
        until = time.monotonic() + READY_TIMEOUT_S
        for reader in readers:
            reader.ready.wait(max(0.0, until - time.monotonic()))
        # each stats stream has sent its first snapshot
        while time.monotonic() < until and any(
            r.markers == 0 for r in readers if "stats" in r.path
        ):
            time.sleep(0.01)
        refused = [(r.path, r.status, r.error) for r in readers if r.status != 200]
        if refused or any(r.markers == 0 for r in readers if "stats" in r.path):
            raise RuntimeError(f"page clients not in place: {refused}")
        yield summary
    finally:
        for reader in readers:
            reader.close()
        stats = [r for r in readers if "stats" in r.path]
        events = [r for r in readers if r.path == "/api/events"]
        taps = [r for r in readers if "taps" in r.path]
        summary.update(
            stats_events=sum(r.markers for r in stats),
            event_stream_events=sum(r.markers for r in events),
            tap_jpeg_parts=sum(r.markers for r in taps),
            bytes_read=sum(r.bytes for r in readers),
            client_errors=[r.error for r in readers if r.error],
        )


@contextmanager
def web_pages(runtime: sl.Runtime, *, tap: bool = True) -> Iterator[dict[str, Any]]:
    """Serve the web API over ``runtime`` with the page clients open and reading; yields
    their counters (filled in when the block ends)."""
    with serving(runtime) as port, page_clients(port, tap=tap) as summary:
        yield summary


# -- one measurement ------------------------------------------------------------------


def run_chain(variant: str, make: Payload, count: int, rate_hz: float) -> dict[str, Any]:
    gate = threading.Event()
    sink = BenchSink(count=count)
    clients: dict[str, Any] = {}
    with sl.Runtime() as rt:
        chain = [rt.add(GatedSource(make, gate, count=count, rate_hz=rate_hz), id="source")]
        for n in range(STAGES):
            kind = VideoPassthrough if f"stage{n}" == TAPPED else Passthrough
            chain.append(rt.add(kind, id=f"stage{n}"))
        chain.append(rt.add(sink, id="sink"))
        for upstream, downstream in itertools.pairwise(chain):
            rt.connect(upstream.frames_out, downstream.frames_in, profile="lossless", capacity=3)
        rt.start()
        if variant == "no_web":
            time.sleep(SETTLE_S)
            gate.set()
            started = time.monotonic()
            finished = sink.done.wait(RUN_TIMEOUT_S)
            elapsed = time.monotonic() - started
            workers = rt.statistics().workers
        else:
            with web_pages(rt, tap=variant == "web_5_pages") as clients:
                time.sleep(SETTLE_S)
                gate.set()
                started = time.monotonic()
                finished = sink.done.wait(RUN_TIMEOUT_S)
                elapsed = time.monotonic() - started
                workers = rt.statistics().workers
        if not finished:
            raise RuntimeError(f"{variant}: got {sink.received} of {count} frames")
    return {"sink": sink, "seconds": round(elapsed, 3), "clients": clients, "workers": workers}


# -- paired: one pipeline, the clients change every second ---------------------------


class CountingSink(sl.Processor):
    """Counts what arrives and keeps each frame's latency, for as long as it runs."""

    frames_in = sl.Input(sl.Frame)

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)
        self.latencies_ns = array("q")
        self.received = 0

    def process(self) -> None:
        read, keep = self.frames_in.read, self.latencies_ns.append
        frame = read()
        while frame is not None:
            keep(time.monotonic_ns() - frame.timestamp_ns)
            self.received += 1
            frame = read()


def paired_windows(
    make: Payload, rate_hz: float, cycles: int, window_s: float
) -> dict[str, list[tuple[float, list[float]]]]:
    """One runtime and one server throughout; in each cycle every variant in turn (the
    order rotates) gets the clients it names, ``PAIRED_SETTLE_S`` to settle and a window
    of ``window_s``. Returns, per variant, each window's frames per second and per-hop
    latencies (µs)."""
    sink = CountingSink()
    windows: dict[str, list[tuple[float, list[float]]]] = {v: [] for v in VARIANTS}
    # Fusion by structure: flat out for minutes, measured fusion would split the saturated
    # chain at some point (it did, in one run of three), and the comparison is of a fused one.
    with sl.Runtime(fuse=True) as rt:
        chain = [rt.add(BenchSource(make, count=2**62, rate_hz=rate_hz), id="source")]
        for n in range(STAGES):
            kind = VideoPassthrough if f"stage{n}" == TAPPED else Passthrough
            chain.append(rt.add(kind, id=f"stage{n}"))
        chain.append(rt.add(sink, id="sink"))
        for upstream, downstream in itertools.pairwise(chain):
            rt.connect(upstream.frames_out, downstream.frames_in, profile="lossless", capacity=3)
        rt.start()
        with serving(rt) as port:
            for cycle in range(cycles):
                order = VARIANTS[cycle % 3 :] + VARIANTS[: cycle % 3]
                for variant in order:
                    with contextlib.ExitStack() as clients:
                        if variant != "no_web":
                            clients.enter_context(page_clients(port, tap=variant == "web_5_pages"))
                        time.sleep(PAIRED_SETTLE_S)
                        first, started = sink.received, time.monotonic()
                        time.sleep(window_s)
                        last, ended = sink.received, time.monotonic()
                    hops = STAGES + 1
                    per_hop = [ns / hops / 1e3 for ns in sink.latencies_ns[first:last]]
                    windows[variant].append(((last - first) / (ended - started), per_hop))
            if rt.statistics().workers != 1:
                raise RuntimeError("the chain did not stay fused")
    return windows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))])


def paired_report(args: argparse.Namespace, make: Payload, cycles: int) -> dict[str, Any]:
    """Costs against ``no_web`` with the background load shared: every window of a
    variant has one of ``no_web`` next to it in time (the same cycle)."""
    flat_out = paired_windows(make, 0.0, cycles, PAIRED_WINDOW_S)
    paced = paired_windows(make, args.latency_rate, cycles, PAIRED_WINDOW_S)
    report: dict[str, Any] = {
        "cycles": cycles,
        "window_s": PAIRED_WINDOW_S,
        "settle_s": PAIRED_SETTLE_S,
    }
    base_fps = [fps for fps, _ in flat_out["no_web"]]
    base_latency = [us for _, window in paced["no_web"] for us in window]
    base_p99 = percentile(base_latency, 0.99)
    for variant in VARIANTS:
        fps = [window_fps for window_fps, _ in flat_out[variant]]
        costs = sorted(round((1 - f / b) * 100, 1) for f, b in zip(fps, base_fps, strict=True))
        latency = [us for _, window in paced[variant] for us in window]
        p99_per_cycle = [
            round((percentile(w, 0.99) / percentile(b, 0.99) - 1) * 100, 1)
            for (_, w), (_, b) in zip(paced[variant], paced["no_web"], strict=True)
        ]
        report[variant] = {
            "throughput_fps_median": round(statistics.median(fps)),
            "per_hop_us_p50": round(percentile(latency, 0.5), 2),
            "per_hop_us_p99": round(percentile(latency, 0.99), 2),
            "latency_frames": len(latency),
            "throughput_cost_pct_median": round(statistics.median(costs), 1),
            "throughput_cost_pct_per_cycle": costs,
            "p99_latency_cost_pct_pooled": round(
                (percentile(latency, 0.99) / base_p99 - 1) * 100, 1
            ),
            "p99_latency_cost_pct_per_cycle": sorted(p99_per_cycle),
        }
    return report


def cost_of(base: dict[str, Any], other: dict[str, Any]) -> dict[str, float]:
    """What ``other`` costs against ``base``, in percent (positive: worse)."""

    def pct(ratio: float) -> float:
        return round((ratio - 1) * 100, 1)

    return {
        "throughput_cost_pct": -pct(other["throughput_fps"] / base["throughput_fps"]),
        "p99_latency_cost_pct": pct(other["per_hop_us_p99"] / base["per_hop_us_p99"]),
        "p50_latency_cost_pct": pct(other["per_hop_us_p50"] / base["per_hop_us_p50"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames, one repeat")
    parser.add_argument("--latency-frames", type=int, default=400)
    parser.add_argument("--latency-rate", type=float, default=250.0, help="frames/s when idle")
    parser.add_argument(
        "--throughput-frames", type=int, default=20000, help="about 1 s flat out, 10 stats ticks"
    )
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each")
    parser.add_argument(
        "--paired-cycles", type=int, default=30, help="paired windows of each variant (0: none)"
    )
    parser.add_argument("--output", type=Path, help="also write the JSON report here")
    args = parser.parse_args()
    latency_frames = 60 if args.quick else args.latency_frames
    throughput_frames = 500 if args.quick else args.throughput_frames
    repeats = 1 if args.quick else args.repeats
    make = video_payload()

    runs: list[dict[str, Any]] = []
    for repeat in range(repeats):
        for variant in VARIANTS:
            paced = run_chain(variant, make, latency_frames, args.latency_rate)
            flat_out = run_chain(variant, make, throughput_frames, 0.0)
            row = {
                "repeat": repeat,
                "variant": variant,
                **latency_result(paced["sink"], STAGES),
                "throughput_fps": throughput(flat_out["sink"]),
                "latency_run_s": paced["seconds"],
                "throughput_run_s": flat_out["seconds"],
                "workers": flat_out["workers"],  # the same with a tap open: it stays fused
            }
            if variant != "no_web":
                row["clients_latency_run"] = paced["clients"]
                row["clients_throughput_run"] = flat_out["clients"]
            runs.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    medians: dict[str, dict[str, float]] = {}
    for variant in VARIANTS:
        rows = [r for r in runs if r["variant"] == variant]
        medians[variant] = {
            key: round(statistics.median(r[key] for r in rows), 2)
            for key in ("per_hop_us_p50", "per_hop_us_p99", "end_to_end_us_p50", "throughput_fps")
        }
    base = medians["no_web"]
    costs = cost_of(base, medians["web_5_pages"])
    costs_without_tap = cost_of(base, medians["web_5_pages_no_tap"])

    def per_repeat(variant: str) -> list[dict[str, float]]:
        costs = []
        for repeat in range(repeats):
            base_run, other = (
                next(r for r in runs if (r["repeat"], r["variant"]) == (repeat, v))
                for v in ("no_web", variant)
            )
            costs.append(cost_of(base_run, other))
        return costs

    targets = {"throughput_cost_pct": 3.0, "p99_latency_cost_pct": 10.0}
    report = {
        "benchmark": "web_overhead",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": _cpu_count(),
        "payload": "video_1080p",
        "stages": STAGES,
        "fused": True,
        "pages": PAGES,
        "page_streams": [f"/api/stats/stream?interval_ms={STATS_INTERVAL_MS}", "/api/events"],
        "tap": f"/api/taps/{TAPPED}/frames_out?fps={TAP_FPS}",
        "latency_frames": latency_frames,
        "latency_rate_hz": args.latency_rate,
        "throughput_frames": throughput_frames,
        "repeats": repeats,
        "targets": {key: f"<= {value}" for key, value in targets.items()},
        "costs_of_medians": costs,
        "meets_targets": {key: costs[key] <= value for key, value in targets.items()},
        "costs_per_repeat": per_repeat("web_5_pages"),
        "costs_of_medians_without_tap": costs_without_tap,
        "meets_targets_without_tap": {
            key: costs_without_tap[key] <= value for key, value in targets.items()
        },
        "costs_per_repeat_without_tap": per_repeat("web_5_pages_no_tap"),
        "medians": medians,
        "runs": runs,
    }
    cycles = min(2, args.paired_cycles) if args.quick else args.paired_cycles
    if cycles > 0:
        report["paired"] = paired_report(args, make, cycles)
    text = json.dumps(report, indent=2)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
