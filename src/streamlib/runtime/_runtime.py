"""The runtime: owns the graph, the connections and the threads, and changes them live.

::

    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=1280, height=720, fps=30)
        fx = rt.add(Invert)
        sink = rt.add(NullSink)
        rt.connect(src.video, fx.video_in)
        rt.connect(fx.video_out, sink.video)
        rt.run(duration_s=5.0)

States: ``idle -> running <-> paused -> stopped`` (and ``stopped -> running`` again).
``add``, ``remove``, ``connect`` and ``disconnect`` work in every state; while
running, only the workers whose group of processors changes are restarted, so
untouched branches keep flowing.

The facade's parts: the graph (``core``), the wiring (``_wiring``), the workers
(``_worker_set``), the lifecycle (``_lifecycle``), what ends a run (``_run_control``)
and the events it publishes (``_announcements``); what ``add`` and ``load`` are
given is made ready in ``_staging``; a config change goes through ``_config_change``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..core import (
    Connection,
    ConnectionId,
    DeliveryProfile,
    ErrorPolicy,
    EventBus,
    Graph,
    MediaClock,
    MonotonicClock,
    PortRef,
    Processor,
    ProcessorConfig,
    ProcessorId,
    ProcessorState,
    Registry,
    RestartBackoff,
    Wakeup,
)
from ..pipelines import PipelineSpec
from ._announcements import Announcer
from ._config_change import change_config
from ._context import RuntimeContext
from ._handle import ProcessorHandle
from ._isolation import ProcessGroups
from ._lifecycle import Lifecycle
from ._main_thread import MainThreadQueue
from ._priority import apply_thread_priority
from ._refs import ProcessorRef
from ._run_control import RunControl, RunOutcome, RuntimeState
from ._staging import Isolation, instantiate, stage_pipeline
from ._stats import RuntimeStatistics
from ._web_serving import WebServing
from ._wiring import Wiring
from ._worker import Worker
from ._worker_set import Fuse, Group, WorkerSet

if TYPE_CHECKING:
    from ..web import WebOptions

__all__ = ["RunOutcome", "Runtime", "RuntimeState"]


class Runtime:
    """Runs a graph of processors on worker threads.

    A facade over three parts: the :class:`~streamlib.core.Graph` (what is
    connected to what), the wiring (a live connection per edge) and the worker
    set (a thread per group of processors); each change goes to all three in
    that order, under one control-plane lock that workers never take. Its
    lifecycle (start, pause, stop, run) is one more part under the same lock.

    Args:
        registry: where processor type names are looked up (default: built-ins
            plus the ``streamlib.processors`` entry points).
        clock: the media clock handed to processors (default monotonic).
        fuse: how processors share threads. ``"auto"`` (default): linear chains
            of push processors run on one thread, and a chain whose measured
            cost saturates its thread while a core is free is split where its
            load divides evenly, and joined again once calm (a
            ``WorkersRegrouped`` event says so; ``worker`` in the statistics
            shows where each runs). ``True``: fusion by structure only.
            ``False``: every processor on a thread of its own.
        backoff: the pauses of the ``restart`` error policy.
        stop_timeout_s: how long ``stop`` (or a graph change) waits for a worker
            thread that makes no progress; one still stuck in a call after that
            is quarantined with its processors (never run again). On ``stop``
            each worker first consumes everything already queued (recorders get
            their last frames), for as long as that keeps making progress.
        web: serve the web API and page over this runtime from ``start()`` (or
            ``run()``) until ``close()``: ``True`` (127.0.0.1, a free port), a
            port, ``"HOST:PORT"``, or ``streamlib.web.WebOptions`` (with a token,
            required off loopback, and what clients may add). :attr:`web_url`
            says where. Needs the ``web`` extra.
    """

    def __init__(
        self,
        *,
        registry: Registry | None = None,
        clock: MediaClock | None = None,
        fuse: Fuse = "auto",
        backoff: RestartBackoff | None = None,
        stop_timeout_s: float = 5.0,
        web: WebOptions | str | int | bool | None = None,
    ) -> None:
        self._web = None if web is None or web is False else WebServing(web)
        self._registry = registry
        self.clock: MediaClock = clock if clock is not None else MonotonicClock()
        self.events = EventBus()
        self.backoff = backoff if backoff is not None else RestartBackoff()
        self._graph = Graph()
        self._handles: dict[ProcessorId, ProcessorHandle] = {}
        self._process_groups = ProcessGroups(self._may_run, lambda: self._lifecycle.paused)
        self._lock = threading.RLock()  # control plane only; workers never take it
        self._main = MainThreadQueue()
        self._announce = Announcer(self.events, self.clock)
        warn = self._announce.warn
        self._wiring = Wiring(self._graph, self._handles, self.events, self.clock, warn)
        self._workers = WorkerSet(
            self._graph,
            self._handles,
            self._main,
            fuse=fuse,
            stop_timeout_s=stop_timeout_s,
            context_for=self._context_for,
            is_paused=lambda: self._lifecycle.paused,
            on_thread_start=self._on_worker_start,
            warn=warn,
        )
        self._control = RunControl(self._graph, self._handles, self._main, self._lock)
        self._lifecycle = Lifecycle(
            handles=self._handles,
            wiring=self._wiring,
            workers=self._workers,
            control=self._control,
            main=self._main,
            lock=self._lock,
            announce=self._announce,
        )

    # -- properties ------------------------------------------------------------------

    @property
    def state(self) -> RuntimeState:
        return self._lifecycle.state

    @property
    def fuse(self) -> Fuse:
        """How processors share threads: ``"auto"``, ``True`` (by structure) or ``False``."""
        return self._workers.fuse

    @property
    def stop_timeout_s(self) -> float:
        """How long a stop waits for a worker that makes no progress."""
        return self._workers.stop_timeout_s

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
        return self._wiring[self._graph.edge_between(source, target).id]

    # -- graph changes ---------------------------------------------------------------

    def add(
        self,
        processor: type[Processor] | str | Processor,
        config: ProcessorConfig | Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        error_policy: ErrorPolicy | str | None = None,
        isolation: Isolation | None = None,
        process: str | None = None,
        **fields: Any,
    ) -> ProcessorRef:
        """Add a processor (a class, a registered type name, or an instance).

        Config comes as ``config`` (a mapping or ``Config``) or as keyword
        fields. While running, it is set up and started at once.
        ``isolation="process"`` runs it in a worker process of its own (frames
        cross in shared memory; a crash there is this processor's error, and its
        error policy restarts a fresh process): the class must be importable.
        ``process="dsp"`` runs it in the worker process ``dsp``, shared with every
        processor added with that name (connections between them stay inside it;
        add them all before starting): ``rt.add(Eq, process="dsp")``.
        """
        instance = instantiate(
            processor, config, fields, lambda: self.registry, isolation=isolation, process=process
        )
        policy = (
            type(instance).error_policy if error_policy is None else ErrorPolicy.parse(error_policy)
        )
        with self._lock:
            self._process_groups.check_joinable(id, instance)
            pid = self._graph.add(instance, id)
            self._process_groups.enrol(pid, instance)
            self._handles[pid] = ProcessorHandle(
                pid,
                instance,
                error_policy=policy,
                backoff=self.backoff,
                events=self.events,
                clock_ns=self.clock.now_ns,
                on_fatal=self._control.on_fatal,
                on_settled=self._control.on_settled,
            )
            self._announce.processor_added(pid, instance.type_name)
            self._lifecycle.regroup()
        return ProcessorRef(pid, instance)

    def remove(self, processor_id: str | ProcessorRef) -> None:
        """Stop the processor (teardown runs), cut its connections, drop it from the graph."""
        with self._lock:
            pid = ProcessorId(str(processor_id))
            edges = self._graph.edges_of(pid)  # raises UnknownProcessorError
            self._workers.stop_with(pid)
            handle = self._handles.pop(pid)
            if handle.is_active and handle.state is not ProcessorState.ADDED:
                handle.tear_down()
            for edge in edges:
                self._wiring.drop(edge)
            self._process_groups.leave(pid, handle.processor)
            self._graph.remove(pid)
            self._announce.processor_removed(pid)
            self._lifecycle.regroup()

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
            ref = _parsed(target)  # malformed: graph.connect says what is wrong
            if ref is not None and ref.processor in self._graph:
                self._process_groups.check_connectable(
                    ref.processor, ref.port, self._graph.processor(ref.processor)
                )
            edge = self._graph.connect(source, target, profile=profile, capacity=capacity)
            connection = self._wiring.open(edge)
            self._announce.connection_created(edge)
            self._lifecycle.regroup()
            return connection.id

    def disconnect(self, source: str | PortRef, target: str | PortRef) -> None:
        """Remove the connection ``source -> target``; frames still queued in it are dropped."""
        with self._lock:
            edge = self._graph.edge_between(source, target)
            self._wiring.drop(edge)
            self._graph.disconnect(edge.source, edge.target)
            self._lifecycle.regroup()

    def load(self, pipeline: PipelineSpec | str | os.PathLike[str]) -> list[ProcessorRef]:
        """Add a pipeline file's (or spec's) processors and connections, all or nothing."""
        staged = stage_pipeline(pipeline, self.registry, self._graph)
        with self._lock, self._lifecycle.one_regroup():
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
            running = self._lifecycle.running_or_paused
            if change_config(pid, processor, self._handles[pid], changes, running=running):
                self._workers.wake([pid])

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Set every processor up and start the workers; returns at once."""
        self._serve_web()
        self._lifecycle.start()

    def pause(self) -> None:
        """Stop calling ``process()`` everywhere; threads and devices stay set up."""
        self._lifecycle.pause()

    def resume(self) -> None:
        self._lifecycle.resume()

    def stop(self) -> None:
        """Stop in order: sources first, then each stage after draining its queued input.

        Every processor is torn down on its own worker. Frames still queued when a
        stage stops taking them are counted as dropped, with a warning. Safe to
        call in any state; from a processor's own thread use :meth:`request_stop`.
        """
        self._lifecycle.stop()

    def request_stop(self) -> None:
        """Ask ``run()`` to return (and stop) soon; safe from any thread or signal handler."""
        self._control.request_stop()

    def run(self, duration_s: float | None = None) -> RunOutcome:
        """Start (unless running) and block until every sink has ended its stream (a
        file job is done), ``duration_s`` seconds pass, ``request_stop()`` is called,
        SIGINT/SIGTERM arrives, or a processor with the ``raise`` policy fails; then
        stop in order. Runs ``run_on_main`` calls meanwhile.

        A graph with a live source (a camera, a paced test pattern) never ends by
        itself: give it a ``duration_s`` or stop it.

        Returns:
            Why it returned (a :class:`RunOutcome`).

        Raises:
            ProcessorError: a processor with the ``raise`` error policy failed.
        """
        self._serve_web()
        return self._lifecycle.run(duration_s)

    @property
    def web_url(self) -> str | None:
        """Where the web API is served (``http://127.0.0.1:PORT/api``; the page is at
        ``/``), once started with ``Runtime(web=...)``; ``None`` otherwise."""
        return None if self._web is None else self._web.url

    def _serve_web(self) -> None:
        if self._web is not None:
            self._web.start(self)

    def pump_main(self, timeout_s: float = 0.0) -> int:
        """Run queued ``run_on_main`` calls now (for apps that drive their own loop)."""
        return self._main.pump(timeout_s)

    def close(self) -> None:
        """Stop, and release the event bus thread (and the web API, if served). The
        runtime cannot start again."""
        if self._web is not None:
            self._web.stop()
        self._lifecycle.close()
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
        connections = self._wiring.snapshot()
        workers = len(self._workers)
        now_ns = time.monotonic_ns()
        return RuntimeStatistics(
            state=self._lifecycle.state.value,
            uptime_s=self._lifecycle.uptime_s(),
            processors={str(h.id): h.statistics() for h in handles},
            connections=[c.statistics(now_ns) for c in connections],
            workers=workers,
            events_skipped=self.events.skipped,
        )

    def worker_groups(self) -> list[Group]:
        """Which processors share a thread right now (each tuple is one worker)."""
        with self._lock:
            return self._workers.groups()

    # -- internals -------------------------------------------------------------------

    def _context_for(self, handle: ProcessorHandle, wakeup: Wakeup) -> RuntimeContext:
        return RuntimeContext(
            handle.id,
            self.events,
            self.clock,
            self._main,
            request_stop=self.request_stop,
            statistics=lambda: self.statistics().to_dict(),
            wakeup=wakeup,
        )

    def _may_run(self, processor_id: str) -> bool:
        """Whether a member of a named process belongs in its fresh worker: not one
        that failed for good (or is stuck)."""
        handle = self._handles.get(ProcessorId(processor_id))
        gone = (ProcessorState.FAILED, ProcessorState.QUARANTINED)
        return handle is not None and handle.state not in gone

    def _on_worker_start(self, worker: Worker) -> None:
        problem = apply_thread_priority(worker.head.scheduling.priority)
        if problem is not None:
            self._announce.warn(f"{worker.head.id}: {problem}", worker.head.id)


def _parsed(port: str | PortRef) -> PortRef | None:
    try:
        return PortRef.parse(port)
    except Exception:
        return None
