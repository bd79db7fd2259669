"""Small real processors and helpers shared by the runtime tests.

Nothing here stands in for streamlib code: these are ordinary processors,
written the way a user would write them, that make what the runtime did visible
(which thread ran each call, how often setup ran, which numbers went out).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import streamlib as sl
from streamlib.core import Event, EventBus

WAIT_S = 10.0
"""Generous limit for correctness waits (never a performance bound)."""


def streamlib_threads() -> list[str]:
    """Names of live worker threads the runtime started."""
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("streamlib:"))


def wait_until(predicate: Callable[[], bool], *, timeout: float = WAIT_S, what: str = "") -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.002)


def numbers(frames: Sequence[sl.Frame]) -> list[int]:
    return [frame.frame_number for frame in frames]


def assert_no_gaps(values: Sequence[int], *, start: int | None = 0) -> None:
    """``values`` are consecutive integers (from ``start``, when given)."""
    assert values, "no frames arrived"
    if start is not None:
        assert values[0] == start, f"first frame is {values[0]}, expected {start}"
    gaps = [(a, b) for a, b in itertools.pairwise(values) if b != a + 1]
    assert not gaps, f"{len(gaps)} gaps or repeats, first: {gaps[:5]}"


class Counter(sl.Processor):
    """A timer source writing DataFrames numbered 0, 1, 2... (the count survives restarts)."""

    class Config(sl.ProcessorConfig):
        rate_hz: float = sl.live_field(500.0, gt=0)
        label: str = "counter"

    data = sl.Output(sl.DataFrame)

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.next_number = 0
        self.setups = 0
        self.teardowns = 0
        self.sent: list[sl.DataFrame] = []
        self.keep_sent = False

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.timer(self.config.rate_hz)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.setups += 1

    def process(self) -> None:
        frame = sl.DataFrame(self.config.label, frame_number=self.next_number)
        self.data.write(frame)  # a write that raises leaves the number unsent
        self.next_number += 1
        if self.keep_sent:
            self.sent.append(frame)

    def teardown(self) -> None:
        self.teardowns += 1
        super().teardown()


class Recorder(sl.Processor):
    """A data sink that notes every call and the thread each lifecycle step ran on."""

    data = sl.Input(sl.DataFrame, profile="lossless")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.received: list[sl.DataFrame] = []
        self.calls = 0
        self.setups = 0
        self.teardowns = 0
        self.threads: dict[str, set[str]] = {"setup": set(), "process": set(), "teardown": set()}

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.setups += 1
        self.threads["setup"].add(threading.current_thread().name)

    def process(self) -> None:
        self.calls += 1
        self.threads["process"].add(threading.current_thread().name)
        self.received.extend(self.data.read_all())

    def teardown(self) -> None:
        self.teardowns += 1
        self.threads["teardown"].add(threading.current_thread().name)
        super().teardown()


class Faulty(sl.Processor):
    """A data sink whose process() raises on calls listed in ``fail_calls`` (1-based)."""

    class Config(sl.ProcessorConfig):
        fail_calls: tuple[int, ...] = (1,)
        fail_always: bool = False

    data = sl.Input(sl.DataFrame, profile="lossless")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.calls = 0
        self.setups = 0
        self.teardowns = 0

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.setups += 1

    def process(self) -> None:
        self.calls += 1
        self.data.read_all()
        if self.config.fail_always or self.calls in self.config.fail_calls:
            raise ValueError(f"deliberate failure on call {self.calls}")

    def teardown(self) -> None:
        self.teardowns += 1
        super().teardown()


class SlowReader(sl.Processor):
    """Takes one frame per call and then sleeps: a consumer slower than its producer."""

    class Config(sl.ProcessorConfig):
        delay_s: float = 0.004

    data = sl.Input(sl.DataFrame, profile="lossless")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.received: list[sl.DataFrame] = []

    def process(self) -> None:
        frame = self.data.read()
        if frame is not None:
            self.received.append(frame)
            time.sleep(self.config.delay_s)


class Busy(sl.Processor):
    """Takes longer per call than its input's period, so new input is always waiting."""

    class Config(sl.ProcessorConfig):
        delay_s: float = 0.003

    data = sl.Input(sl.DataFrame, profile="fifo")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.calls = 0
        self.teardown_thread = ""

    def process(self) -> None:
        self.calls += 1
        self.data.read_all()
        time.sleep(self.config.delay_s)

    def teardown(self) -> None:
        self.teardown_thread = threading.current_thread().name
        super().teardown()


class EventLog:
    """Every event published on ``pattern``, kept for assertions (hold the object)."""

    def __init__(self, bus: EventBus, pattern: str = "*") -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._subscription = bus.subscribe(pattern, self._on_event)

    def _on_event(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type[Event]) -> list[Any]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]

    def close(self) -> None:
        self._subscription.close()


@contextmanager
def running(runtime: sl.Runtime) -> Iterator[sl.Runtime]:
    """Start ``runtime`` and always close it, then check no worker thread was left."""
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.close()
    assert streamlib_threads() == []
