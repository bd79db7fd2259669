"""``streamlib mcp`` as a real process, through the SDK's client: over stdio and over
streamable HTTP (token, two clients at once), and the command's refusals."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from mcp_support import (
    TOKEN,
    ServerProcess,
    build_and_watch,
    call,
    run_async,
    server_process,
)
from streamlib.cli import main

# -- stdio ---------------------------------------------------------------------------


def test_stdio_session(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "streamlib", "mcp", "--allow-write", str(tmp_path)]
    )

    async def session() -> None:
        async with Client(params, read_timeout_seconds=30) as client:
            await build_and_watch(client)
            saved = await call(client, "save_pipeline", {"path": "pipes/saved.yaml"})
            assert (tmp_path / "pipes" / "saved.yaml").read_text() == saved["text"]
            await call(client, "stop")
            loaded = await call(
                client, "load_pipeline", {"path": "pipes/saved.yaml", "replace": True}
            )
            assert sorted(loaded["removed"]) == sorted(loaded["added"]) == ["fx", "src"]
            assert loaded["state"] == "stopped"
            graph = await call(client, "get_graph")
            assert graph["graph"]["processors"]["fx"]["config"]["gain"] == 0.25

    run_async(session)


# -- streamable HTTP -------------------------------------------------------------------


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    writable = tmp_path_factory.mktemp("mcp-http")
    args = ["--http", "--port", "0", "--token", TOKEN, "--allow-write", str(writable)]
    with server_process(args) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.url.endswith("/mcp")
        yield server


@asynccontextmanager
async def http_client(url: str, token: str | None = TOKEN) -> AsyncIterator[Client]:
    """The SDK's client over streamable HTTP, sending ``token`` as a bearer token."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers) as http:  # the transport leaves it open
        client = Client(streamable_http_client(url, http_client=http), read_timeout_seconds=30)
        async with client:
            yield client


def test_http_session(http_server: ServerProcess) -> None:
    async def session() -> None:
        async with http_client(http_server.url) as client:
            await build_and_watch(client, prefix="h_")

    run_async(session)


def test_two_clients_at_once(http_server: ServerProcess) -> None:
    async def session() -> None:
        async with http_client(http_server.url) as one, http_client(http_server.url) as two:
            async with anyio.create_task_group() as both:
                both.start_soon(partial(build_and_watch, one, prefix="a_"))
                both.start_soon(partial(build_and_watch, two, prefix="b_"))
            # One pipeline, shared: each client sees (and may change) the other's work.
            seen_by_one = await call(one, "list_processors")
            ids = {p["id"] for p in seen_by_one["processors"]}
            assert {"a_src", "a_fx", "b_src", "b_fx"} <= ids
            await call(two, "set_config", {"id": "a_fx", "changes": {"gain": 2.0}})
            seen = await call(one, "get_graph")
            assert seen["graph"]["processors"]["a_fx"]["config"]["gain"] == 2.0

    run_async(session)


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789", TOKEN + "x"])
def test_http_refuses_a_missing_or_wrong_token(
    http_server: ServerProcess, token: str | None
) -> None:
    async def session() -> None:
        async with http_client(http_server.url) as client:
            before = await call(client, "save_pipeline")

        # The client's task groups wrap the refusal in exception groups.
        with pytest.RaisesGroup(MCPError, flatten_subgroups=True):
            async with http_client(http_server.url, token) as refused:
                await refused.call_tool("stop", {})

        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "stop", "arguments": {}}}  # fmt: skip
        async with httpx2.AsyncClient() as raw:
            response = await raw.post(http_server.url, headers=headers, content=json.dumps(request))
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"] == "invalid_token"

        async with http_client(http_server.url) as client:
            after = await call(client, "save_pipeline")
            assert after["text"] == before["text"]

    run_async(session)


# -- the command's refusals ------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--http", "--host", "0.0.0.0"], "needs a bearer token"),
        (["--http", "--host", "192.0.2.1"], "needs a bearer token"),
        (["--http", "--token", "short"], "too short"),
        (["--port", "9000"], "--port only apply with --http"),
        (["--token", TOKEN], "--token only apply with --http"),
        (["--allow-write", "/nonexistent/streamlib-test"], "does not exist"),
    ],
)
def test_mcp_command_refuses(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STREAMLIB_MCP_TOKEN", raising=False)
    assert main(["mcp", *argv]) == 2
    assert message in capsys.readouterr().err
