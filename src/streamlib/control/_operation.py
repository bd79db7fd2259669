"""One operation on a runtime: its arguments and result as pydantic models, and the function
that runs it. Every face (MCP, the web API, the command line) calls these; none re-validates.

Each operation family module defines its operations like this::

    class RemoveArgs(OperationArguments):
        id: str = Field(description="The processor's id, e.g. 'fx'.")

    class RemoveResult(BaseModel):
        removed: str

    def _remove(host: PipelineHost, args: RemoveArgs) -> RemoveResult:
        host.runtime.remove(args.id)
        return RemoveResult(removed=args.id)

    REMOVE = Operation("remove_processor", "Remove a processor...", RemoveArgs,
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

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..core import ConfigError, did_you_mean_listing
from ._host import PipelineHost
from ._schemas import compact, untitled

__all__ = [
    "Image",
    "JsonObject",
    "Operation",
    "OperationArguments",
    "OperationReply",
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


class OperationArguments(BaseModel):
    """Base of every operation's arguments: unknown arguments are errors (a misspelt optional
    argument would otherwise be ignored without a word)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class Image:
    """An encoded image shown beside a result (a snapshot's frame): its bytes and mime type."""

    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class OperationReply:
    """A result with what a face shows before its JSON: images, and a one-line summary."""

    result: BaseModel
    images: Sequence[Image] = ()
    summary: str | None = None


@dataclass(frozen=True)
class Operation:
    """An operation: name, description, argument and result models, and what it does.

    ``read_only`` and ``destructive`` say what it does to the pipeline (a face may show
    them as hints); ``schema_hook`` enriches the input schema from the host's registry.
    """

    name: str
    description: str
    arguments: type[OperationArguments]
    result: type[BaseModel]
    run: Callable[[PipelineHost, Any], BaseModel | OperationReply]
    read_only: bool = False
    destructive: bool = False
    schema_hook: Callable[[dict[str, Any], PipelineHost], dict[str, Any]] | None = None
    output_schema: dict[str, Any] = field(init=False, repr=False, compare=False)
    """The result's JSON Schema, compact (made once: it depends on nothing else)."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "output_schema", compact(untitled(self.result.model_json_schema()), output=True)
        )

    def input_schema(self, host: PipelineHost) -> dict[str, Any]:
        """The arguments' JSON Schema, compact, enriched from ``host``'s processor types."""
        schema: dict[str, Any] = untitled(self.arguments.model_json_schema())
        if self.schema_hook is not None:
            schema = self.schema_hook(schema, host)
        compacted: dict[str, Any] = compact(schema)
        return compacted

    def parse(self, arguments: dict[str, Any] | None) -> OperationArguments:
        """Validate raw arguments; ``ConfigError`` says which are wrong and what fits."""
        try:
            return self.arguments.model_validate(arguments or {})
        except ValidationError as error:
            raise ConfigError(describe_argument_error(self.name, self.arguments, error)) from None


def describe_argument_error(operation: str, model: type[BaseModel], error: ValidationError) -> str:
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
    return (
        f"{operation}: bad arguments: "
        + "; ".join(problems)
        + " (see the operation's input schema)"
    )
