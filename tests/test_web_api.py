"""The web API (``streamlib serve``, ``streamlib run --web``) as a real process on 127.0.0.1:
operations over JSON, the graph, the event and statistics streams, grants, and the guards
(Host, Origin, token) it shares with ``streamlib mcp --http``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from serving_support import WAIT_S, ServingProcess, serving
from streamlib.cli import main
from streamlib.control import OPERATIONS, PipelineHost, call_operation
from streamlib.core import ConfigError

TOKEN = "web-test-token-0123456789abcdef"


class WebProcess(ServingProcess):
    """``streamlib ARGS`` in a subprocess that announces the web API's URL on stderr."""

    def __init__(self, args: Sequence[str]) -> None:
        super().__init__(args, announces=r"serving the web API at (http://\S+)")


def web_process(args: Sequence[str]) -> AbstractContextManager[ServingProcess]:
    return serving(WebProcess(args))


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    """``streamlib serve`` on a free loopback port, no token, no grants: the API's base URL."""
    with web_process(["serve", "--web", "127.0.0.1:0"]) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.url.endswith("/api")
        yield server.url


@pytest.fixture(scope="module")
def token_api() -> Iterator[str]:
    with web_process(["serve", "--web", "0", "--token", TOKEN]) as server:
        yield server.url


def post(url: str, operation: str, arguments: Any = None, **headers: str) -> httpx2.Response:
    body = json.dumps({} if arguments is None else arguments)
    return httpx2.post(f"{url}/operations/{operation}", content=body, headers=headers, timeout=30)


def ok(response: httpx2.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def sse_events(response: httpx2.Response) -> Iterator[tuple[str, Any]]:
    """``(event name, data)`` for each Server-Sent Event read from a streaming response."""
    name = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


# -- operations ----------------------------------------------------------------------


def test_the_operations_listed_are_the_control_layers(api: str) -> None:
    listed = ok(httpx2.get(f"{api}/operations"))
    assert [entry["name"] for entry in listed] == [op.name for op in OPERATIONS]
    by_name = {entry["name"]: entry for entry in listed}
    assert by_name["get_stats"]["read_only"] is True
    assert by_name["add_processor"]["read_only"] is False
    assert "type" in by_name["add_processor"]["input_schema"]["properties"]


def test_a_pipeline_built_and_started_over_posts_runs(api: str) -> None:
    config = {"width": 64, "height": 48, "fps": 30}
    added = ok(post(api, "add_processor", {"type": "TestPattern", "id": "b_src", "config": config}))
    assert added["outputs"] == ["video"]
    ok(post(api, "add_processor", {"type": "NullSink", "id": "b_sink"}))
    link = ok(post(api, "connect", {"from": "b_src.video", "to": "b_sink.video"}))
    assert link["profile"] == "latest"
    assert ok(post(api, "start"))["state"] == "running"
    graph = ok(httpx2.get(f"{api}/graph"))
    assert {"b_src", "b_sink"} <= set(graph["graph"]["processors"])
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        stats = ok(post(api, "get_stats", {"events": 0}))
        if stats["processors"]["b_sink"]["frames_in"] >= 2:
            break
        time.sleep(0.05)
    assert stats["processors"]["b_sink"]["frames_in"] >= 2
    assert ok(httpx2.get(f"{api}/stats", params={"events": 1}))["state"] == "running"


def test_an_unknown_operation_is_404_with_the_nearest_name(api: str) -> None:
    response = post(api, "conect", {})
    assert response.status_code == 404
    assert response.json()["error"] == "UnknownOperation"
    assert "did you mean 'connect'" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"type": "TestPattern", "idd": "x"}', "unknown argument 'idd'"),
        ('["TestPattern"]', "JSON object"),
        ("{not json", "not JSON"),
    ],
)
def test_bad_arguments_are_400_saying_what_is_wrong(api: str, body: str, message: str) -> None:
    response = httpx2.post(f"{api}/operations/add_processor", content=body, timeout=30)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_a_type_needing_an_ungranted_permission_is_refused_as_mcp_refuses_it(api: str) -> None:
    arguments = {"type": "Camera", "id": "cam"}
    response = post(api, "add_processor", arguments)
    assert response.status_code == 400
    host = PipelineHost()  # no grants, as the server: the same outcome MCP words as its error
    try:
        expected = call_operation(host, "add_processor", arguments).structured
    finally:
        host.close()
    assert response.json() == expected
    assert expected["error"] == "PermissionDeniedError"
    assert "camera" in expected["message"]


# -- streams -------------------------------------------------------------------------


