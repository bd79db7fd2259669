"""Helpers for the MCP server tests: a tool-calling wrapper, image decoding, a server process,
processor types that need permissions, and the pipeline scenario every transport runs.

The scenario talks to the server only through the SDK's own ``mcp.Client``, so the
same function checks the in-process, stdio and HTTP transports.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import anyio
import numpy as np
import pytest
import yaml
from mcp import Client, types
from PIL import Image

import streamlib as sl
from serving_support import ServingProcess, serving

WAIT_S = 10.0
"""Generous limit for correctness waits (never a performance bound)."""

TOKEN = "test-token-0123456789abcdef"


def run_async(main: Callable[[], Awaitable[None]]) -> None:
    """``anyio.run(main)``, re-raising a failure the client's task groups wrapped on its own."""
    try:
        anyio.run(main)
    except BaseExceptionGroup as group:
        leaf = innermost(group)
        if leaf is group:
            raise
        raise leaf from None


def innermost(error: BaseException) -> BaseException:
    """The one exception inside (nested) single-member exception groups."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


class ToolFailedError(AssertionError):
    """A tool call that should have worked came back as a tool error."""


async def call(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> Any:
    """Call ``tool`` and return its structured content; a tool error fails the test."""
    result = await client.call_tool(tool, arguments or {})
    if result.is_error:
        raise ToolFailedError(f"{tool}({arguments}) failed: {text_of(result)}")
    assert result.structured_content is not None, f"{tool} returned no structured content"
    # The JSON text block mirrors the structured content, for clients that read text only.
    assert json.loads(result.content[-1].text) == result.structured_content  # type: ignore[union-attr]
    return result.structured_content


async def call_error(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> str:
    """Call ``tool``, expect a tool error, return its text."""
    result = await client.call_tool(tool, arguments or {})
    assert result.is_error, f"{tool}({arguments}) should have failed: {result.structured_content}"
    assert result.structured_content is not None
    assert set(result.structured_content) == {"error", "message"}
    return text_of(result)


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def snapshot_image(
    client: Client, port: str, **options: Any
) -> tuple[Image.Image, dict[str, Any]]:
    """Take a video snapshot; return the decoded image and the structured result."""
    result = await client.call_tool("snapshot", {"port": port, **options})
    if result.is_error:
        raise ToolFailedError(f"snapshot of {port} failed: {text_of(result)}")
    images = [block for block in result.content if isinstance(block, types.ImageContent)]
    assert len(images) == 1, "a video snapshot carries exactly one image"
    assert result.structured_content is not None
    assert images[0].mime_type == result.structured_content["video"]["mime_type"]
    image = Image.open(io.BytesIO(base64.b64decode(images[0].data)))
    image.load()
    return image, result.structured_content


def mean_level(image: Image.Image) -> float:
    return float(np.asarray(image.convert("RGB"), dtype=np.float64).mean())


async def wait_for_mean(
    client: Client, port: str, predicate: Any, *, what: str, timeout: float = WAIT_S
) -> float:
    """Snapshot ``port`` until the image's mean level satisfies ``predicate``."""
    deadline = time.monotonic() + timeout
    while True:
        image, _ = await snapshot_image(client, port)
        level = mean_level(image)
        if predicate(level):
            return level
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}; last mean level {level:.1f}")
        await anyio.sleep(0.02)


# -- processor types that need permissions -------------------------------------------


class NeedsCamera(sl.Processor):
    """A source of numbered data frames that declares the camera capability."""

    capabilities = frozenset({"camera"})
    default_scheduling = sl.Scheduling.timer(100)
    data = sl.Output(sl.DataFrame)

    def process(self) -> None:
        self.data.write(sl.DataFrame({"camera": True}))


class NeedsAudio(NeedsCamera):
    """The same, declaring audio."""

    capabilities = frozenset({"audio"})


class NeedsDisplay(NeedsCamera):
    """The same, declaring display."""

    capabilities = frozenset({"display"})


