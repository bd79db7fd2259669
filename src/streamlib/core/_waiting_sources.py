"""Which processors are fed only by sources that can wait: their connections lose nothing.

A source is either *live* (a camera, a microphone, a paced generator: it cannot
wait, so downstream drops are the price of real time) or *able to wait* (a file
read as fast as it is consumed: ``Processor.is_live()`` False). Output that comes,
directly or through push processors, only from sources able to wait belongs to a
file job, and the graph connects it ``lossless`` unless told otherwise, as in
GStreamer's non-live pipelines; anything live upstream keeps the input's profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ._ids import ProcessorId
from ._processor import Processor
from ._scheduling import SchedulingMode

__all__ = ["fed_by_sources_that_wait", "which_are_fed_by_sources_that_wait"]

Producers = Callable[[ProcessorId], Iterable[ProcessorId]]


def fed_by_sources_that_wait(
    processor_id: ProcessorId, processors: Mapping[ProcessorId, Processor], producers: Producers
) -> bool:
    """Whether ``processor_id``'s output comes only from sources that can wait: a search
    upstream through push processors (``producers`` gives what feeds each one)."""
    found_source = False
    seen = {processor_id}
    pending = [*seen]
    while pending:
        pid = pending.pop()
        processor = processors[pid]
        if processor.planned_scheduling().mode is not SchedulingMode.PUSH:
            if processor.is_live():
                return False
            found_source = True
            continue
        fed_by = list(producers(pid))
        if not fed_by:
            return False  # nothing feeds it yet: nothing says it can wait
        for producer in fed_by:
            if producer not in seen:
                seen.add(producer)
                pending.append(producer)
    return found_source


def which_are_fed_by_sources_that_wait(
    order: Iterable[ProcessorId], processors: Mapping[ProcessorId, Processor], producers: Producers
) -> dict[ProcessorId, bool]:
    """:func:`fed_by_sources_that_wait` for every processor at once, in one pass over a
    topological ``order`` (each processor's producers are settled before it)."""
    waits: dict[ProcessorId, bool] = {}
    for pid in order:
        processor = processors[pid]
        if processor.planned_scheduling().mode is not SchedulingMode.PUSH:
            waits[pid] = not processor.is_live()
        else:
            fed_by = list(producers(pid))
            waits[pid] = bool(fed_by) and all(waits[producer] for producer in fed_by)
    return waits
