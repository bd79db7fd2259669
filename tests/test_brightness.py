"""The Brightness effect: what it does to each pixel format, and a live change."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import streamlib as sl
from runtime_support import running
from streamlib.processors import Brightness, Collector, TestPattern
from streamlib.testing import run_processor


def only_frame(outputs: dict[str, list[sl.Frame]]) -> sl.VideoFrame:
    (frame,) = outputs["video_out"]
    assert isinstance(frame, sl.VideoFrame)
    return frame


def ramp(shape: tuple[int, ...]) -> np.ndarray[Any, Any]:
    return (np.arange(int(np.prod(shape))) % 256).astype(np.uint8).reshape(shape)


def test_gain_and_offset_clamp() -> None:
    data = ramp((4, 64, 3))
    out = only_frame(
        run_processor(
            Brightness, {"gain": 2.0, "offset": -10}, inputs={"video_in": [sl.VideoFrame(data)]}
        )
    )
    expected = np.clip(data.astype(int) * 2 - 10, 0, 255)
    assert np.array_equal(out.to_ndarray(), expected)
    assert out.pixel_format is sl.PixelFormat.RGB24


def test_alpha_and_chroma_are_kept() -> None:
    rgba = ramp((4, 8, 4))
    out = only_frame(
        run_processor(Brightness, {"gain": 0.5}, inputs={"video_in": [sl.VideoFrame(rgba, "rgba")]})
    )
    assert np.array_equal(out.to_ndarray()[..., 3], rgba[..., 3])
    assert np.array_equal(out.to_ndarray()[..., :3], np.rint(rgba[..., :3] * 0.5))
    yuv = ramp((12, 8))
    out = only_frame(
        run_processor(
            Brightness, {"offset": 20}, inputs={"video_in": [sl.VideoFrame(yuv, "yuv420p")]}
        )
    )
    assert np.array_equal(out.to_ndarray()[8:], yuv[8:])  # chroma untouched
    assert np.array_equal(out.to_ndarray()[:8], np.clip(yuv[:8].astype(int) + 20, 0, 255))


def test_identity_passes_the_same_frame() -> None:
    frame = sl.VideoFrame(ramp((2, 2, 3)))
    assert run_processor(Brightness, inputs={"video_in": [frame]})["video_out"] == [frame]


@pytest.mark.parametrize("fuse", [True, False])
def test_live_gain_change_while_running(fuse: bool) -> None:
    with running(sl.Runtime(fuse=fuse)) as rt:
        src = rt.add(TestPattern, width=32, height=16, fps=200, pattern="checker")
        fx = rt.add(Brightness, id="fx")
        sink = rt.add(Collector, id="sink", max_frames=1000)
        rt.connect(src.video, fx.video_in)
        rt.connect(fx.video_out, sink.video)
        collector = rt.processor("sink")
        assert isinstance(collector, Collector)
        collector.wait_for(3)
        rt.update_config("fx", gain=0.0, offset=7)
        deadline_frames = len(collector.received()) + 200
        while True:
            frames = collector.wait_for(len(collector.received()) + 1)
            last = frames[-1]
            assert isinstance(last, sl.VideoFrame)
            if int(last.to_ndarray().max()) == 7:
                break
            assert len(frames) < deadline_frames, "the new gain never reached the output"
        assert np.all(last.to_ndarray() == 7)


@pytest.mark.parametrize("offset", [-255, -100, -1, 1, 17, 254, 255])
def test_an_offset_alone_clamps_exactly_like_the_table(offset: int) -> None:
    data = ramp((4, 64, 3))
    out = only_frame(
        run_processor(Brightness, {"offset": offset}, inputs={"video_in": [sl.VideoFrame(data)]})
    )
    assert np.array_equal(out.to_ndarray(), np.clip(data.astype(int) + offset, 0, 255))
