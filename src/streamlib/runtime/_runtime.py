"""The runtime: owns the graph, the connections and the threads, and changes them live.

::

    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=1280, height=720, fps=30)
        fx = rt.add(Invert)
        sink = rt.add(NullSink)
        rt.connect(src.video, fx.video_in)
        rt.connect(fx.video_out, sink.video)
        rt.run(duration=5.0)

States: ``idle -> running <-> paused -> stopped`` (and ``stopped -> running`` again).
``add``, ``remove``, ``connect`` and ``disconnect`` work in every state; while
running, only the workers whose group of processors changes are restarted, so
untouched branches keep flowing.
"""

from __future__ import annotations

import enum
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from types import FrameType, TracebackType
from typing import Any

from ..core import (
    ConfigError,
    Connection,
    ConnectionCreated,
    ConnectionId,
    ConnectionRemoved,
    DeliveryProfile,
    Edge,
    ErrorPolicy,
    EventBus,
    Graph,
    GraphError,
    MediaClock,
    MonotonicClock,
    PipelineSpec,
    PortRef,
    Processor,
    ProcessorAdded,
    ProcessorConfig,
    ProcessorError,
    ProcessorId,
    ProcessorRemoved,
    ProcessorState,
    Registry,
    RestartBackoff,
    RuntimePaused,
    RuntimeResumed,
    RuntimeStarted,
    RuntimeStateError,
    RuntimeStopped,
    RuntimeWarning,
    SchedulingMode,
    graph_from_spec,
    load_pipeline_file,
)
from ._context import RuntimeContext
from ._grouping import plan_groups
from ._handle import ProcessorHandle
from ._main_thread import MainThreadQueue
from ._priority import apply_thread_priority
from ._refs import ProcessorRef
from ._stats import RuntimeStatistics
from ._worker import Worker

__all__ = ["RunOutcome", "Runtime", "RuntimeState"]

_log = logging.getLogger("streamlib.runtime")

_JOIN_POLL_S = 0.05  # how often a waiting stop() looks at a worker's progress
_NEVER_READS_AGAIN = frozenset({ProcessorState.FAILED, ProcessorState.QUARANTINED})

Group = tuple[ProcessorId, ...]


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


