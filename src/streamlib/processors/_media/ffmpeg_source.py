"""FFmpegSource: FFmpeg-generated test input from lavfi graphs (testsrc2, sine, ...)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import model_validator

from ...core import reach_field
from ._ffmpeg_input import FFmpegInputConfig, FFmpegInputProcessor

__all__ = ["FFmpegSource"]


class FFmpegSourceConfig(FFmpegInputConfig):
    video_graph: str | None = reach_field(
        "testsrc2=size=640x480:rate=30",
        reaches="ffmpeg_graph",
        description="lavfi video source, e.g. testsrc2=size=1280x720:rate=30 (null: none).",
    )
    audio_graph: str | None = reach_field(
        None,
        reaches="ffmpeg_graph",
        description="lavfi audio source, e.g. sine=frequency=440 (null: none).",
    )

    @model_validator(mode="after")
    def _some_graph(self) -> FFmpegSourceConfig:
        if not self.video_graph and not self.audio_graph:
            raise ValueError("give video_graph, audio_graph or both")
        for graph in (self.video_graph, self.audio_graph):
            if graph and (";" in graph or "[" in graph):
                raise ValueError(
                    f"{graph!r}: give one source chain per field, without labels or ';'"
                )
        return self


class FFmpegSource(FFmpegInputProcessor[FFmpegSourceConfig]):
    """Real FFmpeg-made pictures and sound from libavfilter source graphs.

    ``video_graph`` and ``audio_graph`` are lavfi source descriptions, as on
    ``ffmpeg -f lavfi -i ...``; either may be null. Output is paced in real time
    (a live source) unless ``realtime`` is false (then it waits for its
    consumers and loses nothing). The stream ends when a graph has a
    ``duration`` or at a ``duration_s`` / ``frames`` limit (unless ``loop``).

    Example pipeline entry::

        src:
          type: FFmpegSource
          config:
            video_graph: testsrc2=size=1280x720:rate=30
            audio_graph: sine=frequency=440:sample_rate=48000
            duration_s: 10
            realtime: false
    """

    tags: ClassVar[tuple[str, ...]] = ("video", "audio", "source", "test")

    def input_spec(self) -> tuple[str, str | None, dict[str, str]]:
        cfg = self.config
        if cfg.video_graph and cfg.audio_graph:
            # lavfi's multi-output form: one labelled output per stream.
            graph = f"{cfg.video_graph}[out0];{cfg.audio_graph}[out1]"
        else:
            graph = cfg.video_graph or cfg.audio_graph or ""  # the config requires one
        return graph, "lavfi", {}

    def wants(self) -> tuple[bool, bool]:
        return bool(self.config.video_graph), bool(self.config.audio_graph)
