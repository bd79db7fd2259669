"""Frames between two processors alone in worker processes go straight from worker to
worker (no hop through the parent), for real: real workers, real iceoryx2 channels.

The processors the workers run are in tests/isolation_support.py (importable there).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

iceoryx2 = pytest.importorskip(
    "iceoryx2", reason="iceoryx2 is not installed (pip install 'streamlib[process]')"
)

import streamlib as sl  # noqa: E402
from isolation_support import AddGain  # noqa: E402
from runtime_support import WAIT_S, wait_until  # noqa: E402
from streamlib.processors import Collector, TestPattern  # noqa: E402
from worker_support import FAST_RESTARTS, process_of, small_pattern  # noqa: E402


@pytest.fixture
def runtime() -> Iterator[sl.Runtime]:
    rt = sl.Runtime(backoff=FAST_RESTARTS)
    try:
        yield rt
    finally:
        rt.close()


def chain(rt: sl.Runtime, **source: Any) -> tuple[Any, Any, Collector]:
    """src -> a (+3) -> b (+5) -> out, a and b each in a worker of its own."""
    src = rt.add(TestPattern, id="src", **small_pattern(**source))
    a = rt.add(AddGain, id="a", isolation="process", gain=3, error_policy="restart")
    b = rt.add(AddGain, id="b", isolation="process", gain=5, error_policy="restart")
    out = rt.add(Collector, id="out")
    rt.connect(src.video, a.video_in, profile="lossless")
    rt.connect(a.video_out, b.video_in, profile="lossless")
    rt.connect(b.video_out, out.video, profile="lossless")
    return rt.processor("a"), rt.processor("b"), rt.processor("out")


def test_two_isolated_stages_pass_every_frame_straight_and_in_order_and_the_run_ends(
    runtime: sl.Runtime,
) -> None:
    """A finite source's frames cross a -> b worker to worker, each changed by both; the
    end travels the same way, so the run ends; the parent's a -> b connection shows
    what the workers counted."""
    rt = runtime
    ref = rt.add(Collector, id="ref")
    frames = 40
    chain(rt, frames=frames, realtime=False)
    rt.connect("src.video", ref.video, profile="lossless")

    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED

    changed = rt.processor("out").received()
    original = rt.processor("ref").received()
    assert [f.frame_number for f in changed] == list(range(frames))
    for before, after in zip(original, changed, strict=True):
        expected = np.clip(before.to_ndarray().astype(np.int16) + 8, 0, 255).astype(np.uint8)
        np.testing.assert_array_equal(after.to_ndarray(), expected)
    between = rt.connection("a.video_out", "b.video_in").statistics()
    assert (between.written, between.delivered, between.dropped) == (frames, frames, 0)
    a, b = process_of(rt, "a"), process_of(rt, "b")
    assert (a["hops_out"], a["hops_out_direct"]) == (frames, frames)
    assert (b["hops_in"], b["hops_in_direct"]) == (frames, frames)
    assert (a["hops_in_direct"], b["hops_out_direct"]) == (0, 0)  # those went via the parent
    assert a["lost_in_crashes"] == b["lost_in_crashes"] == 0


def test_the_output_goes_direct_while_it_runs(runtime: sl.Runtime) -> None:
    rt = runtime
    a, b, out = chain(rt, fps=50)
    rt.start()
    wait_until(lambda: len(out.received()) >= 5, what="frames through both workers")
    assert a.goes_direct("video_out")
    assert not b.goes_direct("video_out")  # its consumer is in the parent
    between = rt.connection("a.video_out", "b.video_in")
    wait_until(lambda: between.statistics().delivered >= 5, what="the workers' counts")


def test_a_killed_consumer_worker_restarts_and_frames_flow_again(runtime: sl.Runtime) -> None:
    """b's worker killed by SIGKILL: its stand-in restarts it, the fresh one subscribes
    to the same channel and a's worker (waiting, lossless) carries on into it."""
    rt = runtime
    _, b, out = chain(rt, fps=50)
    rt.start()
    wait_until(lambda: len(out.received()) >= 5, what="frames through both workers")
    first = process_of(rt, "b")["pid"]
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: process_of(rt, "b")["pid"] != first, what="a fresh worker for b")
    seen = len(out.received())
    wait_until(lambda: len(out.received()) >= seen + 10, what="frames through the fresh worker")
    assert b.goes_direct("video_out") is False
    assert rt.statistics().processors["b"].restarts >= 1
    numbers = [f.frame_number for f in out.received()]
    assert numbers == sorted(numbers)  # whatever was lost, nothing came out of order


def test_a_second_consumer_connected_while_it_runs_switches_to_the_parent_and_both_get_frames(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    a, _, out = chain(rt, fps=50)
    rt.start()
    wait_until(lambda: len(out.received()) >= 5, what="frames through both workers")
    assert a.goes_direct("video_out")
    tap = rt.add(Collector, id="tap")
    rt.connect("a.video_out", tap.video)
    wait_until(lambda: len(tap.processor.received()) >= 5, what="frames at the second consumer")
    seen = len(out.received())
    wait_until(lambda: len(out.received()) >= seen + 5, what="frames at the first consumer")
    assert not a.goes_direct("video_out")


def test_a_consumer_that_fails_for_good_costs_its_producer_only_dropped_frames(
    runtime: sl.Runtime,
) -> None:
    """As in one process, where writes to a failed consumer are dropped and counted: the
    producer's worker keeps running once the channel's write timeout says the consumer
    is gone (no worker took its place), and counts what it drops."""
    from isolation_support import RaisesOnFrame

    rt = runtime
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    a = rt.add(AddGain, id="a", isolation="process")
    b = rt.add(RaisesOnFrame, id="b", isolation="process", error_policy="stop", fail_on=5)
    rt.connect(src.video, a.video_in, profile="lossless")
    rt.connect(a.video_out, b.video_in, profile="lossless")
    rt.start()
    wait_until(lambda: rt.processor_state("b") is sl.ProcessorState.FAILED, what="b failed")
    pid = process_of(rt, "a")["pid"]
    wait_until(
        lambda: process_of(rt, "a")["hop_drops_out"] > 0,
        timeout=WAIT_S + 10,  # the write timeout (5 s) first
        what="a to drop what b would have read",
    )
    assert rt.processor_state("a") is sl.ProcessorState.RUNNING
    assert process_of(rt, "a")["pid"] == pid  # the same worker: it never failed
    assert rt.statistics().processors["a"].errors == 0


def test_a_snapshot_or_tap_of_a_direct_output_says_where_to_look(runtime: sl.Runtime) -> None:
    from streamlib.control import PipelineHost, call_operation

    rt = runtime
    a, _, out = chain(rt, fps=50)
    rt.start()
    wait_until(lambda: len(out.received()) >= 3, what="frames through the chain")
    assert a.goes_direct("video_out")
    host = PipelineHost(runtime=rt)
    try:
        refused = call_operation(host, "snapshot", {"port": "a.video_out"})
        assert refused.is_error
        assert "straight to b.video_in's" in refused.structured["message"]
        shown = call_operation(host, "snapshot", {"port": "b.video_out"})  # the way round
        assert not shown.is_error, shown.structured
    finally:
        host.close()
