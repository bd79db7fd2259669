"""Data frames: JSON-able values or bytes flowing beside media (levels, captions, events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ._frame import Frame

__all__ = ["DataFrame"]

# replace()'s "not given": None is a valid payload (JSON null), so it cannot be that.
_KEEP: Any = object()


class DataFrame(Frame):
    """A payload that is not media: a JSON-able value (dict, list, str, number) or bytes.

    Payloads are shared by reference with every consumer: treat them as
    read-only (bytes and tuples are; do not mutate a dict you received)::

        DataFrame({"rms_db": -18.2, "peak_db": -3.1}, timestamp_ns=block.timestamp_ns)
    """

    __slots__ = ("payload",)

    port_type_name: ClassVar[str] = "DataFrame"

    payload: Any

    def __init__(
        self,
        payload: Any,
        *,
        timestamp_ns: int = 0,
        frame_number: int = 0,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(timestamp_ns=timestamp_ns, frame_number=frame_number, metadata=metadata)
        object.__setattr__(self, "payload", payload)

    def replace(
        self,
        *,
        payload: Any = _KEEP,
        timestamp_ns: int | None = None,
        frame_number: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> DataFrame:
        """A new frame with some fields changed; the others shared."""
        return DataFrame(
            self.payload if payload is _KEEP else payload,
            timestamp_ns=self.timestamp_ns if timestamp_ns is None else timestamp_ns,
            frame_number=self.frame_number if frame_number is None else frame_number,
            metadata=self.metadata if metadata is None else metadata,
        )

    def __repr__(self) -> str:
        kind = type(self.payload).__name__
        return f"DataFrame({kind}, #{self.frame_number} at {self.timestamp_ns} ns)"
