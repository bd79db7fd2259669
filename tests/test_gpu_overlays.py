"""Overlays drawn on the GPU: text (caption, lower third, clock, live text), a logo, performance."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import streamlib as sl
from gpu_support import Harness, require_gpu
from streamlib.processors import ImageOverlay, PerformanceOverlay, TextOverlay
from streamlib.processors._gpu._overlay_drawing import text_panel
from streamlib.processors._gpu.performance_overlay import statistics_lines

GRAY = 60


@pytest.fixture(autouse=True)
def _gpu() -> None:
    require_gpu()


def gray_frame(width: int = 320, height: int = 180, **fields: Any) -> sl.VideoFrame:
    return sl.VideoFrame(np.full((height, width, 3), GRAY, np.uint8), "rgb24", **fields)


def overlay(processor: sl.Processor, *frames: sl.VideoFrame) -> list[np.ndarray[Any, Any]]:
    harness = Harness(processor)
    try:
        pictures = []
        for frame in frames:
            harness.feed("video_in", frame)
            (out,) = harness.step()
            assert out.is_on_gpu
            pictures.append(out.to_ndarray())
        return pictures
    finally:
        harness.close()


def changed(picture: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Where the picture differs from the plain gray frame."""
    return np.argwhere((picture != GRAY).any(axis=2))


def test_caption_is_drawn_at_its_anchor() -> None:
    (picture,) = overlay(
        TextOverlay(text="Hello", anchor="top-right", margin=10, background=(255, 0, 0, 255)),
        gray_frame(),
    )
    ys, xs = changed(picture).T
    assert ys.min() == 10
    assert xs.max() == 320 - 10 - 1
    assert xs.min() > 160  # on the right
    assert picture[11, 318 - 10].tolist() == [255, 0, 0]  # the opaque red panel
    texty = (picture[ys, xs] == 255).all(axis=1).sum()
    assert texty > 20  # white text pixels inside it


def test_lower_third_spans_the_width_above_the_bottom() -> None:
    (picture,) = overlay(
        TextOverlay(text="Jane Doe|Reporter", style="lower_third", background=(0, 0, 0, 255)),
        gray_frame(),
    )
    ys, xs = changed(picture).T
    assert (xs.min(), xs.max()) == (0, 319)
    assert ys.max() == 180 - 180 // 6 - 1
    assert ys.min() > 180 // 3  # in the lower part


def test_a_translucent_panel_blends() -> None:
    (picture,) = overlay(
        TextOverlay(text="x", anchor="top-left", margin=0, background=(200, 200, 200, 128)),
        gray_frame(),
    )
    expected = round(200 * 128 / 255 + GRAY * (1 - 128 / 255))
    assert abs(int(picture[1, 1, 0]) - expected) <= 1


def test_text_from_the_data_input_replaces_the_config() -> None:
    processor = TextOverlay(text="A", anchor="top-left", background=(0, 0, 0, 255))
    harness = Harness(processor)
    try:
        harness.feed("video_in", gray_frame())
        (first,) = harness.step()
        harness.feed("text", sl.DataFrame({"text": "A much longer caption"}))
        harness.feed("video_in", gray_frame())
        (second,) = harness.step()
    finally:
        harness.close()
    width_of = lambda out: int(changed(out.to_ndarray())[:, 1].max())  # noqa: E731
    assert width_of(second) > width_of(first) + 50


def test_clock_shows_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    processor = TextOverlay(style="clock", clock_format="%H:%M:%S", anchor="top-left")
    monkeypatch.setattr(time, "strftime", lambda fmt: "12:34:56")
    (clock,) = overlay(processor, gray_frame())
    expected = text_panel(["12:34:56"], size=32, color=(255, 255, 255, 255),
                          background=(0, 0, 0, 160), padding=10)  # fmt: skip
    ys, xs = changed(clock).T
    assert (xs.max() - xs.min() + 1, ys.max() - ys.min() + 1) == expected.shape[1::-1]


def test_image_overlay_keeps_the_logo_alpha(tmp_path: Path) -> None:
    logo = np.zeros((20, 40, 4), np.uint8)
    logo[:, :20] = (255, 0, 0, 255)  # opaque red half
    logo[:, 20:] = (0, 0, 255, 0)  # fully transparent half
    path = tmp_path / "logo.png"
    Image.fromarray(logo, "RGBA").save(path)
    (picture,) = overlay(ImageOverlay(path=str(path), anchor="top-left", margin=5), gray_frame())
    assert picture[10, 10].tolist() == [255, 0, 0]
    assert picture[10, 35].tolist() == [GRAY, GRAY, GRAY]  # transparent: the video shows
    (faded,) = overlay(ImageOverlay(path=str(path), anchor="top-left", alpha=0.5), gray_frame())
    assert abs(int(faded[30, 30, 0]) - round(255 * 0.5 + GRAY * 0.5)) <= 1


def test_image_overlay_resizes_and_reports_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    Image.fromarray(np.full((20, 40, 4), 255, np.uint8), "RGBA").save(path)
    (picture,) = overlay(
        ImageOverlay(path=str(path), anchor="top-left", margin=0, width=80), gray_frame()
    )
    ys, xs = changed(picture).T
    assert (xs.max() + 1, ys.max() + 1) == (80, 40)
    with pytest.raises(sl.ConfigError, match="cannot read the image"):
        overlay(ImageOverlay(path=str(tmp_path / "missing.png")), gray_frame())


def test_performance_overlay_measures_and_lists_processors() -> None:
    processor = PerformanceOverlay(refresh_s=0.01)
    harness = Harness(processor)
    stats = {
        "processors": {"camera": {"fps": 29.97, "process_ms_p50": 1.25}, "fx": {"fps": 30.0}},
        "connections": [{"to": "fx.video_in", "dropped": 4}],
    }
    try:
        harness.feed("stats", sl.DataFrame(stats))
        for _ in range(4):
            now = harness.context.clock.now_ns()
            harness.feed("video_in", gray_frame(timestamp_ns=now - 5_000_000))
            (out,) = harness.step()
            time.sleep(0.02)
        lines = processor.lines()
    finally:
        harness.close()
    assert lines[0].endswith("0 dropped")
    fps = float(lines[0].split()[0])
    latency = float(lines[0].split()[3])
    assert 5 < fps < 200
    assert latency >= 5.0
    assert lines[1:] == ["camera: 30.0 fps  1.25 ms  0 dropped", "fx: 30.0 fps  -  4 dropped"]
    assert len(changed(out.to_ndarray())) > 100  # the panel is on the picture


def test_statistics_lines_limit() -> None:
    stats = {"processors": {f"p{i}": {"fps": 1.0} for i in range(5)}, "connections": []}
    assert len(statistics_lines(stats, limit=2)) == 2
