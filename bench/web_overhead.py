"""What serving the web API to open pages costs a running pipeline.

The chain of ``bench/pipeline_latency.py`` (source -> 10 passthrough stages -> sink,
lossless depth 3, a 1920x1080x3 uint8 video frame passed by reference, fused: the
default), measured in one run:

- ``no_web``: the runtime alone, no server;
- ``web_5_pages``: the same runtime served by the web API (``PipelineHost(runtime=rt)``,
  ``WebServer`` on 127.0.0.1, as ``Runtime(web=...)`` serves it) to 5 simulated pages, each holding
  ``/api/stats/stream?interval_ms=100`` and ``/api/events`` open and reading them
  continuously (plain sockets, one thread each, in a process of their own as a browser's
  pages are: ``PagesProcess``), plus one MJPEG tap at 5 fps on the
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
settle and a 3 s window (``--paired-window``); the order rotates. Each variant's window
is compared with the ``no_web`` window of its own cycle, so background load mostly hits
both: throughput cost per cycle (and its median), p99 latency cost per cycle and pooled
over all windows, and the chain thread's on-core share (``ThreadClock``: what the GIL
and the cores left it). With ``--elsewhere`` a fourth variant, ``pages_elsewhere``, has
the same pages and tap read from the same kind of server over the same chain (paced) in
another process: a control for what that work costs this chain from the machine's other
core, without sharing its process. The runtime fuses by structure there (``fuse=True``):
flat out for minutes, measured fusion may split the saturated chain. ``paired_summary``
is the headline. Prints JSON.

    python bench/web_overhead.py              # the full run (about 7 minutes)
    python bench/web_overhead.py --elsewhere  # and the control below (about 10 minutes)
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
import subprocess
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

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
# With --elsewhere, paired windows also have the same pages and tap served by the same kind
# of server over the same chain in *another* process: what they cost this pipeline then
# is what any such work on the machine's other core costs it, none of it the GIL's.
ELSEWHERE = "pages_elsewhere"
ELSEWHERE_RATE_HZ = 30.0
PAIRED_SETTLE_S = 0.3  # after the clients of a paired window are in place
PAIRED_WINDOW_S = 3.0  # 0.5 s windows swing 13 % here with nothing else running


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


def add_chain(rt: sl.Runtime, source: sl.Processor, sink: sl.Processor) -> None:
    """``source`` -> the ``STAGES`` passthrough stages (``TAPPED`` with video ports) ->
    ``sink``, lossless depth 3: the chain every variant runs."""
    chain = [rt.add(source, id="source")]
    for n in range(STAGES):
        kind = VideoPassthrough if f"stage{n}" == TAPPED else Passthrough
        chain.append(rt.add(kind, id=f"stage{n}"))
    chain.append(rt.add(sink, id="sink"))
    for upstream, downstream in itertools.pairwise(chain):
        rt.connect(upstream.frames_out, downstream.frames_in, profile="lossless", capacity=3)


# -- simulated page clients ------------------------------------------------------------


class StreamReader:
    """One streaming GET on loopback, read continuously on its own thread until stopped;
    counts bytes and occurrences of ``marker`` (SSE events or MJPEG parts). The thread
    wakes only when data comes (``close`` shuts the socket to end it): the pages share
    the machine's two cores with the pipeline, so they should cost no more than a
    browser's network thread."""

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
        self._sock.settimeout(None)
        self._deadline = deadline
        self._thread = threading.Thread(target=self._read, name=f"page {path}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        head = b""
        carry = b""
        keep = len(self.marker) - 1
        try:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                data = self._sock.recv(65536)
                if not data:  # the server ended the stream, or close() shut the socket
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
            if not self._stop.is_set():
                self.error = repr(error)
        finally:
            self.ready.set()
            self._sock.close()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):  # already closed by the reading thread
            self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2.0)


@contextmanager
def serving(runtime: sl.Runtime) -> Iterator[int]:
    """Serve the web API over ``runtime`` on a free loopback port, as ``Runtime(web=...)``
    does (``streamlib.web.WebServer``: its own thread and event loop); yields the port."""
    from streamlib.control import PipelineHost
    from streamlib.web import WebOptions, WebServer

    host = PipelineHost(runtime=runtime)
    server = WebServer(host, WebOptions(port=0))
    try:
        url = server.start()
        yield int(url.rsplit(":", 1)[1].split("/", 1)[0])
    finally:
        server.stop()
        host.close()


