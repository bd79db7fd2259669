"""Failures stay local: a failed, hung or misbehaving processor harms nobody else.

Each test here is a finding of the adversarial review (issue 11) that failed on
the main branch before the fix.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import streamlib as sl
from runtime_support import (
    Counter,
    EventLog,
    Faulty,
    Recorder,
    SlowReader,
    running,
    streamlib_threads,
    wait_until,
)
from streamlib.core import (
    EventBus,
    ProcessorErrored,
    ProcessorState,
    RestartBackoff,
    RuntimeWarned,
)

FAST_BACKOFF = RestartBackoff(initial_s=0.001, max_s=0.002)


# -- a failed consumer detaches --------------------------------------------------------


def test_a_failed_consumer_detaches_and_its_producer_and_siblings_carry_on() -> None:
    rt = sl.Runtime(fuse=False)
    src = rt.add(Counter, id="src", rate_hz=400)
    broken = rt.add(Faulty, id="broken", fail_always=True, error_policy="stop")
    preview = rt.add(Recorder, id="preview")
    rt.connect(src.data, broken.data, capacity=2)
    rt.connect(src.data, preview.data)
    with running(rt):
        wait_until(lambda: rt.processor_state("broken") is ProcessorState.FAILED)
        seen = len(preview.processor.received)
        wait_until(lambda: len(preview.processor.received) >= seen + 100, what="preview frames")
        stats = rt.statistics()
        assert stats.processors["src"].errors == 0
        assert stats.processors["src"].state == "running"
        to_broken = next(c for c in stats.connections if c.target == "broken.data")
        # Frames meant for the failed consumer are given up, and every one is counted.
        assert to_broken.dropped > 0
        assert to_broken.written == to_broken.delivered + to_broken.dropped + to_broken.depth


# -- exceptions that are not Exceptions ------------------------------------------------


class RaisesBase(sl.Processor):
    """Raises a BaseException that is not an Exception from process()."""

    class Config(sl.ProcessorConfig):
        what: str = "keyboard"

    data = sl.Input(sl.DataFrame)

    def process(self) -> None:
        self.data.read_all()
        if self.config.what == "keyboard":
            raise KeyboardInterrupt
        raise asyncio.CancelledError


@pytest.mark.parametrize("what", ["keyboard", "canceled"])
def test_a_base_exception_in_process_is_an_error_not_a_silent_death(what: str) -> None:
    rt = sl.Runtime(fuse=False)
    log = EventLog(rt.events, "processor:*")
    src = rt.add(Counter, id="src", rate_hz=200)
    bad = rt.add(RaisesBase, id="bad", what=what, error_policy="stop")
    rt.connect(src.data, bad.data)
    with running(rt):
        wait_until(lambda: rt.processor_state("bad") is ProcessorState.FAILED)
        wait_until(lambda: bool(log.of(ProcessorErrored)), what="the error event")
        assert log.of(ProcessorErrored)[0].processor_id == "bad"
        assert rt.statistics().processors["bad"].errors == 1
        assert rt.processor_state("src") is ProcessorState.RUNNING
    log.close()


def test_the_restart_backoff_never_overflows() -> None:
    backoff = RestartBackoff(initial_s=0.1, factor=2.0, max_s=5.0)
    assert backoff.delay_s(1025) == 5.0
    assert backoff.delay_s(10**9) == 5.0
    assert RestartBackoff(factor=10.0).delay_s(400) == RestartBackoff().max_s


class NeverSetsUp(sl.Processor):
    """A source whose setup always fails (a missing device, a busy port)."""

    data = sl.Output(sl.DataFrame)

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.timer(100)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        raise OSError("the device is busy")

    def process(self) -> None:
        self.data.write(sl.DataFrame("never"))


def test_setup_failures_back_off_further_each_time() -> None:
    rt = sl.Runtime(backoff=RestartBackoff(initial_s=0.01, factor=2.0, max_s=1.0))
    log = EventLog(rt.events, "processor:*")
    rt.add(NeverSetsUp, id="dev")
    with running(rt):
        wait_until(lambda: len(log.of(ProcessorErrored)) >= 4, what="four setup failures")
    delays = [e.restart_in_s for e in log.of(ProcessorErrored)[:4]]
    assert delays == [0.01, 0.02, 0.04, 0.08]
    log.close()


def test_a_processor_whose_setup_keeps_failing_is_given_up_after_a_few_attempts() -> None:
    rt = sl.Runtime(backoff=RestartBackoff(initial_s=0.001, max_s=0.002, setup_attempts=3))
    log = EventLog(rt.events, "processor:*")
    rt.add(NeverSetsUp, id="dev")
    with running(rt):
        wait_until(lambda: rt.processor_state("dev") is ProcessorState.FAILED, what="giving up")
        rt.events.flush()
        actions = [e.action for e in log.of(ProcessorErrored)]
        assert actions == ["restart", "restart", "stop"]
        assert rt.statistics().processors["dev"].errors == 3
    log.close()


# -- a processor that never returns ----------------------------------------------------


class Hangs(sl.Processor):
    """Blocks inside process() until ``release`` is set; counts overlapping calls."""

    data = sl.Input(sl.DataFrame)

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.release = threading.Event()
        self.inside = 0
        self.most_inside = 0
        self.entered = threading.Event()
        self.teardown_while_inside = False
        self.teardowns = 0
        self._lock = threading.Lock()

    def process(self) -> None:
        self.data.read_all()
        with self._lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        self.entered.set()
        self.release.wait(30)
        with self._lock:
            self.inside -= 1

    def teardown(self) -> None:
        self.teardowns += 1
        self.teardown_while_inside = self.teardown_while_inside or self.inside > 0
        super().teardown()


def test_a_processor_whose_thread_cannot_be_stopped_is_quarantined() -> None:
    rt = sl.Runtime(fuse=False, stop_timeout_s=0.2)
    log = EventLog(rt.events, "*")
    src = rt.add(Counter, id="src", rate_hz=200)
    hang = rt.add(Hangs, id="hang")
    rt.connect(src.data, hang.data)
    processor = hang.processor
    try:
        rt.start()
        assert processor.entered.wait(10)
        rt.stop()
        assert rt.processor_state("hang") is ProcessorState.QUARANTINED
        assert rt.statistics().processors["hang"].state == "quarantined"
        wait_until(
            lambda: any("quarantined" in w.message for w in log.of(RuntimeWarned)),
            what="a warning naming the quarantine",
        )
        rt.start()  # the others run again; the hung one is never run by a second thread
        seen = src.processor.next_number
        wait_until(lambda: src.processor.next_number > seen + 20, what="the source running")
        assert processor.most_inside == 1
        rt.remove("hang")  # no teardown while its process() is still running
        assert processor.teardowns == 0
    finally:
        processor.release.set()
        rt.close()
    # Once the call returns, the stuck thread tears its processor down and exits.
    wait_until(lambda: processor.teardowns == 1, what="teardown on the released thread")
    wait_until(lambda: streamlib_threads() == [], what="the stuck thread to end")
    assert not processor.teardown_while_inside
    log.close()


# -- timers keep their schedule --------------------------------------------------------


def test_a_timer_keeps_its_schedule_across_regroups() -> None:
    rt = sl.Runtime()
    src = rt.add(Counter, id="src", rate_hz=10)
    sink = rt.add(Recorder, id="sink")
    rt.connect(src.data, sink.data)
    with running(rt):
        started = time.monotonic()
        for index in range(20):  # each change regroups the timer's worker
            tap = rt.add(Recorder, id=f"tap{index}")
            rt.connect(src.data, tap.data)
            rt.remove(tap)
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        sent = src.processor.next_number
    # 10 per second, plus the first tick: an extra frame per regroup would add 20 (or 40).
    assert sent <= 10 * elapsed + 3, f"{sent} frames in {elapsed:.2f} s at 10 fps"


# -- nothing queued is lost uncounted at stop -------------------------------------------


def test_frames_queued_when_an_orderly_stop_begins_all_reach_the_consumer() -> None:
    rt = sl.Runtime(fuse=False, stop_timeout_s=0.3)
    src = rt.add(Counter, id="src", rate_hz=2000)
    slow = rt.add(SlowReader, id="slow", delay_s=0.02)
    rt.connect(src.data, slow.data, capacity=64)
    rt.start()
    wait_until(lambda: len(rt.connection("src.data", "slow.data")) >= 48, what="a full queue")
    rt.stop()
    stats = rt.connection("src.data", "slow.data").statistics()
    # Draining takes longer than the stop timeout, but it makes progress: nothing is lost.
    assert stats.depth == 0
    assert stats.dropped == 0
    assert len(slow.processor.received) == stats.written
    rt.close()


def test_frames_cut_off_by_a_disconnect_count_as_dropped() -> None:
    rt = sl.Runtime(fuse=False)
    src = rt.add(Counter, id="src", rate_hz=2000)
    slow = rt.add(SlowReader, id="slow", delay_s=0.05)
    rt.connect(src.data, slow.data, capacity=16)
    with running(rt):
        connection = rt.connection("src.data", "slow.data")
        wait_until(lambda: len(connection) >= 8, what="a queue")
        rt.disconnect("src.data", "slow.data")
        stats = connection.statistics()
    assert stats.depth == 0
    assert stats.dropped >= 8
    assert stats.written == stats.delivered + stats.dropped


# -- errors are counted and shown once -------------------------------------------------


class TeardownFails(sl.Processor):
    data = sl.Input(sl.DataFrame)

    def process(self) -> None:
        self.data.read_all()

    def teardown(self) -> None:
        raise OSError("could not close the device")


def test_teardown_errors_are_counted_in_statistics() -> None:
    rt = sl.Runtime()
    src = rt.add(Counter, id="src", rate_hz=100)
    bad = rt.add(TeardownFails, id="bad")
    rt.connect(src.data, bad.data)
    rt.start()
    rt.stop()
    stats = rt.statistics().processors["bad"]
    assert stats.errors == 1
    assert stats.last_error == "OSError: could not close the device"
    rt.close()


def test_repeated_errors_log_one_traceback_then_one_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rt = sl.Runtime(fuse=False, backoff=FAST_BACKOFF)
    src = rt.add(Counter, id="src", rate_hz=500)
    bad = rt.add(Faulty, id="bad", fail_always=True)
    rt.connect(src.data, bad.data)
    with caplog.at_level(logging.ERROR, logger="streamlib.runtime"), running(rt):
        wait_until(lambda: rt.statistics().processors["bad"].errors >= 5, what="five errors")
    records = [r for r in caplog.records if "bad" in r.getMessage()]
    assert len(records) >= 5
    assert sum(r.exc_info is not None for r in records) == 1
    assert records[0].exc_info is not None


def test_a_listener_raising_system_exit_keeps_receiving_events() -> None:
    bus = EventBus()
    received: list[str] = []

    def listener(event: sl.core.Event) -> None:
        received.append(event.message)  # type: ignore[attr-defined]
        if len(received) == 1:
            raise SystemExit(1)

    subscription = bus.subscribe("*", listener)
    bus.publish(RuntimeWarned(message="first"))
    bus.publish(RuntimeWarned(message="second"))
    wait_until(lambda: len(received) == 2, what="the second event")
    assert subscription.errors == 1
    bus.close()


# -- signals while finalizing ----------------------------------------------------------

_FINALIZING_SCRIPT = """
import sys, time
from pathlib import Path
import streamlib as sl
from streamlib.processors import TestPattern

