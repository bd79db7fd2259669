"""What the tests of processors in worker processes share, on the parent's side:
a quick restart policy, a tiny picture, a flat-out chain through stages and the check
that every frame arrived, a stand-in's ``process`` statistics, what the workers said,
and a registry for pipeline files naming the test processors.

(The processors the workers run are in ``isolation_support``, which the workers
import; this module is for the test process only.)
"""

from __future__ import annotations

from typing import Any

import streamlib as sl
from isolation_support import AddGain
from runtime_support import EventLog, wait_until
from streamlib.core import RestartBackoff
from streamlib.processors import Collector, TestPattern

FAST_RESTARTS = RestartBackoff(initial_s=0.05, max_s=0.1)
"""Restart failed processors at once: the tests are about the crash, not the wait."""


def small_pattern(**config: Any) -> dict[str, Any]:
    """A tiny picture: the tests are about crossing, not pixels per second."""
    return {"width": 32, "height": 16, **config}


def flat_out_through(rt: sl.Runtime, *stages: Any, capacity: int | None = None) -> Collector:
    """``src`` (a small TestPattern, as fast as it is taken) -> each of ``stages`` (added
    processors with ``video_in``/``video_out``) -> ``out`` (a Collector that keeps every
    frame), all lossless (``capacity`` for the first connection); started, and running
    once 50 frames reached ``out``. Returns ``out``."""
    src = rt.add(TestPattern, id="src", **small_pattern(frames=10**6, realtime=False))
    out = rt.add(Collector, id="out", max_frames=10**6)
    upstream, options = src.video, ({} if capacity is None else {"capacity": capacity})
    for stage in stages:
        rt.connect(upstream, stage.video_in, profile="lossless", **options)
        upstream, options = stage.video_out, {}
    rt.connect(upstream, out.video, profile="lossless", **options)
    rt.start()
    collector = rt.processor("out")
    assert isinstance(collector, Collector)
    wait_until(lambda: len(collector.received()) >= 50, what="frames through to the sink")
    return collector


def every_frame_arrived(rt: sl.Runtime, collector: Collector) -> sl.RuntimeStatistics:
    """Check that every frame ``src`` made reached ``collector``, in order, and that no
    connection dropped one; the final statistics."""
    stats = rt.statistics()
    made = stats.processors["src"].frames_out
    numbers = [f.frame_number for f in collector.received()]
    assert numbers == list(range(made)), f"{made} made, {len(numbers)} reached the sink"
    assert all(c.dropped == 0 for c in stats.connections)
    return stats


def process_of(rt: sl.Runtime, processor_id: str) -> dict[str, Any]:
    """The ``process`` entry of the processor's statistics, once its worker runs
    (``start`` returns before it does)."""

    def found() -> dict[str, Any] | None:
        return rt.statistics().processors[processor_id].process

    wait_until(lambda: found() is not None, what=f"a worker process for {processor_id}")
    process = found()
    assert process is not None
    return process


def pids_that_said(log: EventLog, name: str) -> list[int]:
    """The worker pids that published ``name``, in order, each once."""
    pids: list[int] = []
    for event in log.of(sl.CustomEvent):
        if event.name == name and event.payload["pid"] not in pids:
            pids.append(event.payload["pid"])
    return pids


def errors_of(log: EventLog, processor_id: str) -> list[sl.ProcessorErrored]:
    return [e for e in log.of(sl.ProcessorErrored) if e.processor_id == processor_id]


def registry() -> sl.Registry:
    """The types the tests' pipeline files name."""
    names = sl.Registry()
    for processor in (TestPattern, Collector, AddGain):
        names.register(processor)
    return names
