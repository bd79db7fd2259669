"""The GPU examples: their pipeline files load, and the news-cast records and shows."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

import streamlib as sl
from gpu_support import require_gpu, x_server
from runtime_support import wait_until

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize(("name", "count"), [("camera-display.yaml", 3), ("news-cast.yaml", 11)])
def test_pipeline_files_load(name: str, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)  # paths in the files are relative to the repository
    with sl.Runtime.from_file(EXAMPLES / name) as rt:
        assert len(rt.graph.processors()) == count


def test_news_cast_records_and_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_gpu()
    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe is not installed (apt-get install ffmpeg)")
    monkeypatch.setenv("DISPLAY", x_server().display)
    spec = importlib.util.spec_from_file_location("news_cast", EXAMPLES / "news_cast.py")
    assert spec is not None
    assert spec.loader is not None
    news_cast = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(news_cast)
    path = tmp_path / "news.mp4"
    with sl.Runtime() as rt:
        news_cast.build(rt, str(path))
        display = rt.processor("display")

        def stop_after_frames() -> None:
            wait_until(lambda: getattr(display, "frames_shown", 0) >= 10, timeout=60)
            rt.request_stop()

        watcher = threading.Thread(target=stop_after_frames, daemon=True)
        watcher.start()
        rt.run(duration_s=60)
        watcher.join(10)
        errors = {pid: p.last_error for pid, p in rt.statistics().processors.items() if p.errors}
    assert not errors
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height",
         "-of", "json", str(path)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    streams = json.loads(probe.stdout)["streams"]
    kinds = {s["codec_type"] for s in streams}
    assert kinds == {"video", "audio"}
    video = next(s for s in streams if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1280, 720)
