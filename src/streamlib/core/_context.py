"""What a processor receives in ``setup(ctx)``: its id and the runtime's services."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar, runtime_checkable

from ._clock import MediaClock
from ._event_bus import EventBus
from ._ids import ProcessorId

__all__ = ["ProcessorContext"]

T = TypeVar("T")


@runtime_checkable
class ProcessorContext(Protocol):
    """The runtime's services, handed to ``Processor.setup``.

    ``run_on_main`` runs a function on the thread that called ``Runtime.run()``
    (window toolkits need the main thread on macOS); called from that thread it
    runs inline instead of deadlocking::

        def setup(self, ctx):
            self.window = ctx.run_on_main(lambda: open_window(640, 480))
    """

    @property
    def processor_id(self) -> ProcessorId: ...

    @property
    def events(self) -> EventBus: ...

    @property
    def clock(self) -> MediaClock: ...

    def run_on_main(self, fn: Callable[[], T], *, timeout_s: float | None = None) -> T:
        """Run ``fn`` on the main thread and return its result (blocking)."""
        ...

    def run_on_main_async(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` for the main thread; the future holds its result or exception."""
        ...

    def request_stop(self) -> None:
        """Ask the runtime to stop in order soon (a window was closed, a file ended)."""
        ...

    def statistics(self) -> dict[str, Any]:
        """The runtime's statistics as JSON (``RuntimeStatistics.to_dict()``)."""
        ...

    def wait_for_input(self, timeout_s: float) -> bool:
        """Block up to ``timeout_s`` until input arrives on any of this processor's
        inputs, or :meth:`wake` is called; True if woken.

        For a ``loop`` processor that serves two sources, its inputs and something
        of its own (a socket, another process): it waits here instead of polling,
        and its own thread calls ``wake()`` when that other source has news.
        """
        ...

    def wake(self) -> None:
        """Wake this processor's ``wait_for_input`` (from any thread; never blocks)."""
        ...
