"""The operations layer: everything a face needs to drive a runtime for someone with grants.

The MCP server (``streamlib.mcp``), a web control plane and the command line are thin
faces over it. It owns the runtime (:class:`PipelineHost`), checks every request
against the :class:`Permissions` granted before anything is built or touched, and
implements each operation once (:data:`OPERATIONS`: add, connect, set config, load,
save, snapshot, statistics, ...), with its arguments and result as pydantic models::

    from streamlib.control import Permissions, PipelineHost, call_operation

    host = PipelineHost(permissions=Permissions())
    try:
        call_operation(host, "add_processor", {"type": "TestPattern", "id": "src"})
        outcome = call_operation(host, "list_processors", {})
        outcome.structured["processors"][0]["id"]   # 'src'
    finally:
        host.close()

It needs neither the MCP SDK nor a web framework. A face served over HTTP uses the same
guards (:class:`BearerTokenGuard`, :class:`LoopbackHostGuard`, :func:`require_token_for`)
and :func:`serve_guarded`, which imports uvicorn only when it serves.
"""

from ._calling import (
    OPERATIONS,
    OperationOutcome,
    call_operation,
    call_operation_now,
    run_operation,
)
from ._host import PipelineHost
from ._http_guards import BearerTokenGuard, LoopbackHostGuard, require_token_for
from ._http_serving import check_port, event_loop_options, serve_guarded
from ._operation import Image, Operation, OperationArguments, OperationReply
from ._permissions import FLAGS, Permissions

__all__ = [
    "FLAGS",
    "OPERATIONS",
    "BearerTokenGuard",
    "Image",
    "LoopbackHostGuard",
    "Operation",
    "OperationArguments",
    "OperationOutcome",
    "OperationReply",
    "Permissions",
    "PipelineHost",
    "call_operation",
    "call_operation_now",
    "check_port",
    "event_loop_options",
    "require_token_for",
    "run_operation",
    "serve_guarded",
]
