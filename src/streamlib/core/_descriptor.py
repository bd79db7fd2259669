"""Descriptors: what a processor type is, as data, for the CLI, agents and docs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ._ports import PortSpec
from ._processor import Processor

__all__ = ["ProcessorDescriptor"]


@dataclass(frozen=True, slots=True)
class ProcessorDescriptor:
    """A processor type's name, docs, tags, ports and config schema.

    ``to_dict()`` gives::

        {"name": "TestPattern", "description": "...", "tags": ["video", "source"],
         "inputs": [], "outputs": [{"name": "video", "type": "VideoFrame"}],
         "config_schema": {...JSON Schema...}, "scheduling": "timer"}
    """

    name: str
    description: str
    tags: tuple[str, ...]
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    config_schema: dict[str, Any]
    scheduling: str
    capabilities: tuple[str, ...]
    processor_class: type[Processor]

    @classmethod
    def of(cls, processor_class: type[Processor]) -> ProcessorDescriptor:
        return cls(
            name=processor_class.type_name,
            description=processor_class.description(),
            tags=tuple(processor_class.tags),
            inputs=processor_class.input_specs(),
            outputs=processor_class.output_specs(),
            config_schema={
                **processor_class.Config.model_json_schema(),
                "title": f"{processor_class.type_name} config",
            },
            scheduling=processor_class.default_scheduling.mode.value,
            capabilities=tuple(sorted(processor_class.capabilities)),
            processor_class=processor_class,
        )

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.split("\n", 1)[0]

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "tags": list(self.tags),
            "inputs": [port.to_dict() for port in self.inputs],
            "outputs": [port.to_dict() for port in self.outputs],
            "config_schema": self.config_schema,
            "scheduling": self.scheduling,
            "capabilities": list(self.capabilities),
            "module": f"{self.processor_class.__module__}:{self.processor_class.__qualname__}",
        }
