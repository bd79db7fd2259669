"""What the tests of processors in worker processes share, on the parent's side:
a quick restart policy, a tiny picture, a stand-in's ``process`` statistics, what
the workers said, and a registry for pipeline files naming the test processors.

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
