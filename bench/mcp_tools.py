"""What MCP tool calls cost an agent, and what snapshots cost the running pipeline.

Runs ``TestPattern -> Brightness -> Collector`` at 30 fps behind the MCP server,
with the SDK's own client connected in-process (so no transport is measured,
only the server, the runtime and the encoders), and times:

- round trips of ``list_processors``, ``get_stats`` and a live ``set_config``;
- ``snapshot`` of video as PNG and as JPEG, at 640x480 and 1280x720 (the wait for
  the next frame is part of it: at 30 fps that is up to 33 ms);
- what the snapshots cost the pipeline: frames the lossless collector missed
  (gaps in frame numbers) while they were taken.

Prints JSON::

    python bench/mcp_tools.py            # about 20 s
    python bench/mcp_tools.py --quick    # fewer calls
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import anyio
from mcp import Client

from streamlib.mcp import PipelineHost, create_server
from streamlib.processors import Collector

SIZES = ((640, 480), (1280, 720))


async def timed(calls: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    """p50 / p90 / max milliseconds of ``calls`` awaits of ``call``."""
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p90_ms": round(samples[int(0.9 * (len(samples) - 1))], 2),
        "max_ms": round(samples[-1], 2),
        "calls": calls,
    }


async def checked(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {result.content}")
    return result.structured_content


async def measure_size(width: int, height: int, calls: int) -> dict[str, Any]:
    host = PipelineHost()
    try:
        async with Client(create_server(host)) as client:
            config = {"width": width, "height": height, "fps": 30}
            await checked(
                client, "add_processor", {"type": "TestPattern", "id": "src", "config": config}
            )
            await checked(client, "add_processor", {"type": "Brightness", "id": "fx"})
            await checked(
                client,
                "add_processor",
                {"type": "Collector", "id": "sink", "config": {"max_frames": 100_000}},
            )
            await checked(client, "connect", {"source": "src.video", "target": "fx.video_in"})
            await checked(
                client,
                "connect",
                {"source": "fx.video_out", "target": "sink.video", "profile": "lossless"},
            )
            await checked(client, "start", {})
            await anyio.sleep(0.5)
            gains = iter(range(10**6))
            result: dict[str, Any] = {"size": f"{width}x{height}"}
            result["list_processors"] = await timed(
                calls, lambda: checked(client, "list_processors", {})
            )
            result["get_stats"] = await timed(calls, lambda: checked(client, "get_stats", {}))
            result["set_config_live"] = await timed(
                calls,
                lambda: checked(
                    client, "set_config", {"id": "fx", "changes": {"gain": 1 + next(gains) % 2}}
                ),
            )
            collector = host.runtime.processor("sink")
            assert isinstance(collector, Collector)
            before = len(collector.received())
            for image_format in ("png", "jpeg"):
                result[f"snapshot_{image_format}"] = await timed(
                    calls,
                    partial(
                        checked,
                        client,
                        "snapshot",
                        {"port": "fx.video_out", "format": image_format, "max_size": 4096},
                    ),
                )
            await checked(client, "stop", {})
            numbers = [frame.frame_number for frame in collector.received()][before:]
            gaps = sum(1 for a, b in itertools.pairwise(numbers) if b != a + 1)
            result["pipeline_during_snapshots"] = {
                "frames_received": len(numbers),
                "gaps_in_frame_numbers": gaps,
            }
            return result
    finally:
        host.close()


async def run(calls: int) -> dict[str, Any]:
    results = [await measure_size(width, height, calls) for width, height in SIZES]
    return {
        "benchmark": "mcp_tools",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 calls each instead of 60")
    args = parser.parse_args()
    calls = 10 if args.quick else 60
    print(json.dumps(anyio.run(run, calls), indent=2))


if __name__ == "__main__":
    main()
