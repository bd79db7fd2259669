"""What ``Runtime.add`` returns: a processor's id, with its ports as attributes."""

from __future__ import annotations

from typing import Any

from ..core import PortRef, Processor, ProcessorId, UnknownPortError

__all__ = ["ProcessorRef"]


class ProcessorRef:
    """A handle on an added processor; ``ref.video`` is the ``PortRef`` ``"<id>.video"``.

    >>> src = rt.add(TestPattern, id="src")     # doctest: +SKIP
    >>> rt.connect(src.video, sink.video)      # doctest: +SKIP
    """

    __slots__ = ("id", "processor")

    def __init__(self, processor_id: ProcessorId, processor: Processor) -> None:
        self.id = processor_id
        self.processor = processor

    def port(self, name: str) -> PortRef:
        """The port called ``name`` (an input or an output)."""
        processor = self.processor
        if name in processor.inputs or name in processor.outputs:
            return PortRef(self.id, name)
        names = [*processor.inputs, *processor.outputs]
        raise UnknownPortError(
            f"{self.id} ({processor.type_name}) has no port {name!r}; "
            + processor.port_hint(name, names, what="its ports")
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.port(name)

    def __str__(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"ProcessorRef({str(self.id)!r}, {self.processor.type_name})"
