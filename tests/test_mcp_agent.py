"""An agent's view of the MCP server: the official SDK client over stdio, using only what
``tools/list`` names (tools looked up by name, arguments built from their schemas and from
``describe_processor_type``), and the sizes an agent's context pays for that list."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from mcp import Client, StdioServerParameters, types

import streamlib as sl
from mcp_support import WAIT_S, ToolFailedError, run_async, text_of
from media_support import probe, stream_of
from runtime_support import streamlib_threads
from streamlib.mcp import PipelineHost, create_server

TOOL_SCHEMA_LIMIT = 2 * 1024
"""Most bytes one tool's input or output schema may take on the wire."""

TOOL_LIST_LIMIT = 16 * 1024
"""Most bytes the whole ``tools/list`` result may take on the wire."""


def wire_size(value: Any) -> int:
    """Bytes of ``value`` as the SDK's server sends it (by alias, no nulls, compact JSON)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(by_alias=True, mode="json", exclude_none=True)
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


class Agent:
    """Calls tools the way a model-driven client does: only tools the server listed, only
    arguments their input schema declares, every required one given."""

    def __init__(self, client: Client, listing: types.ListToolsResult) -> None:
        self.client = client
        self.tools = {tool.name: tool for tool in listing.tools}

    async def call(self, tool_name: str, /, **arguments: Any) -> Any:
        name = tool_name
        tool = self.tools[name]  # a KeyError here: the agent asked for a tool not listed
        schema = tool.input_schema
        declared = set(schema.get("properties", {}))
        assert set(arguments) <= declared, f"{name}: {set(arguments) - declared} not in schema"
        assert set(schema.get("required", [])) <= set(arguments), f"{name}: required missing"
        for key, value in arguments.items():
            allowed = schema["properties"][key].get("enum")
            assert allowed is None or value in allowed, f"{name}.{key}={value!r} not in enum"
        result = await self.client.call_tool(name, arguments)
        if result.is_error:
            raise ToolFailedError(f"{name}({arguments}) failed: {text_of(result)}")
        return result.structured_content

    def argument(self, tool: str, *candidates: str) -> str:
        """The first of ``candidates`` that ``tool``'s schema declares (what a model does
        when it reads a schema: it uses the names there)."""
        declared = self.tools[tool].input_schema["properties"]
        return next(name for name in candidates if name in declared)


def config_from_schema(schema: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """``wanted`` checked against a type's config schema: every field exists, and every
    required field without a default is given."""
    properties = schema["properties"]
    for name, value in wanted.items():
        assert name in properties, f"{name} is not a config field ({sorted(properties)})"
        allowed = properties[name].get("enum")
        assert allowed is None or value in allowed
    assert set(schema.get("required", [])) <= set(wanted)
    return wanted


def test_an_agent_builds_runs_changes_and_saves_a_pipeline_over_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "streamlib", "mcp", "--allow-write", str(tmp_path)]
    )

    async def session() -> None:
        async with Client(params, read_timeout_seconds=30) as client:
            agent = Agent(client, await client.list_tools())
            catalogue = await agent.call("list_processor_types")
            summaries = {entry["name"]: entry for entry in catalogue["types"]}
            for name in ("TestPattern", "Brightness", "Mp4Writer"):
                assert summaries[name]["permitted"], summaries[name]
                assert summaries[name]["summary"]
            described = {
                name: await agent.call("describe_processor_type", name=name)
                for name in ("TestPattern", "Brightness", "Mp4Writer")
            }
            source = config_from_schema(
                described["TestPattern"]["config_schema"],
                {"width": 160, "height": 120, "fps": 30, "pixel_format": "yuv420p"},
            )
            effect_field = described["Brightness"]["live_fields"][0]
            recorder = config_from_schema(
                described["Mp4Writer"]["config_schema"],
                {"path": "takes/agent.mp4", "make_folders": True, "overwrite": True},
            )
            assert "path" in described["Mp4Writer"]["write_path_fields"]
            for pid, type_name, config in (
                ("src", "TestPattern", source),
                ("fx", "Brightness", {}),
                ("rec", "Mp4Writer", recorder),
            ):
                added = await agent.call("add_processor", type=type_name, id=pid, config=config)
                assert added["id"] == pid
                assert added["error"] is None
            (src_out,) = (port["name"] for port in described["TestPattern"]["outputs"])
            fx_in, fx_out = (
                described["Brightness"]["inputs"][0]["name"],
                described["Brightness"]["outputs"][0]["name"],
            )
            rec_in = next(
                p["name"] for p in described["Mp4Writer"]["inputs"] if p["name"] == "video"
            )
            output, input_ = agent.argument("connect", "from"), agent.argument("connect", "to")
            for a, b in ((f"src.{src_out}", f"fx.{fx_in}"), (f"fx.{fx_out}", f"rec.{rec_in}")):
                linked = await agent.call("connect", **{output: a, input_: b})
                assert (linked["from"], linked["to"]) == (a, b)

            started = await agent.call("start")
            assert started == {"state": "running", "failed": {}, "starting": []}
            changed = await agent.call("set_config", id="fx", changes={effect_field: 0.5})
            assert changed["applied"] == "live"
            deadline = time.monotonic() + WAIT_S
            while True:
                stats = await agent.call("get_stats")
                if stats["processors"]["rec"]["frames_in"] >= 10:
                    break
                assert time.monotonic() < deadline, stats["processors"]
            assert {stats["processors"][pid]["state"] for pid in ("src", "fx", "rec")} == {
                "running"
            }
            assert all(stats["processors"][pid]["errors"] == 0 for pid in ("src", "fx", "rec"))
            assert any(event["kind"] == "processor_started" for event in stats["events"])

            saved = await agent.call("save_pipeline", path="agent.yaml")
            file = tmp_path / "agent.yaml"
            assert file.read_text() == saved["text"]
            document = yaml.safe_load(saved["text"])
            # Only what differs from the defaults, and paths relative to the file's folder.
            assert document["processors"]["fx"]["config"] == {effect_field: 0.5}
            assert document["processors"]["rec"]["config"] == {
                "path": "takes/agent.mp4",
                "make_folders": True,
                "overwrite": True,
            }
            assert str(tmp_path) not in saved["text"]
            assert document["connections"] == [
                "src.video -> fx.video_in",
                "fx.video_out -> rec.video",
            ]
            before = (await agent.call("get_graph"))["graph"]
            assert (await agent.call("stop"))["state"] == "stopped"

            loaded = await agent.call("load_pipeline", path="agent.yaml", replace=True)
            assert sorted(loaded["added"]) == ["fx", "rec", "src"]
            after = (await agent.call("get_graph"))["graph"]
            assert after == before  # same processors, configs (paths too) and connections

    run_async(session)
    video = stream_of(probe(tmp_path / "takes" / "agent.mp4"), "video")
    assert (int(video["width"]), int(video["height"])) == (160, 120)


def test_the_tool_list_fits_an_agents_context() -> None:
    host = PipelineHost()  # every installed processor type, as `streamlib mcp` has them

    async def main() -> None:
        async with Client(create_server(host)) as client:
            listing = await client.list_tools()
            sizes = {
                tool.name: (wire_size(tool.input_schema), wire_size(tool.output_schema or {}))
                for tool in listing.tools
            }
            too_big = {name: size for name, size in sizes.items() if max(size) >= TOOL_SCHEMA_LIMIT}
            assert not too_big, f"schemas over {TOOL_SCHEMA_LIMIT} bytes: {too_big}"
            total = wire_size(listing)
            assert total < TOOL_LIST_LIMIT, f"tools/list is {total} bytes: {sizes}"
            # The catalogue itself is names, summaries and tags, not every schema.
            result = await client.call_tool("list_processor_types", {})
            assert result.structured_content is not None
            per_type = wire_size(result.structured_content) / len(
                result.structured_content["types"]
            )
            assert per_type < 400, per_type

    try:
        run_async(main)
    finally:
        host.close()
    assert streamlib_threads() == []


def test_a_long_type_list_is_described_not_enumerated() -> None:
    """With many plug-in types the type name is a plain string (list_processor_types names
    them), so add_processor's schema stays small whatever is installed."""
    registry = sl.Registry()
    registry.load_entry_points()
    for n in range(120):
        registry.register(type(f"PluginEffect{n:03d}", (sl.Processor,), {"__doc__": "A plug-in."}))
    host = PipelineHost(registry=registry)

    async def main() -> None:
        async with Client(create_server(host)) as client:
            listing = await client.list_tools()
            add = next(tool for tool in listing.tools if tool.name == "add_processor")
            assert "enum" not in add.input_schema["properties"]["type"]
            assert wire_size(add.input_schema) < TOOL_SCHEMA_LIMIT
            assert wire_size(listing) < TOOL_LIST_LIMIT

    try:
        run_async(main)
    finally:
        host.close()