def serve_elsewhere() -> None:
    """``--serve-elsewhere``: the same chain, paced at ``ELSEWHERE_RATE_HZ``, served as
    the runtime's own is, in this process; prints the port, serves until stdin closes."""
    make = video_payload()
    with sl.Runtime(fuse=True) as rt:
        add_chain(rt, BenchSource(make, count=2**62, rate_hz=ELSEWHERE_RATE_HZ), CountingSink())
        rt.start()
        with serving(rt) as port:
            print(port, flush=True)
            sys.stdin.read()


@contextmanager
def server_elsewhere() -> Iterator[int]:
    """A ``--serve-elsewhere`` process running; yields its port."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-elsewhere"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=15.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def open_readers(port: int, *, tap: bool) -> list[StreamReader]:
    """The page streams open on ``port``, each stats stream past its first snapshot."""
    readers: list[StreamReader] = []
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
    while time.monotonic() < until and any(r.markers == 0 for r in readers if "stats" in r.path):
        time.sleep(0.01)
    refused = [(r.path, r.status, r.error) for r in readers if r.status != 200]
    if refused or any(r.markers == 0 for r in readers if "stats" in r.path):
        for reader in readers:
            reader.close()
        raise RuntimeError(f"page clients not in place: {refused}")
    return readers


def close_readers(readers: list[StreamReader]) -> dict[str, Any]:
    """Close the streams; what they read."""
    for reader in readers:
        reader.close()
    stats = [r for r in readers if "stats" in r.path]
    events = [r for r in readers if r.path == "/api/events"]
    taps = [r for r in readers if "taps" in r.path]
    return {
        "stats_events": sum(r.markers for r in stats),
        "event_stream_events": sum(r.markers for r in events),
        "tap_jpeg_parts": sum(r.markers for r in taps),
        "bytes_read": sum(r.bytes for r in readers),
        "client_errors": [r.error for r in readers if r.error],
    }


def serve_pages(port: int) -> None:
    """``--pages PORT``: the page clients' own process, as a browser is: told on stdin
    to ``open`` (``open tap`` with the tap) and ``close`` its streams, it answers each
    with a line of JSON on stdout."""
    readers: list[StreamReader] = []
    for line in sys.stdin:
        command = line.split()
        try:
            if command[:1] == ["open"]:
                readers = open_readers(port, tap=command[1:] == ["tap"])
                answer: dict[str, Any] = {"ready": True}
            else:
                answer, readers = close_readers(readers), []
        except RuntimeError as error:
            answer = {"error": str(error)}
        print(json.dumps(answer), flush=True)


class PagesProcess:
    """The 5 pages in a process of their own, as browsers are: their reading and waking
    take nothing from the runtime's process but a core's share (on loopback)."""

    def __init__(self, port: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--pages", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        answer: dict[str, Any] = json.loads(self._process.stdout.readline() or "{}")
        if "error" in answer or not answer:
            raise RuntimeError(f"page clients: {answer.get('error', 'the process ended')}")
        return answer

    @contextmanager
    def open(self, *, tap: bool) -> Iterator[dict[str, Any]]:
        """The page streams open and reading; yields their counters (filled in when the
        block ends)."""
        summary: dict[str, Any] = {}
        self._ask("open tap" if tap else "open")
        try:
            yield summary
        finally:
            summary.update(self._ask("close"))

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@contextmanager
def page_process(port: int) -> Iterator[PagesProcess]:
    pages = PagesProcess(port)
    try:
        yield pages
    finally:
        pages.close()


@contextmanager
def web_pages(runtime: sl.Runtime, *, tap: bool = True) -> Iterator[dict[str, Any]]:
    """Serve the web API over ``runtime`` with the page clients open and reading; yields
    their counters (filled in when the block ends)."""
    with serving(runtime) as port, page_process(port) as pages, pages.open(tap=tap) as summary:
        yield summary


# -- one measurement ------------------------------------------------------------------


def run_chain(variant: str, make: Payload, count: int, rate_hz: float) -> dict[str, Any]:
    gate = threading.Event()
    sink = BenchSink(count=count)
    clients: dict[str, Any] = {}
    with sl.Runtime() as rt:
        add_chain(rt, GatedSource(make, gate, count=count, rate_hz=rate_hz), sink)
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


class ThreadClock:
    """One thread of this process, read from outside: its CPU time and its context switches.

    Flat out, the chain never waits for its input, so its thread is on a core all the
    time, unless another thread of the process holds the GIL (then it sleeps until
    handed the GIL back: a voluntary context switch) or the machine gives its core to
    someone else (an involuntary one). Its CPU time over wall time is the share of the
    window it ran; unlike frames per second, that does not swing with how fast this
    shared machine's core happens to be in that half second.
    """

    def __init__(self, name_prefix: str) -> None:
        found = [t for t in threading.enumerate() if t.name.startswith(name_prefix)]
        if len(found) != 1 or found[0].ident is None or found[0].native_id is None:
            raise RuntimeError(f"expected one {name_prefix} thread, found {found}")
        self._clock = time.pthread_getcpuclockid(found[0].ident)
        self._status = Path(f"/proc/self/task/{found[0].native_id}/status")

    def read(self) -> tuple[float, int, int]:
        """CPU seconds used, voluntary and involuntary context switches, so far."""
        switches = {
            key: int(value)
            for key, value in (
                line.split(":") for line in self._status.read_text().splitlines() if "ctxt" in line
            )
        }
        return (
            time.clock_gettime(self._clock),
            switches["voluntary_ctxt_switches"],
            switches["nonvoluntary_ctxt_switches"],
        )


class Window(NamedTuple):
    """One measured window of a paired run."""

    fps: float
    per_hop_us: list[float]
    on_cpu: float  # the chain thread's CPU time / wall time
    waits_per_s: float  # its voluntary context switches a second (mostly GIL waits)
    preempted_per_s: float  # its involuntary ones (a core given to another thread)
    server_cpu: float  # the server thread's CPU time / wall time


def paired_windows(
    make: Payload, rate_hz: float, cycles: int, window_s: float, variants: tuple[str, ...]
) -> dict[str, list[Window]]:
    """One runtime and one server throughout; in each cycle every variant in turn (the
    order rotates) gets the clients it names, ``PAIRED_SETTLE_S`` to settle and a window
    of ``window_s``. Returns, per variant, its windows."""
    sink = CountingSink()
    windows: dict[str, list[Window]] = {v: [] for v in variants}
    # Fusion by structure: flat out for minutes, measured fusion would split the saturated
    # chain at some point (it did, in one run of three), and the comparison is of a fused one.
    with sl.Runtime(fuse=True) as rt, contextlib.ExitStack() as elsewhere:
        add_chain(rt, BenchSource(make, count=2**62, rate_hz=rate_hz), sink)
        rt.start()
        other_pages = None
        if ELSEWHERE in variants:
            other_port = elsewhere.enter_context(server_elsewhere())
            other_pages = elsewhere.enter_context(page_process(other_port))
        with serving(rt) as port, page_process(port) as pages:
            chain_thread = ThreadClock("streamlib:source")
            server_thread = ThreadClock("streamlib-web")
            for cycle in range(cycles):
                turn = cycle % len(variants)
                for variant in variants[turn:] + variants[:turn]:
                    with contextlib.ExitStack() as clients:
                        if variant == ELSEWHERE:
                            assert other_pages is not None
                            clients.enter_context(other_pages.open(tap=True))
                        elif variant != "no_web":
                            clients.enter_context(pages.open(tap=variant == "web_5_pages"))
                        time.sleep(PAIRED_SETTLE_S)
                        first, started = sink.received, time.monotonic()
                        before, server_before = chain_thread.read(), server_thread.read()
                        time.sleep(window_s)
                        last, ended = sink.received, time.monotonic()
                        after, server_after = chain_thread.read(), server_thread.read()
                    hops = STAGES + 1
                    per_hop = [ns / hops / 1e3 for ns in sink.latencies_ns[first:last]]
                    wall = ended - started
                    windows[variant].append(
                        Window(
                            fps=(last - first) / wall,
                            per_hop_us=per_hop,
                            on_cpu=(after[0] - before[0]) / wall,
                            waits_per_s=(after[1] - before[1]) / wall,
                            preempted_per_s=(after[2] - before[2]) / wall,
                            server_cpu=(server_after[0] - server_before[0]) / wall,
                        )
                    )
            if rt.statistics().workers != 1:
                raise RuntimeError("the chain did not stay fused")
    return windows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))])


def paired_report(args: argparse.Namespace, make: Payload, cycles: int) -> dict[str, Any]:
    """Costs against ``no_web`` with the background load shared: every window of a
    variant has one of ``no_web`` next to it in time (the same cycle)."""
    variants = (*VARIANTS, ELSEWHERE) if args.elsewhere else VARIANTS
    flat_out = paired_windows(make, 0.0, cycles, args.paired_window, variants)
    paced = paired_windows(make, args.latency_rate, cycles, args.paired_window, variants)
    report: dict[str, Any] = {
        "cycles": cycles,
        "window_s": args.paired_window,
        "settle_s": PAIRED_SETTLE_S,
    }
    base = flat_out["no_web"]
    base_latency = [us for window in paced["no_web"] for us in window.per_hop_us]
    base_p99 = percentile(base_latency, 0.99)
    for variant in variants:
        windows = flat_out[variant]
        costs = sorted(
            round((1 - w.fps / b.fps) * 100, 1) for w, b in zip(windows, base, strict=True)
        )
        cpu_costs = sorted(
            round((1 - w.on_cpu / b.on_cpu) * 100, 2) for w, b in zip(windows, base, strict=True)
        )
        latency = [us for window in paced[variant] for us in window.per_hop_us]
        p99_per_cycle = [
            round((percentile(w.per_hop_us, 0.99) / percentile(b.per_hop_us, 0.99) - 1) * 100, 1)
            for w, b in zip(paced[variant], paced["no_web"], strict=True)
        ]
        report[variant] = {
            "throughput_fps_median": round(statistics.median(w.fps for w in windows)),
            "per_hop_us_p50": round(percentile(latency, 0.5), 2),
            "per_hop_us_p99": round(percentile(latency, 0.99), 2),
            "latency_frames": len(latency),
            "throughput_cost_pct_median": round(statistics.median(costs), 1),
            "throughput_cost_pct_per_cycle": costs,
            # The chain thread's time on a core, against no_web's in the same cycle: the
            # share of the run the web face took from it (the GIL, or a core).
            "chain_on_cpu_median": round(statistics.median(w.on_cpu for w in windows), 4),
            "on_cpu_cost_pct_median": round(statistics.median(cpu_costs), 2),
            "on_cpu_cost_pct_mean": round(statistics.fmean(cpu_costs), 2),
            "on_cpu_cost_pct_per_cycle": cpu_costs,
            "chain_waits_per_s_median": round(statistics.median(w.waits_per_s for w in windows)),
            "chain_preempted_per_s_median": round(
                statistics.median(w.preempted_per_s for w in windows)
            ),
            "server_thread_cpu_pct_median": round(
                100 * statistics.median(w.server_cpu for w in windows), 2
            ),
            "p99_latency_cost_pct_pooled": round(
                (percentile(latency, 0.99) / base_p99 - 1) * 100, 1
            ),
            "p99_latency_cost_pct_per_cycle": sorted(p99_per_cycle),
        }
    return report


_SUMMARY_KEYS = (
    "on_cpu_cost_pct_median",
    "on_cpu_cost_pct_mean",
    "throughput_cost_pct_median",
    "p99_latency_cost_pct_pooled",
    "chain_waits_per_s_median",
    "server_thread_cpu_pct_median",
)


def paired_summary(paired: dict[str, Any]) -> dict[str, Any]:
    """The headline: what each variant cost the chain, measured side by side."""
    return {
        variant: {key: numbers[key] for key in _SUMMARY_KEYS}
        for variant, numbers in paired.items()
        if isinstance(numbers, dict) and variant != "no_web"
    }


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
        "--paired-cycles", type=int, default=15, help="paired windows of each variant (0: none)"
    )
    parser.add_argument("--output", type=Path, help="also write the JSON report here")
    parser.add_argument(
        "--paired-only", action="store_true", help="only the paired windows (the headline)"
    )
    parser.add_argument(
        "--paired-window",
        type=float,
        default=PAIRED_WINDOW_S,
        help="seconds measured per variant and cycle (longer: less noise per window)",
    )
    parser.add_argument(
        "--elsewhere",
        action="store_true",
        help=f"paired windows also with the pages served from another process ({ELSEWHERE})",
    )
    parser.add_argument("--pages", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-elsewhere", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages is not None:  # the page clients' own process (PagesProcess)
        serve_pages(args.pages)
        return
    if args.serve_elsewhere:  # the other process of --elsewhere
        serve_elsewhere()
        return
    latency_frames = 60 if args.quick else args.latency_frames
    throughput_frames = 500 if args.quick else args.throughput_frames
    repeats = 1 if args.quick else args.repeats
    make = video_payload()
    cycles = min(2, args.paired_cycles) if args.quick else args.paired_cycles
    if args.paired_only:
        paired = paired_report(args, make, cycles)
        only = {"benchmark": "web_overhead", "paired_summary": paired_summary(paired)}
        _report(json.dumps({**only, "paired": paired}, indent=2), args.output)
        return

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
    if cycles > 0:
        paired = paired_report(args, make, cycles)
        report["paired"] = paired
        report["paired_summary"] = paired_summary(paired)
    _report(json.dumps(report, indent=2), args.output)


def _report(text: str, output: Path | None) -> None:
    """Print the JSON report, and write it to ``output`` too when given."""
    print(text)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n")


if __name__ == "__main__":
    main()
