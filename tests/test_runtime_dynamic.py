"""Changing the graph while it runs, and processors that fail, with real worker threads.

Every test runs twice: with chain fusion (push processors share their producer's
thread) and without (one thread per processor), because a graph change regroups
fused chains, which restarts workers on branches the change did not touch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import streamlib as sl
from runtime_support import (
    WAIT_S,
    Busy,
    Counter,
    EventLog,
    Faulty,
    Recorder,
    SlowReader,
    assert_no_gaps,
    numbers,
    running,
    streamlib_threads,
    wait_until,
)
from streamlib.core import (
    ProcessorErrored,
    ProcessorState,
    RestartBackoff,
)
from streamlib.core import RuntimeWarned as RuntimeWarningEvent
from streamlib.processors import Collector, NullSink, TestPattern


@pytest.fixture(params=[True, False], ids=["fused", "unfused"])
def rt(request: pytest.FixtureRequest) -> Iterator[sl.Runtime]:
    runtime = sl.Runtime(fuse=request.param, backoff=RestartBackoff(initial_s=0.01))
    try:
        yield runtime
    finally:
        runtime.close()
    assert streamlib_threads() == []


def collector(rt: sl.Runtime, pid: str) -> Collector:
    processor = rt.processor(pid)
    assert isinstance(processor, Collector)
    return processor


def counter(rt: sl.Runtime, pid: str) -> Counter:
    processor = rt.processor(pid)
    assert isinstance(processor, Counter)
    return processor


def add_kept_branch(rt: sl.Runtime) -> tuple[Counter, Collector]:
    """``src -> keep``, lossless: the branch every test leaves alone and checks for gaps."""
    src = rt.add(Counter, id="src")
    keep = rt.add(Collector, id="keep")
    rt.connect(src.data, keep.data, profile="lossless")
    return counter(rt, "src"), collector(rt, "keep")


def kept(keep: Collector) -> list[int]:
    return numbers(keep.received("data"))


def assert_kept_whole(src: Counter, keep: Collector) -> None:
    """After ``stop()`` (which drains), the kept branch holds every number ``src`` sent."""
    got = kept(keep)
    assert_no_gaps(got)
    assert len(got) == src.next_number


def test_add_branch_while_running(rt: sl.Runtime) -> None:
    src, keep = add_kept_branch(rt)
    rt.start()
    keep.wait_for(25, port="data")
    groups_before = rt.worker_groups()

    extra = rt.add(Collector, id="extra")
    rt.connect("src.data", extra.data)
    collector(rt, "extra").wait_for(25, port="data")
    keep.wait_for(len(keep.received("data")) + 25, port="data")

    if rt.fuse:  # the fused chain src+keep had to split so src can fan out
        assert groups_before == [("src", "keep")]
        assert sorted(rt.worker_groups()) == [("extra",), ("keep",), ("src",)]
    rt.stop()
    assert_kept_whole(src, keep)
    assert_no_gaps(numbers(collector(rt, "extra").received("data")), start=None)


def test_remove_branch_while_running(rt: sl.Runtime) -> None:
    src, keep = add_kept_branch(rt)
    gone = Recorder()
    rt.add(gone, id="gone")
    rt.connect("src.data", "gone.data")
    rt.start()
    wait_until(lambda: len(gone.received) >= 25, what="frames at the branch to remove")

    rt.remove("gone")
    # remove() returned: the processor was torn down on its worker, and is never called again.
    assert gone.teardowns == 1
    assert gone.threads["teardown"] <= set(gone.threads["setup"]) | gone.threads["process"]
    calls, received = gone.calls, len(gone.received)
    keep.wait_for(len(keep.received("data")) + 50, port="data")
    assert (gone.calls, len(gone.received)) == (calls, received)
    assert "gone" not in rt.graph
    assert not gone.data.is_connected()  # its ports were cut loose
    assert [str(c.target) for c in src.data.connections] == ["keep.data"]
    assert all("gone" not in group for group in rt.worker_groups())
    assert not any("gone" in name for name in streamlib_threads())
    if rt.fuse:  # src has a single consumer again: fused back together
        assert rt.worker_groups() == [("src", "keep")]

    rt.stop()
    assert_kept_whole(src, keep)
    assert_no_gaps(numbers(gone.received), start=None)


def test_remove_processor_inside_fused_chain(rt: sl.Runtime) -> None:
    """Removing the middle of a chain cuts it; the head keeps its count, the tail stops."""
    src = rt.add(Counter, id="src")
    mid = rt.add("Passthrough", id="mid")
    tail = Recorder()
    rt.add(tail, id="tail")
    rt.connect(src.data, mid.frames_in)
    rt.connect(mid.frames_out, "tail.data")
    rt.start()
    wait_until(lambda: len(tail.received) >= 20, what="frames through the chain")
    rt.remove(mid)
    got = len(tail.received)
    sent = counter(rt, "src").next_number
    wait_until(lambda: counter(rt, "src").next_number >= sent + 20, what="src to keep running")
    assert len(tail.received) == got
    assert rt.processor_state("src") is ProcessorState.RUNNING
    assert rt.processor_state("tail") is ProcessorState.RUNNING
    rt.stop()


def test_swap_source_while_running(rt: sl.Runtime) -> None:
    src, keep = add_kept_branch(rt)
    old = rt.add(Counter, id="old", label="old")
    sink = rt.add(Collector, id="sink")
    rt.connect(old.data, sink.data)
    rt.start()
    collector(rt, "sink").wait_for(20, port="data")

    rt.remove("old")
    new = rt.add(Counter, id="new", label="new")
    rt.connect(new.data, "sink.data")
    wait_until(
        lambda: sum(f.payload == "new" for f in collector(rt, "sink").received("data")) >= 20,
        what="frames from the new source",
    )
    rt.stop()

    frames = collector(rt, "sink").received("data")
    labels = [f.payload for f in frames]
    first_new = labels.index("new")
    assert set(labels[:first_new]) == {"old"}
    assert set(labels[first_new:]) == {"new"}
    assert_no_gaps(numbers(frames[:first_new]))
    # The new source starts when added, so its first frames went nowhere before connect().
    assert_no_gaps(numbers(frames[first_new:]), start=None)
    assert_kept_whole(src, keep)


def test_disconnect_and_connect_while_running(rt: sl.Runtime) -> None:
    src, keep = add_kept_branch(rt)
    other = rt.add(Counter, id="other", label="other")
    sink = Recorder()
    rt.add(sink, id="sink")
    rt.connect(other.data, "sink.data")
    rt.start()
    wait_until(lambda: len(sink.received) >= 20, what="frames before disconnect")

    rt.disconnect("other.data", "sink.data")
    assert not rt.graph.edges_of("sink")
    got = len(sink.received)
    sent = counter(rt, "other").next_number
    wait_until(lambda: counter(rt, "other").next_number >= sent + 25, what="other keeps running")
    assert len(sink.received) == got  # nothing reaches an input after disconnect returns

    rt.connect("other.data", "sink.data")
    wait_until(lambda: len(sink.received) >= got + 20, what="frames after reconnect")
    # The source's own numbering went on while disconnected: one jump, then consecutive.
    after = numbers(sink.received[got:])
    assert after[0] >= sent + 25
    assert_no_gaps(after, start=None)
    rt.stop()
    assert_kept_whole(src, keep)


def test_many_quick_changes_keep_untouched_branch_whole(rt: sl.Runtime) -> None:
    """Add, connect, disconnect and remove over and over next to a lossless branch."""
    src, keep = add_kept_branch(rt)
    rt.start()
    keep.wait_for(10, port="data")
    for round_number in range(8):
        pid = f"tmp{round_number}"
        rt.add(NullSink, id=pid)
        rt.connect("src.data", f"{pid}.data")
        wait_until(lambda pid=pid: rt.processor(pid).counts["data"] > 0, what=f"{pid} fed")
        if round_number % 2:
            rt.disconnect("src.data", f"{pid}.data")
        rt.remove(pid)
    keep.wait_for(len(keep.received("data")) + 10, port="data")
    rt.stop()
    assert_kept_whole(src, keep)
    assert rt.graph.processors().keys() == {"src", "keep"}


def test_regroup_with_a_lossless_producer_waiting_for_room(rt: sl.Runtime) -> None:
    """A producer blocked on a full lossless queue must not lose frames or time out when
    a graph change restarts both it and its consumer's worker."""
    src = rt.add(Counter, id="src", rate_hz=1000.0)
    slow = SlowReader()
    rt.add(slow, id="slow")
    rt.connect(src.data, "slow.data", capacity=4)
    rt.add(NullSink, id="side")
    rt.connect("src.data", "side.data")
    log = EventLog(rt.events, "processor:*")
    rt.start()
    connection = rt.connection("src.data", "slow.data")
    wait_until(lambda: len(connection) >= 4 and len(slow.received) >= 10, what="a full queue")

    rt.remove("side")  # fused: src and slow now form one chain, both workers restart
    if rt.fuse:
        assert rt.worker_groups() == [("src", "slow")]
    wait_until(lambda: len(slow.received) >= 40, what="frames after the change")
    rt.stop()
    assert log.of(ProcessorErrored) == []
    assert_no_gaps(numbers(slow.received))
    assert len(slow.received) == counter(rt, "src").next_number


