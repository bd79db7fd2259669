"""Processors for the process-isolation tests (tests/test_isolation.py).

They live at module level in an importable module because the worker process
imports them by module and name. Each makes visible where it ran (its pid comes
back in a ``CustomEvent``) or fails in one particular way on a chosen frame.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import numpy as np

import streamlib as sl

TOPIC = "isolation-test"
"""The topic of every event these processors publish."""


def publish(processor: sl.Processor, name: str, **payload: Any) -> None:
    ctx = processor.ctx
    assert ctx is not None
    ctx.events.publish(
        sl.CustomEvent(
            custom_topic=TOPIC,
            name=name,
            payload={"pid": os.getpid(), **payload},
            timestamp_ns=ctx.clock.now_ns(),
        )
    )


class GainConfig(sl.ProcessorConfig):
    gain: int = sl.live_field(10, ge=0, le=100, description="Added to every pixel.")


class AddGain(sl.Processor[GainConfig]):
    """Adds ``gain`` to every pixel; says ``started`` (with its pid) on its first frame."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.frames = 0

    def process(self) -> None:
        for frame in self.video_in.read_all():
            if self.frames == 0:
                publish(self, "started")
            self.frames += 1
            pixels = frame.to_ndarray().astype(np.int16) + self.config.gain
            self.video_out.write(frame.replace(data=np.clip(pixels, 0, 255).astype(np.uint8)))


class FailConfig(sl.ProcessorConfig):
    fail_on: int = sl.live_field(5, ge=1, description="The 1-based frame it fails on.")
    status: int = 7


class _FailsOnFrame(sl.Processor[FailConfig]):
    """Passes video on unchanged and fails (as the subclass says) on frame ``fail_on``
    of each process: a fresh worker counts from one again."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.frames = 0

    def process(self) -> None:
        for frame in self.video_in.read_all():
            if self.frames == 0:
                publish(self, "started")
            self.frames += 1
            if self.frames == self.config.fail_on:
                self.fail()
            self.video_out.write(frame)

    def fail(self) -> None:
        raise NotImplementedError


class RaisesOnFrame(_FailsOnFrame):
    def fail(self) -> None:
        raise ValueError(f"deliberate failure on frame {self.frames}")


class SegfaultsOnFrame(_FailsOnFrame):
    def fail(self) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(10)  # the signal arrives first


class ExitsOnFrame(_FailsOnFrame):
    def fail(self) -> None:
        os._exit(self.config.status)


class PidSink(sl.Processor):
    """A sink: counts what arrives and says ``seen`` with the count for every frame."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.frames = 0

    def process(self) -> None:
        for frame in self.video_in.read_all():
            self.frames += 1
            publish(self, "seen", count=self.frames, frame_number=frame.frame_number)


class TickConfig(sl.ProcessorConfig):
    rate_hz: float = 50.0
    frames: int | None = None


class Ticks(sl.Processor[TickConfig]):
    """A paced source of DataFrames numbered 0, 1, 2... whose payload says when (system
    monotonic clock, comparable between processes) and where each was made; it ends
    after ``frames`` frames when that is set."""

    data = sl.Output(sl.DataFrame)

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.next_number = 0

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.timer(self.config.rate_hz)

    def process(self) -> None:
        payload = {"made_s": time.monotonic(), "pid": os.getpid()}
        self.data.write(sl.DataFrame(payload, frame_number=self.next_number))
        self.next_number += 1
        if self.config.frames is not None and self.next_number >= self.config.frames:
            self.end_outputs()
