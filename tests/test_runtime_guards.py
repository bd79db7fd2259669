"""Guards around the hot path: pause vs lossless waits, per-frame type checks, thread
affinity, and processors that misbehave in unusual ways."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import streamlib as sl
from runtime_support import EventLog, wait_until
from streamlib.core import Connection, DeliveryProfile, PortRef, ProcessorErrored
from streamlib.processors import Collector, NullSink, Passthrough, TestPattern, ToneSource


def test_a_held_lossless_wait_does_not_time_out() -> None:
    """While the runtime is paused, a producer waiting for room waits as long as it takes."""
    connection: Connection[sl.DataFrame] = Connection(
        PortRef.parse("a.out"), PortRef.parse("b.in"), DeliveryProfile.LOSSLESS, 1,
        write_timeout_s=0.05,
    )  # fmt: skip
    connection.push(sl.DataFrame(0), 0)
    connection.on_hold = True
    outcome: list[BaseException | None] = []

    def produce() -> None:
        try:
            connection.push(sl.DataFrame(1), 0)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(0.3)  # six write timeouts
    assert outcome == []  # still waiting, no BackpressureTimeout
    connection.on_hold = False
    assert connection.pop() is not None
    producer.join(timeout=5)
    assert outcome == [None]
    assert connection.pop().payload == 1  # type: ignore[union-attr]


def test_a_generic_output_is_checked_frame_by_frame() -> None:
    """A passthrough may feed a video input, but audio sent through it is refused, loudly."""
    with sl.Runtime() as rt:
        log = EventLog(rt.events, "processor:*")
        tone = rt.add(ToneSource, id="tone")
        tee = rt.add(Passthrough, id="tee")
        sink = rt.add(Collector, id="sink")
        rt.connect(tone.audio, tee.frames_in)
        rt.connect(tee.frames_out, sink.video)  # allowed: the passthrough could carry video
        rt.start()
        wait_until(lambda: bool(log.of(ProcessorErrored)), what="an error event")
        error = log.of(ProcessorErrored)[0]
        assert error.processor_id == "tee"
        assert error.error_type == "FrameError"
        assert "sink.video takes VideoFrame" in error.message
        assert rt.processor("sink").received("video") == []  # type: ignore[attr-defined]
        log.close()


def test_an_any_channel_output_is_checked_against_a_stereo_input() -> None:
    connection: Connection[sl.AudioFrame] = Connection(
        PortRef.parse("a.out"), PortRef.parse("b.in"), DeliveryProfile.FIFO, 4
    )
    connection.expected = sl.AudioFrame[2]
    connection.push(sl.AudioFrame(np.zeros((8, 2), np.float32), 48_000), 0)
    with pytest.raises(sl.FrameError, match="1-channel audio"):
        connection.push(sl.AudioFrame(np.zeros((8, 1), np.float32), 48_000), 0)
    assert len(connection) == 1


def test_port_names_may_not_hide_processor_attributes() -> None:
    with pytest.raises(TypeError, match="config"):

        class Clash(sl.Processor):
            config = sl.Input(sl.DataFrame)


class Pinned(sl.Processor):
    """A push processor that must keep one thread (like one holding a GL context)."""

    fusible = False
    video_in = sl.Input(sl.VideoFrame)
    video_out = sl.Output(sl.VideoFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.threads: set[int] = set()

    def process(self) -> None:
        self.threads.add(threading.get_ident())
        frame = self.video_in.read_latest()
        if frame is not None:
            self.video_out.write(frame)


def test_a_non_fusible_processor_keeps_its_thread_through_graph_changes() -> None:
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, id="src", width=32, height=32, fps=200)
        pinned = rt.add(Pinned, id="pinned")
        rt.connect(src.video, pinned.video_in)
        rt.start()
        sink = rt.add(NullSink, id="sink")
        rt.connect(pinned.video_out, sink.video)  # would fuse 'sink' onto 'pinned' otherwise
        second = rt.add(NullSink, id="second")
        rt.connect(pinned.video_out, second.video)
        rt.disconnect(pinned.video_out, second.video)
        processor = rt.processor("pinned")
        wait_until(lambda: rt.statistics().processors["sink"].frames_in > 5, what="frames")
        assert len(processor.threads) == 1  # type: ignore[attr-defined]
        assert ("pinned",) in rt.worker_groups()


class Quitter(sl.Processor):
    """Calls sys.exit() in process(): a programming error, not a way to end the program."""

    video = sl.Input(sl.VideoFrame)

    def process(self) -> None:
        raise SystemExit(3)


def test_system_exit_in_a_processor_is_an_error_not_a_silent_death() -> None:
    with sl.Runtime() as rt:
        log = EventLog(rt.events, "processor:*")
        src = rt.add(TestPattern, id="src", width=32, height=32, fps=100)
        quitter = rt.add(Quitter, id="quitter", error_policy="stop")
        rt.connect(src.video, quitter.video)
        rt.start()
        wait_until(lambda: bool(log.of(ProcessorErrored)), what="an error event")
        assert log.of(ProcessorErrored)[0].error_type == "SystemExit"
        wait_until(lambda: rt.processor_state("quitter") is sl.core.ProcessorState.FAILED)
        assert rt.statistics().processors["src"].state == "running"
        log.close()


class EndsAfterThree(sl.Processor):
    """Asks the runtime to stop once it has seen three frames, and reads the statistics."""

    video = sl.Input(sl.VideoFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.seen = 0
        self.stats_seen: dict[str, object] = {}

    def process(self) -> None:
        self.seen += len(self.video.read_all())
        if self.seen >= 3 and self.ctx is not None:
            self.stats_seen = self.ctx.statistics()  # from a worker thread, mid-run
            self.ctx.request_stop()


def test_a_processor_can_end_the_run_and_read_the_statistics() -> None:
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, id="src", width=32, height=32, fps=100)
        end = rt.add(EndsAfterThree, id="end")
        rt.connect(src.video, end.video)
        started = time.monotonic()
        rt.run(duration_s=30)  # returns long before: the processor asked
        assert time.monotonic() - started < 20
        assert rt.state is sl.RuntimeState.STOPPED
        stats = rt.processor("end").stats_seen  # type: ignore[attr-defined]
        assert set(stats["processors"]) == {"src", "end"}  # type: ignore[index]
