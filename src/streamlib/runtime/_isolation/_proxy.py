"""The parent's stand-in for a processor that runs in a worker process.

:func:`isolated` makes, once per processor type, a subclass of
:class:`IsolatedProcessor` with the type's ports, config, name and error policy,
so the graph, pipeline files, MCP and statistics see the type itself. Its
``process()`` forwards each input's frames to the worker (one copy, into shared
memory), writes what the worker's outputs sent (read in place, no copy), passes
the worker's events on, and raises when the worker failed or died, so the error
policy applies. It waits with ``ctx.wait_for_input``: a write on one of its inputs
or news from the worker (a frame, an event, its death) wakes it.

Only the inputs connected when it is set up get a channel (connect inputs before
starting, or re-add the processor); every output gets one.
"""

from __future__ import annotations

import collections
import inspect
import secrets
import sys
import threading
import time
from typing import Any, ClassVar

from ...core import (
    DEFAULT_WRITE_TIMEOUT_S,
    BackpressureTimeout,
    CustomEvent,
    DeliveryProfile,
    Event,
    Frame,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    RuntimePaused,
    RuntimeResumed,
    Scheduling,
    Subscription,
)
from ...ipc import FramePublisher, FrameSubscriber, cleanup_dead_nodes
from ._worker_process import ProcessUsage, WorkerDiedError, WorkerProcess

__all__ = ["IsolatedProcessor", "isolated"]

_START_TIMEOUT_S = 30.0  # importing streamlib and the processor's libraries
_STOP_TIMEOUT_S = 5.0
_IDLE_WAIT_S = 0.05
_RECEIVE_WAIT_S = 0.1
_CHANNEL_CAPACITY = 8
_SEND_SLICE_S = 0.1  # a lossless send looks at the worker's health this often

_made: dict[type[Processor], type[IsolatedProcessor]] = {}
_made_lock = threading.Lock()


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
                "__doc__": target.__doc__,
                "__module__": __name__,
                **target._input_declarations,
                **target._output_declarations,
            }
            proxy = type(f"Isolated{target.__name__}", (IsolatedProcessor,), namespace)
            _made[target] = proxy
        return proxy


