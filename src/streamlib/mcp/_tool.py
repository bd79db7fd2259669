"""One MCP tool: its arguments and result as pydantic models, and the function that runs it.

Each tool family module defines its tools like this::

    class RemoveArgs(ToolArguments):
        id: str = Field(description="The processor's id, e.g. 'fx'.")

    class RemoveResult(BaseModel):
        removed: str

    def _remove(host: PipelineHost, args: RemoveArgs) -> RemoveResult:
        host.runtime.remove(args.id)
        return RemoveResult(removed=args.id)

    REMOVE = ToolDefinition("remove_processor", "Remove a processor...", RemoveArgs,
                            RemoveResult, _remove)

The input schema is the arguments model's JSON Schema, optionally enriched from
the processor descriptors (``schema_hook``); the output schema is the result
model's. Both lose their ``title`` keywords (they repeat the field names, and an
agent's model reads every byte of the tool list on every turn). Arguments are
validated here, with messages that say what to send instead, before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from mcp import types
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..core import ConfigError, did_you_mean_listing
from ._host import PipelineHost
from ._schemas import compact, untitled

__all__ = [
    "JsonObject",
    "ToolArguments",
    "ToolDefinition",
    "ToolReply",
    "describe_argument_error",
]


def _object_from_json_text(value: Any) -> Any:
    # Some clients send an object argument as its JSON text; accept that spelling.
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, dict):
            return parsed
    return value


JsonObject = Annotated[dict[str, Any], BeforeValidator(_object_from_json_text)]
"""A JSON object argument (also accepted as a string holding JSON)."""


class ToolArguments(BaseModel):
    """Base of every tool's arguments: unknown arguments are errors (a misspelt optional
    argument would otherwise be ignored without a word)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class ToolReply:
    """A result with extra content blocks before its JSON text (a snapshot's image)."""

    result: BaseModel
    content: Sequence[types.ContentBlock] = ()
    summary: str | None = None


@dataclass(frozen=True)
class ToolDefinition:
    """A tool: name, description, argument and result models, and what it does."""

    name: str
    description: str
    arguments: type[ToolArguments]
    result: type[BaseModel]
    run: Callable[[PipelineHost, Any], BaseModel | ToolReply]
    read_only: bool = False
    destructive: bool = False
    schema_hook: Callable[[dict[str, Any], PipelineHost], dict[str, Any]] | None = None
    _output_schema: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_output_schema", compact(untitled(self.result.model_json_schema()), output=True)
        )

    def describe(self, host: PipelineHost) -> types.Tool:
        """The MCP tool listing, schemas included."""
        schema = untitled(self.arguments.model_json_schema())
        if self.schema_hook is not None:
            schema = self.schema_hook(schema, host)
        schema = compact(schema)
        # Hints are sent only where they differ from the protocol's defaults (not read-only,
        # destructive, not idempotent, open world); read-only tools need no other hint.
        return types.Tool(
            name=self.name,
            description=self.description,
            input_schema=schema,
            output_schema=self._output_schema,
            annotations=types.ToolAnnotations(
                read_only_hint=True if self.read_only else None,
                destructive_hint=None if self.read_only or self.destructive else False,
                open_world_hint=False,
            ),
        )

    def parse(self, arguments: dict[str, Any] | None) -> ToolArguments:
        """Validate raw arguments; ``ConfigError`` says which are wrong and what fits."""
        try:
            return self.arguments.model_validate(arguments or {})
        except ValidationError as error:
            raise ConfigError(describe_argument_error(self.name, self.arguments, error)) from None


def describe_argument_error(tool: str, model: type[BaseModel], error: ValidationError) -> str:
    """One line per bad argument, naming the valid ones for unknown names."""
    known = [info.alias or name for name, info in model.model_fields.items()]
    problems: list[str] = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        if item["type"] == "extra_forbidden":
            hint = did_you_mean_listing(str(item["loc"][0]), known, what="arguments")
            problems.append(f"unknown argument {location!r}; {hint}")
        elif item["type"] == "missing":
            problems.append(f"missing required argument {location!r}")
        else:
            got = json.dumps(item.get("input"), default=repr)
            problems.append(f"{location}: {item['msg']} (got {got[:200]})")
    return f"{tool}: bad arguments: " + "; ".join(problems) + " (see the tool's input schema)"
