"""Every operation, and one call of one by name with JSON arguments, as every face makes it.

::

    outcome = call_operation(host, "add_processor", {"type": "TestPattern", "id": "src"})
    outcome.is_error          # False
    outcome.structured        # {"id": "src", "type": "TestPattern", "state": "added", ...}

    call_operation(host, "conect", {}).structured
    # {"error": "UnknownOperation", "message": "there is no operation 'conect'; did you mean ..."}

A call never raises: a refusal (bad arguments, a grant not given, a runtime error) comes
back as ``{"error": kind, "message": ...}`` that says what to do instead, and so does a
bug, logged with its traceback. Each call runs under :meth:`PipelineHost.call`, one at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core import StreamError, did_you_mean
from ._catalog_operations import CATALOG_OPERATIONS
from ._graph_operations import GRAPH_OPERATIONS
from ._host import HostBusyError, PipelineHost
from ._operation import Image, Operation, OperationReply
from ._pipeline_operations import PIPELINE_OPERATIONS
from ._run_operations import RUN_OPERATIONS
from ._snapshot_operation import SNAPSHOT_OPERATIONS

__all__ = [
    "OPERATIONS",
    "OperationOutcome",
    "call_operation",
    "call_operation_now",
    "run_operation",
]

_log = logging.getLogger("streamlib.control")

OPERATIONS: tuple[Operation, ...] = (
    *CATALOG_OPERATIONS,
    *GRAPH_OPERATIONS,
    *RUN_OPERATIONS,
    *PIPELINE_OPERATIONS,
    *SNAPSHOT_OPERATIONS,
)
"""Every operation, in the order the MCP server lists its tools."""

_BY_NAME: Mapping[str, Operation] = {operation.name: operation for operation in OPERATIONS}


@dataclass(frozen=True, slots=True)
class OperationOutcome:
    """What one call came to: its JSON-able result (or error), and what a face shows beside it.

    ``structured`` is the result model dumped to JSON values, or ``{"error": kind,
    "message": text}`` when ``is_error``; ``summary`` and ``images`` come only with results.
    """

    structured: dict[str, Any]
    is_error: bool = False
    summary: str | None = None
    images: tuple[Image, ...] = ()

    @classmethod
    def error(cls, kind: str, message: str) -> OperationOutcome:
        """A refusal or failure: ``kind`` names it (``ConfigError``...), ``message`` says why."""
        return cls({"error": kind, "message": message}, is_error=True)


def call_operation(
    host: PipelineHost, name: str, arguments: Mapping[str, Any] | None = None
) -> OperationOutcome:
    """Run the operation called ``name`` with JSON ``arguments``; never raises."""
    operation = _BY_NAME.get(name)
    if operation is None:
        return OperationOutcome.error(
            "UnknownOperation",
            f"there is no operation {name!r}; " + did_you_mean(name, _BY_NAME, what="operations"),
        )
    return run_operation(host, operation, arguments)


def run_operation(
    host: PipelineHost, operation: Operation, arguments: Mapping[str, Any] | None = None
) -> OperationOutcome:
    """Validate ``arguments``, run ``operation`` under the host's lock; never raises."""
    outcome = _run(host, operation, arguments, wait=True)
    assert outcome is not None  # (only a call that does not wait finds the host busy)
    return outcome


def call_operation_now(
    host: PipelineHost, name: str, arguments: Mapping[str, Any] | None = None
) -> OperationOutcome | None:
    """:func:`call_operation` if no other call is running on ``host``, else ``None`` at
    once: for an event loop, which should not block behind a long operation."""
    operation = _BY_NAME.get(name)
    if operation is None:
        return call_operation(host, name, arguments)  # the unknown name's error
    return _run(host, operation, arguments, wait=False)


def _run(
    host: PipelineHost, operation: Operation, arguments: Mapping[str, Any] | None, *, wait: bool
) -> OperationOutcome | None:
    name = operation.name
    try:
        parsed = operation.parse(None if arguments is None else dict(arguments))
        reply = host.call(lambda: operation.run(host, parsed), wait=wait)
    except HostBusyError:
        return None
    except (StreamError, TimeoutError) as error:
        return OperationOutcome.error(type(error).__name__, str(error))
    except Exception as error:
        _log.exception("operation %s failed unexpectedly", name)
        return OperationOutcome.error(
            "InternalError",
            f"{name} failed unexpectedly ({type(error).__name__}: {error}); this is a bug in "
            "streamlib or a processor. Check list_processors to see the pipeline's state.",
        )
    if not isinstance(reply, OperationReply):
        reply = OperationReply(reply)
    return OperationOutcome(
        reply.result.model_dump(mode="json", by_alias=True),
        summary=reply.summary,
        images=tuple(reply.images),
    )