ROUND_TRIP = """\
processors:
  job: {type: TestPattern, config: {width: 64, height: 48, frames: 5, realtime: false}}
  fx: {type: Brightness, config: {gain: 1.5}}
  look: {type: Brightness}
  rec: {type: Mp4Writer, config: {path: out/take.mp4, make_folders: true, overwrite: true}}
  live: {type: TestPattern, config: {width: 64, height: 48}}
  sink: {type: NullSink}
connections:
  - job.video -> fx.video_in
  - {from: fx.video_out, to: look.video_in, profile: latest}
  - {from: look.video_out, to: rec.video, capacity: 4}
  - {from: live.video, to: sink.video, profile: fifo, capacity: 5}
"""


def test_save_then_load_gives_the_same_graph_with_only_what_was_not_default(
    tmp_path: Path,
) -> None:
    from streamlib.mcp import Permissions

    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "in.yaml").write_text(ROUND_TRIP)
    host = PipelineHost(permissions=Permissions(write_root=tmp_path))

    async def main() -> None:
        async with Client(create_server(host)) as client:
            agent = Agent(client, await client.list_tools())
            await agent.call("load_pipeline", path="jobs/in.yaml")
            first = (await agent.call("get_graph"))["graph"]
            edges = {(c["from"], c["to"]): c for c in first["connections"]}
            # A file job defaults to lossless; the explicit profiles stayed as given.
            assert edges["job.video", "fx.video_in"]["profile"] == "lossless"
            assert edges["fx.video_out", "look.video_in"]["profile"] == "latest"
            assert edges["look.video_out", "rec.video"]["capacity"] == 4
            assert first["processors"]["rec"]["config"]["path"] == str(
                tmp_path / "jobs" / "out" / "take.mp4"
            )
            saved = await agent.call("save_pipeline", path="jobs/saved.yaml")
            document = yaml.safe_load(saved["text"])
            assert document["processors"]["rec"]["config"] == {
                "path": "out/take.mp4",
                "make_folders": True,
                "overwrite": True,
            }
            assert "config" not in document["processors"]["look"]
            assert document["processors"]["fx"]["config"] == {"gain": 1.5}
            assert document["connections"] == [
                "job.video -> fx.video_in",  # lossless is what loading chooses
                {"from": "fx.video_out", "to": "look.video_in", "profile": "latest"},
                {"from": "look.video_out", "to": "rec.video", "capacity": 4},
                {"from": "live.video", "to": "sink.video", "profile": "fifo", "capacity": 5},
            ]
            await agent.call("load_pipeline", path="jobs/saved.yaml", replace=True)
            assert (await agent.call("get_graph"))["graph"] == first
            # As text (no file), relative paths count from the write directory.
            text = await agent.call("save_pipeline")
            assert "path: jobs/out/take.mp4" in text["text"]
            await agent.call("load_pipeline", text=text["text"], replace=True)
            assert (await agent.call("get_graph"))["graph"] == first

    try:
        run_async(main)
    finally:
        host.close()