class SlowFinish(sl.Processor):
    video = sl.Input(sl.VideoFrame)

    def setup(self, ctx):
        super().setup(ctx)
        # Said from run()'s own loop: its signal handlers are in place by then.
        ctx.run_on_main_async(lambda: print("running", flush=True))

    def process(self):
        self.video.read_all()

    def teardown(self):
        print("finalizing", flush=True)
        time.sleep(1.5)
        Path(sys.argv[1]).write_text("finalized")

with sl.Runtime() as rt:
    src = rt.add(TestPattern, width=32, height=32, fps=30)
    sink = rt.add(SlowFinish)
    rt.connect(src.video, sink.video)
    rt.run()
print("done", flush=True)
"""


def _start_finalizing_child(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(_FINALIZING_SCRIPT))
    child = subprocess.Popen(
        [sys.executable, str(script), str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "running"
    child.send_signal(signal.SIGINT)
    assert child.stdout.readline().strip() == "finalizing"
    return child, marker


def test_a_second_signal_does_not_interrupt_finalization(tmp_path: Path) -> None:
    child, marker = _start_finalizing_child(tmp_path)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert marker.read_text() == "finalized"
    assert "done" in out
    assert "again to force" in err


def test_a_third_signal_forces_exit_and_says_so(tmp_path: Path) -> None:
    child, marker = _start_finalizing_child(tmp_path)
    child.send_signal(signal.SIGINT)
    assert child.stderr is not None
    assert "again to force" in child.stderr.readline()  # the second was heard; now a third
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode != 0
    assert "forcing exit" in err
    assert not marker.exists()
