"""Drops in a file job are warnings: there, where every source can wait, nothing should drop.

A live graph drops frames by design (the newest wins); a connection fed only by
sources that can wait defaults to lossless, so a drop there means someone asked
for another profile, and ``streamlib run`` says so on stderr instead of leaving
it to a counter.
"""

from __future__ import annotations

from ..core import ProcessorId
from ..runtime import Runtime, RuntimeStatistics

__all__ = ["FileJobDrops"]


class FileJobDrops:
    """Finds connections that dropped frames although only sources that can wait feed them."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._seen: dict[str, int] = {}
        self._file_job: dict[str, bool] = {}

    def new_drops(self, stats: RuntimeStatistics) -> list[str]:
        messages = []
        for c in stats.connections:
            before = self._seen.get(c.id, 0)
            self._seen[c.id] = c.dropped
            if c.dropped > before and self._in_file_job(c.id, c.source):
                messages.append(
                    f"{c.source} -> {c.target} dropped {c.dropped - before} frame(s) "
                    f"({c.dropped} in all) in a file job, where nothing should drop: its "
                    f"profile is {c.profile!r}; remove that override (file jobs default to "
                    "lossless) or make the consumer keep up"
                )
        return messages

    def _in_file_job(self, connection_id: str, source: str) -> bool:
        known = self._file_job.get(connection_id)
        if known is None:
            producer = ProcessorId(source.partition(".")[0])
            try:
                known = self._runtime.graph.fed_by_sources_that_wait(producer)
            except Exception:  # removed meanwhile: not ours to judge any more
                known = False
            self._file_job[connection_id] = known
        return known
