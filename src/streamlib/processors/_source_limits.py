"""What limited sources share: the ``realtime``, ``duration_s`` and ``frames`` fields.

A source given a limit ends its outputs when it reaches it (the end travels
behind its last frame, so a file job finishes by itself). ``realtime: false``
makes a generator able to wait: it writes as fast as its consumers take it,
and connections it feeds default to lossless delivery.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..core import NS_PER_S

__all__ = ["duration_field", "frames_field", "realtime_field", "seconds_to_ns"]


def realtime_field(description: str | None = None) -> Any:
    """``realtime: bool = True``: paced in real time (live), or as fast as consumers take it."""
    return Field(
        True,
        description=description
        or "Pace output in real time (a live source); false: as fast as consumers take it, "
        "losing nothing (the source waits for them).",
    )


def duration_field(what: str = "content") -> Any:
    """``duration_s: float | None``: end after this many seconds of content."""
    return Field(
        None,
        gt=0,
        le=1_000_000_000,
        description=f"End the stream after this many seconds of {what} (null: no limit).",
    )


def frames_field(unit: str) -> Any:
    """``frames: int | None``: end after this many ``unit`` (video frames, audio blocks)."""
    return Field(
        None,
        ge=1,
        le=1_000_000_000_000,
        description=f"End the stream after this many {unit} (null: no limit).",
    )


def seconds_to_ns(seconds: float) -> int:
    """Content time in integer nanoseconds, rounded (so 1.0 s at 30 fps is exactly 30 frames)."""
    return round(seconds * NS_PER_S)
