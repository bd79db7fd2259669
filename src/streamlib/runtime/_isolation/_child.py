"""A worker process: runs one isolated processor for its parent (``python -m`` this module).

It reads the ``start`` message, builds a runtime holding the processor between
its bridges (an :class:`IpcInlet` per input, an :class:`IpcOutlet` per output),
says ``ready`` and runs until the stream ends, the parent asks it to stop, or the
processor fails (``raise`` policy here: the parent's proxy applies the real one,
by starting a fresh worker). Its stdout carries the protocol only; anything else
written there goes to stderr, which the parent keeps for error messages. When
its stdin closes (the parent died, even by ``kill -9``) it stops at once.
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
from ._bridges import IpcInlet, IpcOutlet
from ._protocol import MessageWriter, read_message

__all__ = ["main"]

_ORPHAN_EXIT_S = 3.0  # a worker whose parent is gone gets this long to stop in order
_STATS_INTERVAL_S = 1.0


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
        cls = _processor_class(start)
        runtime, inlets = _build(start, cls)
    except Exception as error:
        writer.send("error", error_type=type(error).__name__, message=str(error), phase="setup")
        return 1
    pid = start["id"]
    listening = _report_events(runtime, pid, writer)
    threading.Thread(target=_serve_control, args=(runtime, pid), daemon=True).start()
    threading.Thread(target=_send_stats, args=(runtime, pid, inlets, writer), daemon=True).start()
    runtime.start()
    writer.send("ready", pid=os.getpid())
    try:
        runtime.run()
    except ProcessorError:
        return 1  # the error message went out with the event
    finally:
        _report_stats(runtime, pid, inlets, writer)  # the final numbers
        runtime.events.flush(1.0)
        runtime.close()
        del listening
    return 0


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


def _build(start: dict[str, Any], cls: type[Any]) -> tuple[Runtime, list[IpcInlet]]:
    runtime = Runtime(fuse=True)
    pid = start["id"]
    processor = runtime.add(cls, start["config"], id=pid, error_policy="raise")
    inlets: list[IpcInlet] = []
    for port, channel in start["inputs"].items():
        inlets.append(IpcInlet(**channel))
        # A bridge's failure (a frame the processor's narrowed port refuses) is the
        # processor's: "raise" ends the worker with it, and the parent hears why.
        inlet = runtime.add(inlets[-1], id=f"inlet-{port}", error_policy="raise")
        runtime.connect(inlet.frames_out, processor.port(port), profile="lossless", capacity=4)
    for port, channel in start["outputs"].items():
        outlet = runtime.add(IpcOutlet(**channel), id=f"outlet-{port}", error_policy="raise")
        runtime.connect(processor.port(port), outlet.frames_in, profile="lossless", capacity=4)
    return runtime, inlets


def _report_events(runtime: Runtime, pid: str, writer: MessageWriter) -> Any:
    """Pass the processor's events to the parent; the subscription is returned to keep."""

    def on_event(event: Event) -> None:
        if isinstance(event, ProcessorErrored) and event.processor_id == pid:
            writer.send(
                "error", error_type=event.error_type, message=event.message, phase=event.phase
            )
        elif isinstance(event, ProcessorErrored) and event.action == "raise":  # a bridge
            writer.send(
                "error",
                error_type=event.error_type,
                message=f"{event.processor_id} (the worker's end of a channel): {event.message}",
                phase=event.phase,
            )
        elif isinstance(event, ProcessorEnded) and event.processor_id == pid:
            writer.send("ended")
        elif isinstance(event, CustomEvent):
            writer.send("event", topic=event.custom_topic, name=event.name, payload=event.payload)

    return runtime.events.subscribe("*", on_event)


def _serve_control(runtime: Runtime, pid: str) -> None:
    while (message := read_message(sys.stdin)) is not None:
        kind = message["kind"]
        try:
            if kind == "config":
                runtime.update_config(pid, **message["changes"])
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


def _send_stats(runtime: Runtime, pid: str, inlets: list[IpcInlet], writer: MessageWriter) -> None:
    while True:
        time.sleep(_STATS_INTERVAL_S)
        if not _report_stats(runtime, pid, inlets, writer):
            return


def _report_stats(
    runtime: Runtime, pid: str, inlets: list[IpcInlet], writer: MessageWriter
) -> bool:
    """Send the processor's statistics (and the inlets' drops); False once that fails."""
    try:
        stats = runtime.statistics().processors.get(pid)
        drops = sum(inlet.dropped for inlet in inlets)
    except Exception:
        return False
    if stats is None:
        return False
    return writer.send("stats", processor={**stats.to_dict(), "hop_drops_in": drops})


if __name__ == "__main__":
    sys.exit(main())
