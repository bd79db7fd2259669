"""Idle is idle: polling loops back off, and device callbacks never wait or run on in a pause."""

from __future__ import annotations

import resource
import threading
from typing import Any

import streamlib as sl
from runtime_support import EventLog, Recorder, SlowReader, running, wait_until
from streamlib.core import RuntimeWarned


class EmptyPoll(sl.Processor):
    """A loop source whose poll finds nothing (a network socket with no traffic)."""

    data = sl.Output(sl.DataFrame)
    default_scheduling = sl.Scheduling.loop()

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.calls = 0
        self.cpu_s = 0.0
        self._started = 0.0

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._started = _thread_cpu_s()

    def process(self) -> bool:
        self.calls += 1
        self.cpu_s = _thread_cpu_s() - self._started  # of this worker thread alone
        return False  # nothing now


def _thread_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def test_an_idle_polling_loop_uses_almost_no_cpu() -> None:
    rt = sl.Runtime()
    poll = rt.add(EmptyPoll, id="poll")
    sink = rt.add(Recorder, id="sink")
    rt.connect(poll.data, sink.data)
    with running(rt):
        wait_until(lambda: poll.processor.calls > 0, what="the first poll")
        started = poll.processor.calls
        threading.Event().wait(1.0)  # one idle second, measured in the thread's own CPU time
        calls = poll.processor.calls - started
        cpu_s = poll.processor.cpu_s
    # Spinning would be hundreds of thousands of calls and a whole core; backing off
    # (10 µs doubling to 5 ms) is a few hundred calls and well under 5 % of a core.
    assert calls < 2000, f"{calls} polls in an idle second"
    assert cpu_s < 0.05 * 1.5, f"the idle loop used {cpu_s:.3f} s of CPU"


class CallbackSource(sl.Processor):
    """A pull source: its own thread (a stand-in for a device callback) writes frames."""

    data = sl.Output(sl.DataFrame)
    default_scheduling = sl.Scheduling.pull()

    class Config(sl.ProcessorConfig):
        frames: int = 300
        period_s: float = 0.001

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.written = 0
        self.done = threading.Event()
        self.paused_gate = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._stop.clear()
        self._thread = threading.Thread(target=self._callback_loop, daemon=True)
        self._thread.start()

    def _callback_loop(self) -> None:
        while self.written < self.config.frames and not self._stop.wait(self.config.period_s):
            self.data.write(sl.DataFrame(self.written, frame_number=self.written))
            self.written += 1
        self.done.set()

    def teardown(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        super().teardown()


def test_a_device_callback_never_waits_for_a_slow_lossless_consumer() -> None:
    rt = sl.Runtime(fuse=False)
    log = EventLog(rt.events, "*")
    src = rt.add(CallbackSource, id="mic", frames=300)
    slow = rt.add(SlowReader, id="slow", delay_s=0.2)
    rt.connect(src.data, slow.data, profile="lossless", capacity=2)
    with running(rt):
        # 300 writes at 1 kHz: had the callback waited for room, this would take a minute.
        assert src.processor.done.wait(10), "the callback blocked on the full connection"
        stats = rt.connection("mic.data", "slow.data").statistics()
        assert stats.dropped > 250
        assert stats.written == 300
        wait_until(
            lambda: any("device callback never waits" in w.message for w in log.of(RuntimeWarned)),
            what="a warning naming the drops",
        )
    log.close()


def test_a_paused_runtime_gives_up_device_frames_and_counts_them() -> None:
    rt = sl.Runtime(fuse=False)
    src = rt.add(CallbackSource, id="mic", frames=100_000, period_s=0.002)
    sink = rt.add(Recorder, id="sink")
    rt.connect(src.data, sink.data)
    with running(rt):
        wait_until(lambda: len(sink.processor.received) > 10, what="frames before the pause")
        rt.pause()
        before = len(sink.processor.received)
        connection = rt.connection("mic.data", "sink.data")
        queued_at_pause = len(connection)
        written_at_pause = src.processor.written
        wait_until(lambda: src.processor.written > written_at_pause + 50, what="writes in pause")
        assert len(sink.processor.received) == before  # nothing delivered while paused
        assert len(connection) == queued_at_pause  # and nothing piles up
        rt.resume()
        wait_until(lambda: len(sink.processor.received) > before + 10, what="frames after")
        stats = connection.statistics()
        assert stats.dropped >= 50  # every frame given up in the pause is counted
        assert stats.written == stats.delivered + stats.dropped + stats.depth
