"""Compositor layouts by pixel probes; alpha, z order and quiet inputs."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from gpu_support import Harness, require_gpu
from streamlib.gpu import fit_rect
from streamlib.processors import Compositor
from streamlib.processors._gpu._compositor_layout import LayerConfig, plan_layout

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
BLACK = (0, 0, 0)


def solid(color: tuple[int, int, int], width: int = 160, height: int = 90) -> sl.VideoFrame:
    return sl.VideoFrame(np.full((height, width, 3), color, np.uint8), "rgb24")


@pytest.fixture
def compositor() -> Any:
    require_gpu()
    made: list[Harness] = []

    def make(**config: Any) -> Harness:
        harness = Harness(Compositor(width=320, height=180, **config))
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


def compose(harness: Harness, inputs: dict[int, sl.VideoFrame]) -> np.ndarray[Any, Any]:
    for index, frame in inputs.items():
        harness.feed(f"video_in_{index}", frame)
    (out,) = harness.step()
    assert out.is_on_gpu
    return out.to_ndarray()


def probe(picture: np.ndarray[Any, Any], x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in picture[y, x])


def test_picture_in_picture(compositor: Any) -> None:
    mix = compositor(layout="pip", pip_scale=0.25, pip_margin=10, pip_corner="bottom-right")
    picture = compose(mix, {0: solid(RED), 1: solid(BLUE)})
    # input 1 is an 80x45 window 10 px from the bottom-right corner: x 230..310, y 125..170
    assert probe(picture, 5, 5) == RED
    assert probe(picture, 270, 147) == BLUE
    assert probe(picture, 315, 175) == RED  # the margin shows the main picture
    assert probe(picture, 225, 147) == RED


def test_pip_corner_and_stacking(compositor: Any) -> None:
    mix = compositor(layout="pip", pip_scale=0.25, pip_margin=10, pip_corner="top-left")
    picture = compose(mix, {0: solid(RED), 1: solid(BLUE), 2: solid(GREEN)})
    assert probe(picture, 50, 32) == BLUE  # first window: y 10..55
    assert probe(picture, 50, 87) == GREEN  # second below it: y 65..110
    assert probe(picture, 200, 90) == RED


def test_grid(compositor: Any) -> None:
    mix = compositor(layout="grid", fit="stretch")
    colors = {0: RED, 1: GREEN, 2: BLUE, 3: WHITE}
    picture = compose(mix, {i: solid(c) for i, c in colors.items()})
    assert probe(picture, 80, 45) == RED
    assert probe(picture, 240, 45) == GREEN
    assert probe(picture, 80, 135) == BLUE
    assert probe(picture, 240, 135) == WHITE


def test_grid_letterboxes_pictures_of_another_shape(compositor: Any) -> None:
    mix = compositor(layout="grid", background=(10, 20, 30))
    picture = compose(mix, {0: solid(RED), 1: solid(GREEN)})  # two 160x180 cells, 16:9 inputs
    assert probe(picture, 80, 90) == RED
    assert probe(picture, 80, 10) == (10, 20, 30)  # bar above the letterboxed picture
    assert probe(picture, 240, 90) == GREEN


def test_explicit_rectangles_with_alpha_and_z(compositor: Any) -> None:
    layers = [
        {"input": 0, "x": 0, "y": 0, "width": 200, "height": 100, "z": 1},
        {"input": 1, "x": 100, "y": 50, "width": 200, "height": 100, "alpha": 0.5, "z": 2},
        {"input": 2, "x": 150, "y": 0, "width": 20, "height": 20, "z": 0},
    ]
    mix = compositor(layout="rects", layers=layers, fit="stretch")
    picture = compose(mix, {0: solid(RED), 1: solid(BLUE), 2: solid(GREEN), 3: solid(WHITE)})
    assert probe(picture, 50, 25) == RED
    assert probe(picture, 250, 125) == (0, 0, 128)  # half blue over black
    half = probe(picture, 150, 75)  # half blue over red
    assert abs(half[0] - 128) <= 1
    assert half[1] == 0
    assert abs(half[2] - 128) <= 1
    assert probe(picture, 160, 10) == RED  # green (z 0) is under red (z 1)
    assert probe(picture, 310, 170) == BLACK  # input 3 has no rectangle: not shown


def test_z_order_changes_live(compositor: Any) -> None:
    mix = compositor(layout="rects", fit="stretch", layers=[
        {"input": 0, "x": 0, "y": 0, "width": 320, "height": 180, "z": 2},
        {"input": 1, "x": 0, "y": 0, "width": 320, "height": 180, "z": 1},
    ])  # fmt: skip
    assert probe(compose(mix, {0: solid(RED), 1: solid(BLUE)}), 160, 90) == RED
    processor = mix.processor
    processor.config = processor.config.updated(
        {"layers": [{**layer.model_dump(), "z": 5 - layer.z} for layer in processor.config.layers]},
        owner="test",
    )
    assert probe(compose(mix, {}), 160, 90) == BLUE  # same held frames, new stacking


def test_a_quiet_input_is_held_then_disappears(compositor: Any) -> None:
    mix = compositor(layout="grid", fit="stretch", hold_s=0.3)
    picture = compose(mix, {0: solid(RED), 1: solid(BLUE)})
    assert probe(picture, 240, 90) == BLUE
    mix.feed("video_in_0", solid(RED))
    (held,) = mix.step()  # input 1 sent nothing new: its last frame stays
    assert probe(held.to_ndarray(), 240, 90) == BLUE
    assert mix.processor.held_inputs() == [0, 1]
    time.sleep(0.4)
    mix.feed("video_in_0", solid(RED))
    (gone,) = mix.step()
    assert mix.processor.held_inputs() == [0]
    assert probe(gone.to_ndarray(), 240, 90) == RED  # input 0 now fills the grid alone


def test_output_pixel_format_and_numbering(compositor: Any) -> None:
    mix = compositor(pixel_format="bgra")
    first = mix.step()[0]
    second = mix.step()[0]
    assert first.pixel_format is sl.PixelFormat.BGRA
    assert (first.frame_number, second.frame_number) == (0, 1)
    assert second.timestamp_ns >= first.timestamp_ns
    assert first.to_ndarray()[0, 0].tolist() == [0, 0, 0, 255]


def test_layout_geometry() -> None:
    plan = plan_layout(
        layout="pip", layers=(LayerConfig(input=1, alpha=0.5),), fit="letterbox",
        pip_scale=0.3, pip_corner="bottom-right", pip_margin=24,
        active={0: (1920, 1080), 1: (640, 480)}, size=(1280, 720),
    )  # fmt: skip
    assert [(p.input, p.z, p.alpha) for p in plan] == [(0, 0, 1.0), (1, 1, 0.5)]
    assert plan[0].rect == (0.0, 0.0, 1280.0, 720.0)
    x, y, w, h = plan[1].rect  # 4:3 letterboxed into a 384x216 window
    assert (round(w), round(h)) == (288, 216)
    assert (round(x + w), round(y + h)) == (1280 - 24 - 48, 720 - 24)


def test_fit_rect() -> None:
    assert fit_rect((0, 0, 100, 100), (200, 100), "letterbox") == ((0, 25, 100, 50), (0, 0, 1, 1))
    assert fit_rect((0, 0, 100, 100), (200, 100), "crop") == ((0, 0, 100, 100), (0.25, 0, 0.75, 1))
    assert fit_rect((0, 0, 100, 100), (200, 100), "stretch") == ((0, 0, 100, 100), (0, 0, 1, 1))


def test_compositor_config_is_checked() -> None:
    with pytest.raises(sl.ConfigError, match=r"layers\.0\.input"):
        Compositor(layers=[{"input": 9}])
    with pytest.raises(sl.ConfigError, match="layout"):
        Compositor(layout="mosaic")
