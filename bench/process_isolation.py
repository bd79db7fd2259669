"""Hop latency from one process to another through iceoryx2 shared memory, and a
chain of 1080p stages each in a worker process.

Hops: compares a bare iceoryx2 publish/subscribe with event wake-ups (the floor)
against streamlib.ipc's FramePublisher/FrameSubscriber, at 64 bytes (an 8x8 gray8
frame) and at a 1920x1080x3 uint8 frame, sent at a steady rate into an idle consumer
process. Chain: see ``run_chain`` below. Prints JSON.

    python bench/process_isolation.py              # hops (1000 messages a row) and chain
    python bench/process_isolation.py --quick      # a smoke test of both
    python bench/process_isolation.py --chain-only # the chain alone (about 2 min)

Rows (the producer is this process, the consumer a second one it starts):

- ``bare``: loan a sample, copy the payload in, stamp the time, send, notify;
  the consumer wakes on the event, receives and takes a numpy view of the payload.
- ``streamlib_loan``: the same work through streamlib: ``loan()``, copy the payload
  in, make the ``VideoFrame``, stamp, ``send(frame)``; the consumer's
  ``wait``/``receive`` gives a frame whose array is a view of the sample. The ratio
  to ``bare`` is the cost of streamlib's layer (header, frame objects, sequence and
  drop accounting).
- ``bare_copy_in_hop`` and ``streamlib_send``: the stamp comes before the loan and
  the copy into shared memory, so the hop includes the one copy ``send(frame)`` makes.

Latency is (the consumer holds the frame) - (the stamp), both ``time.monotonic_ns()``
(one clock for every process on the machine), paired by message number; the first
20 messages of each row are a warm-up and not counted.

The chain: a source sending one 1920x1080x3 frame (by reference) as fast as accepted,
4 stages that each ``np.add(pixels, 1)`` into a ``BufferPool`` buffer (a new frame per
stage, as the built-in effects make theirs), a sink; every connection lossless, depth 3.
Variants, alternated in the same run: ``fused`` (one thread, ``fuse=True``),
``unfused`` (a thread per stage, ``fuse=False``), ``processes`` (each stage with
``isolation="process"``: the worker's pool is lent the channel's shared memory, so a
stage's output crosses without a copy, and between two stages it goes straight from
worker to worker, not through the parent), ``processes_copy`` (the same, but each
stage turns the lending off before it takes its buffer, so the worker copies its output
into shared memory) and ``processes_via_parent`` (as ``processes``, with direct
channels off, ``STREAMLIB_DIRECT_CHANNELS=0``: every frame passes through the parent,
which copies it once into shared memory on the way to the next worker; the path
before direct channels). Two more rows make every frame in a source: it fills a
``BufferPool`` buffer (``np.copyto`` from its picture), as a decoder or a camera makes a
new frame per message: ``unfused_pooled_source`` (threads, as ``unfused``) and
``processes_pooled_source`` (the source in a worker too, so it fills the channel's
shared memory and no frame is ever copied on its way). ``one_worker`` puts the four
stages in one named worker process (``process="chain"``): fused inside it, as in
``fused``, with the source's frames copied into its channel once. Each row: frames per second at
the sink after the warm-up, and CPU time per frame of this process and its workers over
the same span.
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.core._buffer_lending import lend_on_this_thread
from streamlib.ipc import FramePublisher, FrameSubscriber

PAYLOADS: dict[str, tuple[tuple[int, ...], str]] = {
    "64B": ((8, 8), "gray8"),
    "1920x1080x3": ((1080, 1920, 3), "rgb24"),
}
VARIANTS = ("bare", "streamlib_loan", "bare_copy_in_hop", "streamlib_send")
WARMUP = 20
CAPACITY = 8
PEER_TIMEOUT_S = 60.0


def _iceoryx2() -> Any:
    import iceoryx2 as iox2

    iox2.set_log_level_from_env_or(iox2.LogLevel.Error)
    return iox2


def _bare_node_and_services(channel: str) -> tuple[Any, Any, Any]:
    iox2 = _iceoryx2()
    node = (
        iox2.NodeBuilder.new()
        .signal_handling_mode(iox2.SignalHandlingMode.Disabled)
        .create(iox2.ServiceType.Ipc)
    )
    frames = (
        node.service_builder(iox2.ServiceName.new(f"bench/{channel}"))
        .publish_subscribe(iox2.Slice[ctypes.c_uint8])
        .subscriber_max_buffer_size(CAPACITY)
        .open_or_create()
    )
    ready = node.service_builder(iox2.ServiceName.new(f"bench/{channel}/ready")).event()
    return node, frames, ready.open_or_create()


def _memory(address: int, size: int) -> np.ndarray[Any, Any]:
    """A uint8 numpy view of ``size`` bytes at ``address`` (no copy)."""
    return np.ctypeslib.as_array((ctypes.c_uint8 * size).from_address(address))


# -- the consumer process ---------------------------------------------------------------


def consume(variant: str, channel: str, count: int) -> list[tuple[int, int]]:
    """Receive messages numbered up to ``count - 1``: (number, when it was in hand) for
    each. A message lost in a full buffer (this process kept off the CPU too long) is
    missing from the list; the last one never is (the oldest gives way)."""
    arrivals: list[tuple[int, int]] = [(-1, 0)]
    if variant.startswith("bare"):
        iox2 = _iceoryx2()
        _node, frames, ready = _bare_node_and_services(channel)
        subscriber = frames.subscriber_builder().create()
        listener = ready.listener_builder().create()
        print("ready", flush=True)
        wait = iox2.Duration.from_secs_f64(PEER_TIMEOUT_S)
        while arrivals[-1][0] < count - 1:
            listener.timed_wait(wait)
            while (sample := subscriber.receive()) is not None:
                view = _memory(sample.payload_ptr, sample.header.number_of_elements)
                arrivals.append((int(view[:8].view(np.int64)[0]), time.monotonic_ns()))
                del view, sample
        return arrivals[1:]
    with FrameSubscriber(channel, profile="fifo", capacity=CAPACITY) as sub:
        print("ready", flush=True)
        while arrivals[-1][0] < count - 1:
            if not sub.wait(timeout_s=PEER_TIMEOUT_S):
                raise SystemExit("the producer went quiet")
            while (frame := sub.receive()) is not None:
                arrivals.append((frame.frame_number, time.monotonic_ns()))
                del frame
    return arrivals[1:]


# -- the producer (this process) -----------------------------------------------------------


def produce(variant: str, payload: str, count: int, rate_hz: float) -> list[int]:
    """Start a consumer, send ``WARMUP + count`` messages at ``rate_hz``; their latencies."""
    channel = f"{variant}-{payload}-{uuid.uuid4().hex[:8]}"
    shape, pixel_format = PAYLOADS[payload]
    source = (np.arange(int(np.prod(shape)), dtype=np.uint32) % 251).astype(np.uint8)
    source = source.reshape(shape)
    total = WARMUP + count
    consumer = subprocess.Popen(
        [sys.executable, __file__, "--consumer", variant, channel, str(total)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert consumer.stdout is not None
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {variant} consumer did not start")
        if variant.startswith("bare"):
            sent = _produce_bare(variant, channel, source, total, rate_hz)
        else:
            sent = _produce_streamlib(
                variant, channel, source, pixel_format, total=total, rate_hz=rate_hz
            )
        out, _ = consumer.communicate(timeout=PEER_TIMEOUT_S)
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.communicate()
    arrivals = json.loads(out)
    return [arrived - sent[number] for number, arrived in arrivals if number >= WARMUP]


def _sleep_until(next_tick: float) -> None:
    delay = next_tick - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _produce_bare(
    variant: str, channel: str, source: np.ndarray[Any, Any], total: int, rate_hz: float
) -> list[int]:
    """Send ``total`` messages; when each was handed to iceoryx2 (or, with the copy in the
    hop, when its copy began)."""
    iox2 = _iceoryx2()
    _node, frames, ready = _bare_node_and_services(channel)
    publisher = (
        frames.publisher_builder()
        .initial_max_slice_len(source.nbytes)
        .allocation_strategy(iox2.AllocationStrategy.PowerOfTwo)
        .create()
    )
    notifier = ready.notifier_builder().create()
    while frames.dynamic_config.number_of_subscribers == 0:
        time.sleep(0.001)
    flat = source.reshape(-1)
    copy_in_hop = variant == "bare_copy_in_hop"
    sent: list[int] = []
    period = 1.0 / rate_hz
    next_tick = time.monotonic()
    for number in range(total):
        _sleep_until(next_tick)
        next_tick += period
        stamp = time.monotonic_ns()
        sample = publisher.loan_slice_uninit(flat.nbytes)
        target = _memory(sample.payload_ptr, flat.nbytes)
        np.copyto(target, flat)
        target[:8].view(np.int64)[0] = number
        del target
        if not copy_in_hop:
            stamp = time.monotonic_ns()
        sample.assume_init().send()
        notifier.notify()
        sent.append(stamp)
    return sent


def _produce_streamlib(
    variant: str,
    channel: str,
    source: np.ndarray[Any, Any],
    pixel_format: str,
    *,
    total: int,
    rate_hz: float,
) -> list[int]:
    """Send ``total`` frames; when each was handed to ``send``."""
    sent: list[int] = []
    with FramePublisher(
        channel, profile="fifo", capacity=CAPACITY, initial_payload_bytes=source.nbytes + 1024
    ) as pub:
        if not pub.wait_for_subscriber(PEER_TIMEOUT_S):
            raise RuntimeError("the consumer never subscribed")
        period = 1.0 / rate_hz
        next_tick = time.monotonic()
        for number in range(total):
            _sleep_until(next_tick)
            next_tick += period
            if variant == "streamlib_loan":
                pixels = pub.loan(source.shape, np.uint8)
                np.copyto(pixels, source)
            else:
                pixels = source  # send() copies it into shared memory
            frame = sl.VideoFrame(
                pixels, pixel_format, timestamp_ns=time.monotonic_ns(), frame_number=number
            )
            sent.append(time.monotonic_ns())
            pub.send(frame)
            del frame, pixels
        pub.end()
    return sent


# -- the chain of 1080p stages ---------------------------------------------------------

CHAIN_STAGES = 4
CHAIN_SHAPE = (1080, 1920, 3)
CHAIN_VARIANTS = (
    "fused",
    "unfused",
    "processes",
    "processes_copy",
    "processes_via_parent",
    "unfused_pooled_source",
    "processes_pooled_source",
    "one_worker",
)


class ChainSource(sl.Processor):
    """Sends the same 1080p frame (by reference) as fast as the chain accepts."""

    video = sl.Output(sl.VideoFrame)

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.loop()

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._pixels = np.zeros(CHAIN_SHAPE, np.uint8)
        self._sent = 0

    def process(self) -> None:
        self.video.write(sl.VideoFrame(self._pixels, "rgb24", frame_number=self._sent))
        self._sent += 1


class PooledChainSource(ChainSource):
    """Makes every frame: its picture copied into a ``BufferPool`` buffer (in a worker,
    the channel's shared memory), as a decoder or a camera makes a new frame each time."""

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._pool = sl.BufferPool(CHAIN_SHAPE, np.uint8)

    def process(self) -> None:
        out = self._pool.acquire()
        np.copyto(out, self._pixels)
        self.video.write(sl.VideoFrame(out, "rgb24", frame_number=self._sent))
        self._sent += 1


class PooledStageConfig(sl.ProcessorConfig):
    lend: bool = True
    """False: refuse the worker's loans (its outlet then copies, as before loans)."""


class PooledStage(sl.Processor[PooledStageConfig]):
    """``np.add(pixels, 1)`` into a BufferPool buffer: a new frame per input frame."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._pool = sl.BufferPool(CHAIN_SHAPE, np.uint8)

    def process(self) -> None:
        for frame in self.video_in.read_all():
            if not self.config.lend:
                lend_on_this_thread(None)  # (the outlet installs it again before it sends)
            out = self._pool.acquire()
            np.add(frame.data, 1, out=out)
            self.video_out.write(frame.replace(data=out))


class ChainSink(sl.Processor):
    """Counts frames."""

    video = sl.Input(sl.VideoFrame, profile="lossless")

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.total = 0

    def process(self) -> None:
        self.total += len(self.video.read_all())


def _cpu_s(rt: sl.Runtime) -> float:
    """CPU seconds used so far by this process and by its worker processes."""
    used = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    processors = rt.statistics().processors.values()
    for pid in {p.process["pid"] for p in processors if p.process is not None}:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def run_chain(variant: str, seconds: float, warmup: float) -> dict[str, Any]:
    """One run of the chain: frames per second and CPU ms per frame, after the warm-up
    (which the workers' start is part of)."""
    isolated = variant.startswith("processes")
    pooled_source = variant.endswith("_pooled_source")
    sink = ChainSink()
    # Read when the runtime is made: off for the baseline row only.
    os.environ["STREAMLIB_DIRECT_CHANNELS"] = "0" if variant == "processes_via_parent" else "1"
    with sl.Runtime(fuse=not variant.startswith("unfused")) as rt:
        os.environ.pop("STREAMLIB_DIRECT_CHANNELS")
        if pooled_source:
            source = rt.add(
                PooledChainSource, id="source", isolation="process" if isolated else "thread"
            )
        else:
            source = rt.add(ChainSource(), id="source")
        chain = [source]
        one_worker = variant == "one_worker"  # all four in one named worker, fused there
        chain += [
            rt.add(
                PooledStage,
                id=f"stage{n}",
                isolation="process" if isolated or one_worker else "thread",
                process="chain" if one_worker else None,
                lend=variant != "processes_copy",
            )
            for n in range(CHAIN_STAGES)
        ]
        chain.append(rt.add(sink, id="sink"))
        for upstream, downstream in itertools.pairwise(chain):
            out = "video" if upstream is chain[0] else "video_out"
            into = "video" if downstream is chain[-1] else "video_in"
            rt.connect(upstream.port(out), downstream.port(into), capacity=3)
        rt.start()
        time.sleep(warmup)
        frames_before, cpu_before = sink.total, _cpu_s(rt)
        time.sleep(seconds - warmup)
        frames, cpu_s = sink.total - frames_before, _cpu_s(rt) - cpu_before
        rt.stop()
    return {
        "msgs_per_s": round(frames / (seconds - warmup), 1),
        "cpu_ms_per_frame": round(1e3 * cpu_s / max(frames, 1), 2),
    }


def chain_report(seconds: float, warmup: float, repeats: int) -> dict[str, Any]:
    """Every variant ``repeats`` times, alternated; the median run of each."""
    runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in CHAIN_VARIANTS}
    for _ in range(repeats):
        for variant in CHAIN_VARIANTS:
            row = run_chain(variant, seconds, warmup)
            runs[variant].append(row)
            print(json.dumps({"chain": variant, **row}), file=sys.stderr)

    def median(variant: str, key: str) -> float:
        return float(statistics.median(row[key] for row in runs[variant]))

    rates = {variant: median(variant, "msgs_per_s") for variant in CHAIN_VARIANTS}
    cpu = {variant: median(variant, "cpu_ms_per_frame") for variant in CHAIN_VARIANTS}
    return {
        "stages": CHAIN_STAGES,
        "frame": "1920x1080x3 uint8",
        "seconds": seconds,
        "warmup_s": warmup,
        "repeats": repeats,
        "median_msgs_per_s": rates,
        "median_cpu_ms_per_frame": cpu,
        "ratios": {
            "processes_vs_unfused": round(rates["processes"] / rates["unfused"], 2),
            "processes_vs_fused": round(rates["processes"] / rates["fused"], 2),
            "processes_copy_vs_unfused": round(rates["processes_copy"] / rates["unfused"], 2),
            "processes_copy_vs_fused": round(rates["processes_copy"] / rates["fused"], 2),
            "processes_vs_processes_copy": round(rates["processes"] / rates["processes_copy"], 2),
            "processes_via_parent_vs_unfused": round(
                rates["processes_via_parent"] / rates["unfused"], 2
            ),
            "processes_vs_processes_via_parent": round(
                rates["processes"] / rates["processes_via_parent"], 2
            ),
            "cpu_per_frame_processes_vs_processes_copy": round(
                cpu["processes"] / cpu["processes_copy"], 2
            ),
            "processes_pooled_source_vs_unfused_pooled_source": round(
                rates["processes_pooled_source"] / rates["unfused_pooled_source"], 2
            ),
            "one_worker_vs_fused": round(rates["one_worker"] / rates["fused"], 2),
            "one_worker_vs_unfused": round(rates["one_worker"] / rates["unfused"], 2),
        },
        "runs": runs,
    }


# -- report ----------------------------------------------------------------------------


def summary(latencies: list[int]) -> dict[str, float]:
    values = sorted(v / 1e3 for v in latencies)
    n = len(values)
    return {
        "p50_us": round(statistics.median(values), 1),
        "p99_us": round(values[min(n - 1, round(0.99 * (n - 1)))], 1),
        "max_us": round(values[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 messages per row")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second")
    parser.add_argument("--consumer", nargs=3, metavar=("VARIANT", "CHANNEL", "COUNT"))
    parser.add_argument("--chain-only", action="store_true", help="only the chain of stages")
    parser.add_argument("--hops-only", action="store_true", help="only the hop latencies")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of a chain run")
    parser.add_argument("--warmup", type=float, default=3.0, help="chain seconds not counted")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each chain variant")
    args = parser.parse_args()
    if args.consumer:
        variant, channel, count = args.consumer
        print(json.dumps(consume(variant, channel, int(count))), flush=True)
        return
    messages = 200 if args.quick else args.messages
    chain = None
    if not args.hops_only:
        seconds, warmup, repeats = (
            (4.0, 2.0, 1) if args.quick else (args.seconds, args.warmup, args.repeats)
        )
        chain = chain_report(seconds, warmup, repeats)
    if args.chain_only:
        print(
            json.dumps({"benchmark": "process_isolation", **_machine(), "chain": chain}, indent=2)
        )
        return

    results: list[dict[str, Any]] = []
    for payload in PAYLOADS:
        for variant in VARIANTS:
            row: dict[str, Any] = {"payload": payload, "variant": variant}
            row.update(summary(produce(variant, payload, messages, args.rate)))
            results.append(row)
            print(json.dumps(row), file=sys.stderr)

    def p50(payload: str, variant: str) -> float:
        return float(
            next(r["p50_us"] for r in results if (r["payload"], r["variant"]) == (payload, variant))
        )

    ratios = {
        payload: {
            "streamlib_loan_vs_bare_p50": round(
                p50(payload, "streamlib_loan") / p50(payload, "bare"), 2
            ),
            "streamlib_send_vs_bare_copy_in_hop_p50": round(
                p50(payload, "streamlib_send") / p50(payload, "bare_copy_in_hop"), 2
            ),
        }
        for payload in PAYLOADS
    }
    report = {
        "benchmark": "process_isolation",
        **_machine(),
        "messages_per_row": messages,
        "rate_hz": args.rate,
        "targets_p50_us": {"64B": "<= 250", "1920x1080x3": "<= 500"},
        "ratios": ratios,
        "results": results,
        **({} if chain is None else {"chain": chain}),
    }
    print(json.dumps(report, indent=2))


def _machine() -> dict[str, Any]:
    """What ran it."""
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": _cpu_count(),
    }


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
