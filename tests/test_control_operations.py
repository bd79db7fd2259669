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
