"""The runtime: workers, wiring, scheduling, live graph changes, statistics."""

from ._context import RuntimeContext
from ._main_thread import MainThreadQueue
from ._refs import ProcessorRef
from ._runtime import RunOutcome, Runtime, RuntimeState
from ._stats import ProcessorStatistics, RuntimeStatistics

__all__ = [
    "MainThreadQueue",
    "ProcessorRef",
    "ProcessorStatistics",
    "RunOutcome",
    "Runtime",
    "RuntimeContext",
    "RuntimeState",
    "RuntimeStatistics",
]
