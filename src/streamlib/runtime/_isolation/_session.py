"""One run of a worker process for its members, and the parent's ends of its channels.

A :class:`WorkerSession` starts the worker for a set of stand-ins (one, or the
members of a named process) as their connections stand: a connection between two
members is rebuilt inside the worker (``start``'s ``connections``) and carries
nothing in the parent; every other connected input gets a channel the parent
publishes on, and every output read outside the group (or not connected at all,
so it can be later) a channel the parent receives from, except the ports that go
straight to or from another worker (``_direct``): the parent opens no end of those,
and copies the workers' counts onto their connections. Each member's ends are its
:class:`MemberChannels`. The session lives while any member is attached:
the last to let go stops the worker.
"""

from __future__ import annotations

import collections
import inspect
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ...core import (
    Connection,
    ConnectionId,
    DeliveryProfile,
    Event,
    EventBus,
    Frame,
    OutputPort,
    RuntimePaused,
    RuntimeResumed,
)
from ...core._frame import ArrayFrame
from ...ipc import FramePublisher, FrameSubscriber, cleanup_dead_nodes
from ._direct import NO_DIRECT_PLAN, DirectPlan
from ._mirroring import ConnectionMirror
from ._worker_process import ProcessUsage, WorkerProcess

if TYPE_CHECKING:
    from ._proxy import IsolatedProcessor

__all__ = ["MemberChannels", "WorkerSession"]

_CHANNEL_CAPACITY = 8
_RECEIVE_WAIT_S = 0.1
_SEND_SLICE_S = 0.1  # a lossless send looks at the worker's health this often
_STOP_TIMEOUT_S = 5.0
_GONE_WAIT_S = 2.0  # a failed worker's last report: it stops its runtime, then exits


def _nothing() -> None:
    pass


class MemberChannels:
    """One member's ends of its worker's channels, and what crossed them."""

    def __init__(self, processor_id: str) -> None:
        self.id = processor_id
        self.publishers: dict[str, FramePublisher] = {}  # by input port
        self.inboxes: dict[str, collections.deque[Frame]] = {}  # by output port
        self.subscribers: dict[str, FrameSubscriber] = {}
        self.ended_outputs: set[str] = set()
        self.wake: Callable[[], None] = _nothing  # the attached stand-in's
        self.hops_in = 0
        self.hops_out = 0
        self.lost_at_stop = 0
        self.lost_in_crashes = 0  # sent to a worker that died before the member read them
        self.gpu_closed = (0, 0.0)  # GPU downloads (count, ms) of workers that are gone
        self.crash_counted = False
        # Ports straight to or from another worker (channel names by port): the parent
        # has no end of those; the worker's counts say what crossed them.
        self.direct_inputs: dict[str, str] = {}
        self.direct_outputs: dict[str, str] = {}
        self.ever_direct = False
        self.hops_in_direct = 0
        self.hops_out_direct = 0
        self.direct_before = (0, 0)  # (in, out) on earlier workers
        self.direct_lost_at_stop = 0  # left in a direct channel when this end stopped
        # Read from an input but never sent: the worker made no room in time (the error
        # policy then applies to the processor).
        self.given_up_in = 0

    def carry(self, earlier: MemberChannels) -> None:
        """Count on from the same member's ends on an earlier worker."""
        self.hops_in += earlier.hops_in
        self.hops_out += earlier.hops_out
        self.lost_at_stop += earlier.lost_at_stop
        self.lost_in_crashes += earlier.lost_in_crashes
        self.gpu_closed = _plus(self.gpu_closed, earlier.gpu_closed)
        self.ever_direct = self.ever_direct or earlier.ever_direct
        self.hops_in_direct += earlier.hops_in_direct
        self.hops_out_direct += earlier.hops_out_direct
        self.direct_before = (self.hops_in_direct, self.hops_out_direct)
        self.direct_lost_at_stop += earlier.direct_lost_at_stop
        self.given_up_in += earlier.given_up_in


