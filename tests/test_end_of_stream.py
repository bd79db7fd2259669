"""End of stream: carried through the graph behind the frames, and runs that finish."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamlib as sl
from runtime_support import EventLog, Recorder, assert_no_gaps, numbers, wait_until
from streamlib.core import (
    Connection,
    DeliveryProfile,
    PortRef,
    ProcessorEnded,
    ProcessorState,
)


class Limited(sl.Processor):
    """A timer source writing DataFrames 0..frames-1, then ending its output."""

    class Config(sl.ProcessorConfig):
        frames: int = 50
        rate_hz: float = 2000.0

    data = sl.Output(sl.DataFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.next_number = 0

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.timer(self.config.rate_hz)

    def process(self) -> None:
        if self.next_number >= self.config.frames:
            self.end_outputs()
            return
        self.data.write(sl.DataFrame(self.next_number, frame_number=self.next_number))
        self.next_number += 1


class Endless(sl.Processor):
    """A live timer source that never ends."""

    data = sl.Output(sl.DataFrame)

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.timer(500)

    def process(self) -> None:
        self.data.write(sl.DataFrame("live"))


class Relay(sl.Processor):
    """A push stage passing every frame on (the default end handling: forward it)."""

    data_in = sl.Input(sl.DataFrame, profile="lossless")
    data_out = sl.Output(sl.DataFrame)

    def process(self) -> None:
        for frame in self.data_in.read_all():
            self.data_out.write(frame)


class Pairs(sl.Processor):
    """Sends frames two at a time; an odd last one is flushed at the end of stream."""

    data_in = sl.Input(sl.DataFrame, profile="lossless")
    data_out = sl.Output(sl.DataFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.held: list[sl.DataFrame] = []
        self.flushed = 0

    def process(self) -> None:
        self.held.extend(self.data_in.read_all())
        while len(self.held) >= 2:
            self.data_out.write(self.held.pop(0))
            self.data_out.write(self.held.pop(0))

    def on_end_of_stream(self) -> None:
        self.flushed = len(self.held)
        for frame in self.held:
            self.data_out.write(frame)
        self.held.clear()


class Merge(sl.Processor):
    """Fan-in of two inputs into one output."""

    left = sl.Input(sl.DataFrame, profile="lossless")
    right = sl.Input(sl.DataFrame, profile="lossless")
    merged = sl.Output(sl.DataFrame)

    def process(self) -> None:
        for frame in (*self.left.read_all(), *self.right.read_all()):
            self.merged.write(frame)


class KeepsGoing(Merge):
    """A fan-in that does not end with its inputs."""

    ends_with_inputs = False


class EndRecorder(Recorder):
    """A Recorder that notes how many frames it had when its end of stream came."""

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.at_end: int | None = None

    def on_end_of_stream(self) -> None:
        self.at_end = len(self.received)


def _chain(rt: sl.Runtime, frames: int = 50, *, isolation: str = "thread") -> tuple[Any, Any, Any]:
    src = rt.add(Limited, id="src", frames=frames)
    mid = rt.add(Relay, id="mid", isolation=isolation)
    sink = rt.add(EndRecorder, id="sink")
    rt.connect(src.data, mid.data_in)
    rt.connect(mid.data_out, sink.data)
    return src, mid, sink


@pytest.mark.parametrize(
    ("fuse", "isolation"),
    [(True, "thread"), (False, "thread"), (True, "process")],
    ids=["fused", "unfused", "mid-in-a-worker-process"],
)
def test_end_travels_through_a_chain_and_the_run_finishes(fuse: bool, isolation: str) -> None:
    with sl.Runtime(fuse=fuse) as rt:
        log = EventLog(rt.events, "processor:*")
        _, _, sink = _chain(rt, frames=200, isolation=isolation)
        outcome = rt.run()
        assert outcome is sl.RunOutcome.ENDED
        assert_no_gaps(numbers(sink.processor.received))
        assert len(sink.processor.received) == 200
        assert sink.processor.at_end == 200  # the end came after the last frame
        stats = rt.statistics()
        assert all(p.ended for p in stats.processors.values())
        assert stats.to_dict()["processors"]["sink"]["ended"] is True
        rt.events.flush()
        assert {e.processor_id for e in log.of(ProcessorEnded)} == {"src", "mid", "sink"}
        log.close()


@pytest.mark.parametrize("isolation", ["thread", "process"], ids=["in-process", "src-in-a-worker"])
@pytest.mark.parametrize("profile", ["latest", "fifo", "lossless"])
def test_the_end_arrives_whatever_the_delivery_profile(profile: str, isolation: str) -> None:
    with sl.Runtime(fuse=False) as rt:
        src = rt.add(Limited, id="src", frames=30, rate_hz=300, isolation=isolation)
        sink = rt.add(EndRecorder, id="sink")
        rt.connect(src.data, sink.data, profile=profile, capacity=4)
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        received = numbers(sink.processor.received)
        assert received[-1] == 29  # the last frame is never overtaken by the end
        assert sink.processor.at_end == len(received)
        if profile == "lossless":
            assert received == list(range(30))


def test_fan_out_ends_every_branch() -> None:
    with sl.Runtime(fuse=False) as rt:
        src = rt.add(Limited, id="src", frames=40)
        one = rt.add(EndRecorder, id="one")
        two = rt.add(EndRecorder, id="two")
        rt.connect(src.data, one.data)
        rt.connect(src.data, two.data)
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        assert len(one.processor.received) == len(two.processor.received) == 40


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "unfused"])
def test_fan_in_ends_when_all_its_inputs_ended(fuse: bool) -> None:
    with sl.Runtime(fuse=fuse) as rt:
        short = rt.add(Limited, id="short", frames=5)
        long = rt.add(Limited, id="long", frames=300, rate_hz=1000)
        merge = rt.add(Merge, id="merge")
        sink = rt.add(EndRecorder, id="sink")
        rt.connect(short.data, merge.left)
        rt.connect(long.data, merge.right)
        rt.connect(merge.merged, sink.data)
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        assert len(sink.processor.received) == 305
        assert sink.processor.at_end == 305


def test_a_processor_may_decline_to_end_with_its_inputs() -> None:
    with sl.Runtime(fuse=False) as rt:
        src = rt.add(Limited, id="src", frames=5)
        keep = rt.add(KeepsGoing, id="keep")
        sink = rt.add(EndRecorder, id="sink")
        rt.connect(src.data, keep.left)
        rt.connect(keep.merged, sink.data)
        rt.start()
        wait_until(lambda: rt.statistics().processors["src"].ended, what="the source's end")
        wait_until(lambda: len(sink.processor.received) == 5, what="the frames")
        assert not rt.statistics().processors["keep"].ended
        keep.processor.end_outputs()  # it ends when it decides to
        wait_until(lambda: rt.statistics().processors["sink"].ended, what="the sink's end")
        rt.stop()


def test_a_flush_at_the_end_writes_the_tail_before_the_end() -> None:
    with sl.Runtime() as rt:
        src = rt.add(Limited, id="src", frames=7)
        pairs = rt.add(Pairs, id="pairs")
        sink = rt.add(EndRecorder, id="sink")
        rt.connect(src.data, pairs.data_in)
        rt.connect(pairs.data_out, sink.data)
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        assert pairs.processor.flushed == 1
        assert numbers(sink.processor.received) == list(range(7))
        assert sink.processor.at_end == 7


def test_removing_a_live_producer_mid_stream_lets_the_rest_end() -> None:
    with sl.Runtime(fuse=False) as rt:
        finite = rt.add(Limited, id="finite", frames=400, rate_hz=400)
        live = rt.add(Endless, id="live")
        merge = rt.add(Merge, id="merge")
        sink = rt.add(EndRecorder, id="sink")
        rt.connect(finite.data, merge.left)
        rt.connect(live.data, merge.right)
        rt.connect(merge.merged, sink.data)
        rt.start()
        wait_until(lambda: len(sink.processor.received) > 20, what="frames flowing")
        rt.remove("live")  # a live edit: now only the finite source feeds the merge
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        finite_frames = [f for f in sink.processor.received if f.payload != "live"]
        assert numbers(finite_frames) == list(range(400))


def test_a_stage_added_after_the_end_learns_it_at_once() -> None:
    with sl.Runtime(fuse=False) as rt:
        src = rt.add(Limited, id="src", frames=3)
        first = rt.add(EndRecorder, id="first")
        rt.connect(src.data, first.data)
        rt.start()
        wait_until(lambda: rt.statistics().processors["first"].ended, what="the first end")
        late = rt.add(EndRecorder, id="late")
        rt.connect(src.data, late.data)
        wait_until(lambda: rt.statistics().processors["late"].ended, what="the late end")
        assert late.processor.received == []
        rt.stop()


def test_writing_after_the_end_is_an_error() -> None:
    source = Limited()
    source.end_outputs()
    with pytest.raises(sl.StreamEndedError, match="already ended"):
        source.data.write(sl.DataFrame(1))


def test_a_live_graph_runs_until_its_duration() -> None:
    with sl.Runtime() as rt:
        src = rt.add(Endless, id="src")
        sink = rt.add(EndRecorder, id="sink")
        rt.connect(src.data, sink.data)
        assert rt.run(duration_s=0.3) is sl.RunOutcome.DURATION
        assert not rt.statistics().processors["sink"].ended


class BreaksAtOnce(sl.Processor):
    data = sl.Input(sl.DataFrame)

    def process(self) -> None:
        raise ValueError("broken sink")


def test_a_run_whose_only_sink_failed_finishes_as_failed() -> None:
    with sl.Runtime() as rt:
        src = rt.add(Endless, id="src")
        sink = rt.add(BreaksAtOnce, id="sink", error_policy="stop")
        rt.connect(src.data, sink.data)
        assert rt.run(duration_s=30) is sl.RunOutcome.FAILED
        assert rt.statistics().processors["sink"].state == "failed"


def test_a_source_that_ended_starts_a_new_stream_when_started_again() -> None:
    with sl.Runtime() as rt:
        _, _, sink = _chain(rt, frames=10)
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        assert numbers(sink.processor.received) == list(range(10)) * 2
        assert rt.processor_state("src") is ProcessorState.STOPPED


# -- the end never overtakes a frame ---------------------------------------------------

_operations = st.lists(st.sampled_from(["write", "read", "read_latest", "read_all"]), max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    profile=st.sampled_from(list(DeliveryProfile)),
    capacity=st.integers(min_value=1, max_value=6),
    before=_operations,
    after=_operations,
)
def test_the_end_is_seen_only_after_every_queued_frame(
    profile: DeliveryProfile, capacity: int, before: list[str], after: list[str]
) -> None:
    connection: Connection[sl.DataFrame] = Connection(
        PortRef.parse("a.out"), PortRef.parse("b.in"), profile, capacity
    )
    connection.inline_consumer = True  # lossless writes never wait in this single thread
    written = 0
    for operation in before:
        if operation == "write":
            connection.push(sl.DataFrame(written), written)
            written += 1
        elif operation == "read":
            connection.pop()
        elif operation == "read_latest":
            connection.pop_latest()
        else:
            connection.pop_all()
    newest_queued = list(connection)[-1].payload if len(connection) else None
    connection.end()
    seen_last = None
    for operation in [*after, "read_all"]:
        assert connection.at_end == (len(connection) == 0)
        if operation == "write":
            continue  # nothing is written after the end
        taken = {
            "read": lambda: [connection.pop()],
            "read_latest": lambda: [connection.pop_latest()],
            "read_all": connection.pop_all,
        }[operation]()
        for frame in taken:
            if frame is not None:
                seen_last = frame.payload
    assert connection.at_end
    if newest_queued is not None:
        assert seen_last == newest_queued  # the newest frame was read before the end


# -- sources that can wait get backpressure ----------------------------------------------


class Unpaced(Limited):
    """A limited source that can wait (a file read as fast as it is consumed)."""

    live = False

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.loop()


class Fifo(sl.Processor):
    """A slow sink whose declared delivery drops the oldest frames when it falls behind."""

    data = sl.Input(sl.DataFrame, profile="fifo", capacity=2)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.received: list[sl.DataFrame] = []

    def process(self) -> None:
        frame = self.data.read()
        if frame is not None:
            self.received.append(frame)
            time.sleep(0.001)  # slower than the source: a live graph would drop here


def test_connections_fed_only_by_sources_that_wait_default_to_lossless() -> None:
    rt = sl.Runtime()
    waits = rt.add(Unpaced, id="file")
    mid = rt.add(Relay, id="mid")
    live = rt.add(Limited, id="camera")
    first, second, third = (rt.add(Fifo, id=name) for name in ("first", "second", "third"))
    rt.connect(waits.data, mid.data_in)
    rt.connect(mid.data_out, first.data)  # through a push stage: still the file's pace
    rt.connect(live.data, second.data)  # live: the input's own profile
    rt.connect(waits.data, third.data, profile="fifo")  # said explicitly: kept
    profiles = {e.target.processor: e.profile for e in rt.graph.edges()}
    assert profiles == {
        "mid": DeliveryProfile.LOSSLESS,
        "first": DeliveryProfile.LOSSLESS,
        "second": DeliveryProfile.FIFO,
        "third": DeliveryProfile.FIFO,
    }
    rt.close()


@pytest.mark.parametrize(
    "isolated", [None, "src", "mid"], ids=["in-process", "src-in-a-worker", "mid-in-a-worker"]
)
def test_a_file_job_into_a_slow_sink_loses_nothing_by_default(isolated: str | None) -> None:
    """Also when the file's reader or a stage between runs in a worker process: its
    stand-in is planned as what it stands for (a source that waits, a push stage)."""
    with sl.Runtime(fuse=False) as rt:
        src = rt.add(Unpaced, id="src", frames=300, isolation=_where(isolated, "src"))
        mid = rt.add(Relay, id="mid", isolation=_where(isolated, "mid"))
        slow = rt.add(Fifo, id="slow")
        rt.connect(src.data, mid.data_in)
        rt.connect(mid.data_out, slow.data)
        assert {e.profile for e in rt.graph.edges()} == {DeliveryProfile.LOSSLESS}
        assert rt.run(duration_s=60) is sl.RunOutcome.ENDED
        assert numbers(slow.processor.received) == list(range(300))
        assert rt.connection("mid.data_out", "slow.data").statistics().dropped == 0


def _where(isolated: str | None, processor: str) -> str:
    return "process" if isolated == processor else "thread"


def test_a_pipeline_file_in_any_order_gets_lossless_file_job_connections(tmp_path: Any) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(
        "processors:\n"
        "  sink: {type: NullSink}\n"
        "  mid: {type: Passthrough}\n"
        "  src: {type: TestPattern, config: {realtime: false, frames: 10}}\n"
        "  live: {type: TestPattern}\n"
        "  view: {type: NullSink}\n"
        "connections:\n"
        "  - mid.frames_out -> sink.video\n"  # declared before anything feeds mid
        "  - src.video -> mid.frames_in\n"
        "  - live.video -> view.video\n"
    )
    with sl.Runtime() as rt:
        rt.load(path)
        profiles = {e.target.processor: e.profile for e in rt.graph.edges()}
        assert profiles == {
            "sink": DeliveryProfile.LOSSLESS,
            "mid": DeliveryProfile.LOSSLESS,
            "view": DeliveryProfile.LATEST,
        }
