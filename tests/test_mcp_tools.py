"""The MCP tools through the SDK's own client, connected in-process: the pipeline scenario,
schemas, resources, audio and data snapshots, and errors that leave the pipeline untouched."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from pydantic import Field

import streamlib as sl
from mcp_support import (
    build_and_watch,
    call,
    call_error,
    registry_with_test_types,
    run_async,
    snapshot_image,
)
from runtime_support import streamlib_threads
from streamlib.mcp import TOOLS, PipelineHost, create_server

Scenario = Callable[[Client, PipelineHost], Awaitable[None]]


@pytest.fixture
def host() -> Iterator[PipelineHost]:
    pipeline = PipelineHost(registry=registry_with_test_types())
    try:
        yield pipeline
    finally:
        pipeline.close()
    assert streamlib_threads() == []


def run_with_client(host: PipelineHost, scenario: Scenario) -> None:
    async def main() -> None:
        async with Client(create_server(host), read_timeout_seconds=30) as client:
            await scenario(client, host)

    run_async(main)


def test_build_watch_change_and_reload(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        await build_and_watch(client)

    run_with_client(host, scenario)


def test_every_tool_is_listed_with_schemas(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        listing = await client.list_tools()
        tools = {tool.name: tool for tool in listing.tools}
        assert set(tools) == {
            "list_processor_types", "describe_processor_type", "add_processor",
            "remove_processor", "connect", "disconnect", "list_processors", "list_connections",
            "start", "pause", "resume", "stop", "set_config", "get_stats", "get_graph",
            "load_pipeline", "save_pipeline", "snapshot",
        }  # fmt: skip
        for tool in tools.values():
            assert tool.input_schema["type"] == "object"
            assert tool.input_schema.get("additionalProperties") is False
            assert tool.output_schema is not None
            assert tool.output_schema["type"] == "object"
            assert tool.description
        add = tools["add_processor"].input_schema
        assert "TestPattern" in add["properties"]["type"]["enum"]
        assert add["required"] == ["type"]
        assert add["properties"]["config"]["type"] == "object"
        assert "allOf" not in add  # a type's config schema comes from describe_processor_type
        assert "describe_processor_type" in (tools["add_processor"].description or "")
        connect = tools["connect"].input_schema
        assert connect["required"] == ["from", "to"]  # the pipeline file's spelling
        tag = tools["list_processor_types"].input_schema["properties"]["tag"]
        assert "video" in tag["enum"]
        assert tag["type"] == ["string", "null"]
        read_only = {name for name, tool in tools.items() if tool.annotations.read_only_hint}
        assert {"list_processors", "get_stats", "snapshot", "get_graph"} <= read_only
        assert "add_processor" not in read_only

    run_with_client(host, scenario)


def test_describe_and_resources(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        described = await call(client, "describe_processor_type", {"name": "Brightness"})
        assert described["live_fields"] == ["gain", "offset"]
        pattern = await call(client, "describe_processor_type", {"name": "TestPattern"})
        assert pattern["config_schema"]["properties"]["fps"]["live"] is True
        assert pattern["config_schema"]["additionalProperties"] is False
        assert described["inputs"][0]["profile"] == "latest"
        assert described["config_schema"]["properties"]["gain"]["maximum"] == 8.0
        assert described["permitted"] is True

        resources = await client.list_resources()
        uris = {str(resource.uri) for resource in resources.resources}
        assert {"graph://current", "processor://TestPattern", "processor://Brightness"} <= uris
        templates = await client.list_resource_templates()
        assert [t.uri_template for t in templates.resource_templates] == ["processor://{name}"]

        read = await client.read_resource("processor://TestPattern")
        descriptor = json.loads(read.contents[0].text)  # type: ignore[union-attr]
        assert descriptor["name"] == "TestPattern"
        assert descriptor["outputs"][0]["type"] == "VideoFrame"

        await call(client, "add_processor", {"type": "TestPattern", "id": "src"})
        read = await client.read_resource("graph://current")
        graph = json.loads(read.contents[0].text)  # type: ignore[union-attr]
        assert graph["graph"]["processors"]["src"]["type"] == "TestPattern"
        assert graph["processor_states"] == {"src": "added"}
        assert graph["state"] == "idle"

        for uri in ("processor://Nope", "nothing://here"):
            with pytest.raises(MCPError, match=r"no processor type|no resource"):
                await client.read_resource(uri)

    run_with_client(host, scenario)


def test_audio_snapshot_hears_a_live_frequency_change(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        await call(
            client,
            "add_processor",
            {
                "type": "ToneSource",
                "id": "tone",
                "config": {"frequencies": [440.0], "amplitude": 0.5},
            },
        )
        await call(client, "add_processor", {"type": "NullSink", "id": "sink"})
        await call(client, "connect", {"from": "tone.audio", "to": "sink.audio"})
        await call(client, "start")
        heard = await call(client, "snapshot", {"port": "sink.audio"})
        assert heard["kind"] == "audio"
        assert heard["source"] == "tone.audio"
        audio = heard["audio"]
        assert audio["channels"] == 2
        assert audio["sample_rate"] == 48_000
        assert audio["samples"] >= 4800
        assert audio["dominant_hz"] == pytest.approx(440, abs=5)
        # A sine of peak 0.5: RMS 0.354 is -9.0 dBFS, peak -6.0 dBFS.
        assert audio["rms_db"] == [pytest.approx(-9.03, abs=0.3)] * 2
        assert audio["peak_db"] == [pytest.approx(-6.02, abs=0.3)] * 2
        loudest = max(audio["spectrum"], key=lambda band: band["db"])
        assert loudest["low_hz"] <= 440 < loudest["high_hz"]

        await call(client, "set_config", {"id": "tone", "changes": {"frequencies": [1000.0]}})
        for _ in range(20):  # the block in flight may still be the old tone
            heard = await call(client, "snapshot", {"port": "tone.audio"})
            if abs(heard["audio"]["dominant_hz"] - 1000) < 10:
                break
        assert heard["audio"]["dominant_hz"] == pytest.approx(1000, abs=10)

    run_with_client(host, scenario)


def test_data_snapshot_and_generic_ports(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        await call(client, "add_processor", {"type": "Ticker", "id": "tick"})
        await call(client, "add_processor", {"type": "Passthrough", "id": "pass"})
        await call(client, "connect", {"from": "tick.data", "to": "pass.frames_in"})
        await call(client, "start")
        seen = await call(client, "snapshot", {"port": "pass.frames_out"})  # a generic Frame port
        assert seen["kind"] == "data"
        assert seen["data"]["kind"] == "json"
        assert seen["data"]["value"]["n"] == seen["frame_number"]
        seen = await call(client, "snapshot", {"port": "pass.frames_in"})  # its producer's output
        assert seen["source"] == "tick.data"

    run_with_client(host, scenario)


def test_lifecycle_and_config_rules(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        await call(client, "add_processor", {"type": "TestPattern", "id": "src"})
        stored = await call(client, "set_config", {"id": "src", "changes": {"width": 64}})
        assert stored["applied"] == "stored"  # not running: any field may change
        assert (await call(client, "start"))["state"] == "running"
        text = await call_error(client, "set_config", {"id": "src", "changes": {"width": 32}})
        assert "cannot change while running" in text
        live = await call(client, "set_config", {"id": "src", "changes": {"fps": 50}})
        assert live["applied"] == "live"
        assert (await call(client, "pause"))["state"] == "paused"
        queued = await call(client, "set_config", {"id": "src", "changes": {"fps": 40}})
        assert queued["applied"] == "queued"  # taken before the next call, after resume
        assert queued["config"]["fps"] == 40
        text = await call_error(client, "snapshot", {"port": "src.video"})
        assert "paused" in text
        assert "resume" in text
        assert (await call(client, "resume"))["state"] == "running"
        image, _ = await snapshot_image(client, "src.video")
        assert image.size == (64, 480)
        stats = await call(client, "get_stats")
        assert stats["processors"]["src"]["frames_out"] > 0
        assert stats["state"] == "running"
        assert (await call(client, "stop"))["state"] == "stopped"
        text = await call_error(client, "resume")
        assert "only a paused runtime can resume" in text
        assert (await call(client, "start"))["state"] == "running"

    run_with_client(host, scenario)


def test_failed_calls_leave_the_running_pipeline_untouched(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        await call(
            client, "add_processor", {"type": "TestPattern", "id": "src", "config": {"fps": 100}}
        )
        await call(client, "add_processor", {"type": "Brightness", "id": "fx"})
        # The older spelling, source/target, is accepted too.
        await call(client, "connect", {"source": "src.video", "target": "fx.video_in"})
        await call(client, "start")
        before = await call(client, "save_pipeline")

        failures: list[tuple[str, dict[str, Any], str]] = [
            # malformed arguments
            ("add_processor", {}, "missing required argument 'type'"),
            ("add_processor", {"type": "TestPattern", "confg": {}}, "did you mean 'config'?"),
            ("add_processor", {"type": "TestPattern", "config": "not json"}, "valid dictionary"),
            ("connect", {"from": 3, "to": "fx.video_in"}, "from: Input should be a valid"),
            ("connect", {"from": "src.video", "to": "x", "capacity": 0}, "or equal to 1"),
            ("connect", {"from": "src.video"}, "missing required argument 'to'"),
            ("connect", {"from": "a.b", "source": "a.b", "to": "fx.video_in"}, "'source'"),
            ("connect", {"form": "src.video", "to": "fx.video_in"}, "did you mean 'from'?"),
            ("snapshot", {"port": "src.video", "format": "gif"}, "'png' or 'jpeg'"),
            ("set_config", {"id": "fx"}, "missing required argument 'changes'"),
            # unknown names and ids
            ("add_processor", {"type": "Nope"}, "no processor type 'Nope'"),
            ("add_processor", {"type": "os.system"}, "no processor type 'os.system'"),
            ("describe_processor_type", {"name": "Brightnes"}, "did you mean 'Brightness'?"),
            ("remove_processor", {"id": "fxx"}, "did you mean 'fx'?"),
            ("set_config", {"id": "nobody", "changes": {"gain": 2}}, "no processor 'nobody'"),
            ("connect", {"from": "src.vide", "to": "fx.video_in"}, "did you mean 'video'?"),
            ("connect", {"from": "src", "to": "fx.video_in"}, "write it as 'processor.port'"),
            ("disconnect", {"from": "fx.video_out", "to": "src.video"}, "no connection"),
            ("snapshot", {"port": "fx.video_in2"}, "has no port 'video_in2'"),
            ("list_processor_types", {"tag": "nonsense"}, "no processor type is tagged 'nonsense'"),
            ("nonexistent_tool", {}, "there is no tool 'nonexistent_tool'"),
            # invalid configs and graph changes
            ("add_processor", {"type": "Brightness", "config": {"gain": 99}}, "or equal to 8"),
            ("add_processor", {"type": "Brightness", "config": {"gian": 2}}, "mean 'gain'?"),
            ("add_processor", {"type": "Brightness", "id": "fx"}, "already exists"),
            ("add_processor", {"type": "Brightness", "id": "bad id!"}, "invalid processor id"),
            ("set_config", {"id": "fx", "changes": {"gain": -1}}, "greater than or equal to 0"),
            ("set_config", {"id": "src", "changes": {"width": 20}}, "cannot change while running"),
            ("connect", {"from": "src.video", "to": "fx.video_in"}, "already fed by"),
            ("connect", {"from": "fx.video_out", "to": "src.video"}, "is an output"),
            ("load_pipeline", {}, "give either 'text'"),
            ("load_pipeline", {"text": "processors: {src: {type: TestPattern}}"}, "already in use"),
            ("load_pipeline", {"text": "processors:\n  a: {type: Nope}\n"}, "<text>:2"),
            ("load_pipeline", {"text": "processors: [1, 2"}, "<text>"),
            ("start", {}, "already running"),
            ("save_pipeline", {"path": "pipe.yaml"}, "--allow-write DIR"),
        ]  # fmt: skip
        for tool, arguments, expected in failures:
            text = await call_error(client, tool, arguments)
            assert expected in text, f"{tool}({arguments}): {text}"

        after = await call(client, "save_pipeline")
        assert after["text"] == before["text"]
        listed = await call(client, "list_processors")
        assert listed["state"] == "running"
        assert {p["id"]: p["state"] for p in listed["processors"]} == {
            "src": "running",
            "fx": "running",
        }
        await snapshot_image(client, "fx.video_out")  # frames still flow

    run_with_client(host, scenario)


def test_json_text_arguments_and_replace(host: PipelineHost) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        # Some clients send object arguments as JSON text.
        added = await call(
            client, "add_processor", {"type": "Brightness", "id": "fx", "config": '{"gain": 2}'}
        )
        assert added["config"]["gain"] == 2.0
        pipeline = (
            "processors:\n  src: {type: TestPattern}\n  sink: {type: NullSink}\n"
            "connections:\n  - src.video -> sink.video\n"
        )
        loaded = await call(client, "load_pipeline", {"text": pipeline, "replace": True})
        assert loaded["removed"] == ["fx"]
        assert loaded["added"] == ["src", "sink"]
        listed = await call(client, "list_connections")
        assert [c["id"] for c in listed["connections"]] == ["src.video->sink.video"]

    run_with_client(host, scenario)


def test_a_setup_that_fails_at_once_is_in_the_reply_and_later_in_stats_and_events(
    host: PipelineHost,
) -> None:
    async def scenario(client: Client, host: PipelineHost) -> None:
        await call(client, "add_processor", {"type": "BusyDevice", "id": "dev"})
        started = await call(client, "start")
        assert started["state"] == "running"
        assert set(started["failed"]) == {"dev"}
        assert "the device is busy" in started["failed"]["dev"]
        # Added while running: the reply says how its setup went, not just "starting".
        added = await call(client, "add_processor", {"type": "BusyDevice", "id": "dev2"})
        assert added["state"] in ("backing_off", "failed")
        assert "the device is busy" in added["error"]
        # Later: statistics carry the state and the error, and the events say what happened.
        stats = await call(client, "get_stats", {"events": 50})
        assert stats["processors"]["dev"]["errors"] >= 1
        assert "the device is busy" in stats["processors"]["dev"]["last_error"]
        errors = [e for e in stats["events"] if e["kind"] == "processor_errored"]
        assert {e["processor_id"] for e in errors} >= {"dev", "dev2"}
        assert all(e["phase"] == "setup" for e in errors)
        assert [e["seq"] for e in stats["events"]] == sorted(e["seq"] for e in stats["events"])
        read = await client.read_resource("events://recent")
        recent = json.loads(read.contents[0].text)["events"]  # type: ignore[union-attr]
        assert any(e["kind"] == "processor_errored" and e["processor_id"] == "dev" for e in recent)
        assert (await call(client, "get_stats", {"events": 0}))["events"] == []

    run_with_client(host, scenario)


def test_tool_names_are_unique() -> None:
    names = [tool.name for tool in TOOLS]
    assert len(names) == len(set(names))


class Captioner(sl.Processor):
    """A processor with a config field called "title" (a JSON Schema keyword too)."""

    class Config(sl.ProcessorConfig):
        title: str = sl.live_field("untitled", description="The caption.")
        position: dict[str, int] = Field(default_factory=lambda: {"title": 1})

    data = sl.Output(sl.DataFrame)

    def process(self) -> None:
        self.data.write(sl.DataFrame(self.config.title))


def test_schema_titles_are_dropped_but_fields_named_title_stay() -> None:
    registry = sl.Registry()
    registry.register(Captioner)
    host = PipelineHost(registry=registry)

    async def main() -> None:
        async with Client(create_server(host)) as client:
            described = await call(client, "describe_processor_type", {"name": "Captioner"})
            config = described["config_schema"]
            assert "title" not in config
            assert config["properties"]["title"]["description"] == "The caption."
            assert "title" not in config["properties"]["title"]
            position = config["properties"]["position"]
            assert "title" not in position
            assert position["type"] == "object"
            listing = await client.list_tools()
            for tool in listing.tools:
                assert '"title"' not in json.dumps([tool.input_schema, tool.output_schema])

    try:
        run_async(main)
    finally:
        host.close()


def test_layering() -> None:
    """The MCP layer sits above runtime and processors; nothing below imports it."""
    package = Path(sl.__file__).parent
    for path in (package / "mcp").rglob("*.py"):
        assert "streamlib.cli" not in path.read_text(), path
        assert "from ..cli" not in path.read_text(), path
    for layer in ("core", "runtime", "processors"):
        for path in (package / layer).rglob("*.py"):
            text = path.read_text()
            assert "from ..mcp" not in text
            assert "streamlib.mcp" not in text
            assert "import mcp" not in text


def test_public_names_are_documented() -> None:
    import streamlib.mcp

    for name in streamlib.mcp.__all__:
        value = getattr(streamlib.mcp, name)
        if callable(value):
            assert value.__doc__, name


class MainThreadUser(sl.Processor):
    """Runs a step of its setup on "the main thread", as window toolkits must."""

    data = sl.Output(sl.DataFrame)
    default_scheduling = sl.Scheduling.timer(50)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self.main_thread = ctx.run_on_main(lambda: threading.current_thread().name, timeout_s=5)

    def process(self) -> None:
        self.data.write(sl.DataFrame(self.main_thread))


def test_run_on_main_works_behind_the_server() -> None:
    """The server's event loop owns the real main thread; the host pumps the runtime's queue."""
    registry = sl.Registry()
    registry.register(MainThreadUser)
    host = PipelineHost(registry=registry)

    async def main() -> None:
        async with Client(create_server(host)) as client:
            await call(client, "add_processor", {"type": "MainThreadUser", "id": "ui"})
            await call(client, "start")
            seen = await call(client, "snapshot", {"port": "ui.data"})
            assert seen["data"]["value"] == "streamlib-host-main"

    try:
        run_async(main)
    finally:
        host.close()
