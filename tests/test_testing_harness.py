"""streamlib.testing: the harness users test their own processors with."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import streamlib as sl
from streamlib.processors import Passthrough, TestPattern
from streamlib.testing import Collector, ManualClock, run_processor


class Invert(sl.Processor):
    """Invert the colors of each frame; asks the main thread for something in setup."""

    video_in = sl.Input(sl.VideoFrame)
    video_out = sl.Output(sl.VideoFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.setup_thread = ctx.run_on_main(threading.get_ident)

    def process(self) -> None:
        for frame in self.video_in.read_all():
            self.video_out.write(frame.replace(data=255 - frame.to_ndarray()))


def test_feeds_inputs_and_collects_outputs() -> None:
    frames = [
        sl.VideoFrame(np.full((2, 2, 3), value, np.uint8), frame_number=n)
        for n, value in enumerate((0, 100))
    ]
    out = run_processor(Invert, inputs={"video_in": frames})
    got = out["video_out"]
    assert [f.frame_number for f in got] == [0, 1]
    assert got[0].to_ndarray()[0, 0, 0] == 255
    assert got[1].to_ndarray()[0, 0, 0] == 155


def test_run_on_main_runs_inline_on_the_calling_thread() -> None:
    processor = Invert()
    run_processor(processor, inputs={"video_in": [sl.VideoFrame.blank(2, 2)]})
    assert processor.setup_thread == threading.get_ident()


def test_passthrough_hands_on_the_same_objects() -> None:
    frames = [sl.DataFrame(n) for n in range(3)]
    assert run_processor(Passthrough, inputs={"frames_in": frames})["frames_out"] == frames


def test_sources_run_a_given_number_of_calls_on_a_manual_clock() -> None:
    clock = ManualClock(start_ns=5_000)
    out = run_processor(TestPattern, {"width": 32, "height": 16}, calls=3, clock=clock)
    frames = out["video"]
    assert [f.frame_number for f in frames] == [0, 1, 2]
    # Frame n is stamped n / fps after the first: the pattern's own timeline.
    assert [f.timestamp_ns for f in frames] == [5_000, 5_000 + 33_333_333, 5_000 + 66_666_667]


def test_unknown_input_is_named() -> None:
    with pytest.raises(sl.UnknownPortError, match="did you mean 'video_in'"):
        run_processor(Invert, inputs={"video": []})


def test_a_failing_process_raises_into_the_test() -> None:
    class Broken(sl.Processor):
        data = sl.Input(sl.DataFrame)

        def process(self) -> None:
            raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        run_processor(Broken, inputs={"data": [sl.DataFrame(1)]})


def test_collector_is_exported() -> None:
    assert Collector.type_name == "Collector"