class IsolatedProcessor(Processor):
    """Runs ``target`` in a worker process; its ports and config are the target's."""

    target: ClassVar[type[Processor]]
    isolation = "process"
    fusible = False  # its thread waits for two sources at once

    def __init__(self, config: ProcessorConfig | Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._worker: WorkerProcess | None = None
        self._publishers: dict[str, FramePublisher] = {}
        self._inboxes: dict[str, collections.deque[Frame]] = {}
        self._receivers: list[threading.Thread] = []
        self._receiving = threading.Event()
        self._ended_outputs: set[str] = set()
        self._subscription: Subscription | None = None
        self._subscribers: dict[str, FrameSubscriber] = {}
        self._last_statistics: dict[str, Any] | None = None
        self.hops_in = 0
        self.hops_out = 0
        self.lost_at_stop = 0
        self._finished = False  # the worker's processor ended and all it sent is out

    def scheduling(self) -> Scheduling:
        return Scheduling.loop()

    @property
    def ends_with_inputs(self) -> bool:  # type: ignore[override]  # a constant elsewhere
        """It ends when the worker's processor ended, not when its own inputs did. One
        with outputs says so by ending them; one without has only this to say it."""
        return self._finished and not self.outputs

    # -- lifecycle -------------------------------------------------------------------

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        cleanup_dead_nodes()  # what earlier workers killed by a signal left behind
        pid = str(ctx.processor_id)
        prefix = f"sl-{secrets.token_hex(4)}/{pid}"
        inputs = {
            name: self._channel(f"{prefix}/in/{name}", port.connection.profile)
            for name, port in self.inputs.items()
            if port.connection is not None
        }
        outputs = {
            name: self._channel(f"{prefix}/out/{name}", self._output_profile(name))
            for name in self.outputs
        }
        for name, channel in inputs.items():
            self._publishers[name] = FramePublisher(**channel, write_timeout_s=_SEND_SLICE_S)
        self._receiving.clear()
        self._ended_outputs.clear()
        self._finished = False
        for name, channel in outputs.items():
            self._start_receiver(name, FrameSubscriber(**channel), ctx)
        self._worker = WorkerProcess(pid, on_news=ctx.wake)
        self._worker.send("start", **self._start_message(pid, inputs, outputs))
        self._subscription = ctx.events.subscribe("runtime", self._on_runtime_event)
        self._worker.wait_ready(_START_TIMEOUT_S)

    def process(self) -> None:
        worker = self._worker
        ctx = self.ctx
        assert worker is not None
        assert ctx is not None
        if worker.failure is None:
            self._forward_inputs(worker)
        # What the worker sent before it failed goes on before its error, as what a
        # processor writes before it raises does.
        for name, inbox in self._inboxes.items():
            output = self.outputs[name]
            while inbox:
                output.write(inbox.popleft())
                self.hops_out += 1
        while worker.events:
            message = worker.events.popleft()
            ctx.events.publish(
                CustomEvent(
                    custom_topic=message["topic"],
                    name=message["name"],
                    payload=message.get("payload"),
                    timestamp_ns=ctx.clock.now_ns(),
                )
            )
        if worker.failure is not None:
            raise WorkerDiedError(worker.failure)
        if (
            worker.ended
            and self._ended_outputs == set(self._inboxes)
            and not any(self._inboxes.values())
        ):
            self._finished = True
            self.end_outputs()
            return
        ctx.wait_for_input(_IDLE_WAIT_S)

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        current = self.config.model_dump(mode="json")
        before = previous.model_dump(mode="json")
        changes = {k: v for k, v in current.items() if before.get(k) != v}
        if changes and self._worker is not None:
            self._worker.send("config", changes=changes)

    def teardown(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        if self._worker is not None:
            # The receivers keep taking the worker's frames while it stops in order: a
            # lossless outlet there would otherwise wait for room that never comes.
            self._worker.stop(_STOP_TIMEOUT_S)
        self._receiving.set()
        for thread in self._receivers:
            thread.join(_STOP_TIMEOUT_S)
        self._receivers.clear()
        # Frames that arrived after the last process() call: given up, and counted.
        self.lost_at_stop += sum(len(inbox) for inbox in self._inboxes.values())
        if self._worker is not None:
            self._last_statistics = self.worker_statistics()  # kept for the final numbers
        self._worker = None
        for publisher in self._publishers.values():
            publisher.close(linger_s=0.0)
        self._publishers.clear()
        self._subscribers.clear()
        self._inboxes.clear()
        cleanup_dead_nodes()
        super().teardown()

    # -- what the statistics show ----------------------------------------------------

    def worker_statistics(self) -> dict[str, Any] | None:
        """The worker's pid, CPU %, RSS and hops (frames that crossed, and those the
        channels dropped on the way: a full ``latest``/``fifo`` channel gives way like
        an in-process one), and its processor's own counters."""
        worker = self._worker
        if worker is None:
            return self._last_statistics
        usage = worker.usage()
        stats = dict(worker.stats)
        process: dict[str, Any] = {
            # A process that is gone (after stop, or between a crash and the restart)
            # uses nothing: the same keys either way, so readers need not check.
            **(usage or ProcessUsage(worker.pid, 0.0, 0.0)).to_dict(),
            "hops_in": self.hops_in,
            "hops_out": self.hops_out,
            "hop_drops_in": stats.pop("hop_drops_in", 0),
            "hop_drops_out": self.lost_at_stop
            + sum(s.statistics().dropped for s in self._subscribers.values()),
        }
        return {"process": process, "processor": stats}

    # -- internals -------------------------------------------------------------------

    def _forward_inputs(self, worker: WorkerProcess) -> None:
        for name, publisher in self._publishers.items():
            port = self.inputs[name]
            for frame in port.read_all():
                if not self._send(publisher, frame, worker):
                    return  # the worker failed: the rest of the batch is lost with it
                self.hops_in += 1
            if port.is_ended() and not publisher.ended:
                publisher.end()

    @staticmethod
    def _send(publisher: FramePublisher, frame: Frame, worker: WorkerProcess) -> bool:
        """Send, waiting for room on a lossless channel in short slices, so a worker
        that died is noticed at once instead of after the whole write timeout; False
        when it failed. (Its error is raised later, outside this ``except``: chained
        to the timeout, it would keep the timeout's traceback, which holds the
        channel's iceoryx2 listener, its node and its shared memory, for as long as
        anyone keeps the error, as a log handler does.)"""
        deadline = time.monotonic() + DEFAULT_WRITE_TIMEOUT_S
        while True:
            try:
                publisher.send(frame)
                return True
            except BackpressureTimeout:
                if worker.failure is None and time.monotonic() >= deadline:
                    raise
            if worker.failure is not None:
                return False

    @staticmethod
    def _channel(name: str, profile: DeliveryProfile) -> dict[str, Any]:
        return {"channel": name, "profile": profile.value, "capacity": _CHANNEL_CAPACITY}

    def _output_profile(self, name: str) -> DeliveryProfile:
        profiles = {c.profile for c in self.outputs[name].connections}
        return DeliveryProfile.LOSSLESS if DeliveryProfile.LOSSLESS in profiles or not profiles \
            else DeliveryProfile.FIFO  # fmt: skip

    def _start_message(
        self, pid: str, inputs: dict[str, Any], outputs: dict[str, Any]
    ) -> dict[str, Any]:
        target = self.target
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
            "config": self.config.model_dump(mode="json"),
            "inputs": inputs,
            "outputs": outputs,
            "sys_path": [path for path in sys.path if path],
        }

    def _start_receiver(
        self, name: str, subscriber: FrameSubscriber, ctx: ProcessorContext
    ) -> None:
        inbox: collections.deque[Frame] = collections.deque()
        self._inboxes[name] = inbox
        self._subscribers[name] = subscriber

        def receive() -> None:
            try:
                while not self._receiving.is_set():
                    if not subscriber.wait(_RECEIVE_WAIT_S):
                        continue
                    while (frame := subscriber.receive()) is not None:
                        inbox.append(frame)
                    if subscriber.ended:
                        self._ended_outputs.add(name)
                        ctx.wake()
                        return
                    ctx.wake()
            finally:
                subscriber.close()

        thread = threading.Thread(
            target=receive, name=f"streamlib-{ctx.processor_id}-receive-{name}", daemon=True
        )
        self._receivers.append(thread)
        thread.start()

    def _on_runtime_event(self, event: Event) -> None:
        worker = self._worker
        if worker is None:
            return
        if isinstance(event, RuntimePaused):
            worker.send("pause")
        elif isinstance(event, RuntimeResumed):
            worker.send("resume")
