"""The runtime's lifecycle: ``idle -> running <-> paused -> stopped`` (``stopped -> running``).

:class:`Lifecycle` holds the state and makes each move under the runtime's
control-plane lock: ``start`` sets every processor up on its worker, ``pause``
holds the connections, ``stop`` drains and tears down in graph order, and ``run``
starts, waits for what ends the run (``_run_control``) and stops. ``Runtime``
forwards its ``start``, ``pause``, ``resume``, ``stop``, ``run`` and ``close`` here.
Between moves, :meth:`Lifecycle.regroup` keeps the workers in line with the graph
for the state it is in: none while stopped, only changed groups restarted while
running. With ``fuse="auto"`` a review once a second (``_fusion_reviews``) also
regroups where measured costs say so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ..core import (
    ProcessorId,
    RuntimePaused,
    RuntimeResumed,
    RuntimeStarted,
    RuntimeStateError,
    RuntimeStopped,
)
from ._announcements import Announcer
from ._fusion_reviews import FusionReviews
from ._handle import ProcessorHandle
from ._main_thread import MainThreadQueue
from ._run_control import RunControl, RunOutcome, RuntimeState
from ._signals import signals_stop_run
from ._wiring import Wiring
from ._worker_set import WorkerSet

__all__ = ["Lifecycle"]


class Lifecycle:
    """Where the runtime is, and the moves between states."""

    def __init__(
        self,
        *,
        handles: Mapping[ProcessorId, ProcessorHandle],
        wiring: Wiring,
        workers: WorkerSet,
        control: RunControl,
        main: MainThreadQueue,
        lock: threading.RLock,
        announce: Announcer,
    ) -> None:
        self._handles = handles
        self._wiring = wiring
        self._workers = workers
        self._control = control
        self._main = main
        self._lock = lock
        self._announce = announce
        self.state = RuntimeState.IDLE
        self.paused = False
        self._started_at = 0.0
        self._closed = False
        self._abandoned = False  # a forced exit (third signal): stop() waits for nobody
        self._regroup_held = 0  # > 0 inside one_regroup()
        fusion = workers.fusion
        self._reviews = (
            FusionReviews(self._review_fusion, interval_s=fusion.review_interval_s)
            if fusion is not None
            else None
        )

    @property
    def running_or_paused(self) -> bool:
        """Whether workers exist (running, or paused with threads and devices set up)."""
        return self.state in (RuntimeState.RUNNING, RuntimeState.PAUSED)

    def uptime_s(self) -> float:
        """Seconds since the last ``start`` (0 before the first)."""
        return time.monotonic() - self._started_at if self._started_at else 0.0

    def start(self) -> None:
        with self._lock:
            if self.state is RuntimeState.RUNNING:
                raise RuntimeStateError("the runtime is already running")
            if self.state is RuntimeState.PAUSED:
                raise RuntimeStateError("the runtime is paused; call resume() to continue")
            self._check_open()
            for handle in self._handles.values():
                handle.forgive()
                handle.new_stream()  # before the connections: a new run is a new stream
            self._wiring.reopen_closed()  # a stopped runtime closed them
            self._control.reset()
            self.paused = False
            self._started_at = time.monotonic()
            self.state = RuntimeState.RUNNING
            self.regroup()
            if self._reviews is not None:
                self._reviews.start()
            self._announce.state_changed(RuntimeStarted)

    def pause(self) -> None:
        with self._lock:
            if self.state is not RuntimeState.RUNNING:
                raise RuntimeStateError(
                    f"only a running runtime can pause (it is {self.state.value})"
                )
            self.paused = True
            self._wiring.hold(True)
            self.state = RuntimeState.PAUSED
            self._announce.state_changed(RuntimePaused)

    def resume(self) -> None:
        with self._lock:
            if self.state is not RuntimeState.PAUSED:
                raise RuntimeStateError(
                    f"only a paused runtime can resume (it is {self.state.value})"
                )
            self.paused = False
            self._wiring.hold(False)
            self.state = RuntimeState.RUNNING
            self._workers.wake()
            self._announce.state_changed(RuntimeResumed)

    def stop(self) -> None:
        if self._workers.is_worker_thread():
            raise RuntimeStateError(
                "stop() was called from a processor's worker thread, which would wait for "
                "itself; call runtime.request_stop() there instead"
            )
        with self._lock:
            if self.state in (RuntimeState.IDLE, RuntimeState.STOPPED):
                self.state = RuntimeState.STOPPED
                return
            if self._reviews is not None:
                self._reviews.stop()  # it never waits for the lock held here
            self.paused = False
            self._wiring.hold(False)
            self._workers.stop_all(frozenset(self._handles), abandoned=lambda: self._abandoned)
            self._wiring.close_all("the runtime stopped")
            self.state = RuntimeState.STOPPED
            self._announce.state_changed(RuntimeStopped)

    def run(self, duration_s: float | None) -> RunOutcome:
        outcome = RunOutcome.STOPPED
        # ``run_on_main`` means the thread in run(), wherever the runtime was made.
        owner, self._main.owner = self._main.owner, threading.get_ident()
        try:
            if self.state in (RuntimeState.IDLE, RuntimeState.STOPPED):
                self.start()
            with signals_stop_run(self._control.request_stop, self._abandon):
                try:
                    outcome = self._control.wait(duration_s)
                finally:
                    self.stop()
        finally:
            self._main.owner = owner
        self._control.raise_fatal()
        return outcome

    def close(self) -> None:
        """Stop for good: ``start`` refuses from now on."""
        self.stop()
        self._closed = True
        self._main.close()

    @contextmanager
    def one_regroup(self) -> Iterator[None]:
        """Hold back regrouping during a batch of changes, then regroup once."""
        self._regroup_held += 1
        try:
            yield
        finally:
            self._regroup_held -= 1
            self.regroup()

    def regroup(self) -> None:
        """Bring the workers in line with the graph: restart only groups that changed."""
        if self._regroup_held:
            return
        if not self.running_or_paused:
            self._wiring.bind({}, paused=False)
            return
        self._workers.regroup(lambda worker_of: self._wiring.bind(worker_of, paused=self.paused))

    def _review_fusion(self) -> None:
        """Measured fusion's review: regroup where the costs say so (``fuse="auto"``)."""
        if not self._lock.acquire(blocking=False):
            return  # the control plane is busy (a change, a stop): look again next time
        try:
            if self.state is not RuntimeState.RUNNING or self.paused or self._regroup_held:
                return
            advice = self._workers.review(
                lambda worker_of: self._wiring.bind(worker_of, paused=self.paused)
            )
            groups = self._workers.groups()
        finally:
            self._lock.release()
        if advice is not None:
            self._announce.workers_regrouped(advice.reason, groups)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeStateError("this runtime was closed; create a new Runtime")

    def _abandon(self) -> None:
        """A forced exit (the third signal): stop() waits for no worker any more."""
        self._abandoned = True
