"""Operations that run the pipeline and change it live: ``start``, ``pause``, ``resume``,
``stop``, ``set_config``, ``get_stats``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..core import ProcessorState
from ..runtime import Runtime, RuntimeState
from ._graph_operations import NoArgs
from ._host import EVENT_HISTORY, PipelineHost
from ._operation import JsonObject, Operation, OperationArguments
from ._views import failure_of, wait_for_setup

__all__ = ["RUN_OPERATIONS"]

_APPLY_WAIT_S = 0.5  # how long set_config waits for a running processor to take a change
# States in which a running pipeline calls the processor soon (after its setup, if due).
_SOON_CALLED = frozenset({ProcessorState.ADDED, ProcessorState.STARTING, ProcessorState.RUNNING})


class StateResult(BaseModel):
    state: str = Field(description="The pipeline now: idle, running, paused or stopped.")


class StartResult(StateResult):
    failed: dict[str, str] = Field(
        description="Processors whose setup failed at once: id -> error (state failed or "
        "backing_off)."
    )
    starting: list[str] = Field(description="Processors still setting up after the grace time.")


def _start(host: PipelineHost, args: NoArgs) -> StartResult:
    runtime = host.runtime
    runtime.start()
    processors = [str(pid) for pid in runtime.graph]
    wait_for_setup(runtime, processors)  # a setup that fails at once is in the reply
    failed = {}
    starting = []
    for pid in processors:
        error = failure_of(runtime, pid)
        if error is not None:
            failed[pid] = error
        elif runtime.processor_state(pid) in (ProcessorState.ADDED, ProcessorState.STARTING):
            starting.append(pid)
    return StartResult(state=runtime.state.value, failed=failed, starting=starting)


def _lifecycle(step: Callable[[Runtime], None]) -> Callable[[PipelineHost, NoArgs], StateResult]:
    def run(host: PipelineHost, args: NoArgs) -> StateResult:
        step(host.runtime)
        return StateResult(state=host.runtime.state.value)

    return run


class SetConfigArgs(OperationArguments):
    id: str = Field(description="The processor's id.")
    changes: JsonObject = Field(description='e.g. {"gain": 1.5}.')


class SetConfigResult(BaseModel):
    id: str
    config: dict[str, Any] = Field(description="The whole config after the change.")
    applied: Literal["live", "queued", "stored"] = Field(
        description="'live': the running processor took it; 'queued': it takes it before its "
        "next call (paused, restarting, or not called lately); 'stored': used when it next "
        "starts."
    )


def _set_config(host: PipelineHost, args: SetConfigArgs) -> SetConfigResult:
    runtime = host.runtime
    processor = runtime.processor(args.id)
    processor_class = type(processor)
    current = processor.config.model_dump()
    merged = {**current, **args.changes}
    # Checked on the whole config, before anything changes: paths stay inside, and fields
    # the check derives from the changed ones (FFmpeg whitelists for a new path) go too.
    checked = host.permissions.check_config(processor_class, merged)
    changes = {
        name: value
        for name, value in checked.items()
        if name in args.changes or value != current.get(name)
    }
    updated = processor.config.updated(changes, owner=f"{args.id} ({processor.type_name})")
    runtime.update_config(args.id, **changes)
    active = (
        runtime.state is RuntimeState.RUNNING and runtime.processor_state(args.id) in _SOON_CALLED
    )
    if active:
        # The worker swaps the config in before its next call; wait for that (briefly), so
        # what the agent reads next (get_graph, list_processors) already shows the change.
        deadline = time.monotonic() + _APPLY_WAIT_S
        while processor.config != updated and time.monotonic() < deadline:
            time.sleep(0.002)
    applied: Literal["live", "queued", "stored"] = "live" if active else "stored"
    if processor.config != updated:
        applied = "queued"  # paused, restarting after an error, or not called for a while
    return SetConfigResult(id=args.id, config=updated.model_dump(mode="json"), applied=applied)


class StatsArgs(OperationArguments):
    events: int = Field(
        20, ge=0, le=EVENT_HISTORY, description="How many of the latest events to include."
    )


class StatsResult(BaseModel):
    state: str
    uptime_s: float
    workers: int
    events_skipped: int
    processors: dict[str, dict[str, Any]]
    connections: list[dict[str, Any]]
    taken_at_monotonic_ns: int
    events: list[dict[str, Any]]


def _get_stats(host: PipelineHost, args: StatsArgs) -> StatsResult:
    statistics = host.runtime.statistics().to_dict()
    return StatsResult.model_validate({**statistics, "events": host.recent_events(args.events)})


RUN_OPERATIONS = (
    Operation(
        "start",
        "Start the pipeline. Setups that fail at once are in the reply; later errors in get_stats.",
        NoArgs,
        StartResult,
        _start,
    ),
    Operation(
        "pause",
        "Pause: no processing; devices stay open.",
        NoArgs,
        StateResult,
        _lifecycle(Runtime.pause),
    ),
    Operation(
        "resume",
        "Resume a paused pipeline.",
        NoArgs,
        StateResult,
        _lifecycle(Runtime.resume),
    ),
    Operation(
        "stop",
        "Stop in order (queues drained, recordings finalized); the graph stays.",
        NoArgs,
        StateResult,
        _lifecycle(Runtime.stop),
        destructive=True,
    ),
    Operation(
        "set_config",
        "Change config fields; while running only live ones. applied: live (taken now), "
        "queued (before its next call) or stored (at next start).",
        SetConfigArgs,
        SetConfigResult,
        _set_config,
    ),
    Operation(
        "get_stats",
        "Statistics of processors (frames, fps, errors, last_error, state) and connections, "
        "and the latest events (errors, state changes, ends).",
        StatsArgs,
        StatsResult,
        _get_stats,
        read_only=True,
    ),
)
