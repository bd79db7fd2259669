"""A worker process: runs isolated processors for its parent (``python -m`` this module).

It reads the ``start`` message, builds a runtime holding its members (one
processor, or every member of a named process, joined to each other as in the
parent's graph) between their bridges (an :class:`IpcInlet` per input fed from
outside, an :class:`IpcOutlet` per output read outside), says ``ready`` and runs
until every stream ends, the parent asks it to stop, or a member fails (``raise``
policy here: the parent's stand-ins apply the real ones, by starting a fresh
worker). Its stdout carries the protocol only; anything else written there goes
to stderr, which the parent keeps for error messages. When its stdin closes (the
parent died, even by ``kill -9``) it stops at once.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from typing import Any

from ...core import CustomEvent, Event, ProcessorEnded, ProcessorError, ProcessorErrored, Registry
from ...ipc import cleanup_dead_nodes
from .._runtime import Runtime
from ._bridges import POOL_LOANS, IpcInlet, IpcOutlet
from ._protocol import MessageWriter, read_message

__all__ = ["main"]

_ORPHAN_EXIT_S = 3.0  # a worker whose parent is gone gets this long to stop in order
_STATS_INTERVAL_S = 0.25  # also how stale the read counts are when a worker dies


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # print() and libraries write to stderr from now on
    writer = MessageWriter(protocol)
    start = read_message(sys.stdin)
    if start is None or start["kind"] != "start":
        return 2
    for path in reversed(start.get("sys_path", [])):
        if path not in sys.path:
            sys.path.insert(0, path)
    cleanup_dead_nodes()
    try:
        runtime, bridges = _build(start)
    except _MemberError as error:
        cause = error.__cause__
        writer.send(
            "error",
            id=error.member,
            error_type=type(cause).__name__,
            message=str(cause),
            phase="setup",
        )
        return 1
    members = [member["id"] for member in start["members"]]
    listening = _report_events(runtime, members, bridges, writer)
    threading.Thread(target=_serve_control, args=(runtime, bridges), daemon=True).start()
    threading.Thread(
        target=_send_stats, args=(runtime, members, bridges, writer), daemon=True
    ).start()
    runtime.start()
    writer.send("ready", pid=os.getpid())
    try:
        runtime.run()
    except ProcessorError:
        return 1  # the error message went out with the event
    finally:
        _report_stats(runtime, members, bridges, writer)  # the final numbers
        runtime.events.flush(1.0)
        runtime.close()
        del listening
    return 0


class _MemberError(Exception):
    """A member could not be imported or constructed (the cause says why)."""

    def __init__(self, member: str) -> None:
        super().__init__(member)
        self.member = member


class _Bridges:
    """The channel ends in this worker: which member each serves, and the inlets."""

    def __init__(self) -> None:
        self.member_of: dict[str, str] = {}  # bridge id -> member id
        self.inlets: dict[str, list[IpcInlet]] = {}  # member id -> its inlets
        # Per member, by port: the bridges on channels straight to another worker.
        self.direct_inlets: dict[str, dict[str, IpcInlet]] = {}
        self.direct_outlets: dict[str, dict[str, IpcOutlet]] = {}

    def of(self, member: str) -> list[str]:
        return [bridge for bridge, owner in self.member_of.items() if owner == member]


def _processor_class(start: dict[str, Any]) -> type[Any]:
    """The class to run: by module and name, or from the file that defines it."""
    module_name, qualname = start["module"], start["qualname"]
    if module_name != "__main__" and "<locals>" not in qualname:
        try:
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
            return target  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            pass
    source = start.get("file")
    if source:
        registry = Registry.default()
        registry.register_file(source)
        return registry.get(start["type_name"])
    raise ImportError(
        f"the worker process cannot import {module_name}.{qualname}: define the processor "
        "at module level in an importable module or a plug-in file"
    )


def _build(start: dict[str, Any]) -> tuple[Runtime, _Bridges]:
    runtime = Runtime(fuse=True)
    bridges = _Bridges()
    for member in start["members"]:
        pid = member["id"]
        try:
            _add_member(runtime, bridges, member, alone=len(start["members"]) == 1)
        except Exception as error:
            raise _MemberError(pid) from error
    # Between members the connections are the parent's own, in process: no channel, no copy.
    for connection in start["connections"]:
        try:
            runtime.connect(
                connection["from"],
                connection["to"],
                profile=connection["profile"],
                capacity=connection["capacity"],
            )
        except Exception as error:
            raise _MemberError(connection["to"].split(".")[0]) from error
    return runtime, bridges


def _add_member(
    runtime: Runtime, bridges: _Bridges, member: dict[str, Any], *, alone: bool
) -> None:
    pid = member["id"]
    processor = runtime.add(
        _processor_class(member), member["config"], id=pid, error_policy="raise"
    )
    bridges.inlets[pid] = []
    bridges.direct_inlets[pid] = {}
    bridges.direct_outlets[pid] = {}
    for port, channel in member["inputs"].items():
        inlet = IpcInlet(**channel, batch=_inlet_batch(channel["capacity"], alone=alone))
        bridges.inlets[pid].append(inlet)
        if inlet.config.direct:
            bridges.direct_inlets[pid][port] = inlet
        # A bridge's failure (a frame the processor's narrowed port refuses) is the
        # processor's: "raise" ends the worker with it, and the parent hears why.
        ref = runtime.add(inlet, id=f"inlet-{pid}-{port}", error_policy="raise")
        bridges.member_of[str(ref.id)] = pid
        runtime.connect(
            ref.frames_out,
            processor.port(port),
            profile="lossless",
            capacity=_inlet_queue(inlet.config.capacity),
        )
    for port, channel in member["outputs"].items():
        outlet = IpcOutlet(**channel)
        if outlet.config.direct:
            bridges.direct_outlets[pid][port] = outlet
        ref = runtime.add(outlet, id=f"outlet-{pid}-{port}", error_policy="raise")
        bridges.member_of[str(ref.id)] = pid
        runtime.connect(processor.port(port), ref.frames_in, profile="lossless", capacity=4)


def _inlet_queue(channel_capacity: int) -> int:
    """The depth of the queue from an inlet to its member.

    Every frame received and not yet gone keeps its sample borrowed: a full queue, a
    batch as large in the member's hands (``read_all``) and the batch the inlet
    received and waits to write, ``2 * queue + batch`` (:func:`_inlet_batch`). The
    subscriber may borrow only ``channel_capacity + 4``; past that it copies each
    frame out (6 MB at 1080p, on the inlet's thread), so the queue stays short
    enough never to get there. The channel buffers the rest. (An inlet fused with
    its member writes straight to it: a batch is all it holds.)
    """
    return max(1, min(4, (channel_capacity + 1) // 2))


def _inlet_batch(channel_capacity: int, *, alone: bool = True) -> int:
    """How many frames an inlet takes off its channel at a time (with one event back):
    at most what its member's pool may have loans for (a member that reads all its
    input makes as many outputs), and what fits beside a full queue (``_inlet_queue``)
    under the subscriber's borrowing limit.

    One at a time for a member not ``alone`` in its worker (a named process): its
    members run fused, and a batch would pass through all of them before the next
    frame, so several frames in flight through several stages stop fitting the
    caches (four 1080p ``np.add`` stages in one worker: 390 frames/s with batches of
    three, 630 one at a time; a worker of one stage does as well either way).
    """
    if not alone:
        return 1
    room = channel_capacity + 4 - 2 * _inlet_queue(channel_capacity)
    return max(1, min(channel_capacity, POOL_LOANS, room))


def _report_events(
    runtime: Runtime, members: list[str], bridges: _Bridges, writer: MessageWriter
) -> Any:
    """Pass the members' events to the parent; the subscription is returned to keep."""

    def on_event(event: Event) -> None:
        if isinstance(event, ProcessorErrored) and event.processor_id in members:
            writer.send(
                "error",
                id=event.processor_id,
                error_type=event.error_type,
                message=event.message,
                phase=event.phase,
            )
        elif isinstance(event, ProcessorErrored) and event.action == "raise":  # a bridge
            writer.send(
                "error",
                id=bridges.member_of.get(event.processor_id),
                error_type=event.error_type,
                message=f"{event.processor_id} (the worker's end of a channel): {event.message}",
                phase=event.phase,
            )
        elif isinstance(event, ProcessorEnded) and event.processor_id in members:
            writer.send("ended", id=event.processor_id)
        elif isinstance(event, CustomEvent):
            writer.send("event", topic=event.custom_topic, name=event.name, payload=event.payload)

    return runtime.events.subscribe("*", on_event)