@pytest.mark.parametrize("change", ["remove", "regroup"])
def test_overloaded_consumer_still_stops_for_a_change(rt: sl.Runtime, change: str) -> None:
    """A consumer slower than its input always has more to do; its worker must still stop
    when a change needs it to (not be left running beside its replacement)."""
    src = rt.add(Counter, id="src", rate_hz=1000.0)
    rt.add(NullSink, id="side")
    rt.connect(src.data, "side.data")
    busy = Busy()
    rt.add(busy, id="busy")
    rt.connect(src.data, "busy.data")
    log = EventLog(rt.events, "*")
    rt.start()
    wait_until(lambda: busy.calls >= 20, what="the busy consumer to be busy")
    if change == "remove":
        rt.remove("busy")
        calls = busy.calls
        assert busy.teardown_thread.startswith("streamlib:")  # its own worker tore it down
        sent = counter(rt, "src").next_number
        wait_until(lambda: counter(rt, "src").next_number > sent + 50, what="more frames")
        assert busy.calls == calls
    else:
        rt.disconnect("src.data", "side.data")  # fused: src+busy become one chain
        if rt.fuse:
            assert ("src", "busy") in rt.worker_groups()
        calls = busy.calls
        wait_until(lambda: busy.calls > calls + 10, what="calls on the new worker")
    assert rt.events.flush(WAIT_S)
    assert [e for e in log.events if isinstance(e, RuntimeWarningEvent)] == []
    assert [name for name in streamlib_threads() if "busy" in name] == (
        [] if change == "remove" else ["streamlib:src+busy" if rt.fuse else "streamlib:busy"]
    )
    rt.stop()


