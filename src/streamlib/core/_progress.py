"""How far a source that knows its length has come: position and duration in seconds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Progress"]


@dataclass(frozen=True, slots=True)
class Progress:
    """A source's position in its content, and the content's length when known.

    Returned by :meth:`Processor.progress` and carried in the statistics, so
    ``streamlib run`` can show a percentage, the speed and an ETA::

        Progress(position_s=4.2, duration_s=10.0).fraction   # 0.42
    """

    position_s: float
    duration_s: float | None = None

    @property
    def fraction(self) -> float | None:
        """``position_s / duration_s`` within ``[0, 1]``; None when the length is unknown."""
        if not self.duration_s or self.duration_s <= 0:
            return None
        return min(1.0, max(0.0, self.position_s / self.duration_s))

    def to_dict(self) -> dict[str, Any]:
        fraction = self.fraction
        return {
            "position_s": round(self.position_s, 3),
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "percent": None if fraction is None else round(100.0 * fraction, 1),
        }
