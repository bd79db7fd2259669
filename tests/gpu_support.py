"""What the GPU tests share: the GPU context, a virtual X server, screenshots, a harness.

The GPU is whatever ``shared_gpu_context()`` finds: on machines without one,
Mesa's lavapipe (``mesa-vulkan-drivers``), which renders on the CPU. The X
server is a real Xvfb, started once per test process by the first test that
asks for it and stopped when the process exits. Tests skip, saying why, where
these are not installed (``scripts/apt/gpu.txt`` lists them).
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from streamlib.core import (
    Connection,
    DeliveryProfile,
    EventBus,
    GpuError,
    MonotonicClock,
    PortRef,
    ProcessorId,
)
from streamlib.gpu import GpuContext, shared_gpu_context
from streamlib.runtime import MainThreadQueue, RuntimeContext

TOLERANCE = 1
"""Largest difference (in 0..255 levels) allowed between a GPU result and its numpy
reference: the GPU computes in float32 and rounds once, like the references."""


def require_gpu() -> GpuContext:
    """The shared GPU context, or skip the test saying what is missing."""
    try:
        return shared_gpu_context()
    except GpuError as error:
        pytest.skip(f"no GPU adapter (apt-get install mesa-vulkan-drivers): {error}")


def max_difference(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> int:
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    return int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max())


# -- driving one processor by hand (process() calls at times the test picks) ----------


class Harness:
    """One processor with real connections on its ports, set up and called by the test."""

    def __init__(self, processor: sl.Processor) -> None:
        self.processor = processor
        self.events = EventBus()
        self.feeds: dict[str, Connection[Any]] = {}
        self.outputs: dict[str, Connection[Any]] = {}
        me = ProcessorId("under_test")
        for name, port in processor.inputs.items():
            feed: Connection[Any] = Connection(
                PortRef(ProcessorId("feeder"), "out"), PortRef(me, name),
                DeliveryProfile.LATEST, 4,
            )  # fmt: skip
            port.attach(feed)
            self.feeds[name] = feed
        for name, port in processor.outputs.items():
            out: Connection[Any] = Connection(
                PortRef(me, name), PortRef(ProcessorId("reader"), "in"),
                DeliveryProfile.LOSSLESS, 1000,
            )  # fmt: skip
            out.inline_consumer = True
            port.attach(out)
            self.outputs[name] = out
        self.stop_requests = 0
        self.context = RuntimeContext(
            me,
            self.events,
            MonotonicClock(),
            MainThreadQueue(),
            request_stop=self._count_stop_request,
            statistics=lambda: {"processors": {}, "connections": []},  # no runtime around it
        )
        processor.setup(self.context)

    def _count_stop_request(self) -> None:
        self.stop_requests += 1

    def feed(self, port: str, frame: sl.Frame) -> None:
        self.feeds[port].push(frame, time.monotonic_ns())

    def step(self) -> list[Any]:
        """Call ``process()`` once; what it wrote, by output, oldest first."""
        self.processor.process()
        return [frame for out in self.outputs.values() for frame in out.pop_all()]

    def close(self) -> None:
        self.processor.teardown()
        self.events.close()


def run_effect(
    processor: type[sl.Processor],
    config: Mapping[str, Any] | None,
    frames: Sequence[sl.VideoFrame],
) -> list[sl.VideoFrame]:
    """Each frame through a fresh ``processor``, one process() call per frame."""
    harness = Harness(processor(config))
    try:
        out = []
        for frame in frames:
            harness.feed("video_in", frame)
            out.extend(harness.step())
        return out
    finally:
        harness.close()


# -- the X server ----------------------------------------------------------------------


class XServer:
    """A private Xvfb with one 1280x800 screen."""

    def __init__(self) -> None:
        self.display = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("Xvfb")
        if binary is None:
            pytest.skip("Xvfb is not installed (apt-get install xvfb)")
        for number in range(91, 140):
            if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
                continue
            process = subprocess.Popen(
                [binary, f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and process.poll() is None:
                if Path(f"/tmp/.X11-unix/X{number}").exists():
                    self.display, self.process = f":{number}", process
                    return
                time.sleep(0.05)
            process.kill()
            process.wait()
        pytest.skip("could not start Xvfb on any display :91 to :139")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


_xserver: XServer | None = None
_xserver_lock = threading.Lock()


def x_server() -> XServer:
    """The test process's Xvfb, started on first use and stopped when the process ends."""
    global _xserver
    with _xserver_lock:
        if _xserver is None:
            server = XServer()
            server.start()
            atexit.register(server.stop)
            _xserver = server
        return _xserver


def x_tool(name: str, *args: str, display: str) -> subprocess.CompletedProcess[bytes]:
    """Run an X client tool (xdotool, import) against ``display``; skip if missing."""
    binary = shutil.which(name)
    if binary is None:
        pytest.skip(f"{name} is not installed (see scripts/apt/gpu.txt)")
    return subprocess.run(
        [binary, *args], env={**os.environ, "DISPLAY": display},
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def screenshot(window_id: int, display: str) -> np.ndarray[Any, Any]:
    """The window's pixels as the X server has them, (height, width, 3) RGB."""
    from PIL import Image

    png = x_tool("import", "-window", str(window_id), "png:-", display=display).stdout
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))