class WorkerSession:
    """A worker process running ``members`` (stand-ins by processor id) and their channels.

    ``name`` is the process's name (``None`` for a processor alone); ``events`` is
    the parent's bus, whose pause and resume the worker follows.
    """

    def __init__(
        self, name: str | None, members: Mapping[str, IsolatedProcessor], events: EventBus
    ) -> None:
        cleanup_dead_nodes()  # what earlier workers killed by a signal left behind
        self.name = name
        self.members = tuple(members)
        self._stand_ins = dict(members)
        self._lock = threading.Lock()
        self._let_go = threading.Condition(self._lock)
        self._attached: set[str] = set()
        self._receiving = threading.Event()
        self._receivers: list[threading.Thread] = []
        self._finishing = False
        self._finished = threading.Event()
        self._worker_paused = False
        self.closed = False
        self.internal: frozenset[ConnectionId] = frozenset(
            port.connection.id
            for stand_in in members.values()
            for port in stand_in.inputs.values()
            if port.connection is not None and port.connection.source.processor in members
        )
        self.channels = {pid: MemberChannels(pid) for pid in members}
        # Planned before the channels open: a port that goes direct gets none here.
        self.direct: dict[str, DirectPlan] = {
            pid: stand_in.direct_plan() for pid, stand_in in members.items()
        }
        self._mirrors = ConnectionMirror(self, self._stand_ins)
        try:
            self.worker = self._start(f"sl-{secrets.token_hex(4)}", members)
        except BaseException:
            self._abandon()
            raise
        self._subscription = events.subscribe("runtime", self._on_runtime_event)

    # -- the members -----------------------------------------------------------------

    def attach(self, processor_id: str, wake: Callable[[], None]) -> MemberChannels | None:
        """A member's stand-in is set up: its channels, woken by news from the worker;
        ``None`` when the session closed meanwhile (its last member let go)."""
        with self._lock:
            if self.closed:
                return None
            self._attached.add(processor_id)
            channels = self.channels[processor_id]
            channels.wake = wake
            return channels

    def detach(self, processor_id: str) -> None:
        """A member's stand-in is torn down; the last one to go stops the worker."""
        with self._lock:
            if processor_id not in self._attached:
                return
            self._attached.discard(processor_id)
            self.channels[processor_id].wake = _nothing
            last = not self._attached
            self.closed = self.closed or last  # from now on nobody attaches
            self._let_go.notify_all()
        if last:
            self._stop()

    def is_last_attached(self, processor_id: str) -> bool:
        """Whether ``processor_id`` is the only member still attached."""
        with self._lock:
            return self._attached == {processor_id}

    def wait_detached(self, timeout_s: float) -> None:
        """Wait (a while) for every member to let go: after a failure each notices it."""
        with self._let_go:
            self._let_go.wait_for(lambda: not self._attached, timeout_s)

    @property
    def failed(self) -> bool:
        return self.worker.failure is not None

    def failure_for(self, processor_id: str) -> str | None:
        """Why the worker failed, as ``processor_id``'s error; ``None`` while it runs."""
        worker = self.worker
        failure = worker.failure
        culprit = worker.failed_member
        if failure is None or culprit is None or culprit == processor_id:
            return failure
        return f"{worker.label} (pid {worker.pid}) stopped because {culprit} failed: {failure}"

    def count_lost_with_worker(self, processor_id: str) -> int:
        """After the worker failed: the frames sent to ``processor_id`` on its channels that
        the member had not read by the worker's last report, counted once into its
        ``lost_in_crashes``. Exact when the worker reported as it failed (an exception:
        waited for here); after a signal its last report is up to a quarter second old,
        so this is at most that much too high. Returns the number."""
        channels = self.channels[processor_id]
        if channels.crash_counted:
            return 0
        channels.crash_counted = True
        self.worker.wait_gone(_GONE_WAIT_S)  # a worker that raised reports as it exits
        sent = sum(publisher.statistics().sent for publisher in channels.publishers.values())
        read = self.worker.stats.get(processor_id, {}).get("hops_read", 0)
        lost = max(0, sent - int(read))
        # A direct channel: what the other end's worker sent that this one had not
        # read (or, this end the publisher, that the other had not read yet: gone with
        # it); the other worker's count is up to a quarter second old.
        self._mirrors.mirror(processor_id, self._stand_ins[processor_id])
        for channel in (*channels.direct_inputs.values(), *channels.direct_outputs.values()):
            lost += self._mirrors.ledger(processor_id, channel).settle()
        channels.lost_in_crashes += lost
        return lost

    def finished(self, processor_id: str) -> bool:
        """The member ended its stream in the worker and all it sent is out."""
        channels = self.channels[processor_id]
        return (
            processor_id in self.worker.ended
            and channels.ended_outputs == set(channels.inboxes)
            and not any(channels.inboxes.values())
        )

    def take_events(self) -> list[dict[str, Any]]:
        """The events the worker's processors published, each handed out once."""
        events = self.worker.events
        with self._lock:
            taken = list(events)
            events.clear()
        return taken

    def send_config(self, processor_id: str, changes: dict[str, Any]) -> None:
        self.worker.send("config", id=processor_id, changes=changes)

    def remove(self, processor_id: str) -> None:
        """The member left the parent's graph: it stops running in the worker too."""
        if not self.closed:
            self.worker.send("remove", id=processor_id)

    # -- writing what came back ------------------------------------------------------

    def write(self, output: OutputPort[Any], frame: Frame) -> None:
        """Write a frame from the worker to ``output``'s connections that leave the
        group (those to other members got it inside the worker)."""
        connections = output.connections
        if not self.internal or not any(c.id in self.internal for c in connections):
            output.write(frame)
            return
        leaving = [c for c in connections if c.id not in self.internal]
        if output.ended:
            output.write(frame)  # raises StreamEndedError, as any write after the end
        if len(leaving) > 1 and isinstance(frame, ArrayFrame):
            frame.freeze()  # shared by several consumers, as OutputPort.write does
        now_ns = time.monotonic_ns()
        for connection in leaving:
            connection.push(frame, now_ns)
        output.frames_out += 1

    def mirror(self, processor_id: str, stand_in: IsolatedProcessor) -> None:
        """Show the worker's counts on ``stand_in``'s connections that carry no frame in
        the parent (see :class:`ConnectionMirror`)."""
        self._mirrors.mirror(processor_id, stand_in)

    # -- statistics ------------------------------------------------------------------

    def statistics(self, processor_id: str) -> dict[str, Any]:
        """The worker's pid, CPU %, RSS (the whole process's), this member's hops (frames
        that crossed, and those the channels dropped on the way), the process's name
        for a named one, and the member's own counters as the worker counts them."""
        worker = self.worker
        channels = self.channels[processor_id]
        # A process that is gone (after stop, or between a crash and the restart) uses
        # nothing: the same keys either way, so readers need not check.
        usage = None if self.closed else worker.usage()
        stats = dict(worker.stats.get(processor_id, {}))
        for bookkeeping in ("hops_read", "direct_in", "direct_out"):  # the parent's, not
            stats.pop(bookkeeping, None)  # the processor's
        process: dict[str, Any] = {
            **(usage or ProcessUsage(worker.pid, 0.0, 0.0)).to_dict(),
            "hops_in": channels.hops_in + channels.hops_in_direct,
            "hops_out": channels.hops_out + channels.hops_out_direct,
            "hops_out_in_place": stats.pop("hops_out_in_place", 0),
            "hop_drops_in": stats.pop("hop_drops_in", 0)
            + channels.direct_lost_at_stop
            + channels.given_up_in,
            "hop_drops_out": channels.lost_at_stop
            + stats.pop("hop_drops_out", 0)
            + sum(s.statistics().dropped for s in channels.subscribers.values()),
            "lost_in_crashes": channels.lost_in_crashes,
        }
        # GPU frames downloaded to cross, both ways (textures stay in their process).
        downloads, download_ms = (
            channels.gpu_closed
            if self.closed
            else _plus(channels.gpu_closed, self._gpu_downloads(processor_id, stats))
        )
        process["gpu_downloads"] = downloads
        process["gpu_download_ms"] = round(download_ms, 3)
        stats.pop("gpu_downloads", None)
        stats.pop("gpu_download_ms", None)
        if self.name is not None:
            process["name"] = self.name
        if channels.ever_direct:  # of the hops, those straight from or to another worker
            process["hops_in_direct"] = channels.hops_in_direct
            process["hops_out_direct"] = channels.hops_out_direct
        return {"process": process, "processor": stats}

    # -- ending it -------------------------------------------------------------------

    def finish(self) -> None:
        """Stop the worker in order (killed after a while) and take in all it sent: its
        inlets hand on what the channels still hold, its members drain, and what its
        outlets sent last waits in the inboxes, for the stand-ins to write on before
        they let go (idempotent; the channels stay open until the last one does)."""
        with self._lock:
            started, self._finishing = self._finishing, True
        if started:  # by another thread, perhaps still at it: the caller may close next
            self._finished.wait(2 * _STOP_TIMEOUT_S)
            return
        try:
            self._subscription.close()
            # The receivers keep taking the worker's frames while it stops in order: a
            # lossless outlet there would otherwise wait for room that never comes.
            self.worker.stop(_STOP_TIMEOUT_S)
            self._receiving.set()
            for thread in self._receivers:
                thread.join(_STOP_TIMEOUT_S)
            self._receivers.clear()
        finally:
            self._finished.set()

    def _stop(self) -> None:
        """Stop the worker (see :meth:`finish`) and close every channel."""
        self.finish()
        for pid, stand_in in self._stand_ins.items():
            self.mirror(pid, stand_in)  # the worker's final numbers (every member let go)
            # What the other worker sent on a direct input and this one never read: the
            # channel's subscriber goes with this worker (a new one starts afresh).
            channels = self.channels[pid]
            for channel in channels.direct_inputs.values():
                channels.direct_lost_at_stop += self._mirrors.ledger(pid, channel).settle()
        for channels in self.channels.values():
            # Frames that arrived after the member's last process() call: given up, and
            # counted.
            channels.lost_at_stop += sum(len(inbox) for inbox in channels.inboxes.values())
            channels.inboxes.clear()
            worker_stats = self.worker.stats.get(channels.id, {})
            channels.gpu_closed = _plus(
                channels.gpu_closed, self._gpu_downloads(channels.id, worker_stats)
            )
            for publisher in channels.publishers.values():
                publisher.close(linger_s=0.0)
            channels.publishers.clear()
        cleanup_dead_nodes()

    # -- internals -------------------------------------------------------------------

    def _gpu_downloads(
        self, processor_id: str, worker_stats: Mapping[str, Any]
    ) -> tuple[int, float]:
        """This worker's GPU downloads for ``processor_id``: the parent's on the way in,
        the worker's (as last reported) on the way out."""
        parent = [p.statistics() for p in self.channels[processor_id].publishers.values()]
        return (
            worker_stats.get("gpu_downloads", 0) + sum(p.gpu_downloads for p in parent),
            worker_stats.get("gpu_download_ms", 0.0) + sum(p.gpu_download_ms for p in parent),
        )

    def _start(self, prefix: str, members: Mapping[str, IsolatedProcessor]) -> WorkerProcess:
        """Open the members' channels and start the worker on them."""
        plans = [self._plan(pid, stand_in, f"{prefix}/{pid}") for pid, stand_in in members.items()]
        name = self.name
        label = (
            f"the worker process for {self.members[0]}"
            if name is None
            else f"the worker process {name!r} (running {', '.join(self.members)})"
        )
        worker = WorkerProcess(name or self.members[0], label, self.members, self._wake_all)
        worker.send(
            "start",
            members=plans,
            connections=[
                {
                    "from": str(port.connection.source),
                    "to": str(port.connection.target),
                    "profile": port.connection.profile.value,
                    "capacity": port.connection.capacity,
                }
                for stand_in in members.values()
                for port in stand_in.inputs.values()
                if port.connection is not None and port.connection.id in self.internal
            ],
            sys_path=[path for path in sys.path if path],
        )
        return worker

    def _abandon(self) -> None:
        """Close what a start that failed half-way opened."""
        self._receiving.set()
        for channels in self.channels.values():
            for publisher in channels.publishers.values():
                publisher.close(linger_s=0.0)

    def _plan(self, pid: str, stand_in: IsolatedProcessor, prefix: str) -> dict[str, Any]:
        """Open ``pid``'s channels; what the worker needs to run it."""
        channels = self.channels[pid]
        direct = self.direct.get(pid, NO_DIRECT_PLAN)
        channels.ever_direct = channels.ever_direct or bool(direct.inputs or direct.outputs)
        inputs: dict[str, Any] = {}
        for name, port in stand_in.inputs.items():
            connection = port.connection
            if name in direct.inputs:  # another worker publishes on it
                inputs[name] = {**direct.inputs[name], "direct": True}
                channels.direct_inputs[name] = direct.inputs[name]["channel"]
            elif connection is not None and connection.id not in self.internal:
                inputs[name] = _channel(f"{prefix}/in/{name}", connection.profile)
                channels.publishers[name] = FramePublisher(
                    **inputs[name], write_timeout_s=_SEND_SLICE_S
                )
        outputs: dict[str, Any] = {}
        for name, output in stand_in.outputs.items():
            leaving = [c for c in output.connections if c.id not in self.internal]
            if name in direct.outputs:  # another worker subscribes to it
                outputs[name] = {**direct.outputs[name], "direct": True}
                channels.direct_outputs[name] = direct.outputs[name]["channel"]
            elif leaving or not output.connections:
                outputs[name] = _channel(f"{prefix}/out/{name}", _output_profile(leaving))
                self._start_receiver(channels, name, FrameSubscriber(**outputs[name]))
        target = stand_in.target
        try:
            source = inspect.getsourcefile(target)
        except TypeError:
            source = None
        return {
            "id": pid,
            "module": target.__module__,
            "qualname": target.__qualname__,
            "type_name": target.type_name,
            "file": source,
            "config": stand_in.config.model_dump(mode="json"),
            "inputs": inputs,
            "outputs": outputs,
        }

    def _start_receiver(
        self, channels: MemberChannels, name: str, subscriber: FrameSubscriber
    ) -> None:
        inbox: collections.deque[Frame] = collections.deque()
        channels.inboxes[name] = inbox
        channels.subscribers[name] = subscriber

        def receive() -> None:
            try:
                while not self._receiving.is_set():
                    if not subscriber.wait(_RECEIVE_WAIT_S):
                        continue
                    # All its buffer holds (at most its capacity), with one event back.
                    inbox.extend(subscriber.receive_batch(subscriber.capacity))
                    if subscriber.ended:
                        channels.ended_outputs.add(name)
                        channels.wake()
                        return
                    channels.wake()
                # The worker is gone: what it sent last may not have woken this yet.
                while (frame := subscriber.receive()) is not None:
                    inbox.append(frame)
            finally:
                subscriber.close()

        thread = threading.Thread(
            target=receive, name=f"streamlib-{channels.id}-receive-{name}", daemon=True
        )
        self._receivers.append(thread)
        thread.start()

    def _wake_all(self) -> None:
        for channels in self.channels.values():
            channels.wake()

    def _on_runtime_event(self, event: Event) -> None:
        if self.closed:
            return
        if isinstance(event, RuntimePaused):
            self._worker_paused = True
            self.worker.send("pause")
        elif isinstance(event, RuntimeResumed):
            self._worker_paused = False
            self.worker.send("resume")

    @property
    def worker_paused(self) -> bool:
        """The worker was told to pause and not yet to resume."""
        return self._worker_paused

    def resume_worker(self) -> None:
        """Tell a paused worker to resume now, the runtime runs again: a stop unpauses
        it without a ``RuntimeResumed`` (to drain), and a resume's event may still be on
        its way; a paused worker would take in none of what its stand-ins send it."""
        if self._worker_paused and not self.failed:
            self._worker_paused = False
            self.worker.send("resume")


def _channel(name: str, profile: DeliveryProfile) -> dict[str, Any]:
    return {"channel": name, "profile": profile.value, "capacity": _CHANNEL_CAPACITY}


def _output_profile(connections: list[Connection[Any]]) -> DeliveryProfile:
    """Lossless where any reader outside wants it (or none is connected yet), else fifo."""
    profiles = {c.profile for c in connections}
    if DeliveryProfile.LOSSLESS in profiles or not profiles:
        return DeliveryProfile.LOSSLESS
    return DeliveryProfile.FIFO


def _plus(a: tuple[int, float], b: tuple[int, float]) -> tuple[int, float]:
    return a[0] + b[0], a[1] + b[1]
