"""The ``snapshot`` operation: let an agent see and hear what flows through a port.

Video comes back as image content (PNG or JPEG) plus its size and format;
audio as levels per channel and a short spectrum; data as its payload.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..core import AudioFrame, DataFrame, PortRef, VideoFrame
from ._host import PipelineHost
from ._operation import Image, Operation, OperationArguments, OperationReply
from ._probe import FrameWant, capture, source_of
from ._snapshot_analysis import analyze_audio, describe_data, encode_image

__all__ = ["SNAPSHOT_OPERATIONS"]

_AUDIO_SECONDS = 0.1  # how much audio a snapshot listens to


class SnapshotArgs(OperationArguments):
    port: str = Field(description="An output or input, e.g. 'fx.video_out'.")
    format: Literal["png", "jpeg"] = Field("png", description="Image format for video.")
    max_size: int = Field(1024, ge=16, le=8192, description="Scale video down to fit this.")
    quality: int = Field(85, ge=1, le=100, description="JPEG quality.")
    timeout_s: float = Field(3.0, gt=0, le=30, description="How long to wait for frames.")


class SnapshotResult(BaseModel):
    port: str = Field(description="The port asked for.")
    source: str = Field(description="The output the frames came from.")
    kind: Literal["video", "audio", "data"]
    frame_number: int
    timestamp_ns: int
    video: dict[str, Any] | None = Field(
        None, description="width, height, pixel_format, and the image's size and mime type."
    )
    audio: dict[str, Any] | None = Field(
        None,
        description="sample_rate, channels, rms_db and peak_db per channel (dBFS), "
        "dominant_hz, and a log-spaced spectrum of bands (dBFS).",
    )
    data: dict[str, Any] | None = Field(None, description="The payload (JSON) or a bytes summary.")


def _snapshot(host: PipelineHost, args: SnapshotArgs) -> OperationReply:
    runtime = host.runtime
    port = PortRef.parse(args.port)
    source = source_of(runtime, port)
    # One frame of video or data; audio until enough for a spectrum (the rate is known
    # only once a block arrives, so counted at 48 kHz).
    want = FrameWant(audio_samples=int(48_000 * _AUDIO_SECONDS))
    frames = capture(runtime, port, want=want, timeout_s=args.timeout_s)
    if not frames:
        raise TimeoutError(
            f"no frame came out of {source} within {args.timeout_s} s; check list_processors "
            "(is its processor running, or failing?) and that something feeds it"
        )
    newest = frames[-1]
    common = {
        "port": str(port),
        "source": str(source),
        "frame_number": newest.frame_number,
        "timestamp_ns": newest.timestamp_ns,
    }
    if isinstance(newest, VideoFrame):
        image = encode_image(
            newest, image_format=args.format, max_size=args.max_size, quality=args.quality
        )
        video = {
            "width": newest.width,
            "height": newest.height,
            "pixel_format": newest.pixel_format.value,
            "image_width": image.width,
            "image_height": image.height,
            "mime_type": image.mime_type,
            "image_bytes": len(image.data),
        }
        return OperationReply(
            SnapshotResult(kind="video", video=video, **common),
            images=[Image(image.data, image.mime_type)],
            summary=f"{source}: frame {newest.frame_number}, {newest.width}x{newest.height} "
            f"{newest.pixel_format.value}, shown as {image.width}x{image.height} {args.format}",
        )
    if isinstance(newest, AudioFrame):
        blocks = [f for f in frames if isinstance(f, AudioFrame)]
        analysis = analyze_audio(blocks)
        levels = ", ".join(f"{db:.1f}" for db in analysis.rms_db)
        pitch = "none" if analysis.dominant_hz is None else f"{analysis.dominant_hz:.1f} Hz"
        return OperationReply(
            SnapshotResult(kind="audio", audio=analysis.to_dict(), **common),
            summary=f"{source}: {analysis.samples} samples at {analysis.sample_rate} Hz; RMS "
            f"{levels} dBFS per channel; dominant frequency {pitch}",
        )
    if isinstance(newest, DataFrame):
        return OperationReply(SnapshotResult(kind="data", data=describe_data(newest), **common))
    raise TypeError(f"{source} sent a {type(newest).__name__}, which snapshot cannot show")


SNAPSHOT_OPERATIONS = (
    Operation(
        "snapshot",
        "See what flows through a port while running: video as an image; audio as levels "
        "(dBFS), spectrum and dominant frequency; data as its payload.",
        SnapshotArgs,
        SnapshotResult,
        _snapshot,
        read_only=True,
    ),
)
