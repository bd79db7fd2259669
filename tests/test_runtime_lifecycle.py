"""The runtime's lifecycle with real worker threads: states, run(), signals, the main
thread, statistics, live config and priority hints."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from runtime_support import (
    WAIT_S,
    Counter,
    EventLog,
    Faulty,
    Recorder,
    assert_no_gaps,
    numbers,
    streamlib_threads,
    wait_until,
)
from streamlib.core import (
    ProcessorErrored,
    ProcessorStarted,
    ProcessorState,
    ProcessorStopped,
    RestartBackoff,
    RuntimePaused,
    RuntimeResumed,
    RuntimeStarted,
    RuntimeStopped,
)
from streamlib.core import RuntimeWarned as RuntimeWarningEvent
from streamlib.processors import Collector, TestPattern, ToneSource

State = sl.RuntimeState


@pytest.fixture
def rt() -> Iterator[sl.Runtime]:
    runtime = sl.Runtime(backoff=RestartBackoff(initial_s=0.01))
    try:
        yield runtime
    finally:
        runtime.close()
    assert streamlib_threads() == []


def counting_pair(rt: sl.Runtime) -> tuple[Counter, Recorder]:
    """``src -> rec`` (lossless): every number ``src`` sends must reach ``rec``."""
    src, rec = Counter(), Recorder()
    rt.add(src, id="src")
    rt.add(rec, id="rec")
    rt.connect("src.data", "rec.data")
    return src, rec


def counting_pair_with(rt: sl.Runtime, isolation: str) -> Recorder:
    """``src -> rec`` as :func:`counting_pair`, ``src`` in a worker process or not: what
    it sent is read from the statistics (:func:`sent`), the same either way."""
    rec = Recorder()
    rt.add(Counter, id="src", isolation=isolation)
    rt.add(rec, id="rec")
    rt.connect("src.data", "rec.data")
    return rec


def sent(rt: sl.Runtime) -> int:
    """What ``src`` wrote (in its worker's process too: its stand-in wrote the same)."""
    return rt.statistics().processors["src"].frames_out


def assert_all_delivered(src: Counter, rec: Recorder) -> None:
    assert_no_gaps(numbers(rec.received))
    assert len(rec.received) == src.next_number


ISOLATIONS = pytest.mark.parametrize(
    "isolation", ["thread", "process"], ids=["in-process", "src-in-a-worker-process"]
)


def call_later(action: Any, *, when: Any = None) -> threading.Thread:
    """Run ``action()`` on a helper thread once ``when()`` holds (bounded wait)."""

    def body() -> None:
        try:
            if when is not None:
                wait_until(when, what="the moment to act")
        finally:
            action()

    thread = threading.Thread(target=body, name="test-helper", daemon=True)
    thread.start()
    return thread


# -- states ---------------------------------------------------------------------------


def test_states_and_invalid_transitions(rt: sl.Runtime) -> None:
    log = EventLog(rt.events, "runtime")
    counting_pair(rt)
    assert rt.state is State.IDLE
    for not_yet in (rt.pause, rt.resume):
        with pytest.raises(sl.RuntimeStateError):
            not_yet()

    rt.start()
    assert rt.state is State.RUNNING
    with pytest.raises(sl.RuntimeStateError, match="already running"):
        rt.start()
    with pytest.raises(sl.RuntimeStateError):
        rt.resume()

    rt.pause()
    assert rt.state is State.PAUSED
    with pytest.raises(sl.RuntimeStateError):
        rt.pause()
    with pytest.raises(sl.RuntimeStateError, match="resume"):
        rt.start()

    rt.resume()
    assert rt.state is State.RUNNING
    rt.stop()
    assert rt.state is State.STOPPED
    for not_now in (rt.pause, rt.resume):
        with pytest.raises(sl.RuntimeStateError):
            not_now()
    rt.stop()  # stopping twice is harmless
    assert rt.state is State.STOPPED

    assert rt.events.flush(WAIT_S)
    lifecycle = (RuntimeStarted, RuntimePaused, RuntimeResumed, RuntimeStopped)
    kinds = [type(e) for e in log.events if isinstance(e, lifecycle)]
    assert kinds == [RuntimeStarted, RuntimePaused, RuntimeResumed, RuntimeStopped]


def test_stop_while_paused_tears_everything_down(rt: sl.Runtime) -> None:
    src, rec = counting_pair(rt)
    rt.start()
    wait_until(lambda: len(rec.received) >= 5, what="frames")
    rt.pause()
    rt.stop()
    assert rt.state is State.STOPPED
    assert (src.teardowns, rec.teardowns) == (1, 1)
    assert_all_delivered(src, rec)


@ISOLATIONS
def test_pause_stops_process_calls_and_resume_continues(rt: sl.Runtime, isolation: str) -> None:
    rec = counting_pair_with(rt, isolation)
    rt.start()
    wait_until(lambda: len(rec.received) >= 10, what="frames")
    rt.pause()

    def quiet_for(seconds: float) -> bool:
        before = (sent(rt), rec.calls)
        threading.Event().wait(seconds)
        return (sent(rt), rec.calls) == before

    wait_until(lambda: quiet_for(0.05), what="the workers to go quiet")
    assert quiet_for(0.2)
    assert rec.teardowns == 0  # paused, not torn down

    paused_at = sent(rt)
    rt.resume()
    wait_until(lambda: len(rec.received) >= paused_at + 10, what="frames after resume")
    rt.stop()
    assert_no_gaps(numbers(rec.received))
    assert len(rec.received) == sent(rt)


def test_start_after_stop_runs_again(rt: sl.Runtime) -> None:
    src, rec = counting_pair(rt)
    rt.start()
    wait_until(lambda: len(rec.received) >= 10, what="frames in the first run")
    rt.stop()
    first = len(rec.received)
    assert (src.setups, rec.setups, src.teardowns, rec.teardowns) == (1, 1, 1, 1)

    rt.start()
    assert rt.state is State.RUNNING
    wait_until(lambda: len(rec.received) >= first + 10, what="frames in the second run")
    rt.stop()
    assert (src.setups, rec.setups, src.teardowns, rec.teardowns) == (2, 2, 2, 2)
    assert_all_delivered(src, rec)


def test_context_manager_stops_and_closes() -> None:
    with sl.Runtime() as runtime:
        src, rec = counting_pair(runtime)
        runtime.start()
        wait_until(lambda: len(rec.received) >= 5, what="frames")
    assert runtime.state is State.STOPPED
    assert streamlib_threads() == []
    assert (src.teardowns, rec.teardowns) == (1, 1)
    with pytest.raises(sl.RuntimeStateError, match="closed"):
        runtime.start()


def test_context_manager_closes_on_error() -> None:
    runtime = sl.Runtime()

    def fail_inside() -> None:
        with runtime:
            counting_pair(runtime)
            runtime.start()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_inside()
    assert runtime.state is State.STOPPED
    assert streamlib_threads() == []
    assert streamlib_threads() == []


# -- run() ----------------------------------------------------------------------------


def test_run_with_duration_returns_and_stops(rt: sl.Runtime) -> None:
    src, rec = counting_pair(rt)
    rt.run(duration_s=0.3)
    assert rt.state is State.STOPPED
    assert len(rec.received) > 0
    assert_all_delivered(src, rec)
    assert streamlib_threads() == []


def test_run_on_a_started_runtime_keeps_running_it(rt: sl.Runtime) -> None:
    src, rec = counting_pair(rt)
    rt.start()
    rt.run(duration_s=0.1)
    assert rt.state is State.STOPPED
    assert src.setups == 1
    assert_all_delivered(src, rec)


def test_request_stop_from_another_thread_ends_run(rt: sl.Runtime) -> None:
    src, rec = counting_pair(rt)
    helper = call_later(rt.request_stop, when=lambda: len(rec.received) >= 20)
    rt.run()
    helper.join(WAIT_S)
    assert rt.state is State.STOPPED
    assert len(rec.received) >= 20
    assert_all_delivered(src, rec)


def test_request_stop_from_a_processor_ends_run(rt: sl.Runtime) -> None:
    class StopAfter(Recorder):
        def process(self) -> None:
            super().process()
            if len(self.received) >= 10:
                rt.request_stop()

    src = Counter()
    rt.add(src, id="src")
    rt.add(StopAfter, id="rec")
    rt.connect("src.data", "rec.data")
    rt.run()
    rec = rt.processor("rec")
    assert isinstance(rec, StopAfter)
    assert len(rec.received) >= 10
    assert_all_delivered(src, rec)


def test_stop_from_a_worker_thread_is_refused(rt: sl.Runtime) -> None:
    errors: list[BaseException] = []

    class StopsItself(Recorder):
        def process(self) -> None:
            super().process()
            if not errors:
                try:
                    rt.stop()
                except sl.RuntimeStateError as error:
                    errors.append(error)

    rt.add(Counter, id="src")
    rt.add(StopsItself, id="rec")
    rt.connect("src.data", "rec.data")
    rt.start()
    wait_until(lambda: bool(errors), what="the refused stop()")
    assert "request_stop" in str(errors[0])
    assert rt.state is State.RUNNING
    rt.stop()


def test_run_raises_processor_error_for_raise_policy(rt: sl.Runtime) -> None:
    src, rec = counting_pair(rt)
    rt.add(Faulty, id="bad", error_policy="raise", fail_calls=(5,))
    rt.connect("src.data", "bad.data", profile="fifo")
    with pytest.raises(sl.ProcessorError, match="bad") as caught:
        rt.run()
    assert caught.value.processor_id == "bad"
    assert isinstance(caught.value.__cause__, ValueError)
    assert rt.state is State.STOPPED
    assert (src.teardowns, rec.teardowns) == (1, 1)
    assert rt.processor("bad").teardowns == 1  # type: ignore[attr-defined]
    assert_all_delivered(src, rec)

    rt.start()  # a failed run does not poison the next one
    assert rt.processor_state("bad") in (ProcessorState.STARTING, ProcessorState.RUNNING)
    rt.stop()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_run_in_order(rt: sl.Runtime, signum: int) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are installed only when run() is on the main thread")
    order: list[str] = []

    class Source(Counter):
        def teardown(self) -> None:
            order.append("src")
            super().teardown()

    class Sink(Recorder):
        def teardown(self) -> None:
            order.append("rec")
            super().teardown()

    src, rec = Source(), Sink()
    rt.add(src, id="src")
    rt.add(rec, id="rec")
    rt.connect("src.data", "rec.data")
    previous = signal.getsignal(signum)
    sent: list[bool] = []

    def send() -> None:
        sent.append(True)
        os.kill(os.getpid(), signum)

    helper = call_later(
        send,
        when=lambda: signal.getsignal(signum) is not previous and len(rec.received) >= 20,
    )
    rt.run()  # returns instead of raising KeyboardInterrupt or ending the process
    helper.join(WAIT_S)
    assert sent
    assert rt.state is State.STOPPED
    assert order == ["src", "rec"]  # sources first, then each stage after draining
    assert signal.getsignal(signum) is previous
    assert_all_delivered(src, rec)


# -- the main thread ------------------------------------------------------------------


class MainThreadUser(sl.Processor):
    """Calls run_on_main from setup (on its worker), blocking and not."""

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.blocking_result: tuple[int, str] | None = None
        self.async_future: Future[str] | None = None
        self.setup_thread = ""

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.setup_thread = threading.current_thread().name
        self.blocking_result = ctx.run_on_main(
            lambda: (threading.get_ident(), threading.current_thread().name), timeout_s=WAIT_S
        )
        self.async_future = ctx.run_on_main_async(lambda: threading.current_thread().name)


def test_run_on_main_from_setup_runs_on_the_thread_in_run(rt: sl.Runtime) -> None:
    user = MainThreadUser()
    rt.add(user, id="ui")
    helper = call_later(
        rt.request_stop,
        when=lambda: user.async_future is not None and user.async_future.done(),
    )
    rt.run()
    helper.join(WAIT_S)
    assert user.setup_thread.startswith("streamlib:")
    assert user.blocking_result == (threading.get_ident(), threading.current_thread().name)
    assert user.async_future is not None
    assert user.async_future.result(0) == threading.current_thread().name


def test_run_on_main_from_the_main_thread_runs_inline(rt: sl.Runtime) -> None:
    user = MainThreadUser()
    rt.add(user, id="ui")
    rt.start()
    # Nobody pumps yet: the worker's blocking call waits until pump_main() runs it.
    wait_until(lambda: rt.pump_main(0.01) > 0 or user.blocking_result is not None, what="pump")
    wait_until(lambda: user.async_future is not None, what="setup to finish")
    assert rt.pump_main(WAIT_S) == 1  # the async call
    ctx = user.ctx
    assert ctx is not None
    me = threading.get_ident()
    assert ctx.run_on_main(threading.get_ident) == me  # inline: no pump needed
    future = ctx.run_on_main_async(threading.get_ident)
    assert future.done()
    assert future.result(0) == me
    with pytest.raises(ZeroDivisionError):
        ctx.run_on_main(lambda: 1 / 0)
    rt.stop()


def test_run_on_main_errors_reach_the_worker(rt: sl.Runtime) -> None:
    outcomes: dict[str, BaseException] = {}
    ran: list[str] = []

    class Asks(sl.Processor):
        def setup(self, ctx: sl.ProcessorContext) -> None:
            super().setup(ctx)
            try:
                ctx.run_on_main(lambda: ran.append("late"), timeout_s=0.05)
            except sl.RuntimeStateError as error:
                outcomes["timeout"] = error
            try:
                ctx.run_on_main(lambda: 1 / 0, timeout_s=WAIT_S)
            except ZeroDivisionError as error:
                outcomes["raised"] = error

    rt.add(Asks, id="asks")
    rt.start()
    wait_until(lambda: "timeout" in outcomes, what="the first call to time out")
    wait_until(lambda: rt.pump_main(0.01) > 0 or "raised" in outcomes, what="the second call")
    wait_until(lambda: "raised" in outcomes, what="the exception to reach setup")
    assert "pump_main" in str(outcomes["timeout"])
    rt.pump_main(0.05)
    assert ran == []  # the call that timed out was canceled, not run late
    rt.stop()


def test_run_on_main_follows_the_thread_that_calls_run(rt: sl.Runtime) -> None:
    """The runtime was made on this thread but runs on another: that one is "main" now,
    so a call made from it (here, nested in a main-thread call) runs inline."""
    outcome: dict[str, object] = {}

    class Nested(sl.Processor):
        def setup(self, ctx: sl.ProcessorContext) -> None:
            super().setup(ctx)

            def on_main() -> tuple[int, int]:
                inner = ctx.run_on_main(threading.get_ident, timeout_s=1.0)
                return threading.get_ident(), inner

            try:
                outcome["idents"] = ctx.run_on_main(on_main, timeout_s=WAIT_S)
            except Exception as error:
                outcome["error"] = error

    def run_elsewhere() -> None:
        try:
            rt.run()
        except Exception as error:  # reported by the assertions below
            outcome["run"] = error

    rt.add(Nested, id="ui")
    runner = threading.Thread(target=run_elsewhere, name="test-runner")
    runner.start()
    try:
        wait_until(lambda: "idents" in outcome or "error" in outcome, what="setup")
    finally:
        rt.request_stop()
        runner.join(WAIT_S)
    assert not runner.is_alive()
    assert outcome.get("error") is None
    assert outcome.get("run") is None
    assert outcome["idents"] == (runner.ident, runner.ident)
    assert rt.state is State.STOPPED


# -- where lifecycle calls run ----------------------------------------------------------


def test_setup_process_teardown_run_on_the_worker_thread() -> None:
    runtime = sl.Runtime(fuse=False)
    src, rec = counting_pair(runtime)
    runtime.start()
    wait_until(lambda: len(rec.received) >= 5, what="frames")
    runtime.close()
    for phase in ("setup", "process", "teardown"):
        assert rec.threads[phase] == {"streamlib:rec"}, phase
    assert (src.teardowns, rec.teardowns) == (1, 1)
    assert streamlib_threads() == []


def test_fused_processors_run_on_their_producers_thread(rt: sl.Runtime) -> None:
    src, rec = counting_pair(rt)
    rt.start()
    wait_until(lambda: len(rec.received) >= 5, what="frames")
    rt.stop()
    assert rt.worker_groups() == []
    for phase in ("setup", "process", "teardown"):
        assert rec.threads[phase] == {"streamlib:src+rec"}, phase
    assert_all_delivered(src, rec)


def test_teardown_runs_after_errors_and_removal(rt: sl.Runtime) -> None:
    class BadTeardown(Recorder):
        def teardown(self) -> None:
            super().teardown()
            raise RuntimeError("could not close the device")

    src = rt.add(Counter, id="src")
    for pid, policy in (("stops", "stop"), ("restarts", "restart")):
        rt.add(Faulty, id=pid, error_policy=policy, fail_calls=(2,))
        rt.connect(src.data, f"{pid}.data", profile="fifo")
    rt.add(Recorder, id="removed")
    rt.connect(src.data, "removed.data", profile="fifo")
    rt.add(BadTeardown, id="messy")
    rt.connect(src.data, "messy.data", profile="fifo")
    log = EventLog(rt.events, "processor:*")
    rt.start()
    stops, restarts = rt.processor("stops"), rt.processor("restarts")
    assert isinstance(stops, Faulty)
    assert isinstance(restarts, Faulty)
    wait_until(lambda: stops.teardowns == 1 and restarts.setups == 2, what="both failures")
    assert restarts.teardowns == 1
    removed = rt.processor("removed")
    rt.remove("removed")
    assert removed.teardowns == 1  # type: ignore[attr-defined]
    rt.stop()
    assert stops.teardowns == 1  # not twice: it was already torn down when it failed
    assert restarts.teardowns == 2
    assert rt.processor("messy").teardowns == 1  # type: ignore[attr-defined]
    assert rt.events.flush(WAIT_S)
    teardown_errors = [e for e in log.of(ProcessorErrored) if e.phase == "teardown"]
    assert [(e.processor_id, e.error_type) for e in teardown_errors] == [("messy", "RuntimeError")]
    started = {e.processor_id for e in log.of(ProcessorStarted)}
    stopped = {e.processor_id for e in log.of(ProcessorStopped)}
    assert started == stopped == {"src", "stops", "restarts", "removed", "messy"}


# -- statistics -----------------------------------------------------------------------


@ISOLATIONS
def test_statistics_json_shape(rt: sl.Runtime, isolation: str) -> None:
    rec = counting_pair_with(rt, isolation)
    rt.start()
    wait_until(lambda: len(rec.received) >= 20, what="frames")
    live = rt.statistics()
    assert live.state == "running"
    rt.stop()

    stats = rt.statistics()
    sent_frames = stats.processors["src"].frames_out
    assert sent_frames == len(rec.received)
    data = json.loads(json.dumps(stats.to_dict()))
    assert set(data["processors"]) == {"src", "rec"}
    for entry in data["processors"].values():
        assert {"calls", "frames_in", "frames_out", "errors"} <= set(entry)
        assert {"fps", "process_ms_p50", "process_ms_p99", "state", "type"} <= set(entry)
    assert data["processors"]["src"]["frames_in"] == 0
    if isolation == "thread":  # a stand-in's calls are its own, not its worker's
        assert data["processors"]["src"]["calls"] >= sent_frames
    assert data["processors"]["rec"]["frames_in"] == sent_frames
    assert data["processors"]["rec"]["frames_out"] == 0
    assert data["processors"]["rec"]["type"] == "Recorder"
    assert {entry["errors"] for entry in data["processors"].values()} == {0}
    (connection,) = data["connections"]
    assert {"from", "to", "written", "delivered", "dropped"} <= set(connection)
    assert (connection["from"], connection["to"]) == ("src.data", "rec.data")
    assert connection["written"] == connection["delivered"] == sent_frames
    assert connection["dropped"] == 0
    assert connection["profile"] == "lossless"
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.processors["src"].calls = 0  # type: ignore[misc]


# -- live configuration ----------------------------------------------------------------


@pytest.mark.parametrize("isolation", ["thread", "process"], ids=["in-process", "in-a-worker"])
def test_live_config_change_applies_while_running(rt: sl.Runtime, isolation: str) -> None:
    rt.add(ToneSource, id="tone", amplitude=0.25, channels=1, isolation=isolation)
    rt.add(Collector, id="got")
    rt.connect("tone.audio", "got.audio")
    rt.start()
    got = rt.processor("got")
    assert isinstance(got, Collector)
    got.wait_for(3, port="audio")
    rt.update_config("tone", amplitude=0.75)

    def peak(frame: sl.Frame) -> float:
        assert isinstance(frame, sl.AudioFrame)
        return float(np.abs(frame.to_ndarray()).max())

    wait_until(lambda: peak(got.received("audio")[-1]) > 0.7, what="louder blocks")
    rt.stop()
    peaks = [peak(f) for f in got.received("audio")]
    assert peaks[0] == pytest.approx(0.25, abs=0.01)
    assert peaks[-1] == pytest.approx(0.75, abs=0.01)
    # Every block has one level or the other: the change lands between blocks.
    assert all(
        p == pytest.approx(0.25, abs=0.01) or p == pytest.approx(0.75, abs=0.01) for p in peaks
    )
    assert rt.processor("tone").config.amplitude == 0.75


def test_live_pattern_change_while_running(rt: sl.Runtime) -> None:
    rt.add(TestPattern, id="tp", width=64, height=32, fps=100, pattern="bars")
    rt.add(Collector, id="got")
    rt.connect("tp.video", "got.video")
    rt.start()
    got = rt.processor("got")
    assert isinstance(got, Collector)
    got.wait_for(2, port="video")

    def is_checker(frame: sl.Frame) -> bool:
        return set(np.unique(frame.to_ndarray()).tolist()) <= {0, 255}  # type: ignore[attr-defined]

    assert not is_checker(got.received("video")[-1])
    rt.update_config("tp", pattern="checker", fps=200)
    wait_until(lambda: is_checker(got.received("video")[-1]), what="checker frames")
    assert rt._handles["tp"].scheduling.rate_hz == 200.0  # the timer follows the new fps
    with pytest.raises(sl.ConfigError, match="width"):
        rt.update_config("tp", width=128)
    assert rt.processor("tp").config.width == 64
    rt.stop()
    rt.update_config("tp", width=128)  # stopped: any field may change
    assert rt.processor("tp").config.width == 128
    count = len(got.received("video"))
    rt.start()
    frames = got.wait_for(count + 2, port="video")
    assert frames[-1].width == 128  # type: ignore[attr-defined]
    rt.stop()


def test_live_changes_while_paused_all_apply(rt: sl.Runtime) -> None:
    rt.add(ToneSource, id="tone", channels=1)
    rt.add(Collector, id="got")
    rt.connect("tone.audio", "got.audio")
    rt.start()
    got = rt.processor("got")
    assert isinstance(got, Collector)
    got.wait_for(2, port="audio")
    rt.pause()
    rt.update_config("tone", amplitude=0.5)
    rt.update_config("tone", frequencies=(1000.0,))
    rt.resume()
    count = len(got.received("audio"))
    got.wait_for(count + 3, port="audio")
    rt.stop()
    config = rt.processor("tone").config
    assert (config.amplitude, config.frequencies) == (0.5, (1000.0,))


# -- priority hints --------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities: Linux")
@pytest.mark.parametrize("priority", [sl.Priority.HIGH, sl.Priority.REALTIME])
def test_priority_hint_is_applied_or_reported(rt: sl.Runtime, priority: sl.Priority) -> None:
    class Urgent(Counter):
        def scheduling(self) -> sl.Scheduling:
            return sl.Scheduling.timer(self.config.rate_hz, priority)

        def setup(self, ctx: sl.ProcessorContext) -> None:
            super().setup(ctx)
            tid = threading.get_native_id()
            self.nice = os.getpriority(os.PRIO_PROCESS, tid)
            self.policy = os.sched_getscheduler(tid)

    log = EventLog(rt.events, "runtime")
    base_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    urgent = Urgent()
    rt.add(urgent, id="urgent")
    rt.add(Recorder, id="rec")
    rt.connect("urgent.data", "rec.data")
    rt.start()
    rec = rt.processor("rec")
    assert isinstance(rec, Recorder)
    wait_until(lambda: len(rec.received) >= 10, what="frames from the urgent source")
    assert rt.events.flush(WAIT_S)
    warnings = [e for e in log.of(RuntimeWarningEvent) if e.processor_id == "urgent"]
    if warnings:  # refused (no CAP_SYS_NICE): reported, and it runs at normal priority
        (warning,) = warnings
        assert priority.value in warning.message
        assert "normal priority" in warning.message
        assert urgent.nice == base_nice
        assert urgent.policy == os.SCHED_OTHER
    elif priority is sl.Priority.HIGH:
        assert urgent.nice < base_nice or base_nice == -20
    else:
        assert urgent.policy == os.SCHED_FIFO
    assert rt.state is State.RUNNING
    assert rt.statistics().processors["urgent"].errors == 0
    rt.stop()


_UNPRIVILEGED_RUN = """
import json, os, sys
import streamlib as sl
from streamlib.core import RuntimeWarned as Warned

class Urgent(sl.Processor):
    data = sl.Output(sl.DataFrame)

    def scheduling(self):
        return sl.Scheduling.timer(200, sl.Priority(sys.argv[1]))

    def process(self):
        self.data.write(sl.DataFrame(1))

os.setgid(65534)
os.setuid(65534)  # nobody: no CAP_SYS_NICE any more
runtime = sl.Runtime()
seen = []
subscription = runtime.events.subscribe("runtime", seen.append)
runtime.add(Urgent, id="urgent")
runtime.run(duration_s=0.3)
runtime.events.flush(5)
stats = runtime.statistics().processors["urgent"]
runtime.close()
warnings = [e.message for e in seen if isinstance(e, Warned) and e.processor_id == "urgent"]
print(json.dumps({"warnings": warnings, "errors": stats.errors, "calls": stats.calls}))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="needs root to drop to an unprivileged user (without root, the test above refuses)",
)
@pytest.mark.parametrize("priority", [sl.Priority.HIGH, sl.Priority.REALTIME])
def test_refused_priority_is_a_warning_event_not_an_error(priority: sl.Priority) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _UNPRIVILEGED_RUN, priority.value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    (message,) = outcome["warnings"]
    assert f"could not apply priority {priority.value!r}" in message
    assert "running at normal priority" in message
    assert outcome["errors"] == 0
    assert outcome["calls"] > 0
