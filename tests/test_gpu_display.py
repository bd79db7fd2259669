"""The Display window on a real (virtual) X server: what it shows, input events, closing.

The X server is Xvfb, started by these tests; screenshots come from the X server
itself (ImageMagick's ``import``), key presses and clicks from ``xdotool``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from gpu_support import require_gpu, screenshot, x_server, x_tool
from runtime_support import WAIT_S, wait_until
from streamlib.processors import Display, TestPattern
from streamlib.testing import run_processor


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> str:
    require_gpu()
    server = x_server()
    monkeypatch.setenv("DISPLAY", server.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return server.display


class Events:
    """Custom events on ``input:*`` topics, as (topic, name, payload)."""

    def __init__(self, runtime: sl.Runtime) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._subscription = runtime.events.subscribe("input:*", self._on_event)

    def _on_event(self, event: Any) -> None:
        with self._lock:
            self.seen.append((event.topic, event.name, dict(event.payload)))

    def of(self, topic: str, name: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [p for t, n, p in self.seen if t == topic and name in (None, n)]


def run_with(
    runtime: sl.Runtime, action: Callable[[], None], *, duration: float = 30.0
) -> tuple[float, list[BaseException]]:
    """``runtime.run()`` on this (main) thread while ``action`` runs on another; returns
    how long run() took and what the action raised."""
    failures: list[BaseException] = []

    def act() -> None:
        try:
            action()
        except BaseException as error:
            failures.append(error)
            runtime.request_stop()

    worker = threading.Thread(target=act, daemon=True)
    start = time.monotonic()
    worker.start()
    runtime.run(duration_s=duration)
    elapsed = time.monotonic() - start
    worker.join(WAIT_S)
    return elapsed, failures


def shown(runtime: sl.Runtime, count: int = 3) -> Any:
    display: Any = runtime.processor("win")
    wait_until(lambda: getattr(display, "frames_shown", 0) >= count, what="frames in the window")
    return display


def test_the_window_shows_the_frame_we_sent(display: str) -> None:
    pattern = TestPattern(width=320, height=240, speed=0)
    with sl.Runtime() as rt:
        src = rt.add(pattern, id="src")
        win = rt.add(Display, id="win", width=320, height=240, scaling="stretch")
        rt.connect(src.video, win.video)
        pictures: list[np.ndarray[Any, Any]] = []

        def look() -> None:
            window = shown(rt)
            pictures.append(screenshot(window.x11_window_id(), display))
            rt.request_stop()

        _, failures = run_with(rt, look)
    assert not failures, failures
    expected = pattern._render("bars")[0][:, :320]  # the bars TestPattern sends (rgb24)
    (picture,) = pictures
    assert picture.shape == expected.shape
    assert int(np.abs(picture.astype(int) - expected.astype(int)).max()) <= 1


def test_letterbox_scaling_and_background(display: str) -> None:
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, id="src", width=320, height=60, speed=0)
        win = rt.add(Display, id="win", width=320, height=240, background=(0, 0, 90))
        rt.connect(src.video, win.video)
        pictures: list[np.ndarray[Any, Any]] = []

        def look() -> None:
            window = shown(rt)
            pictures.append(screenshot(window.x11_window_id(), display))
            rt.request_stop()

        _, failures = run_with(rt, look)
    assert not failures, failures
    (picture,) = pictures
    assert picture[10, 160].tolist() == [0, 0, 90]  # the bar above the 320x60 picture
    assert picture[230, 160].tolist() == [0, 0, 90]
    assert picture[120, 5].tolist() == [235, 235, 235]  # the white bar, centered vertically


def test_keyboard_and_mouse_reach_the_event_bus(display: str) -> None:
    with sl.Runtime() as rt:
        events = Events(rt)
        src = rt.add(TestPattern, id="src", width=160, height=120)
        win = rt.add(Display, id="win", width=320, height=240)
        rt.connect(src.video, win.video)

        def type_and_click() -> None:
            window_id = str(shown(rt).x11_window_id())
            x_tool("xdotool", "windowfocus", "--sync", window_id, display=display)
            x_tool("xdotool", "key", "--window", window_id, "a", "Escape", display=display)
            x_tool("xdotool", "mousemove", "--window", window_id, "50", "60", display=display)
            x_tool("xdotool", "click", "1", display=display)
            wait_until(lambda: bool(events.of("input:mouse", "release")), what="the click")
            wait_until(
                lambda: len(events.of("input:keyboard", "release")) >= 2, what="key releases"
            )
            rt.request_stop()

        _, failures = run_with(rt, type_and_click)
    assert not failures, failures
    pressed = [p["key"] for p in events.of("input:keyboard", "press")]
    assert pressed[:2] == ["a", "Escape"]
    assert events.of("input:keyboard", "char")[0]["text"] == "a"
    click = events.of("input:mouse", "press")[0]
    assert click["button"] == "left"
    assert (round(click["x"]), round(click["y"])) == (50, 60)
    assert events.of("input:mouse", "move")


def test_closing_the_window_stops_the_runtime(display: str) -> None:
    with sl.Runtime() as rt:
        events = Events(rt)
        src = rt.add(TestPattern, id="src", width=160, height=120)
        win = rt.add(Display, id="win", width=160, height=120)
        rt.connect(src.video, win.video)

        def close() -> None:
            window = shown(rt)
            rt.processor("win").ctx.run_on_main(window._window.request_close)  # type: ignore[union-attr]

        elapsed, failures = run_with(rt, close, duration=60.0)
    assert not failures, failures
    assert elapsed < 30  # stopped by the window, not by the duration
    assert rt.state is sl.RuntimeState.STOPPED
    assert events.of("input:window", "close")


def test_the_window_may_close_alone(display: str) -> None:
    with sl.Runtime() as rt:
        events = Events(rt)
        src = rt.add(TestPattern, id="src", width=160, height=120)
        win = rt.add(Display, id="win", width=160, height=120, close_stops_runtime=False)
        rt.connect(src.video, win.video)

        def close_then_check() -> None:
            window = shown(rt)
            rt.processor("win").ctx.run_on_main(window._window.request_close)  # type: ignore[union-attr]
            wait_until(lambda: bool(events.of("input:window", "close")), what="the close event")
            time.sleep(0.3)
            assert rt.state is sl.RuntimeState.RUNNING
            rt.request_stop()

        _, failures = run_with(rt, close_then_check)
    assert not failures, failures


def test_without_a_display_setup_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(sl.DeviceError, match=r"neither DISPLAY nor WAYLAND_DISPLAY.*xvfb-run"):
        run_processor(Display, inputs={"video": [sl.VideoFrame.blank(16, 16)]})
