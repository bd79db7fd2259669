"""What ends ``Runtime.run()``: a stop request, a ``raise``-policy failure, every sink
settled, or the duration given.

Workers report from their own threads (a processor ended its stream, gave up, or
failed fatally); :class:`RunControl` only notes it and wakes the thread in
``run()``, which looks at the whole graph on its own time.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Mapping

from ..core import Graph, ProcessorError, ProcessorId
from ._handle import ProcessorHandle
from ._main_thread import MainThreadQueue
from ._wiring import NEVER_READS_AGAIN

__all__ = ["RunControl", "RunOutcome", "RuntimeState"]

_PUMP_S = 0.25  # longest wait between looks at the flags nobody woke us for


class RuntimeState(enum.Enum):
    """Where the runtime is: ``idle -> running <-> paused -> stopped`` (``stopped -> running``)."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class RunOutcome(enum.Enum):
    """Why :meth:`Runtime.run` returned."""

    ENDED = "ended"  # every sink ended its stream: the job is done
    FAILED = "failed"  # every sink ended or failed, and at least one failed
    DURATION = "duration"  # the duration given to run() passed first
    STOPPED = "stopped"  # request_stop(), SIGINT or SIGTERM


class RunControl:
    """The flags a run ends on, set from any thread, read by the thread in ``run()``."""

    def __init__(
        self,
        graph: Graph,
        handles: Mapping[ProcessorId, ProcessorHandle],
        main: MainThreadQueue,
        lock: threading.RLock,
    ) -> None:
        self._graph = graph
        self._handles = handles
        self._main = main
        self._lock = lock
        self.stop_requested = False
        self._settled = False  # a processor ended or gave up: have all sinks?
        self._fatal: tuple[ProcessorId, BaseException] | None = None

    def reset(self) -> None:
        """A new run: no stop asked for, nothing settled, no failure."""
        self.stop_requested = False
        self._settled = False
        self._fatal = None

    def request_stop(self) -> None:
        """Safe from any thread or signal handler."""
        self.stop_requested = True
        self._main.wakeup.unpark()

    def on_settled(self, processor_id: ProcessorId) -> None:
        """A processor ended its stream or gave up for good (called on its worker)."""
        self._settled = True
        self._main.wakeup.unpark()

    def on_fatal(self, processor_id: ProcessorId, error: BaseException) -> None:
        """A ``raise``-policy failure: the first one is kept, and the run stops."""
        if self._fatal is None:
            self._fatal = (processor_id, error)
        self.request_stop()

    def wait(self, duration_s: float | None) -> RunOutcome:
        """Run ``run_on_main`` calls until something ends the run; why it ended."""
        deadline = None if duration_s is None else time.monotonic() + duration_s
        while not self.stop_requested:
            if self._settled:
                self._settled = False
                finished = self.finished()
                if finished is not None:
                    return finished
            timeout = _PUMP_S
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    return RunOutcome.DURATION
            self._main.pump(timeout)
        return RunOutcome.STOPPED

    def finished(self) -> RunOutcome | None:
        """ENDED or FAILED once every sink (a processor feeding nobody) has ended or
        failed for good; None while any still runs (or there are none)."""
        with self._lock:
            sinks = self._graph.sinks()
            if not sinks:
                return None
            failed = False
            for pid in sinks:
                handle = self._handles[pid]
                if handle.state in NEVER_READS_AGAIN:
                    failed = True
                elif not handle.ended:
                    return None
            return RunOutcome.FAILED if failed else RunOutcome.ENDED

    def raise_fatal(self) -> None:
        """Raise ``ProcessorError`` for a ``raise``-policy failure of this run, if any."""
        fatal = self._fatal
        if fatal is None:
            return
        pid, error = fatal
        raise ProcessorError(
            f"processor {pid} failed with the 'raise' error policy: "
            f"{type(error).__name__}: {error}",
            processor_id=pid,
        ) from error
