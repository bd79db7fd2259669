"""Small validated identifier types: processor ids, connection ids, port references."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import GraphError

__all__ = ["ConnectionId", "PortRef", "ProcessorId"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class ProcessorId(str):
    """The id of one processor in a graph: a name such as ``"src"`` or ``"blur-2"``.

    >>> ProcessorId("camera")
    ProcessorId('camera')
    """

    __slots__ = ()

    def __new__(cls, value: str) -> ProcessorId:
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            raise GraphError(
                f"invalid processor id {value!r}: use letters, digits, '_' or '-', "
                "starting with a letter or '_'"
            )
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"ProcessorId({str.__repr__(self)})"


class ConnectionId(str):
    """The id of one connection, ``"src.video->sink.video"``."""

    __slots__ = ()

    @classmethod
    def between(cls, source: PortRef, target: PortRef) -> ConnectionId:
        return cls(f"{source}->{target}")

    def __repr__(self) -> str:
        return f"ConnectionId({str.__repr__(self)})"


@dataclass(frozen=True, slots=True)
class PortRef:
    """One port of one processor, written ``"processor.port"``.

    >>> PortRef.parse("src.video")
    PortRef(processor='src', port='video')
    """

    processor: ProcessorId
    port: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "processor", ProcessorId(self.processor))
        if not _IDENTIFIER.match(self.port):
            raise GraphError(
                f"invalid port name {self.port!r} on processor {str(self.processor)!r}"
            )

    @classmethod
    def parse(cls, text: str | PortRef) -> PortRef:
        """Read ``"processor.port"``; a ``PortRef`` passes through unchanged."""
        if isinstance(text, PortRef):
            return text
        processor, dot, port = str(text).rpartition(".")
        if not dot or not processor or not port:
            raise GraphError(
                f"invalid port reference {text!r}: write it as 'processor.port', e.g. 'src.video'"
            )
        return cls(ProcessorId(processor), port)

    def __str__(self) -> str:
        return f"{self.processor}.{self.port}"

    def __repr__(self) -> str:
        return f"PortRef(processor={str(self.processor)!r}, port={self.port!r})"
