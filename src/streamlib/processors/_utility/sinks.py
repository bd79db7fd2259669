"""Sinks that need no device: NullSink (counts) and Collector (keeps, for tests)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import Field

from ...core import (
    AudioFrame,
    DataFrame,
    Frame,
    Input,
    Processor,
    ProcessorConfig,
    VideoFrame,
)

__all__ = ["Collector", "NullSink"]


class FrameLog:
    """Frames kept as they arrive (the newest ``max_frames``), and a wait until there are enough.

    :class:`Collector` keeps one per input, for tests. ``add`` runs on the sink's
    worker, ``wait_until`` on any other thread::

        log = FrameLog(100)
        log.wait_until(lambda frames: len(frames) >= 10, timeout_s=5)  # False: timed out
    """

    def __init__(self, max_frames: int) -> None:
        self.frames: deque[Frame] = deque(maxlen=max_frames)
        self.arrivals_ns: deque[int] = deque(maxlen=max_frames)
        self._arrived = threading.Condition()

    def add(self, batch: Iterable[Frame]) -> None:
        """Keep ``batch`` (stamped with its arrival time) and wake the waiters."""
        kept = list(batch)
        with self._arrived:
            self.frames.extend(kept)
            self.arrivals_ns.extend([time.monotonic_ns()] * len(kept))
            self._arrived.notify_all()

    def wait_until(self, enough: Callable[[deque[Frame]], bool], *, timeout_s: float) -> bool:
        """Wait until ``enough(frames)`` holds; ``False`` when ``timeout_s`` ran out first."""
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            while not enough(self.frames):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._arrived.wait(remaining)
            return True

    def snapshot(self) -> list[Frame]:
        """A copy of the frames kept now."""
        with self._arrived:
            return list(self.frames)


class NullSink(Processor[ProcessorConfig]):
    """Consume video, audio and data and throw them away, counting what arrived.

    Use it to end a branch you only want statistics for, or to measure a
    pipeline's throughput without any output cost. Connect any of its inputs.
    """

    tags = ("sink", "utility")

    video = Input(VideoFrame, description="Video to drop (newest first, depth 3).")
    audio = Input(AudioFrame, description="Audio to drop (in order).")
    data = Input(DataFrame, description="Data to drop (in order).")

    def __init__(
        self, config: ProcessorConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        self.counts = {"video": 0, "audio": 0, "data": 0}

    def process(self) -> None:
        counts = self.counts
        for name, port in self.inputs.items():
            counts[name] += len(port.read_all())


class CollectorConfig(ProcessorConfig):
    max_frames: int = Field(10_000, ge=1, description="Keep at most this many per input.")


class Collector(Processor[CollectorConfig]):
    """Keep every frame that arrives, for tests to inspect (``streamlib.testing``).

    Its inputs are ``lossless`` by default, so what a test sees is everything the
    producer wrote. ``wait_for`` blocks until enough frames came in::

        sink = rt.add(Collector, id="sink")
        rt.connect(src.video, sink.video)
        rt.start()
        collector = rt.processor("sink")
        frames = collector.wait_for(10, port="video", timeout_s=5)
    """

    tags = ("sink", "test")

    video = Input(VideoFrame, profile="lossless", description="Video to keep.")
    audio = Input(AudioFrame, profile="lossless", description="Audio to keep.")
    data = Input(DataFrame, profile="lossless", description="Data to keep.")

    def __init__(
        self, config: CollectorConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        self.logs = {name: FrameLog(self.config.max_frames) for name in self.inputs}
        self.frames: dict[str, deque[Frame]] = {name: log.frames for name, log in self.logs.items()}
        self.arrivals_ns: dict[str, deque[int]] = {
            name: log.arrivals_ns for name, log in self.logs.items()
        }

    def process(self) -> None:
        for name, port in self.inputs.items():
            batch = port.read_all()
            if batch:
                self.logs[name].add(batch)

    def received(self, port: str = "video") -> list[Frame]:
        """A copy of the frames kept so far on ``port``."""
        return self.logs[port].snapshot()

    def wait_for(self, count: int, *, port: str = "video", timeout_s: float = 5.0) -> list[Frame]:
        """Block until ``count`` frames arrived on ``port`` (or raise ``TimeoutError``)."""
        log = self.logs[port]
        if not log.wait_until(lambda frames: len(frames) >= count, timeout_s=timeout_s):
            raise TimeoutError(
                f"{port}: {len(log.frames)} of {count} frames arrived within {timeout_s} s"
            )
        return log.snapshot()
