"""The parent's stand-in for a processor that runs in a worker process.

:func:`isolated` makes, once per processor type, a subclass of
:class:`IsolatedProcessor` with the type's ports, config, name and error policy,
so the graph, pipeline files, MCP and statistics see the type itself. Its
``process()`` forwards each input's frames to the worker (one copy, into shared
memory), writes what the worker's outputs sent (read in place, no copy), passes
the worker's events on, and raises when the worker failed or died, so the error
policy applies. It waits with ``ctx.wait_for_input``: a write on one of its inputs
or news from the worker (a frame, an event, its death) wakes it.

Members of a named process (``process_name``) share their group's worker
(``_group``): a connection between two members runs inside it, so their
stand-ins leave it alone (it carries no frame in the parent; its counters show
the worker's). An input connected while a processor alone runs gets a channel from
a fresh worker (the old one stops in order first); a member of a named process
refuses one (``Runtime.connect`` raises: its worker's channels are fixed while it
runs). Every output gets a channel unless only members read it.

An edge between two processors alone in workers, the only one on its output,
goes straight from worker to worker (``_direct``): the stand-ins forward nothing
on it. Each stand-in notices when its connections change (a cheap look in
``process()``) and, if which of its ports go direct changed with them (a second
consumer, a disconnect, a removed peer), starts a fresh worker with the new plan;
the stand-in at the other end does the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from ...core import (
    DEFAULT_WRITE_TIMEOUT_S,
    BackpressureTimeout,
    CustomEvent,
    Frame,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Scheduling,
)
from ...ipc import FramePublisher
from ._direct import NO_DIRECT_PLAN, DirectPlan, DirectRoutes
from ._group import ProcessGroup
from ._session import MemberChannels, WorkerSession
from ._worker_process import WorkerDiedError

__all__ = ["IsolatedProcessor", "isolated"]

_START_TIMEOUT_S = 30.0  # importing streamlib and the processor's libraries
_IDLE_WAIT_S = 0.05

_T = TypeVar("_T")

_made: dict[type[Processor], type[IsolatedProcessor]] = {}
_made_lock = threading.Lock()


def _not_paused() -> bool:
    return False  # outside a runtime


def isolated(target: type[Processor]) -> type[IsolatedProcessor]:
    """The proxy type that runs ``target`` in a worker process (made once per type)."""
    if issubclass(target, IsolatedProcessor):
        return target
    with _made_lock:
        proxy = _made.get(target)
        if proxy is None:
            namespace: dict[str, Any] = {
                "target": target,
                "Config": target.Config,
                "type_name": target.type_name,
                "tags": target.tags,
                "error_policy": target.error_policy,
                "capabilities": target.capabilities,
                "requires": target.requires,
                "default_scheduling": target.default_scheduling,
                "live": target.live,
                "__doc__": target.__doc__,
                "__module__": __name__,
                **target._input_declarations,
                **target._output_declarations,
            }
            proxy = type(f"Isolated{target.__name__}", (IsolatedProcessor,), namespace)
            _made[target] = proxy
        return proxy


class IsolatedProcessor(Processor):
    """Runs ``target`` in a worker process; its ports and config are the target's.

    ``process_name`` (set before it is added): the named process it shares with
    other members, or ``None`` for a process of its own.
    """

    target: ClassVar[type[Processor]]
    isolation = "process"
    fusible = False  # its thread waits for two sources at once

    def __init__(self, config: ProcessorConfig | Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.process_group: ProcessGroup | None = None  # set by the runtime for a named process
        self.direct_routes: DirectRoutes | None = None  # set by the runtime for one alone
        self.runtime_paused: Callable[[], bool] = _not_paused  # set by the runtime
        self._wired_as: tuple[Any, ...] = ()  # its connections when its worker started
        self._session: WorkerSession | None = None  # the worker now, or the last one
        self._channels: MemberChannels | None = None
        self._finished = False  # the worker's processor ended and all it sent is out

    def scheduling(self) -> Scheduling:
        return Scheduling.loop()  # waits for its inputs and its worker's news at once

    def planned_scheduling(self) -> Scheduling:
        """The target's, as its config makes it: a stand-in for a push stage is planned
        as one, so a file job through it stays lossless."""
        return self._targets_answer(self.target.scheduling, Scheduling.loop())

    def is_live(self) -> bool:
        return self._targets_answer(self.target.is_live, True)

    def _targets_answer(self, method: Callable[[Any], _T], otherwise: _T) -> _T:
        """What the target's ``method`` answers for this config, asked of the stand-in
        (which has the same config and class attributes): the target itself lives in
        its worker. The built-ins answer from their config alone; one that needs more
        gets ``otherwise``, the cautious answer (a live source)."""
        try:
            return method(self)
        except Exception:
            return otherwise

    @property
    def ends_with_inputs(self) -> bool:  # type: ignore[override]  # a constant elsewhere
        """It ends when the worker's processor ended, not when its own inputs did. One
        with outputs says so by ending them; one without has only this to say it."""
        return self._finished and not self.outputs

    # -- lifecycle -------------------------------------------------------------------

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        pid = str(ctx.processor_id)
        group = self.process_group or ProcessGroup.alone(pid, self)  # None: a process of its own
        before = self._channels
        self._wired_as = self._wiring()  # before the plan: a change meanwhile is seen later
        self._session, self._channels = group.join(pid, ctx.events, ctx.wake)
        if before is not None:  # a fresh worker: what crossed counts on
            self._channels.carry(before)
        self._finished = False
        try:
            self._session.worker.wait_ready(_START_TIMEOUT_S)
        except BaseException:
            self._let_go()
            raise

    def process(self) -> None:
        session, channels, ctx = self._session, self._channels, self.ctx
        assert session is not None
        assert channels is not None
        assert ctx is not None
        pid = channels.id
        if self.process_group is None and self._plan_changed(session, channels):
            self._reopen(ctx)
            return
        if session.worker_paused and not self.runtime_paused():
            session.resume_worker()  # a stop, or a resume whose event is on its way
        if not session.failed:
            self._forward_inputs(session, channels)
        # What the worker sent before it failed goes on before its error, as what a
        # processor writes before it raises does.
        self._write_inboxes(session, channels)
        for message in session.take_events():
            ctx.events.publish(
                CustomEvent(
                    custom_topic=message["topic"],
                    name=message["name"],
                    payload=message.get("payload"),
                    timestamp_ns=ctx.clock.now_ns(),
                )
            )
        failure = session.failure_for(pid)
        if failure is not None:
            lost = session.count_lost_with_worker(pid)
            if lost:
                failure += f" ({lost} frame{'s' if lost != 1 else ''} sent to it lost with it)"
            raise WorkerDiedError(failure)
        session.mirror(pid, self)
        if session.finished(pid):
            self._finished = True
            self.end_outputs()
            return
        ctx.wait_for_input(_IDLE_WAIT_S)

    def drain_at_stop(self) -> bool:
        """On an orderly stop (what feeds it has stopped): send what is queued on its
        inputs; alone in its worker, or the last member of a named process still there,
        stop that worker in order now, so it processes all of it, and write on what it
        sent. An earlier member of a named process only sends (the members stop in
        graph order): what the worker sends on its outputs after that is counted as
        lost at stop."""
        session, channels = self._session, self._channels
        if session is None or channels is None or session.closed or session.failed:
            return False
        if not self.runtime_paused():  # a stop unpauses the runtime to drain it
            session.resume_worker()
        sent = channels.hops_in
        self._forward_inputs(session, channels)
        if self.process_group is None or session.is_last_attached(channels.id):
            session.finish()
        written = self._write_inboxes(session, channels)
        return written > 0 or channels.hops_in != sent

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        current = self.config.model_dump(mode="json")
        before = previous.model_dump(mode="json")
        changes = {k: v for k, v in current.items() if before.get(k) != v}
        if changes and self._channels is not None and self._session is not None:
            self._session.send_config(self._channels.id, changes)

    def teardown(self) -> None:
        self._let_go()
        super().teardown()

    # -- direct channels -------------------------------------------------------------

    def direct_plan(self) -> DirectPlan:
        """Which of its ports go straight to or from another worker, as the graph
        stands now (none for a member of a named process, or outside a runtime)."""
        routes = self.direct_routes
        return NO_DIRECT_PLAN if routes is None else routes.plan_of(self)

    def goes_direct(self, output_name: str) -> bool:
        """True while ``output_name``'s frames go from its worker straight to another
        worker's, bypassing the parent (nothing in the parent can tap them there)."""
        session, channels = self._session, self._channels
        return (
            session is not None
            and channels is not None
            and not session.closed
            and output_name in channels.direct_outputs
        )

    # -- what the statistics show ----------------------------------------------------

    def worker_statistics(self) -> dict[str, Any] | None:
        """The worker's pid, CPU %, RSS and this processor's hops (frames that crossed,
        and those the channels dropped on the way: a full ``latest``/``fifo`` channel
        gives way like an in-process one), and its processor's own counters; ``None``
        before its first worker started."""
        if self._session is None or self._channels is None:
            return None
        return self._session.statistics(self._channels.id)

    # -- internals -------------------------------------------------------------------

    def _let_go(self) -> None:
        """Detach from the worker (the last member to go stops it); the session stays
        known, for the final statistics."""
        if self._session is not None and self._channels is not None:
            self._session.detach(self._channels.id)

    def _wiring(self) -> tuple[Any, ...]:
        """Its connections, as objects (a new connection between the same ports differs),
        and those of the outputs feeding it from other workers."""
        routes = self.direct_routes
        inputs = tuple(
            (id(port.connection), routes.fan_out(port.connection) if routes else ())
            if port.connection is not None
            else None
            for port in self.inputs.values()
        )
        outputs = tuple(tuple(map(id, out.connections)) for out in self.outputs.values())
        return inputs, outputs

    def _plan_changed(self, session: WorkerSession, channels: MemberChannels) -> bool:
        """Its worker's channels no longer fit its connections: an input connected
        after it started (no channel yet), or its direct ports changed. Cheap while its
        connections stay the ones its worker started with."""
        wiring = self._wiring()
        if wiring == self._wired_as:
            return False
        planned = session.direct.get(channels.id, NO_DIRECT_PLAN)
        if self._has_new_input(session, channels) or self.direct_plan() != planned:
            return True
        self._wired_as = wiring  # changed, but its worker's channels still fit
        return False

    def _has_new_input(self, session: WorkerSession, channels: MemberChannels) -> bool:
        """An input connected after the worker started (it has no channel yet)."""
        return any(
            port.connection is not None
            and port.connection.id not in session.internal
            and name not in channels.publishers
            and name not in channels.direct_inputs
            for name, port in self.inputs.items()
        )

    def _reopen(self, ctx: ProcessorContext) -> None:
        """Start a fresh worker with a channel for every input connected now: the old one
        stops in order first (what it held comes out, or is counted as lost at stop)."""
        self._let_go()
        self.setup(ctx)

    def _forward_inputs(self, session: WorkerSession, channels: MemberChannels) -> None:
        for name, publisher in channels.publishers.items():
            port = self.inputs[name]
            frames = port.read_all()
            with publisher.batch():  # one wake-up of the worker for them all
                for sent, frame in enumerate(frames):
                    try:
                        delivered = self._send(publisher, frame, session)
                    except BackpressureTimeout:
                        channels.given_up_in += len(frames) - sent  # read, never sent: counted
                        raise
                    if not delivered:
                        # The worker failed: the rest of the batch is lost with it, counted.
                        channels.lost_in_crashes += len(frames) - sent
                        return
                    channels.hops_in += 1
            if port.is_ended() and not publisher.ended:
                publisher.end()

    def _write_inboxes(self, session: WorkerSession, channels: MemberChannels) -> int:
        """Write what the worker's outputs sent since the last call; how many frames."""
        written = 0
        for name, inbox in channels.inboxes.items():
            output = self.outputs[name]
            while inbox:
                session.write(output, inbox.popleft())
                channels.hops_out += 1
                written += 1
        return written

    def _send(self, publisher: FramePublisher, frame: Frame, session: WorkerSession) -> bool:
        """Send, waiting for room on a lossless channel in short slices, so a worker
        that died is noticed at once instead of after the whole write timeout; False
        when it failed. While the runtime is paused the wait never times out (as a
        lossless connection's in one process); when it runs again (resumed, or
        stopping, which unpauses it to drain) a worker still paused is told at once.
        (Its error is raised later, outside this ``except``: chained to the timeout,
        it would keep the timeout's traceback, which holds the channel's iceoryx2
        listener, its node and its shared memory, for as long as anyone keeps the
        error, as a log handler does.)"""
        deadline = time.monotonic() + DEFAULT_WRITE_TIMEOUT_S
        while True:
            try:
                publisher.send(frame)
                return True
            except BackpressureTimeout:
                now = time.monotonic()
                if self.runtime_paused():
                    deadline = now + DEFAULT_WRITE_TIMEOUT_S
                elif session.worker_paused:
                    session.resume_worker()
                    deadline = now + DEFAULT_WRITE_TIMEOUT_S
                elif not session.failed and now >= deadline:
                    raise
            if session.failed:
                return False
