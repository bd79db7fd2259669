"""The context each processor receives in ``setup(ctx)``."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from ..core import EventBus, MediaClock, ProcessorId
from ._main_thread import MainThreadQueue

__all__ = ["RuntimeContext"]

T = TypeVar("T")


class RuntimeContext:
    """A processor's id and the runtime's services (satisfies ``ProcessorContext``)."""

    __slots__ = ("_clock", "_events", "_main", "_processor_id")

    def __init__(
        self, processor_id: ProcessorId, events: EventBus, clock: MediaClock, main: MainThreadQueue
    ) -> None:
        self._processor_id = processor_id
        self._events = events
        self._clock = clock
        self._main = main

    @property
    def processor_id(self) -> ProcessorId:
        return self._processor_id

    @property
    def events(self) -> EventBus:
        return self._events

    @property
    def clock(self) -> MediaClock:
        return self._clock

    def run_on_main(self, fn: Callable[[], T], *, timeout: float | None = None) -> T:
        return self._main.call(fn, timeout)

    def run_on_main_async(self, fn: Callable[[], T]) -> Future[T]:
        return self._main.submit(fn)

    def __repr__(self) -> str:
        return f"<RuntimeContext {self._processor_id}>"
