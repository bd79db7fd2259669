"""PerformanceOverlay: frame rate, latency and drops drawn on the video.

::

    perf: {type: PerformanceOverlay, config: {anchor: top-left}}

It always shows what it measures itself: the frame rate arriving at it, the
latency of each frame (now minus the frame's capture timestamp: the whole
pipeline up to here) and the frames dropped on its input. Per-processor rows
(fps, p50 process time, drops into each) come from the runtime's statistics
(``ctx.statistics()``), read at each redraw; a ``stats`` input carrying
``RuntimeStatistics.to_dict()`` payloads (from another runtime, say) takes
precedence when connected.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ...core import DataFrame, Input, ProcessorConfig, ProcessorContext, VideoFrame, live_field
from ._overlay_base import Anchor, Overlay, anchored

__all__ = ["PerformanceOverlay", "statistics_lines"]


def statistics_lines(stats: Mapping[str, Any], *, limit: int) -> list[str]:
    """One line per processor from ``RuntimeStatistics.to_dict()``: fps, process time,
    frames dropped on the connections into it."""
    dropped: dict[str, int] = {}
    for connection in stats.get("connections", []):
        target = str(connection.get("to", "")).split(".", 1)[0]
        dropped[target] = dropped.get(target, 0) + int(connection.get("dropped", 0))
    lines = []
    for pid, processor in list(stats.get("processors", {}).items())[:limit]:
        p50 = processor.get("process_ms_p50")
        took = "-" if p50 is None else f"{p50:.2f} ms"
        lines.append(
            f"{pid}: {processor.get('fps', 0.0):.1f} fps  {took}  {dropped.get(pid, 0)} dropped"
        )
    return lines


class PerformanceOverlayConfig(ProcessorConfig):
    anchor: Anchor = live_field("top-left", description="Where the panel goes.")
    margin: int = live_field(16, ge=0, le=2000, description="Pixels from the edges.")
    font_size: int = live_field(20, ge=6, le=200, description="Text size.")
    refresh_s: float = live_field(0.5, gt=0.0, le=60.0, description="How often it is redrawn.")
    max_processors: int = Field(12, ge=0, le=64, description="Processor rows at most.")


class PerformanceOverlay(Overlay[PerformanceOverlayConfig]):
    """Frame rate, end-to-end latency and drops, drawn over the video (redrawn ``refresh_s``)."""

    stats = Input(DataFrame, description="RuntimeStatistics.to_dict() payloads (optional).")

    def setup(self, ctx: ProcessorContext) -> None:
        self._arrivals: deque[int] = deque(maxlen=120)
        self._latencies: deque[float] = deque(maxlen=120)
        self._runtime_stats: Mapping[str, Any] = {}
        self._next_draw = 0.0
        self._lines: tuple[str, ...] = ()
        super().setup(ctx)

    def _measure(self, frame: VideoFrame) -> None:
        now_ns = self.ctx.clock.now_ns() if self.ctx is not None else time.monotonic_ns()
        self._arrivals.append(now_ns)
        if frame.timestamp_ns > 0:
            self._latencies.append((now_ns - frame.timestamp_ns) / 1e6)
        for item in self.stats.read_all():
            if isinstance(item.payload, Mapping):
                self._runtime_stats = item.payload

    def lines(self) -> list[str]:
        """What the panel shows now."""
        arrivals = self._arrivals
        span = (arrivals[-1] - arrivals[0]) / 1e9 if len(arrivals) > 1 else 0.0
        fps = (len(arrivals) - 1) / span if span > 0 else 0.0
        ordered = sorted(self._latencies)
        latency = ordered[len(ordered) // 2] if ordered else 0.0
        connection = self.video_in.connection
        dropped = 0 if connection is None else connection.statistics(time.monotonic_ns()).dropped
        head = f"{fps:.1f} fps  latency {latency:.1f} ms  {dropped} dropped"
        return [head, *statistics_lines(self._runtime_stats, limit=self.config.max_processors)]

    def picture(self, frame: VideoFrame) -> tuple[Any, Any]:
        self._measure(frame)
        now = time.monotonic()
        if now >= self._next_draw:
            self._next_draw = now + self.config.refresh_s
            if not self.stats.is_connected() and self.ctx is not None:
                self._runtime_stats = self.ctx.statistics()  # once per redraw, not per frame
            self._lines = tuple(self.lines())
        key = (self._lines, self.config.font_size)
        if key == self._key:
            return key, None
        from ._overlay_drawing import text_panel  # Pillow, the gpu extra

        rgba = text_panel(
            list(self._lines),
            size=self.config.font_size,
            color=(255, 255, 255, 255),
            background=(0, 0, 0, 170),
            padding=8,
        )
        return key, rgba

    def place(self, frame: VideoFrame, width: int, height: int) -> tuple[float, float]:
        cfg = self.config
        x, y = anchored(cfg.anchor, cfg.margin, (frame.width, frame.height), (width, height))
        return float(x), float(y)