# -- failures ------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["restart", "stop"])
def test_failing_processor_does_not_stop_the_others(rt: sl.Runtime, policy: str) -> None:
    src, keep = add_kept_branch(rt)
    bad = rt.add(Faulty, id="bad", error_policy=policy, fail_calls=(3,))
    rt.connect("src.data", bad.data, profile="fifo")
    log = EventLog(rt.events, "processor:bad")
    rt.start()
    wait_until(lambda: rt.statistics().processors["bad"].errors >= 1, what="the failure")
    keep.wait_for(len(keep.received("data")) + 50, port="data")

    stats = rt.statistics().processors
    assert stats["bad"].errors == 1
    assert stats["bad"].last_error == "ValueError: deliberate failure on call 3"
    assert stats["keep"].errors == 0
    assert stats["src"].errors == 0
    wait_until(lambda: len(log.of(ProcessorErrored)) == 1, what="the error event")
    (event,) = log.of(ProcessorErrored)
    assert (event.processor_id, event.error_type, event.phase) == ("bad", "ValueError", "process")
    assert event.action == policy
    if policy == "stop":
        assert rt.processor_state("bad") is ProcessorState.FAILED
    else:
        wait_until(lambda: rt.processor_state("bad") is ProcessorState.RUNNING, what="restart")
    assert rt.processor_state("src") is ProcessorState.RUNNING
    rt.stop()
    assert_kept_whole(src, keep)


def test_restart_policy_restarts_with_backoff(rt: sl.Runtime) -> None:
    src = rt.add(Counter, id="src")
    rt.add(Faulty, id="bad", error_policy="restart", fail_calls=(1, 2, 3))
    rt.connect(src.data, "bad.data")
    log = EventLog(rt.events, "processor:bad")
    rt.start()
    bad = rt.processor("bad")
    assert isinstance(bad, Faulty)
    wait_until(lambda: bad.calls >= 6, what="calls after three restarts")

    assert bad.setups == 4  # the first setup and one per failure
    assert bad.teardowns == 3  # teardown runs before each restart
    stats = rt.statistics().processors["bad"]
    assert (stats.errors, stats.restarts) == (3, 3)
    assert rt.processor_state("bad") is ProcessorState.RUNNING
    wait_until(lambda: len(log.of(ProcessorErrored)) == 3, what="three error events")
    delays = [event.restart_in_s for event in log.of(ProcessorErrored)]
    assert delays == pytest.approx([0.01, 0.02, 0.04])
    assert {event.action for event in log.of(ProcessorErrored)} == {"restart"}
    rt.stop()
    assert bad.teardowns == 4


