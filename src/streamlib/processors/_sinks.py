"""Sinks that need no device: NullSink (counts) and Collector (keeps, for tests)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from pydantic import Field

from ..core import (
    AudioFrame,
    DataFrame,
    Frame,
    Input,
    Processor,
    ProcessorConfig,
    VideoFrame,
)

__all__ = ["Collector", "NullSink"]


class NullSink(Processor):
    """Consume video, audio and data and throw them away, counting what arrived.

    Use it to end a branch you only want statistics for, or to measure a
    pipeline's throughput without any output cost. Connect any of its inputs.
    """

    tags = ("sink", "utility")

    video = Input(VideoFrame, description="Video to drop (newest first, depth 3).")
    audio = Input(AudioFrame, description="Audio to drop (in order).")
    data = Input(DataFrame, description="Data to drop (in order).")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.counts = {"video": 0, "audio": 0, "data": 0}

    def process(self) -> None:
        counts = self.counts
        for name, port in self.inputs.items():
            counts[name] += len(port.read_all())


class Collector(Processor):
    """Keep every frame that arrives, for tests to inspect (``streamlib.testing``).

    Its inputs are ``lossless`` by default, so what a test sees is everything the
    producer wrote. ``wait_for`` blocks until enough frames came in::

        sink = rt.add(Collector, id="sink")
        rt.connect(src.video, sink.video)
        rt.start()
        collector = rt.processor("sink")
        frames = collector.wait_for(10, port="video", timeout=5)
    """

    tags = ("sink", "test")

    class Config(ProcessorConfig):
        max_frames: int = Field(10_000, ge=1, description="Keep at most this many per input.")

    video = Input(VideoFrame, profile="lossless", description="Video to keep.")
    audio = Input(AudioFrame, profile="lossless", description="Audio to keep.")
    data = Input(DataFrame, profile="lossless", description="Data to keep.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        limit = self.config.max_frames
        self.frames: dict[str, deque[Frame]] = {name: deque(maxlen=limit) for name in self.inputs}
        self.arrivals_ns: dict[str, deque[int]] = {
            name: deque(maxlen=limit) for name in self.inputs
        }
        self._arrived = threading.Condition()

    def process(self) -> None:
        got = False
        for name, port in self.inputs.items():
            batch = port.read_all()
            if batch:
                now = time.monotonic_ns()
                self.frames[name].extend(batch)
                self.arrivals_ns[name].extend([now] * len(batch))
                got = True
        if got:
            with self._arrived:
                self._arrived.notify_all()

    def received(self, port: str = "video") -> list[Frame]:
        """A copy of the frames kept so far on ``port``."""
        return list(self.frames[port])

    def wait_for(self, count: int, *, port: str = "video", timeout: float = 5.0) -> list[Frame]:
        """Block until ``count`` frames arrived on ``port`` (or raise ``TimeoutError``)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.frames[port]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{port}: {len(self.frames[port])} of {count} frames arrived "
                        f"within {timeout} s"
                    )
                self._arrived.wait(remaining)
        return list(self.frames[port])
