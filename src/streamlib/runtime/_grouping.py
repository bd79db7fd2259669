"""Which processors share a worker thread.

A hop between threads costs a wake-up (100-250 µs on a loaded 2-core machine);
a hop inside one thread costs a function call. So a *linear chain* of push
processors is fused onto the worker of the processor feeding it:

    B joins A's group when A and B are both fusible and normal priority, B is
    push-scheduled, A is B's only producer, B is A's only consumer, and A is not
    pull-scheduled.

A processor with ``fusible = False`` is always alone on its thread, and that
thread lives as long as the processor: it never moves when the graph changes
(for thread-affine resources such as GL contexts).

Anything else (fan-out, fan-in, timers, pull sources, high priority) starts a
group of its own, so parallel branches still run in parallel. So does a *cut*:
a processor that measured fusion (``_measured_fusion``) moved off a saturated
thread.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core import Graph, Priority, ProcessorId, SchedulingMode
from ._handle import ProcessorHandle

__all__ = ["fusable_producer", "plan_groups"]


def plan_groups(
    graph: Graph,
    handles: Mapping[ProcessorId, ProcessorHandle],
    *,
    fuse: bool,
    cuts: frozenset[ProcessorId] = frozenset(),
) -> list[tuple[ProcessorId, ...]]:
    """Partition the graph's processors into worker groups, each in graph order;
    each of ``cuts`` starts a group."""
    order = graph.topological_order()
    group_of: dict[ProcessorId, list[ProcessorId]] = {}
    groups: list[list[ProcessorId]] = []
    for pid in order:
        producer = fusable_producer(graph, handles, pid) if fuse and pid not in cuts else None
        if producer is not None:
            group = group_of[producer]
            group.append(pid)
        else:
            group = [pid]
            groups.append(group)
        group_of[pid] = group
    return [tuple(group) for group in groups]


def fusable_producer(
    graph: Graph, handles: Mapping[ProcessorId, ProcessorHandle], pid: ProcessorId
) -> ProcessorId | None:
    """The processor ``pid`` would be fused onto by structure, or ``None``."""
    handle = handles[pid]
    scheduling = handle.scheduling
    if (
        scheduling.mode is not SchedulingMode.PUSH
        or scheduling.priority is not Priority.NORMAL
        or not handle.processor.fusible
    ):
        return None
    producers = graph.predecessors(pid)
    if len(producers) != 1:
        return None
    producer = producers[0]
    producer_handle = handles[producer]
    if producer_handle.scheduling.mode is SchedulingMode.PULL:
        return None
    if not producer_handle.processor.fusible:  # it keeps a thread of its own
        return None
    if producer_handle.scheduling.priority is not Priority.NORMAL:
        return None
    if graph.successors(producer) != [pid]:
        return None
    return producer
