"""Helpers for the media tests: make input files with the ffmpeg CLI, read results with ffprobe.

Both come from Debian's ``ffmpeg`` package (``scripts/apt/media.txt``), a
separate FFmpeg from the one inside PyAV, so what streamlib writes is checked
by a reader it does not share code with.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from runtime_support import streamlib_threads

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")


def _need(tool: str | None, name: str) -> str:
    if tool is None:
        pytest.fail(
            f"{name} is missing: install Debian's ffmpeg (scripts/apt/media.txt; "
            "`bash scripts/setup.sh` does it as root)"
        )
    return tool


def make_clip(
    path: Path,
    *,
    seconds: float = 1.0,
    size: str = "160x120",
    rate: int = 30,
    audio: bool = True,
    video_codec: str = "libx264",
    extra: tuple[str, ...] = (),
) -> Path:
    """Write a test clip (testsrc2 pictures, a 440 Hz sine) with the ffmpeg CLI."""
    ffmpeg = _need(FFMPEG, "ffmpeg")
    command = [ffmpeg, "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    command += ["-c:v", video_codec, "-g", str(rate), "-pix_fmt", "yuv420p"]
    if audio:
        command += ["-c:a", "aac", "-shortest"]
    command += [*extra, str(path)]
    subprocess.run(command, check=True, timeout=60)
    return path


def probe(path: Path, *, count_frames: bool = True) -> list[dict[str, Any]]:
    """ffprobe's view of each stream (codec, size, rate, frames, duration, start)."""
    ffprobe = _need(FFPROBE, "ffprobe")
    command = [ffprobe, "-v", "error"]
    if count_frames:
        command.append("-count_frames")
    command += [
        "-show_entries",
        "stream=codec_type,codec_name,width,height,sample_rate,channels,nb_read_frames,"
        "duration,start_time,pix_fmt",
        "-of",
        "json",
        str(path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"ffprobe cannot read {path}: {result.stderr}"
    streams: list[dict[str, Any]] = json.loads(result.stdout)["streams"]
    return streams


def stream_of(streams: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [s for s in streams if s["codec_type"] == kind]
    assert len(found) == 1, f"expected one {kind} stream, got {streams}"
    return found[0]


def decoded_frame_count(path: Path) -> int:
    """Pictures the ffmpeg CLI decodes from ``path`` (fails on a file it cannot read)."""
    ffmpeg = _need(FFMPEG, "ffmpeg")
    result = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"ffmpeg cannot decode {path}: {result.stderr}"
    return sum(1 for line in result.stdout.splitlines() if line and not line.startswith("#"))


def yuv_frames(
    count: int, width: int = 64, height: int = 48, *, seed: int = 7
) -> list[sl.VideoFrame]:
    """Noise pictures (the hardest input for a codec) 1/30 s apart."""
    rng = np.random.default_rng(seed)
    return [
        sl.VideoFrame(
            rng.integers(0, 256, (height * 3 // 2, width), dtype=np.uint8),
            "yuv420p",
            timestamp_ns=index * 33_333_333,
            frame_number=index,
        )
        for index in range(count)
    ]


@contextmanager
def runtime(**options: Any) -> Iterator[sl.Runtime]:
    """A runtime that is always closed, leaving no worker thread behind."""
    rt = sl.Runtime(**options)
    try:
        yield rt
    finally:
        rt.close()
    assert streamlib_threads() == []
