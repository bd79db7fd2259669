"""The media examples run as shipped (pipeline files through the CLI, in a scratch folder)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from media_support import make_clip, probe, stream_of
from streamlib.cli import main

pytest.importorskip("av", reason="the media tests need PyAV (pip install 'streamlib[media]')")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_camera_audio_recorder_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLES / "camera-audio-recorder.yaml", tmp_path)
    monkeypatch.chdir(tmp_path)
    status = main(["run", "camera-audio-recorder.yaml", "--duration", "1.5", "--quiet"])
    assert status == 0
    streams = probe(tmp_path / "recording.mp4")
    video = stream_of(streams, "video")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 1280, 720)
    assert stream_of(streams, "audio")["codec_name"] == "aac"


def test_transcode_example_ends_by_itself_with_every_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLES / "transcode.yaml", tmp_path)
    make_clip(tmp_path / "input.mp4", seconds=1.0, size="320x180")
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    # --duration only bounds a broken run; the file's end finishes this one.
    command = ["run", "transcode.yaml", "--duration", "60", "--quiet", "--stats-json", "s.json"]
    assert main(command) == 0
    assert time.monotonic() - started < 30
    stats = json.loads((tmp_path / "s.json").read_text())
    assert all(processor["ended"] for processor in stats["processors"].values())
    assert stats["processors"]["source"]["progress"]["percent"] == 100.0
    streams = probe(tmp_path / "output.mp4")
    video = stream_of(streams, "video")
    assert (video["width"], video["height"], int(video["nb_read_frames"])) == (1280, 720, 30)
    assert stream_of(streams, "audio")["codec_name"] == "aac"


def test_transcode_python_example_ends_by_itself(tmp_path: Path) -> None:
    make_clip(tmp_path / "input.mp4", seconds=1.0, size="320x180")
    script = EXAMPLES / "transcode.py"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "input.mp4",
            "output.mp4",
            "--width",
            "160",
            "--height",
            "90",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ended:")
    video = stream_of(probe(tmp_path / "output.mp4"), "video")
    assert (video["width"], video["height"], int(video["nb_read_frames"])) == (160, 90, 30)