def test_the_event_stream_tells_of_a_processor_added(api: str) -> None:
    with httpx2.stream("GET", f"{api}/events", timeout=WAIT_S) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        ok(post(api, "add_processor", {"type": "NullSink", "id": "e_sink"}))
        for name, data in sse_events(response):
            if name == "processor_added" and data["processor_id"] == "e_sink":
                assert data["kind"] == "processor_added"
                assert data["dropped"] == 0
                break


def test_the_stats_stream_sends_snapshots_at_the_asked_rate(api: str) -> None:
    seen: list[Any] = []
    url = f"{api}/stats/stream"
    with httpx2.stream("GET", url, params={"interval_ms": 100}, timeout=WAIT_S) as response:
        assert response.status_code == 200
        for name, data in sse_events(response):
            assert name == "stats"
            seen.append(data)
            if len(seen) == 3:
                break
    assert all("processors" in snapshot for snapshot in seen)


@pytest.mark.parametrize("interval", ["99", "10001", "fast"])
def test_the_stats_stream_refuses_a_rate_outside_its_range(api: str, interval: str) -> None:
    response = httpx2.get(f"{api}/stats/stream", params={"interval_ms": interval})
    assert response.status_code == 400
    assert "100..10000" in response.json()["message"]


# -- security ------------------------------------------------------------------------


def test_a_foreign_origin_is_refused(api: str) -> None:
    response = httpx2.get(f"{api}/graph", headers={"Origin": "http://attacker.example"})
    assert response.status_code == 403
    refused = post(api, "stop", Origin="http://attacker.example")
    assert refused.status_code == 403  # a page elsewhere cannot drive the pipeline
    assert httpx2.get(f"{api}/graph", headers={"Origin": "http://localhost:5173"}).is_success