class Runtime:
    """Runs a graph of processors on worker threads.

    Args:
        registry: where processor type names are looked up (default: built-ins
            plus the ``streamlib.processors`` entry points).
        clock: the media clock handed to processors (default monotonic).
        fuse: run linear chains of push processors on one thread (see
            ``DESIGN.md``); False gives every processor its own thread.
        backoff: the pauses of the ``restart`` error policy.
        stop_timeout_s: how long ``stop`` (or a graph change) waits for a worker
            thread that makes no progress; one still stuck in a call after that
            is quarantined with its processors (never run again). On ``stop``
            each worker first consumes everything already queued (recorders get
            their last frames), for as long as that keeps making progress.
    """

    def __init__(
        self,
        *,
        registry: Registry | None = None,
        clock: MediaClock | None = None,
        fuse: bool = True,
        backoff: RestartBackoff | None = None,
        stop_timeout_s: float = 5.0,
    ) -> None:
        self._registry = registry
        self.clock: MediaClock = clock if clock is not None else MonotonicClock()
        self.events = EventBus()
        self.fuse = fuse
        self.backoff = backoff if backoff is not None else RestartBackoff()
        self.stop_timeout_s = stop_timeout_s
        self._graph = Graph()
        self._handles: dict[ProcessorId, ProcessorHandle] = {}
        self._connections: dict[ConnectionId, Connection[Any]] = {}
        self._workers: dict[Group, Worker] = {}
        self._lock = threading.RLock()  # control plane only; workers never take it
        self._state = RuntimeState.IDLE
        self._paused = False
        self._main = MainThreadQueue()
        self._stop_requested = False
        self._fatal: tuple[ProcessorId, BaseException] | None = None
        self._started_at = 0.0
        self._closed = False
        self._regroup_held = 0  # > 0 inside _one_regroup()
        self._abandoned = False  # a forced exit (third signal): stop() waits for nobody
        self._settled = False  # a processor ended or gave up: run() looks whether all did

    # -- properties ------------------------------------------------------------------

    @property
    def state(self) -> RuntimeState:
        return self._state

    @property
    def graph(self) -> Graph:
        """The graph (read it; change it through the runtime's methods)."""
        return self._graph

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry.default()
        return self._registry

    def processor(self, processor_id: str) -> Processor:
        """The processor instance with that id."""
        return self._graph.processor(processor_id)

    def processor_state(self, processor_id: str | ProcessorRef) -> ProcessorState:
        """Where that processor is in its lifecycle (running, backing off, failed...)."""
        self._graph.processor(str(processor_id))  # UnknownProcessorError with a hint
        return self._handles[ProcessorId(str(processor_id))].state

    def connection(self, source: str | PortRef, target: str | PortRef) -> Connection[Any]:
        """The live connection ``source -> target``."""
        return self._connections[self._graph.edge_between(source, target).id]

    # -- graph changes ---------------------------------------------------------------

    def add(
        self,
        processor: type[Processor] | str | Processor,
        config: ProcessorConfig | Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        error_policy: ErrorPolicy | str | None = None,
        **fields: Any,
    ) -> ProcessorRef:
        """Add a processor (a class, a registered type name, or an instance).

        Config comes as ``config`` (a mapping or ``Config``) or as keyword
        fields. While running, it is set up and started at once.
        """
        instance = self._instantiate(processor, config, fields)
        policy = (
            type(instance).error_policy if error_policy is None else ErrorPolicy.parse(error_policy)
        )
        with self._lock:
            pid = self._graph.add(instance, id)
            self._handles[pid] = ProcessorHandle(
                pid,
                instance,
                error_policy=policy,
                backoff=self.backoff,
                events=self.events,
                clock_ns=self.clock.now_ns,
                on_fatal=self._on_fatal,
                on_settled=self._on_settled,
            )
            self.events.publish(
                ProcessorAdded(
                    processor_id=pid, type_name=instance.type_name, timestamp_ns=self.clock.now_ns()
                )
            )
            self._regroup()
        return ProcessorRef(pid, instance)

    def remove(self, processor_id: str | ProcessorRef) -> None:
        """Stop the processor (teardown runs), cut its connections, drop it from the graph."""
        with self._lock:
            pid = ProcessorId(str(processor_id))
            edges = self._graph.edges_of(pid)  # raises UnknownProcessorError
            for group, worker in list(self._workers.items()):
                if pid in group:
                    worker.request_stop(teardown=frozenset({pid}))
                    self._join(worker)
                    del self._workers[group]
            handle = self._handles.pop(pid)
            if handle.is_active and handle.state is not ProcessorState.ADDED:
                handle.tear_down()
            for edge in edges:
                self._drop_connection(edge)
            self._graph.remove(pid)
            self.events.publish(
                ProcessorRemoved(processor_id=pid, timestamp_ns=self.clock.now_ns())
            )
            self._regroup()

    def connect(
        self,
        source: str | PortRef,
        target: str | PortRef,
        *,
        profile: DeliveryProfile | str | None = None,
        capacity: int | None = None,
    ) -> ConnectionId:
        """Connect an output to an input (validated first; nothing changes on error).

        ``profile`` and ``capacity`` override the input's declared delivery.
        """
        with self._lock:
            edge = self._graph.connect(source, target, profile=profile, capacity=capacity)
            connection = self._open_connection(edge)
            self.events.publish(
                ConnectionCreated(
                    connection_id=edge.id,
                    source=str(edge.source),
                    target=str(edge.target),
                    profile=edge.profile.value,
                    capacity=edge.capacity,
                    timestamp_ns=self.clock.now_ns(),
                )
            )
            self._regroup()
            return connection.id

    def disconnect(self, source: str | PortRef, target: str | PortRef) -> None:
        """Remove the connection ``source -> target``; frames still queued in it are dropped."""
        with self._lock:
            edge = self._graph.edge_between(source, target)
            self._drop_connection(edge)
            self._graph.disconnect(edge.source, edge.target)
            self._regroup()

    def load(self, pipeline: PipelineSpec | str | os.PathLike[str]) -> list[ProcessorRef]:
        """Add a pipeline file's (or spec's) processors and connections, all or nothing."""
        spec = pipeline if isinstance(pipeline, PipelineSpec) else load_pipeline_file(pipeline)
        staged = graph_from_spec(spec, self.registry)  # every error raised here, with its line
        clashes = [pid for pid in staged if pid in self._graph]
        if clashes:
            raise GraphError(
                f"the pipeline's processor ids {', '.join(clashes)} are already in use; "
                "remove those processors or rename them in the file"
            )
        with self._lock, self._one_regroup():
            # While running, nothing starts until every connection exists: no
            # source writes into a port that is about to be connected.
            refs = [self.add(proc, id=pid) for pid, proc in staged.processors().items()]
            # The staged graph is acyclic and its processors are new: one loop check
            # at the end keeps loading linear whatever order the file declares.
            with self._graph.deferred_cycle_check():
                for edge in staged.edges():
                    self.connect(
                        edge.source, edge.target, profile=edge.profile, capacity=edge.capacity
                    )
        return refs

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **options: Any) -> Runtime:
        """A new runtime holding the pipeline in ``path``."""
        runtime = cls(**options)
        runtime.load(path)
        return runtime

    def update_config(self, processor_id: str | ProcessorRef, **changes: Any) -> None:
        """Change config fields; while running only fields made with ``live_field``.

        The new config is validated whole, then handed to the processor's worker,
        which applies it before the next ``process()`` call.
        """
        with self._lock:
            pid = ProcessorId(str(processor_id))
            processor = self._graph.processor(pid)
            handle = self._handles[pid]
            running = self._state in (RuntimeState.RUNNING, RuntimeState.PAUSED)
            with handle.config_lock:
                # On top of a change the worker has not applied yet, so none is lost.
                pending = handle.pending_config
                base = processor.config if pending is None else pending
                updated = base.updated(changes, owner=f"{pid} ({processor.type_name})")
                fixed = sorted(set(changes) - type(processor.config).live_fields())
                if fixed and running:
                    raise ConfigError(
                        f"{pid}: {', '.join(fixed)} cannot change while running (not a live "
                        "field); stop the runtime first, or remove the processor and add it again"
                    )
                queued = running and handle.is_active
                if queued:
                    handle.pending_config = updated
                else:
                    handle.pending_config = None
                    processor.config = updated
                    handle.scheduling = processor.scheduling()
            if queued:
                self._wake_worker_of(pid)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Set every processor up and start the workers; returns at once."""
        with self._lock:
            if self._state is RuntimeState.RUNNING:
                raise RuntimeStateError("the runtime is already running")
            if self._state is RuntimeState.PAUSED:
                raise RuntimeStateError("the runtime is paused; call resume() to continue")
            self._check_open()
            for handle in self._handles.values():
                handle.forgive()
                handle.new_stream()  # before the connections: a new run is a new stream
            for edge in self._graph.edges():  # a stopped runtime closed them
                if self._connections[edge.id].closed:
                    self._drop_connection(edge)
                    self._open_connection(edge)
            self._settled = False
            self._fatal = None
            self._stop_requested = False
            self._paused = False
            self._started_at = time.monotonic()
            self._state = RuntimeState.RUNNING
            self._regroup()
            self.events.publish(RuntimeStarted(timestamp_ns=self.clock.now_ns()))

    def pause(self) -> None:
        """Stop calling ``process()`` everywhere; threads and devices stay set up."""
        with self._lock:
            if self._state is not RuntimeState.RUNNING:
                raise RuntimeStateError(
                    f"only a running runtime can pause (it is {self._state.value})"
                )
            self._paused = True
            self._hold_connections(True)
            self._state = RuntimeState.PAUSED
            self.events.publish(RuntimePaused(timestamp_ns=self.clock.now_ns()))

    def resume(self) -> None:
        with self._lock:
            if self._state is not RuntimeState.PAUSED:
                raise RuntimeStateError(
                    f"only a paused runtime can resume (it is {self._state.value})"
                )
            self._paused = False
            self._hold_connections(False)
            self._state = RuntimeState.RUNNING
            for worker in self._workers.values():
                worker.wakeup.unpark()
            self.events.publish(RuntimeResumed(timestamp_ns=self.clock.now_ns()))

    def stop(self) -> None:
        """Stop in order: sources first, then each stage after draining its queued input.

        Every processor is torn down on its own worker. Frames still queued when a
        stage stops taking them are counted as dropped, with a warning. Safe to
        call in any state; from a processor's own thread use :meth:`request_stop`.
        """
        if any(w.thread is threading.current_thread() for w in list(self._workers.values())):
            raise RuntimeStateError(
                "stop() was called from a processor's worker thread, which would wait for "
                "itself; call runtime.request_stop() there instead"
            )
        with self._lock:
            if self._state in (RuntimeState.IDLE, RuntimeState.STOPPED):
                self._state = RuntimeState.STOPPED
                return
            self._paused = False
            self._hold_connections(False)
            everyone = frozenset(self._handles)
            order = {pid: index for index, pid in enumerate(self._graph.topological_order())}
            groups = sorted(self._workers, key=lambda group: order[group[0]])
            for group in groups:
                if self._abandoned:
                    break
                self._workers[group].request_stop(teardown=everyone, drain=True)
                self._join(self._workers.pop(group))
            self._workers.clear()
            for connection in self._connections.values():
                connection.close()
                self._give_up_queued(connection, "the runtime stopped")
            self._state = RuntimeState.STOPPED
            self.events.publish(RuntimeStopped(timestamp_ns=self.clock.now_ns()))

    def request_stop(self) -> None:
        """Ask ``run()`` to return (and stop) soon; safe from any thread or signal handler."""
        self._stop_requested = True
        self._main.wakeup.unpark()

    def run(self, duration: float | None = None) -> RunOutcome:
        """Start (unless running) and block until every sink has ended its stream (a
        file job is done), ``duration`` seconds pass, ``request_stop()`` is called,
        SIGINT/SIGTERM arrives, or a processor with the ``raise`` policy fails; then
        stop in order. Runs ``run_on_main`` calls meanwhile.

        A graph with a live source (a camera, a paced test pattern) never ends by
        itself: give it a ``duration`` or stop it.

        Returns:
            Why it returned (a :class:`RunOutcome`).

        Raises:
            ProcessorError: a processor with the ``raise`` error policy failed.
        """
        outcome = RunOutcome.STOPPED
        # ``run_on_main`` means the thread in run(), wherever the runtime was made.
        owner, self._main.owner = self._main.owner, threading.get_ident()
        try:
            if self._state in (RuntimeState.IDLE, RuntimeState.STOPPED):
                self.start()
            deadline = None if duration is None else time.monotonic() + duration
            with self._signals_stop_runtime():
                try:
                    while not self._stop_requested:
                        if self._settled:
                            self._settled = False
                            finished = self._finished()
                            if finished is not None:
                                outcome = finished
                                break
                        timeout = 0.25
                        if deadline is not None:
                            timeout = min(timeout, deadline - time.monotonic())
                            if timeout <= 0:
                                outcome = RunOutcome.DURATION
                                break
                        self._main.pump(timeout)
                finally:
                    self.stop()
        finally:
            self._main.owner = owner
        fatal = self._fatal
        if fatal is not None:
            pid, error = fatal
            raise ProcessorError(
                f"processor {pid} failed with the 'raise' error policy: "
                f"{type(error).__name__}: {error}",
                processor_id=pid,
            ) from error
        return outcome

    def pump_main(self, timeout: float = 0.0) -> int:
        """Run queued ``run_on_main`` calls now (for apps that drive their own loop)."""
        return self._main.pump(timeout)

    def close(self) -> None:
        """Stop, and release the event bus thread. The runtime cannot start again."""
        self.stop()
        self._closed = True
        self._main.close()
        self.events.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------

    def statistics(self) -> RuntimeStatistics:
        """A snapshot of every processor's and connection's counters.

        Takes no lock (copies of the dicts are atomic), so a processor may call it
        from ``process()`` even while the runtime is regrouping or stopping.
        """
        handles = list(self._handles.copy().values())
        connections = list(self._connections.copy().values())
        workers = len(self._workers)
        now_ns = time.monotonic_ns()
        uptime = time.monotonic() - self._started_at if self._started_at else 0.0
        return RuntimeStatistics(
            state=self._state.value,
            uptime_s=uptime,
            processors={str(h.id): h.statistics() for h in handles},
            connections=[c.statistics(now_ns) for c in connections],
            workers=workers,
            events_skipped=self.events.skipped,
        )

    def worker_groups(self) -> list[Group]:
        """Which processors share a thread right now (each tuple is one worker)."""
        with self._lock:
            return list(self._workers)

    # -- internals -------------------------------------------------------------------

    def _instantiate(
        self,
        processor: type[Processor] | str | Processor,
        config: ProcessorConfig | Mapping[str, Any] | None,
        fields: dict[str, Any],
    ) -> Processor:
        if isinstance(processor, Processor):
            if config is not None or fields:
                raise ConfigError(
                    f"{processor.type_name} is already constructed with its config; "
                    "pass the class or type name to configure it here"
                )
            return processor
        cls = self.registry.get(processor) if isinstance(processor, str) else processor
        if not (isinstance(cls, type) and issubclass(cls, Processor)):
            raise GraphError(
                f"add() takes a Processor subclass, instance or type name, not {processor!r}"
            )
        return cls(config, **fields)

    def _open_connection(self, edge: Edge) -> Connection[Any]:
        connection: Connection[Any] = Connection(
            edge.source, edge.target, edge.profile, edge.capacity
        )
        self._connections[edge.id] = connection
        source = self._graph.processor(edge.source.processor)
        target = self._graph.processor(edge.target.processor)
        produced = source.outputs[edge.source.port].spec.frame_type
        wanted = target.inputs[edge.target.port].spec.frame_type
        if produced.is_less_specific_than(wanted):  # only then is each frame checked
            connection.expected = wanted
        target.inputs[edge.target.port].attach(connection)
        source.outputs[edge.source.port].attach(connection)
        return connection

    def _drop_connection(self, edge: Edge) -> None:
        connection = self._connections.pop(edge.id)
        source = self._graph.processor(edge.source.processor)
        target = self._graph.processor(edge.target.processor)
        source.outputs[edge.source.port].detach(connection)  # no new frames first
        target.inputs[edge.target.port].detach()
        # Not closed: a write the producer already began may still reach this ring,
        # and a closed one would raise in that (untouched) producer. Emptying it gives
        # up the queued frames (counted as dropped) and frees a producer waiting there.
        connection.discard()
        self.events.publish(
            ConnectionRemoved(connection_id=edge.id, timestamp_ns=self.clock.now_ns())
        )

    @contextmanager
    def _one_regroup(self) -> Iterator[None]:
        """Hold back regrouping during a batch of changes, then regroup once."""
        self._regroup_held += 1
        try:
            yield
        finally:
            self._regroup_held -= 1
            self._regroup()

    def _regroup(self) -> None:
        """Bring the workers in line with the graph: restart only groups that changed."""
        if self._regroup_held:
            return
        if self._state not in (RuntimeState.RUNNING, RuntimeState.PAUSED):
            self._bind_connections({})
            return
        plan = self._plan()
        wanted = set(plan)
        # Producers first, one at a time: a producer waiting for room on a lossless
        # connection finishes its write while the consumer's worker still drains it.
        order = {pid: index for index, pid in enumerate(self._graph.topological_order())}
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
                    on_thread_start=self._on_worker_start,
                )
                self._workers[group] = worker
                fresh.append(worker)
        self._bind_connections({pid: w for w in self._workers.values() for pid in w.ids})
        for worker in fresh:
            worker.start()

    def _plan(self) -> list[Group]:
        """The worker groups, without quarantined processors (no thread runs them again)."""
        plan = plan_groups(self._graph, self._handles, fuse=self.fuse)
        handles = self._handles
        if all(h.state is not ProcessorState.QUARANTINED for h in handles.values()):
            return plan
        kept = (
            tuple(pid for pid in group if handles[pid].state is not ProcessorState.QUARANTINED)
            for group in plan
        )
        return [group for group in kept if group]

    def _bind_connections(self, worker_of: Mapping[ProcessorId, Worker]) -> None:
        """Point each connection at its consumer's wake-up (none inside a fused group)."""
        for connection in self._connections.values():
            producer = worker_of.get(connection.source.processor)
            consumer = worker_of.get(connection.target.processor)
            handle = self._handles.get(connection.target.processor)
            gone = handle is not None and handle.state in _NEVER_READS_AGAIN
            # A failed consumer never drains, also not inline: the producer must see it.
            inline = consumer is not None and consumer is producer and not gone
            connection.inline_consumer = inline
            connection.consumer_wakeup = None if consumer is None or inline else consumer.wakeup
            connection.mark_consumer_gone(gone)
            producer_handle = self._handles.get(connection.source.processor)
            connection.producer_cannot_wait = (
                producer_handle is not None and producer_handle.mode is SchedulingMode.PULL
            )
            connection.on_hold = self._paused
            connection.pause_producer(self._paused and connection.producer_cannot_wait)

    def _hold_connections(self, hold: bool) -> None:
        """While paused, a lossless producer waiting for room waits without timing out,
        and a device callback's frames are given up (and counted) instead of queued."""
        for connection in self._connections.values():
            connection.on_hold = hold
            connection.pause_producer(hold and connection.producer_cannot_wait)

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
        message = (
            f"worker {worker.name} did not return from a call within {self.stop_timeout_s:.1f} s "
            f"(a process(), setup() or teardown() is blocking); its processors ({names}) are "
            "quarantined: never run again, their input dropped and counted; remove them and "
            "add them again to start over"
        )
        self._warn(message)

    def _give_up_queued(self, connection: Connection[Any], why: str) -> None:
        """Count frames left queued as dropped, and say so (lossless means nothing unsaid)."""
        given_up = connection.discard()
        if given_up:
            message = (
                f"{given_up} frame(s) queued on {connection.id} were given up when {why}: "
                f"{connection.target.processor} stopped taking them"
            )
            self._warn(message, connection.target.processor)

    def _context_for(self, handle: ProcessorHandle) -> RuntimeContext:
        return RuntimeContext(
            handle.id,
            self.events,
            self.clock,
            self._main,
            request_stop=self.request_stop,
            statistics=lambda: self.statistics().to_dict(),
        )

    def _is_paused(self) -> bool:
        return self._paused

    def _on_worker_start(self, worker: Worker) -> None:
        problem = apply_thread_priority(worker.head.scheduling.priority)
        if problem is not None:
            self._warn(f"{worker.head.id}: {problem}", worker.head.id)

    def _warn(self, message: str, processor_id: ProcessorId | None = None) -> None:
        """A warning in the log and on the bus (``RuntimeWarning``)."""
        _log.warning(message)
        self.events.publish(
            RuntimeWarning(
                message=message, processor_id=processor_id, timestamp_ns=self.clock.now_ns()
            )
        )

    def _on_settled(self, processor_id: ProcessorId) -> None:
        # Called on a worker thread: run() looks at the whole graph on its own thread.
        self._settled = True
        self._main.wakeup.unpark()

    def _finished(self) -> RunOutcome | None:
        """ENDED or FAILED once every sink (a processor feeding nobody) has ended or
        failed for good; None while any still runs (or there are none)."""
        with self._lock:
            sinks = self._graph.sinks()
            if not sinks:
                return None
            failed = False
            for pid in sinks:
                handle = self._handles[pid]
                if handle.state in _NEVER_READS_AGAIN:
                    failed = True
                elif not handle.ended:
                    return None
            return RunOutcome.FAILED if failed else RunOutcome.ENDED

    def _on_fatal(self, processor_id: ProcessorId, error: BaseException) -> None:
        # Called on a worker thread: record the first failure and wake run().
        if self._fatal is None:
            self._fatal = (processor_id, error)
        self.request_stop()

    def _wake_worker_of(self, processor_id: ProcessorId) -> None:
        for group, worker in self._workers.items():
            if processor_id in group:
                worker.wakeup.unpark()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeStateError("this runtime was closed; create a new Runtime")

    @contextmanager
    def _signals_stop_runtime(self) -> Iterator[None]:
        """SIGINT/SIGTERM request an orderly stop while ``run()`` blocks (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        interrupted = 0

        def handler(signum: int, frame: FrameType | None) -> None:
            nonlocal interrupted
            interrupted += 1
            if interrupted == 1:
                self.request_stop()
            elif interrupted == 2:  # finalising recordings must not be cut short
                _say(
                    "streamlib: still stopping in order (recordings are being finalised); "
                    "send the signal again to force exit, which may leave them unplayable"
                )
            else:
                _say("streamlib: forcing exit; recordings not yet finalised may be unplayable")
                self._abandoned = True
                raise KeyboardInterrupt

        previous: dict[signal.Signals, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
        try:
            yield
        finally:
            for signum, old in previous.items():
                signal.signal(signum, old)


def _say(message: str) -> None:
    """A line on stderr from a signal handler (``os.write``: print() is not reentrant)."""
    with suppress(OSError):  # no stderr to tell: the signal still does what it says
        os.write(2, (message + "\n").encode())
