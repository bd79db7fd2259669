"""The worker threads of a runtime, kept in line with the graph.

One :class:`~streamlib.runtime._worker.Worker` per group of processors (a
fused chain, or one processor). A graph change restarts only the groups it
changes, producers first; a stop drains and tears down in graph order. A
worker that makes no progress for ``stop_timeout_s`` while asked to stop is
stuck in a call: its processors are quarantined, never run again. With
``fuse="auto"`` the groups also follow what the processors cost
(:mod:`~streamlib.runtime._measured_fusion`): :meth:`WorkerSet.review` splits a
saturated chain and rejoins a calm one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from ..core import Graph, ProcessorContext, ProcessorId, ProcessorState, Wakeup
from ._grouping import fusable_producer, plan_groups
from ._handle import ProcessorHandle
from ._main_thread import MainThreadQueue
from ._measured_fusion import FusionAdvice, MeasuredFusion
from ._worker import Worker

__all__ = ["Fuse", "Group", "WorkerSet"]

Group = tuple[ProcessorId, ...]

Fuse = bool | Literal["auto"]
"""How processors share threads: ``"auto"`` fuses by structure and splits where
measured cost saturates a thread; ``True`` fuses by structure only; ``False``
gives each processor a thread."""

_JOIN_POLL_S = 0.05  # how often a waiting stop looks at a worker's progress


class WorkerSet:
    """The workers now running, by group; changed only from the runtime's control plane."""

    def __init__(
        self,
        graph: Graph,
        handles: Mapping[ProcessorId, ProcessorHandle],
        main: MainThreadQueue,
        *,
        fuse: Fuse,
        stop_timeout_s: float,
        context_for: Callable[[ProcessorHandle, Wakeup], ProcessorContext],
        is_paused: Callable[[], bool],
        on_thread_start: Callable[[Worker], None],
        warn: Callable[[str, ProcessorId | None], None],
    ) -> None:
        self._graph = graph
        self._handles = handles
        self._main = main
        self.fuse: Fuse = fuse
        self.fusion = MeasuredFusion() if fuse == "auto" else None
        self.stop_timeout_s = stop_timeout_s
        self._context_for = context_for
        self._is_paused = is_paused
        self._on_thread_start = on_thread_start
        self._warn = warn
        self._workers: dict[Group, Worker] = {}

    def __len__(self) -> int:
        return len(self._workers)

    def groups(self) -> list[Group]:
        return list(self._workers)

    def worker_of(self) -> dict[ProcessorId, Worker]:
        return {pid: worker for worker in self._workers.values() for pid in worker.ids}

    def is_worker_thread(self) -> bool:
        """Whether the calling thread is one of these workers (it must not wait for itself)."""
        current = threading.current_thread()
        return any(w.thread is current for w in list(self._workers.values()))

    def regroup(self, bind: Callable[[Mapping[ProcessorId, Worker]], None]) -> None:
        """Restart only the groups that changed (producers first), ``bind`` the connections
        to the new workers, then start those."""
        plan = self._plan()
        wanted = set(plan)
        # Producers first, one at a time: a producer waiting for room on a lossless
        # connection finishes its write while the consumer's worker still drains it.
        order = self._graph_order()
        changed = sorted(
            (group for group in self._workers if group not in wanted),
            key=lambda group: order.get(group[0], -1),
        )
        for group in changed:
            worker = self._workers.pop(group)
            worker.request_stop(teardown=frozenset())
            self._join(worker)
        fresh: list[Worker] = []
        for group in plan:
            if group not in self._workers:
                worker = Worker(
                    [self._handles[pid] for pid in group],
                    context_for=self._context_for,
                    is_paused=self._is_paused,
                    on_thread_start=self._on_thread_start,
                )
                self._workers[group] = worker
                fresh.append(worker)
        bind(self.worker_of())
        for worker in fresh:
            worker.start()

    def review(self, bind: Callable[[Mapping[ProcessorId, Worker]], None]) -> FusionAdvice | None:
        """Measured fusion: regroup when the processors' cost says so (at most once per
        review interval); what changed and why, or ``None``."""
        fusion = self.fusion
        now_s = time.monotonic()
        if fusion is None or not fusion.due(now_s):
            return None
        now_ns = time.perf_counter_ns()
        busy = {
            pid: handle.timings.busy_fraction(now_ns)
            for pid, handle in self._handles.items()
            if handle.is_active
        }
        fusion.forget(set(self._handles))
        advice = fusion.review(
            list(self._workers),
            busy,
            now_s,
            producer_of=lambda pid: fusable_producer(self._graph, self._handles, pid),
        )
        if advice is not None:
            self.regroup(bind)
        return advice

    def stop_with(self, processor_id: ProcessorId) -> None:
        """Stop the worker running ``processor_id``, tearing down that processor only."""
        for group, worker in list(self._workers.items()):
            if processor_id in group:
                worker.request_stop(teardown=frozenset({processor_id}))
                self._join(worker)
                del self._workers[group]

    def stop_all(self, teardown: frozenset[ProcessorId], abandoned: Callable[[], bool]) -> None:
        """Stop every worker in graph order, each after draining its queued input, tearing
        down ``teardown``; a forced exit (``abandoned()``) waits for nobody."""
        order = self._graph_order()
        for group in sorted(self._workers, key=lambda group: order[group[0]]):
            if abandoned():
                break
            self._workers[group].request_stop(teardown=teardown, drain=True)
            self._join(self._workers.pop(group))
        self._workers.clear()

    def wake(self, processor_ids: Iterable[ProcessorId] | None = None) -> None:
        """Wake the workers of ``processor_ids`` (all, by default) to look at their flags."""
        wanted = None if processor_ids is None else set(processor_ids)
        for group, worker in self._workers.items():
            if wanted is None or wanted.intersection(group):
                worker.wakeup.unpark()

    # -- internals -------------------------------------------------------------------

    def _plan(self) -> list[Group]:
        """The worker groups, without quarantined processors (no thread runs them again)."""
        cuts = self.fusion.cuts if self.fusion is not None else frozenset()
        plan = plan_groups(self._graph, self._handles, fuse=self.fuse is not False, cuts=cuts)
        handles = self._handles
        if all(h.state is not ProcessorState.QUARANTINED for h in handles.values()):
            return plan
        kept = (
            tuple(pid for pid in group if handles[pid].state is not ProcessorState.QUARANTINED)
            for group in plan
        )
        return [group for group in kept if group]

    def _graph_order(self) -> dict[ProcessorId, int]:
        return {pid: index for index, pid in enumerate(self._graph.topological_order())}

    def _join(self, worker: Worker) -> None:
        """Wait for ``worker`` to end while it makes progress (a long drain is fine);
        after ``stop_timeout_s`` without any, quarantine its processors."""
        deadline = time.monotonic() + self.stop_timeout_s
        progress = worker.progress
        on_main = self._main.on_owner()
        while not worker.join(0.01 if on_main else _JOIN_POLL_S):
            if on_main:
                self._main.pump(0.0)
            now = time.monotonic()
            if worker.progress != progress:
                progress = worker.progress
                deadline = now + self.stop_timeout_s
            elif now >= deadline:
                self._quarantine(worker)
                return

    def _quarantine(self, worker: Worker) -> None:
        """A thread stuck in a call keeps its processors: nobody runs them again, nobody
        tears them down under it (it does so itself if the call ever returns)."""
        stuck = [m for m in worker.members if m.is_active]
        for member in stuck:
            member.quarantine()
            for port in member.processor.inputs.values():
                if port.connection is not None:
                    port.connection.mark_consumer_gone()
        names = ", ".join(str(m.id) for m in stuck) or "none"
        self._warn(
            f"worker {worker.name} did not return from a call within {self.stop_timeout_s:.1f} s "
            f"(a process(), setup() or teardown() is blocking); its processors ({names}) are "
            "quarantined: never run again, their input dropped and counted; remove them and "
            "add them again to start over",
            None,
        )
