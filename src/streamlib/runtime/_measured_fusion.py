"""Measured fusion: split a fused chain where its thread is saturated, rejoin when calm.

Fusion by structure (``_grouping``) puts a linear chain of push processors on one
thread, which is right while the chain is cheap: a hop inside a thread costs a
function call, a hop between threads a wake-up. It is wrong once the chain's work
fills its thread while cores are idle: 4 stages of 1080p ``np.add`` ran at 540
frames/s fused and 752 unfused, a 30 fps source feeding two 20 ms stages fell to
24.7 fps fused. So the runtime measures each processor's *busy fraction* (its cost
per call times its call rate, :meth:`CallTimings.busy_fraction`) and, every
``review_interval_s``:

- **splits** a group whose members together keep its thread busy above
  ``saturated`` (when the machine has a core to give it): the chain is cut where
  the two halves' loads are most even, and the cut is kept only if it lowers the
  busiest half to at most ``gain`` of the whole. The member after the cut starts
  a worker of its own; cheap neighbours stay fused with it or before it;
- **rejoins** a cut whose two sides together stayed below ``calm`` for
  ``calm_for_s`` (hysteresis: the band between ``calm`` and ``saturated`` changes
  nothing), and never touches the same cut twice within ``cooldown_s``.

The advisor only decides; the runtime regroups (restarting only the groups that
change, without ``setup`` again: fusible processors may move between threads),
publishes a ``WorkersRegrouped`` event and shows each processor's ``worker`` in
its statistics. ``Runtime(fuse=True)`` keeps structure-only fusion and
``fuse=False`` a thread per processor; the measured plan is ``fuse="auto"``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..core import ProcessorId

__all__ = ["FusionAdvice", "MeasuredFusion"]


@dataclass(frozen=True, slots=True)
class FusionAdvice:
    """A change to the set of cuts, and why (shown in the regroup event)."""

    cuts: frozenset[ProcessorId]
    reason: str


class MeasuredFusion:
    """Keeps the cuts (processors that start a worker of their own despite the structure)."""

    def __init__(
        self,
        *,
        saturated: float = 0.8,
        calm: float = 0.45,
        gain: float = 0.8,
        calm_for_s: float = 5.0,
        cooldown_s: float = 10.0,
        review_interval_s: float = 1.0,
        cores: int | None = None,
    ) -> None:
        self.saturated = saturated
        self.calm = calm
        self.gain = gain
        self.calm_for_s = calm_for_s
        self.cooldown_s = cooldown_s
        self.review_interval_s = review_interval_s
        self.cores = cores if cores is not None else (os.cpu_count() or 1)
        self.cuts: frozenset[ProcessorId] = frozenset()
        self._changed_at: dict[ProcessorId, float] = {}
        self._calm_since: dict[ProcessorId, float] = {}
        self._last_review = float("-inf")

    def due(self, now_s: float) -> bool:
        """Whether a review is due (at most one per ``review_interval_s``)."""
        return now_s - self._last_review >= self.review_interval_s

    def forget(self, known: set[ProcessorId]) -> None:
        """Drop cuts of processors no longer in the graph."""
        self.cuts = frozenset(pid for pid in self.cuts if pid in known)
        for table in (self._changed_at, self._calm_since):
            for pid in [pid for pid in table if pid not in known]:
                del table[pid]

    def review(
        self,
        groups: Sequence[tuple[ProcessorId, ...]],
        busy: Mapping[ProcessorId, float],
        now_s: float,
        *,
        producer_of: Callable[[ProcessorId], ProcessorId | None],
    ) -> FusionAdvice | None:
        """Look at each group's load; the new cuts, or ``None`` to keep the plan.

        ``groups`` are the workers' groups now (each in graph order, as planned with
        the current cuts); ``busy`` each processor's busy fraction over the last
        second; ``producer_of`` a processor's only producer (a cut has exactly one:
        without the cut it would be fused onto it).
        """
        self._last_review = now_s
        load = {group: sum(busy.get(pid, 0.0) for pid in group) for group in groups}
        split = self._split(groups, load, busy, now_s)
        if split is not None:
            return split
        return self._rejoin(groups, load, now_s, producer_of)

    # -- internals -------------------------------------------------------------------

    def _split(
        self,
        groups: Sequence[tuple[ProcessorId, ...]],
        load: Mapping[tuple[ProcessorId, ...], float],
        busy: Mapping[ProcessorId, float],
        now_s: float,
    ) -> FusionAdvice | None:
        busy_threads = sum(1 for value in load.values() if value >= self.calm)
        if busy_threads >= self.cores:
            return None  # every core already has a busy thread: a cut buys nothing
        candidates = sorted(
            (g for g in groups if len(g) > 1 and load[g] >= self.saturated),
            key=lambda g: -load[g],
        )
        for group in candidates:
            costs = [busy.get(pid, 0.0) for pid in group]
            at, heavier = _most_even_cut(costs)
            cut = group[at]
            if heavier > self.gain * load[group] or self._cooling(cut, now_s):
                continue
            self._changed_at[cut] = now_s
            self._calm_since.pop(cut, None)
            self.cuts = self.cuts | {cut}
            return FusionAdvice(
                self.cuts,
                f"{group[0]}'s worker was busy {load[group]:.0%} of the time: {cut} "
                f"moves to a worker of its own (busiest side {heavier:.0%})",
            )
        return None

    def _rejoin(
        self,
        groups: Sequence[tuple[ProcessorId, ...]],
        load: Mapping[tuple[ProcessorId, ...], float],
        now_s: float,
        producer_of: Callable[[ProcessorId], ProcessorId | None],
    ) -> FusionAdvice | None:
        group_of = {pid: group for group in groups for pid in group}
        for cut in sorted(self.cuts):
            group = group_of.get(cut)
            if group is None or group[0] != cut:
                continue  # not heading a group now (structure changed): nothing to rejoin
            producer = producer_of(cut)
            before = group_of.get(producer) if producer is not None else None
            together = load[group] + (load[before] if before is not None else 0.0)
            if together >= self.calm:
                self._calm_since.pop(cut, None)
                continue
            since = self._calm_since.setdefault(cut, now_s)
            if now_s - since < self.calm_for_s or self._cooling(cut, now_s):
                continue
            self._changed_at[cut] = now_s
            del self._calm_since[cut]
            self.cuts = self.cuts - {cut}
            return FusionAdvice(
                self.cuts,
                f"{cut} and the chain before it were busy {together:.0%} together for "
                f"{self.calm_for_s:g} s: they share a worker again",
            )
        return None

    def _cooling(self, pid: ProcessorId, now_s: float) -> bool:
        changed = self._changed_at.get(pid)
        return changed is not None and now_s - changed < self.cooldown_s


def _most_even_cut(costs: Sequence[float]) -> tuple[int, float]:
    """Where to cut ``costs`` (index of the first member after the cut, >= 1) so the
    heavier side is lightest; and that side's load."""
    total = sum(costs)
    best_at, best = 1, float("inf")
    before = 0.0
    for at in range(1, len(costs)):
        before += costs[at - 1]
        heavier = max(before, total - before)
        if heavier < best:
            best_at, best = at, heavier
    return best_at, best