def _serve_control(runtime: Runtime, bridges: _Bridges) -> None:
    while (message := read_message(sys.stdin)) is not None:
        kind = message["kind"]
        try:
            if kind == "config":
                runtime.update_config(message["id"], **message["changes"])
            elif kind == "remove":  # the parent removed that member from its graph
                for bridge in bridges.of(message["id"]):
                    runtime.remove(bridge)
                runtime.remove(message["id"])
            elif kind == "pause":
                runtime.pause()
            elif kind == "resume":
                runtime.resume()
            elif kind == "stop":
                runtime.request_stop()
                return
        except Exception as error:  # a refused change: the parent checked it already
            print(f"streamlib worker: {kind} refused: {error}", file=sys.stderr)
    # stdin closed without "stop": the parent is gone. Stop in order, but not forever.
    runtime.request_stop()
    time.sleep(_ORPHAN_EXIT_S)
    os._exit(3)


def _send_stats(
    runtime: Runtime, members: list[str], bridges: _Bridges, writer: MessageWriter
) -> None:
    while True:
        time.sleep(_STATS_INTERVAL_S)
        if not _report_stats(runtime, members, bridges, writer):
            return


def _report_stats(
    runtime: Runtime, members: list[str], bridges: _Bridges, writer: MessageWriter
) -> bool:
    """Send each member's statistics (and its inlets' drops), and those of the
    connections between members; False once that fails."""
    try:
        stats = runtime.statistics()
        processors = {
            pid: {
                **stats.processors[pid].to_dict(),
                "hop_drops_in": sum(inlet.dropped for inlet in bridges.inlets.get(pid, [])),
                # What the member read of what its channels brought: the parent counts
                # the rest as lost if this worker dies (the last report is the truth).
                "hops_read": sum(
                    c.delivered
                    for c in stats.connections
                    if c.source.split(".")[0] in bridges.of(pid) and c.target.startswith(f"{pid}.")
                ),
                "hops_out_in_place": sum(  # frames made in shared memory: no copy at all
                    outlet.sent_in_place
                    for outlet in map(runtime.processor, bridges.of(pid))
                    if isinstance(outlet, IpcOutlet)
                ),
                # The channels straight to or from other workers: the parent shows these
                # counts on the connections it carries no frame of.
                "direct_in": {
                    port: _direct_in_counts(stats.connections, pid, port, inlet)
                    for port, inlet in bridges.direct_inlets.get(pid, {}).items()
                },
                "direct_out": {
                    port: outlet.sent
                    for port, outlet in bridges.direct_outlets.get(pid, {}).items()
                },
                # GPU frames downloaded to cross (textures stay in their process).
                **_gpu_downloads(runtime, bridges.of(pid)),
                # Frames for a consumer worker gone for good (see IpcOutlet).
                "hop_drops_out": sum(
                    outlet.dropped for outlet in bridges.direct_outlets.get(pid, {}).values()
                ),
            }
            for pid in members
            if pid in stats.processors
        }
        between = [
            c.to_dict()
            for c in stats.connections
            if c.source.split(".")[0] in members and c.target.split(".")[0] in members
        ]
    except Exception:
        return False
    if not processors:
        return False
    return writer.send("stats", processors=processors, connections=between)


def _direct_in_counts(connections: Any, pid: str, port: str, inlet: IpcInlet) -> dict[str, Any]:
    """The inlet -> member connection's counts, and the frames its channel dropped."""
    source = f"inlet-{pid}-{port}.frames_out"
    counts = next((c for c in connections if c.source == source), None)
    return {
        "delivered": 0 if counts is None else counts.delivered,
        "dropped": 0 if counts is None else counts.dropped,
        "newest_age_ms": None if counts is None else counts.newest_age_ms,
        "channel_dropped": inlet.dropped,
    }


def _gpu_downloads(runtime: Runtime, bridge_ids: list[str]) -> dict[str, Any]:
    """``gpu_downloads`` and ``gpu_download_ms`` of a member's outlets, summed."""
    counts = [
        outlet.gpu_downloads
        for outlet in map(runtime.processor, bridge_ids)
        if isinstance(outlet, IpcOutlet)
    ]
    return {
        "gpu_downloads": sum(n for n, _ in counts),
        "gpu_download_ms": round(sum(ms for _, ms in counts), 3),
    }


if __name__ == "__main__":
    sys.exit(main())