def test_failing_timer_source_restarts_and_keeps_counting(rt: sl.Runtime) -> None:
    class Flaky(Counter):
        def process(self) -> None:
            if self.next_number == 30 and self.setups == 1:
                raise RuntimeError("source hiccup")
            super().process()

    rt.add(Flaky, id="src")
    keep = rt.add(Collector, id="keep")
    rt.connect("src.data", keep.data, profile="lossless")
    rt.start()
    sink = collector(rt, "keep")
    sink.wait_for(60, port="data")
    rt.stop()
    flaky = rt.processor("src")
    assert isinstance(flaky, Flaky)
    assert flaky.setups == 2
    assert rt.statistics().processors["src"].restarts == 1
    assert_no_gaps(kept(sink))


def test_a_failed_lossless_consumer_detaches_and_its_producer_carries_on(rt: sl.Runtime) -> None:
    src, keep = add_kept_branch(rt)
    feeder = rt.add(Counter, id="feeder", error_policy="stop")
    bad = rt.add(Faulty, id="bad", error_policy="stop", fail_calls=(1,))
    rt.connect(feeder.data, bad.data, profile="lossless", capacity=4)
    rt.start()

    wait_until(lambda: rt.processor_state("bad") is ProcessorState.FAILED, what="bad failing")
    connection = rt.connection("feeder.data", "bad.data")
    dropped = connection.statistics().dropped
    # The producer is not held back by a consumer that will never read again: it
    # keeps writing, and each frame meant for the failed consumer counts as dropped.
    wait_until(lambda: connection.statistics().dropped > dropped + 25, what="counted drops")
    stats = rt.statistics()
    assert rt.processor_state("feeder") is ProcessorState.RUNNING
    assert stats.processors["feeder"].errors == 0
    assert connection.statistics().depth == 0

    keep.wait_for(len(keep.received("data")) + 25, port="data")
    assert rt.processor_state("src") is ProcessorState.RUNNING
    rt.stop()
    assert_kept_whole(src, keep)


def test_setup_failure_is_reported_and_retried(rt: sl.Runtime) -> None:
    class BadSetup(Recorder):
        def setup(self, ctx: sl.ProcessorContext) -> None:
            super().setup(ctx)
            if self.setups <= 2:
                raise OSError("device busy")

    src, keep = add_kept_branch(rt)
    rt.add(BadSetup, id="dev", error_policy="restart")
    rt.connect("src.data", "dev.data", profile="fifo")
    log = EventLog(rt.events, "processor:dev")
    rt.start()
    wait_until(lambda: rt.processor_state("dev") is ProcessorState.RUNNING, what="third setup")
    wait_until(lambda: len(log.of(ProcessorErrored)) == 2, what="two error events")
    assert {e.phase for e in log.of(ProcessorErrored)} == {"setup"}
    dev = rt.processor("dev")
    assert isinstance(dev, BadSetup)
    wait_until(lambda: len(dev.received) > 0, what="frames after recovery")
    assert dev.teardowns == 0  # setup never completed before, so nothing to tear down
    rt.stop()
    assert dev.teardowns == 1
    assert_kept_whole(src, keep)


# -- bad input while running ---------------------------------------------------------

MALFORMED_PIPELINES = {
    "yaml syntax": "processors:\n  a: {type: NullSink\n",
    "unknown type": "processors:\n  a: {type: NoSuchThing}\n",
    "invalid config": "processors:\n  a: {type: TestPattern, config: {width: -3}}\n",
    "unknown port": (
        "processors:\n  a: {type: TestPattern}\n  b: {type: NullSink}\n"
        "connections:\n  - a.video -> b.nope\n"
    ),
    "wrong port types": (
        "processors:\n  a: {type: TestPattern}\n  b: {type: NullSink}\n"
        "connections:\n  - a.video -> b.audio\n"
    ),
    "connects to a processor outside the file": (
        "processors:\n  b: {type: NullSink}\nconnections:\n  - src.data -> b.data\n"
    ),
    "not a mapping": "- just\n- a list\n",
}