class NeedsNetwork(NeedsCamera):
    """The same, declaring network."""

    capabilities = frozenset({"network"})


class JsonLinesWriter(sl.Processor):
    """Write every data frame's payload as one JSON line to ``path`` (a real file writer)."""

    capabilities = frozenset({"write"})

    class Config(sl.ProcessorConfig):
        path: str = sl.path_field("data.jsonl", description="Where to write.")

    data = sl.Input(sl.DataFrame, profile="lossless")

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._file = open(self.config.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open

    def process(self) -> None:
        for frame in self.data.read_all():
            self._file.write(json.dumps(frame.payload) + "\n")
        self._file.flush()

    def teardown(self) -> None:
        self._file.close()
        super().teardown()


class Ticker(sl.Processor):
    """A data source writing {"n": 0}, {"n": 1}... at 200 Hz."""

    default_scheduling = sl.Scheduling.timer(200)
    data = sl.Output(sl.DataFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._n = 0

    def process(self) -> None:
        self.data.write(sl.DataFrame({"n": self._n}, frame_number=self._n))
        self._n += 1


class BusyDevice(sl.Processor):
    """A source whose setup always fails, as a device that is in use does."""

    default_scheduling = sl.Scheduling.timer(100)
    data = sl.Output(sl.DataFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        raise sl.StreamError("the device is busy (held by another program)")

    def process(self) -> None:
        self.data.write(sl.DataFrame({}))


def registry_with_test_types() -> sl.Registry:
    """The built-ins plus the processor types above."""
    registry = sl.Registry()
    registry.load_entry_points()
    for processor_class in (
        NeedsCamera,
        NeedsAudio,
        NeedsDisplay,
        NeedsNetwork,
        JsonLinesWriter,
        Ticker,
        BusyDevice,
    ):
        registry.register(processor_class)
    return registry


# -- a server process ----------------------------------------------------------------


class ServerProcess(ServingProcess):
    """``streamlib mcp ARGS`` in a subprocess, ready once it announced its URL."""

    def __init__(self, args: Sequence[str]) -> None:
        super().__init__(["mcp", *args], announces=r"serving MCP at (http://\S+)")


def server_process(args: Sequence[str]) -> AbstractContextManager[ServingProcess]:
    return serving(ServerProcess(args))


# -- the scenario every transport runs -----------------------------------------------


async def build_and_watch(client: Client, *, prefix: str = "") -> None:
    """TestPattern -> Brightness -> Collector: build, start, look, change live, shrink, reload.

    ``prefix`` keeps the ids apart when two clients share one server.
    """
    src, fx, sink = f"{prefix}src", f"{prefix}fx", f"{prefix}sink"
    types_listed = await call(client, "list_processor_types")
    names = {entry["name"] for entry in types_listed["types"]}
    assert {"TestPattern", "Brightness", "Collector"} <= names
    video = await call(client, "list_processor_types", {"tag": "effect"})
    assert "Brightness" in {entry["name"] for entry in video["types"]}

    added = await call(
        client,
        "add_processor",
        {"type": "TestPattern", "id": src, "config": {"width": 96, "height": 64, "fps": 60}},
    )
    assert added["outputs"] == ["video"]
    assert added["type"] == "TestPattern"
    await call(client, "add_processor", {"type": "Brightness", "id": fx})
    await call(
        client, "add_processor", {"type": "Collector", "id": sink, "config": {"max_frames": 30}}
    )
    link = await call(client, "connect", {"from": f"{src}.video", "to": f"{fx}.video_in"})
    assert link["profile"] == "latest"
    await call(client, "connect", {"from": f"{fx}.video_out", "to": f"{sink}.video"})
    await ensure_running(client)

    image, shot = await snapshot_image(client, f"{fx}.video_out")
    assert image.format == "PNG"
    assert image.size == (96, 64)
    assert shot["video"]["width"] == 96
    assert shot["video"]["height"] == 64
    assert shot["source"] == f"{fx}.video_out"
    bright = mean_level(image)
    assert bright > 60  # color bars

    changed = await call(client, "set_config", {"id": fx, "changes": {"gain": 0.25}})
    assert changed["applied"] == "live"
    assert changed["config"]["gain"] == 0.25
    dimmed = await wait_for_mean(
        client, f"{sink}.video", lambda level: level < bright * 0.5, what="the darker picture"
    )
    assert dimmed == pytest.approx(bright * 0.25, rel=0.15)

    small, shot = await snapshot_image(
        client, f"{src}.video", format="jpeg", max_size=48, quality=70
    )
    assert small.format == "JPEG"
    assert small.size == (48, 32)
    assert shot["video"]["width"] == 96  # the frame itself, before scaling

    listed = await call(client, "list_processors")
    mine = {p["id"]: p for p in listed["processors"] if p["id"] in (src, fx, sink)}
    assert {p["state"] for p in mine.values()} == {"running"}
    assert mine[sink]["stats"]["frames_in"] > 0
    assert mine[fx]["config"]["gain"] == 0.25
    assert mine[fx]["live_fields"] == ["gain", "offset"]
    connections = await call(client, "list_connections")
    ours = {c["id"]: c for c in connections["connections"] if c["from"].startswith(prefix)}
    assert set(ours) == {f"{src}.video->{fx}.video_in", f"{fx}.video_out->{sink}.video"}
    assert ours[f"{fx}.video_out->{sink}.video"]["profile"] == "lossless"

    # Shrink while it runs: the rest keeps flowing.
    await call(client, "disconnect", {"from": f"{fx}.video_out", "to": f"{sink}.video"})
    removed = await call(client, "remove_processor", {"id": sink})
    assert removed == {"removed": sink, "connections_removed": []}
    listed = await call(client, "list_processors")
    assert sink not in {p["id"] for p in listed["processors"]}
    await snapshot_image(client, f"{fx}.video_out")  # still flowing

    saved = await call(client, "save_pipeline")
    assert f"{fx}:" in saved["text"]
    for pid in (src, fx):
        await call(client, "remove_processor", {"id": pid})
    loaded = await call(client, "load_pipeline", {"text": only(saved["text"], {src, fx})})
    assert set(loaded["added"]) >= {src, fx}
    assert f"{src}.video->{fx}.video_in" in loaded["connections"]
    graph = await call(client, "get_graph")
    assert graph["graph"]["processors"][fx]["config"]["gain"] == 0.25
    assert graph["mermaid"].startswith("flowchart LR")
    assert f"{fx}<br/><i>Brightness</i>" in graph["mermaid"]
    dimmed_again = await wait_for_mean(
        client, f"{fx}.video_out", lambda level: level < bright * 0.5, what="the reloaded effect"
    )
    assert dimmed_again < bright * 0.5


async def ensure_running(client: Client) -> None:
    """Start the pipeline unless another client already did."""
    result = await client.call_tool("start", {})
    if result.is_error:
        assert "already running" in text_of(result), text_of(result)
    else:
        assert result.structured_content == {"state": "running", "failed": {}, "starting": []}


def producer_of(connection: str | dict[str, Any]) -> str:
    """A saved connection's output port, from either form ("a.x -> b.y", or a mapping)."""
    if isinstance(connection, str):
        return connection.split("->")[0].strip()
    return str(connection["from"])


def only(pipeline_text: str, ids: set[str]) -> str:
    """A saved pipeline cut down to the processors ``ids`` (another client's stay out)."""
    document = yaml.safe_load(pipeline_text)
    processors = {pid: p for pid, p in document["processors"].items() if pid in ids}
    connections = [
        c for c in document.get("connections", []) if producer_of(c).split(".")[0] in ids
    ]
    return yaml.safe_dump({"processors": processors, "connections": connections})
