"""``streamlib mcp`` as a real process, through the SDK's client: over stdio and over
streamable HTTP (token, two clients at once), and the command's refusals."""

from __future__ import annotations

import json
import subprocess
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
from streamlib.core import ConfigError

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


# -- loopback binds: Host and Origin checks (DNS rebinding), on every 127/8 address --------

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "rebinding-test", "version": "1"},
    },
}


async def raw_initialize(url: str, **headers: str) -> httpx2.Response:
    """POST an ``initialize`` request to ``url`` with exactly the headers given (and Host)."""
    sent = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        **headers,
    }
    async with httpx2.AsyncClient() as raw:
        return await raw.post(url, headers=sent, content=json.dumps(INITIALIZE))


@pytest.fixture(scope="module")
def second_loopback_server() -> Iterator[ServerProcess]:
    """``streamlib mcp --http --host 127.0.0.2``: loopback, so no token is needed."""
    with server_process(["--http", "--host", "127.0.0.2", "--port", "0"]) as server:
        assert server.url.startswith("http://127.0.0.2:")
        yield server


def port_of(url: str) -> int:
    return int(url.split("/")[2].rpartition(":")[2])


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"Host": "attacker.example:{port}"}, 421, "Host"),
        ({"Host": "attacker.example"}, 421, "Host"),
        ({"Host": "127.0.0.2.attacker.example:{port}"}, 421, "Host"),
        ({"Origin": "http://attacker.example"}, 403, "Origin"),
        ({"Origin": "http://127.0.0.1.attacker.example:{port}"}, 403, "Origin"),
        ({"Origin": "null"}, 403, "Origin"),
    ],
)
def test_a_server_on_127_0_0_2_refuses_foreign_hosts_and_origins(
    second_loopback_server: ServerProcess, headers: dict[str, str], status: int, message: str
) -> None:
    url = second_loopback_server.url
    sent = {name: value.format(port=port_of(url)) for name, value in headers.items()}

    async def session() -> None:
        response = await raw_initialize(url, **sent)
        assert response.status_code == status, response.text
        refusal = response.json()
        assert message in refusal["error_description"]
        assert "127.0.0.1" in refusal["error_description"]  # it says what is accepted

    run_async(session)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # the client's own Host: 127.0.0.2:PORT
        {"Host": "127.0.0.1:{port}"},
        {"Host": "localhost:{port}"},
        {"Host": "LOCALHOST:{port}"},
        {"Host": "[::1]:{port}"},
        {"Host": "localhost:9999"},  # an SSH tunnel or port forward on another port
        {"Origin": "http://localhost:6274"},  # a local web client (the MCP inspector)
        {"Origin": "http://127.0.0.2:{port}"},
        {"Origin": "http://[::1]:{port}"},
    ],
)
def test_a_server_on_127_0_0_2_answers_loopback_hosts_and_origins(
    second_loopback_server: ServerProcess, headers: dict[str, str]
) -> None:
    url = second_loopback_server.url
    sent = {name: value.format(port=port_of(url)) for name, value in headers.items()}

    async def session() -> None:
        response = await raw_initialize(url, **sent)
        assert response.status_code == 200, response.text

    run_async(session)


def test_a_client_works_with_a_server_on_127_0_0_2(second_loopback_server: ServerProcess) -> None:
    async def session() -> None:
        async with http_client(second_loopback_server.url, token=None) as client:
            listed = await call(client, "list_processor_types")
            assert "TestPattern" in {entry["name"] for entry in listed["types"]}

    run_async(session)


def test_a_loopback_server_with_a_token_still_checks_the_host(http_server: ServerProcess) -> None:
    url = http_server.url

    async def session() -> None:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        foreign = await raw_initialize(url, Host=f"attacker.example:{port_of(url)}", **auth)
        assert foreign.status_code == 421
        assert (await raw_initialize(url, **auth)).status_code == 200

    run_async(session)


# -- ports outside 0..65535 ------------------------------------------------------------


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_mcp_command_refuses_a_port_outside_the_range(port: str) -> None:
    # A subprocess with a time limit: before the fix the command served (forever).
    done = subprocess.run(
        [sys.executable, "-m", "streamlib", "mcp", "--http", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert f"argument --port: {port} is not a port" in done.stderr
    assert "0..65535" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("port", [99999, -1])
def test_serve_http_refuses_a_port_outside_the_range(port: int) -> None:
    from streamlib.mcp import PipelineHost, create_server, serve_http

    host = PipelineHost()
    try:
        server = create_server(host)

        async def serve() -> None:
            with anyio.fail_after(10):
                await serve_http(server, host="127.0.0.1", port=port, token=None, on_ready=print)

        with pytest.raises(ConfigError, match=r"0\.\.65535"):
            anyio.run(serve)
    finally:
        host.close()
