"""Processors for bench/worker_crashes.py that die in one chosen way on their Nth frame.

A module of its own (not the script) so that the worker process imports it by name.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import streamlib as sl

WAYS = ("exception", "exit", "segfault", "kill")
"""How a worker dies: an exception in ``process``, ``os._exit(7)``, SIGSEGV, or
``kill -9`` from outside (here: the bench kills it; the processor only passes frames)."""


class CrashConfig(sl.ProcessorConfig):
    way: str = "exception"
    fail_on: int = 2


class CrashesOnFrame(sl.Processor[CrashConfig]):
    """Passes video on; dies on frame ``fail_on`` of each worker, as ``way`` says."""

    video_in = sl.Input(sl.VideoFrame, profile="lossless")
    video_out = sl.Output(sl.VideoFrame)

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.frames = 0

    def process(self) -> None:
        for frame in self.video_in.read_all():
            self.frames += 1
            if self.frames == self.config.fail_on:
                self._die()
            self.video_out.write(frame)

    def _die(self) -> None:
        way = self.config.way
        if way == "exception":
            raise RuntimeError(f"deliberate failure on frame {self.frames}")
        if way == "exit":
            os._exit(7)
        if way == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
            time.sleep(10)  # the signal arrives first
        # "kill": the bench sends SIGKILL from outside; nothing to do here
