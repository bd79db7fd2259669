"""Workers: one thread running one group of processors (usually one; a fused chain when cheap).

The group's head decides how the thread is driven (push, loop, timer or pull);
the other members are push processors fed only by the member before them, run
right after it on the same thread, so a hop between them wakes nobody.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ..core import ProcessorContext, ProcessorId, ProcessorState, SchedulingMode, Wakeup
from ._handle import ProcessorHandle

__all__ = ["Worker"]

_IDLE_PARK_S = 0.25  # longest sleep before re-checking flags nobody woke us for
# A loop processor that found nothing waits this long, doubling while it stays idle.
_LOOP_IDLE_MIN_S = 10e-6
_LOOP_IDLE_MAX_S = 0.005


class Worker:
    """Runs ``members`` (head first, in graph order) on one thread until asked to stop."""

    def __init__(
        self,
        members: Sequence[ProcessorHandle],
        *,
        context_for: Callable[[ProcessorHandle, Wakeup], ProcessorContext],
        is_paused: Callable[[], bool],
        on_thread_start: Callable[[Worker], None],
    ) -> None:
        self.members = tuple(members)
        self.head = self.members[0]
        self.name = "streamlib:" + "+".join(str(m.id) for m in self.members)
        self.wakeup = Wakeup()
        self._context_for = context_for
        self._is_paused = is_paused
        self._on_thread_start = on_thread_start
        self._stop = False
        self._drain = False
        self.progress = 0  # rounds of queued input consumed while draining
        self._teardown: frozenset[ProcessorId] = frozenset()
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        # Scheduling modes never change while a worker runs (only a timer's rate).
        self._push_members = tuple(m for m in self.members if m.mode is SchedulingMode.PUSH)
        self._push_followers = tuple(m for m in self.members[1:] if m.mode is SchedulingMode.PUSH)
        for member in self.members:
            member.worker_name = self.name

    @property
    def ids(self) -> tuple[ProcessorId, ...]:
        return tuple(m.id for m in self.members)

    def start(self) -> None:
        self.thread.start()

    def request_stop(self, *, teardown: frozenset[ProcessorId], drain: bool = False) -> None:
        """Ask the thread to finish: with ``drain``, first let the push members consume
        everything already queued (``progress`` counts the rounds, so whoever waits
        can tell a long drain from a stuck call), then tear down the members in
        ``teardown`` (the rest move to another worker).
        """
        self._teardown = teardown
        self._drain = drain
        self._stop = True
        self.wakeup.unpark()

    def join(self, timeout: float) -> bool:
        """Wait for the thread; False if it is still running (a processor stuck in a call)."""
        if self.thread.ident is None:
            return True
        self.thread.join(timeout)
        return not self.thread.is_alive()

    # -- the thread ------------------------------------------------------------------

    def _run(self) -> None:
        self._on_thread_start(self)
        try:
            for member in self.members:
                if member.state in (ProcessorState.ADDED, ProcessorState.STOPPED):
                    member.set_up(self._context_for(member, self.wakeup))
            mode = self.head.mode
            if mode is SchedulingMode.TIMER:
                self._run_timer()
            elif mode is SchedulingMode.LOOP:
                self._run_loop()
            elif mode is SchedulingMode.PULL:
                self._run_pull()
            else:
                self._run_push()
            if self._drain:
                self._drain_inputs()
        finally:
            for member in self.members:
                # A quarantined member is still this thread's: nobody else may tear it down.
                quarantined = member.state is ProcessorState.QUARANTINED
                if quarantined or (member.id in self._teardown and member.is_active):
                    member.tear_down()

    def _run_push(self) -> None:
        while not self._stop:
            if self._is_paused():
                self.wakeup.park(_IDLE_PARK_S)
                continue
            if not self._run_members(0):
                self.wakeup.park(self._idle_timeout())

    def _run_loop(self) -> None:
        head = self.head
        idle_s = 0.0
        while not self._stop:
            if self._is_paused():
                self.wakeup.park(_IDLE_PARK_S)
                continue
            if not head.is_set_up or head.ended:
                self._restart_due()
                if not head.is_set_up or head.ended:  # backing off, failed or done: wait
                    self.wakeup.park(self._idle_timeout())
                    continue
            if head.run_process():
                idle_s = 0.0
            else:  # nothing now: back off, but new input or a stop wakes us at once
                idle_s = min(_LOOP_IDLE_MAX_S, idle_s * 2 or _LOOP_IDLE_MIN_S)
                self.wakeup.park(idle_s)
            head.check_end()
            self._run_members(1)

    def _run_timer(self) -> None:
        head = self.head
        # The schedule lives on the processor, so a new worker (the graph changed
        # around it) keeps the beat instead of ticking at once.
        next_tick = head.next_tick_s if head.next_tick_s is not None else time.monotonic()
        while not self._stop:
            if self._is_paused():
                self.wakeup.park(_IDLE_PARK_S)
                next_tick = head.next_tick_s = time.monotonic()
                continue
            if not head.is_set_up:
                self._restart_due()  # between ticks too: a 1 fps source restarts on time
            elif head.ended:  # ran out: nothing to tick for (followers still drain)
                self._run_members(1)
                self.wakeup.park(_IDLE_PARK_S)
                continue
            now = time.monotonic()
            if now < next_tick:
                self.wakeup.park(min(next_tick - now, self._idle_timeout()))
                continue
            if head.is_set_up and not head.ended:
                head.run_process()
                head.check_end()
            self._run_members(1)
            next_tick += 1.0 / (head.scheduling.rate_hz or 1.0)  # a live config may change it
            next_tick = max(next_tick, now)  # fell behind (overloaded): skip missed ticks
            head.next_tick_s = next_tick

    def _run_pull(self) -> None:
        # The processor's own callback writes; the runtime only keeps it alive (and
        # tells it when its inputs, if any, have ended).
        head = self.head
        while not self._stop:
            self._restart_due()
            head.check_end()
            head.report_refused()
            self.wakeup.park(self._idle_timeout())

    def _drain_inputs(self) -> None:
        """On an orderly stop, let every member hand on what is still on its way to it
        (``drain_at_stop()``: a stand-in's worker process, a worker's channel from the
        parent) and the push members consume everything already queued.

        It ends when a round hands on and takes nothing: the producers have stopped,
        so every queue is finite. A member that stops consuming ends it; one stuck in
        a call is the runtime's to quarantine.
        """
        while True:
            handed_on = False
            for member in self.members:
                if member.run_drain_at_stop():
                    handed_on = True
            if not self._run_members(0) and not handed_on:
                return
            self.progress += 1

    def _run_members(self, first: int) -> bool:
        """Run every push member with new input, in order, until none has any.

        Returns after each round when asked to stop or pause: a member slower than
        its input always has more, and would otherwise never let the worker stop.
        """
        ran_any = False
        members = self._push_followers if first else self._push_members
        while True:
            ran = False
            for member in members:
                if member.is_set_up:
                    if member.run_if_ready():
                        ran = True
                elif member.state is ProcessorState.BACKING_OFF:
                    self._restart_due()
            if not ran:
                return ran_any
            ran_any = True
            if self._stop or self._is_paused():
                return ran_any

    def _restart_due(self) -> None:
        now = time.monotonic()
        for member in self.members:
            if member.state is ProcessorState.BACKING_OFF:
                member.maybe_restart(self._context_for(member, self.wakeup), now)

    def _idle_timeout(self) -> float:
        timeout = _IDLE_PARK_S
        for member in self.members:
            if member.state is ProcessorState.BACKING_OFF:
                timeout = min(timeout, member.restart_at - time.monotonic())
        return max(0.0005, timeout)

    def __repr__(self) -> str:
        return f"<Worker {self.name}>"