def test_bad_input_while_running_changes_nothing(rt: sl.Runtime, tmp_path: Path) -> None:
    src, keep = add_kept_branch(rt)
    rt.add(TestPattern, id="video", fps=50)
    rt.add(Recorder, id="rec")
    rt.connect("video.video", "keep.video")
    rt.add("Passthrough", id="p1")
    rt.add("Passthrough", id="p2")
    rt.connect("p1.frames_out", "p2.frames_in")
    rt.start()
    keep.wait_for(10, port="data")
    before = rt.graph.to_dict()
    groups = rt.worker_groups()

    attempts: list[tuple[type[Exception], Callable[[], object]]] = [
        (sl.PortTypeError, lambda: rt.connect("video.video", "rec.data")),
        (sl.UnknownProcessorError, lambda: rt.connect("nope.data", "rec.data")),
        (sl.UnknownPortError, lambda: rt.connect("src.dtaa", "rec.data")),
        (sl.UnknownPortError, lambda: rt.connect("src.data", "rec.missing")),
        (sl.UnknownPortError, lambda: rt.connect("rec.data", "keep.data")),  # an input as source
        (sl.PortBusyError, lambda: rt.connect("src.data", "keep.data")),
        (sl.CycleError, lambda: rt.connect("p2.frames_out", "p1.frames_in")),
        (sl.CycleError, lambda: rt.connect("p1.frames_out", "p1.frames_in")),
        (sl.ConfigError, lambda: rt.connect("src.data", "rec.data", profile="sometimes")),
        (sl.GraphError, lambda: rt.connect("src.data", "rec.data", capacity=0)),
        (sl.ConfigError, lambda: rt.add(TestPattern, id="tp", width=1)),
        (sl.ConfigError, lambda: rt.add(TestPattern, id="tp", color="red")),
        (sl.RegistryError, lambda: rt.add("NoSuchProcessor", id="x")),
        (sl.GraphError, lambda: rt.add(NullSink, id="src")),
        (sl.GraphError, lambda: rt.add(NullSink, id="not valid!")),
        (sl.UnknownProcessorError, lambda: rt.remove("nope")),
        (sl.GraphError, lambda: rt.disconnect("src.data", "rec.data")),
        (sl.ConfigError, lambda: rt.update_config("video", fps=-1)),
        (sl.ConfigError, lambda: rt.update_config("video", width=320)),  # not a live field
        (sl.ConfigError, lambda: rt.update_config("video", no_such_field=1)),
        (sl.UnknownProcessorError, lambda: rt.update_config("nope", fps=1)),
    ]
    for expected, attempt in attempts:
        with pytest.raises(expected):
            attempt()
        assert rt.graph.to_dict() == before, expected
    for name, text in MALFORMED_PIPELINES.items():
        path = tmp_path / f"{name.replace(' ', '_')}.yaml"
        path.write_text(text)
        with pytest.raises(sl.PipelineFileError):
            rt.load(path)
        assert rt.graph.to_dict() == before, name
    clash = tmp_path / "clash.yaml"
    clash.write_text("processors:\n  src: {type: NullSink}\n  fresh: {type: NullSink}\n")
    with pytest.raises(sl.GraphError, match="src"):
        rt.load(clash)
    assert rt.graph.to_dict() == before

    assert rt.state is sl.RuntimeState.RUNNING
    assert rt.worker_groups() == groups
    keep.wait_for(len(keep.received("data")) + 25, port="data")
    rt.stop()
    assert_kept_whole(src, keep)


def test_load_pipeline_while_running_adds_it(rt: sl.Runtime, tmp_path: Path) -> None:
    src, keep = add_kept_branch(rt)
    rt.start()
    path = tmp_path / "extra.yaml"
    path.write_text(
        "processors:\n"
        "  tp: {type: TestPattern, config: {width: 32, height: 16, fps: 100}}\n"
        "  got: {type: Collector}\n"
        "connections:\n"
        "  - tp.video -> got.video\n"
    )
    refs = rt.load(path)
    assert [str(ref) for ref in refs] == ["tp", "got"]
    frames = collector(rt, "got").wait_for(5, port="video")
    assert frames[0].width == 32
    assert frames[0].frame_number == 0  # connected before the source started: nothing lost
    rt.stop()
    assert_kept_whole(src, keep)


def test_no_threads_left_after_stop_and_close() -> None:
    runtime = sl.Runtime()
    with running(runtime):
        _, keep = add_kept_branch(runtime)
        keep.wait_for(5, port="data")
        runtime.add(Recorder, id="extra")
        runtime.connect("src.data", "extra.data")
        assert len(streamlib_threads()) == 3
        runtime.stop()
        assert streamlib_threads() == []
        runtime.start()
        assert len(streamlib_threads()) == 3
    assert runtime.state is sl.RuntimeState.STOPPED
