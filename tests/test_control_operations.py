"""The operations layer on its own, as a face other than MCP calls it: by name, with JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streamlib.control import (
    OPERATIONS,
    OperationOutcome,
    Permissions,
    PipelineHost,
    call_operation,
)


@pytest.fixture
def host() -> Iterator[PipelineHost]:
    host = PipelineHost(permissions=Permissions())
    yield host
    host.close()


def test_an_operation_called_by_name_returns_its_result_as_json(host: PipelineHost) -> None:
    added = call_operation(host, "add_processor", {"type": "TestPattern", "id": "src"})
    assert not added.is_error
    assert added.structured["id"] == "src"
    listed = call_operation(host, "list_processors")
    assert [p["id"] for p in listed.structured["processors"]] == ["src"]


def test_an_unknown_operation_names_the_nearest_one(host: PipelineHost) -> None:
    outcome = call_operation(host, "conect", {})
    assert outcome == OperationOutcome.error(
        "UnknownOperation", "there is no operation 'conect'; did you mean 'connect'?"
    )


def test_bad_arguments_say_which_and_what_fits_and_change_nothing(host: PipelineHost) -> None:
    outcome = call_operation(host, "add_processor", {"type": "TestPattern", "idd": "src"})
    assert outcome.is_error
    assert outcome.structured["error"] == "ConfigError"
    assert "unknown argument 'idd'; did you mean 'id'?" in outcome.structured["message"]
    assert call_operation(host, "list_processors").structured["processors"] == []


def test_a_refused_grant_comes_back_as_an_error_not_an_exception(host: PipelineHost) -> None:
    outcome = call_operation(host, "add_processor", {"type": "Camera", "id": "cam"})
    assert outcome.is_error
    assert outcome.structured["error"] == "PermissionDeniedError"


def test_every_operation_has_a_unique_name_and_schemas(host: PipelineHost) -> None:
    names = [operation.name for operation in OPERATIONS]
    assert len(names) == len(set(names))
    for operation in OPERATIONS:
        assert operation.input_schema(host)["type"] == "object"
        assert operation.output_schema["type"] == "object"


def test_an_operation_that_must_not_wait_finds_a_busy_host_and_returns_none(
    host: PipelineHost,
) -> None:
    """``call_operation_now`` (the web's statistics ticks on its event loop) never waits
    behind a long operation: it says the host is busy, and works once it is free."""
    import threading

    from streamlib.control import call_operation_now

    running, release = threading.Event(), threading.Event()

    def long_operation() -> None:
        running.set()
        release.wait(5.0)

    busy = threading.Thread(target=host.call, args=(long_operation,))
    busy.start()
    try:
        assert running.wait(5.0)
        assert call_operation_now(host, "get_stats", {"events": 0}) is None
    finally:
        release.set()
        busy.join(5.0)
    outcome = call_operation_now(host, "get_stats", {"events": 0})
    assert outcome is not None
    assert not outcome.is_error
    assert outcome.structured["state"] == "idle"
    unknown = call_operation_now(host, "get_stat")
    assert unknown is not None
    assert unknown.is_error