def test_a_foreign_host_is_refused(api: str) -> None:
    port = api.split("/")[2].rpartition(":")[2]
    response = httpx2.get(f"{api}/graph", headers={"Host": f"attacker.example:{port}"})
    assert response.status_code == 421


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789", TOKEN + "x"])
def test_a_missing_or_wrong_token_is_401(token_api: str, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    assert httpx2.get(f"{token_api}/graph", headers=headers).status_code == 401
    with httpx2.stream("GET", f"{token_api}/events", headers=headers) as response:
        assert response.status_code == 401
    assert post(token_api, "list_processors", **headers).status_code == 401


def test_the_right_token_is_let_in(token_api: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert ok(post(token_api, "list_processors", **auth))["processors"] == []


def test_serving_off_loopback_without_a_token_is_refused_before_it_starts() -> None:
    from streamlib.web import serve_web

    host = PipelineHost()
    try:
        with pytest.raises(ConfigError, match="needs a bearer token"):
            anyio.run(partial(serve_web, host, bind_host="0.0.0.0", port=0, on_ready=print))
    finally:
        host.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--web", "0.0.0.0:0"], "needs a bearer token"),
        (["serve", "--web", "0", "--token", "short"], "too short"),
        (["run", "pipe.yaml", "--token", TOKEN], "--token only apply with --web"),
        (["run", "pipe.yaml", "--allow-camera"], "--allow-* only apply with --web"),
        (["run", "pipe.yaml", "--web", "192.0.2.1:0"], "needs a bearer token"),
    ],
)
def test_the_commands_refuse(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STREAMLIB_WEB_TOKEN", raising=False)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["serve", "run"])
def test_help_mentions_web(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--web [HOST:]PORT" in capsys.readouterr().out


# -- streamlib run FILE --web ----------------------------------------------------------

PIPELINE = """\
processors:
  src: {type: TestPattern, config: {width: 64, height: 48, fps: 30}}
  sink: {type: NullSink}
connections:
  - src.video -> sink.video
"""


def test_run_serves_its_pipeline_and_ends_as_without_it(tmp_path: Path) -> None:
    pipeline = tmp_path / "pipe.yaml"
    pipeline.write_text(PIPELINE)
    args = ["run", str(pipeline), "--duration", "4", "--quiet", "--web", "127.0.0.1:0"]
    run = WebProcess(args)
    try:
        url = run.wait_ready()
        graph = ok(httpx2.get(f"{url}/graph"))
        assert set(graph["graph"]["processors"]) == {"src", "sink"}
        changed = ok(post(url, "set_config", {"id": "src", "changes": {"pattern": "gradient"}}))
        assert changed["config"]["pattern"] == "gradient"
        status = run.process.wait(WAIT_S + 4)
    finally:
        run.stop()
    assert status == 0, "".join(run.lines)


# -- Runtime(web=...) ------------------------------------------------------------------


def test_a_runtime_given_web_serves_its_graph_from_start_until_close() -> None:
    from streamlib import Runtime

    runtime = Runtime(web=0)  # 127.0.0.1, a free port
    try:
        runtime.add("TestPattern", id="src", width=64, height=48)
        assert runtime.web_url is None  # nothing is served before start
        runtime.start()
        url = runtime.web_url
        assert url is not None
        assert url.startswith("http://127.0.0.1:")
        assert set(ok(httpx2.get(f"{url}/graph"))["graph"]["processors"]) == {"src"}
        page = httpx2.get(url.removesuffix("api"))
        assert page.status_code == 200
        assert "<html" in page.text
    finally:
        runtime.close()
    assert runtime.web_url is None
    with pytest.raises(httpx2.TransportError):
        httpx2.get(f"{url}/graph", timeout=2)


@pytest.mark.parametrize(
    ("web", "message"),
    [
        ("0.0.0.0:0", r"needs a bearer token: give WebOptions\(token=...\)"),
        ("nonsense", "is not an address to serve on"),
        (70000, "is not a port"),
    ],
)
def test_a_runtime_refuses_a_web_setting_before_anything_starts(web: Any, message: str) -> None:
    from streamlib import Runtime

    with pytest.raises(ConfigError, match=message):
        Runtime(web=web)


# -- the page and its streams with a token ----------------------------------------------


def test_the_page_loads_without_the_token_but_no_data_does(token_api: str) -> None:
    root = token_api.removesuffix("api")
    assert httpx2.get(root).status_code == 200
    assert httpx2.get(f"{root}static/app.js").status_code == 200
    assert httpx2.get(f"{token_api}/graph").status_code == 401
    assert httpx2.post(root).status_code == 401  # only GET and HEAD of the page are open
    assert httpx2.post(f"{token_api}/tickets").status_code == 401


def _raw_get(url: str, path: str) -> int:
    """The status of a GET of ``path`` sent as written (httpx would normalise its dots)."""
    import socket

    host, _, port = url.split("/")[2].rpartition(":")
    with socket.create_connection((host, int(port)), timeout=WAIT_S) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return int(conn.recv(64).split()[1])


@pytest.mark.parametrize(
    "path", ["/static/../api/graph", "/static/%2e%2e/api/graph", "//api/graph"]
)
def test_the_open_page_paths_open_nothing_else(token_api: str, path: str) -> None:
    assert _raw_get(token_api, path) in (401, 404)


def test_a_ticket_opens_one_stream_once(token_api: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    issued = ok(httpx2.post(f"{token_api}/tickets", headers=auth))
    assert issued["expires_in_s"] == 30
    url = f"{token_api}/events?ticket={issued['ticket']}"
    with httpx2.stream("GET", url, timeout=WAIT_S) as response:
        assert response.status_code == 200
    with httpx2.stream("GET", url, timeout=WAIT_S) as response:
        assert response.status_code == 401  # spent
    assert httpx2.get(f"{token_api}/graph", params={"ticket": "made-up"}).status_code == 401


def test_a_ticket_opens_no_operation(token_api: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ticket = ok(httpx2.post(f"{token_api}/tickets", headers=auth))["ticket"]
    response = httpx2.post(f"{token_api}/operations/list_processors?ticket={ticket}", content="{}")
    assert response.status_code == 401


def test_a_ticket_expires_and_the_oldest_give_way() -> None:
    from streamlib.control._stream_tickets import StreamTickets

    tickets = StreamTickets(ttl_s=0.05)
    stale = tickets.issue()
    time.sleep(0.1)
    assert not tickets.redeem(stale)
    first = tickets.issue()
    for _ in range(256):
        tickets.issue()
    assert not tickets.redeem(first)  # one ticket too many: the oldest is gone
    assert not tickets.redeem("é")  # anything at all is only refused


def test_stats_streams_at_one_rate_share_their_snapshots() -> None:
    """Five pages at 10 Hz, opened at different moments, cost the runtime about ten
    snapshots a second, not fifty (SharedSnapshot)."""
    import threading

    from streamlib.web import WebOptions, WebServer
    from streamlib.web._streams import _shared_snapshots

    host = PipelineHost()
    received = [0] * 5
    try:
        with WebServer(host, WebOptions()) as server:
            url = f"{server.url}/stats/stream"

            def read(index: int) -> None:
                time.sleep(index * 0.037)  # pages open at different moments
                params = {"interval_ms": 100}
                with httpx2.stream("GET", url, params=params, timeout=WAIT_S) as response:
                    for _ in sse_events(response):
                        received[index] += 1
                        if received[index] == 15:
                            return

            pages = [threading.Thread(target=read, args=(i,)) for i in range(5)]
            for page in pages:
                page.start()
            for page in pages:
                page.join(WAIT_S)
            taken = _shared_snapshots[host].taken
    finally:
        host.close()
    assert received == [15] * 5
    assert taken <= 15 * 5 / 3  # about 15 here; unshared, 75
