"""The context each processor receives in ``setup(ctx)``."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from ..core import EventBus, MediaClock, ProcessorId, Wakeup
from ._main_thread import MainThreadQueue

__all__ = ["RuntimeContext"]

T = TypeVar("T")


class RuntimeContext:
    """A processor's id and the runtime's services (satisfies ``ProcessorContext``).

    ``request_stop`` and ``statistics`` are the runtime's own, handed in as
    callables so a context can also be built without a runtime (the test harness).
    ``wakeup`` is the worker's: the one its inputs' producers unpark.
    """

    __slots__ = (
        "_clock",
        "_events",
        "_main",
        "_processor_id",
        "_request_stop",
        "_statistics",
        "_wakeup",
    )

    def __init__(
        self,
        processor_id: ProcessorId,
        events: EventBus,
        clock: MediaClock,
        main: MainThreadQueue,
        *,
        request_stop: Callable[[], None],
        statistics: Callable[[], dict[str, Any]],
        wakeup: Wakeup | None = None,
    ) -> None:
        self._processor_id = processor_id
        self._events = events
        self._clock = clock
        self._main = main
        self._request_stop = request_stop
        self._statistics = statistics
        self._wakeup = wakeup if wakeup is not None else Wakeup()

    @property
    def processor_id(self) -> ProcessorId:
        return self._processor_id

    @property
    def events(self) -> EventBus:
        return self._events

    @property
    def clock(self) -> MediaClock:
        return self._clock

    def run_on_main(self, fn: Callable[[], T], *, timeout_s: float | None = None) -> T:
        return self._main.call(fn, timeout_s)

    def run_on_main_async(self, fn: Callable[[], T]) -> Future[T]:
        return self._main.submit(fn)

    def request_stop(self) -> None:
        self._request_stop()

    def statistics(self) -> dict[str, Any]:
        return self._statistics()

    def wait_for_input(self, timeout_s: float) -> bool:
        return self._wakeup.park(timeout_s)

    def wake(self) -> None:
        self._wakeup.unpark()

    def __repr__(self) -> str:
        return f"<RuntimeContext {self._processor_id}>"
