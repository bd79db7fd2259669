"""``streamlib run`` on jobs that end: exit status, every frame kept, what it says on stderr."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import streamlib as sl
from media_support import make_clip, probe, stream_of
from streamlib.cli import main
from streamlib.cli._file_job_drops import FileJobDrops
from streamlib.cli._logging import configure_logging

pytest.importorskip("av", reason="the media tests need PyAV (pip install 'streamlib[media]')")

TRANSCODE = """\
processors:
  clip: {{type: MediaFile, config: {{path: "{source}", realtime: {realtime}}}}}
  fx: {{type: Brightness, config: {{offset: 20}}}}
  rec: {{type: Mp4Writer, config: {{path: "{target}", preset: ultrafast}}}}
connections:
  - clip.video -> fx.video_in
  - fx.video_out -> rec.video
  - clip.audio -> rec.audio
"""


@pytest.fixture(scope="module")
def ten_seconds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    return make_clip(folder / "in.mp4", seconds=10.0, size="160x120", audio=True)


def _job(tmp_path: Path, source: Path, *, realtime: bool = False) -> tuple[Path, Path]:
    target = tmp_path / "out.mp4"
    job = tmp_path / "job.yaml"
    job.write_text(TRANSCODE.format(source=source, target=target, realtime=str(realtime).lower()))
    return job, target


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "no-fuse"])
def test_a_file_job_ends_by_itself_with_every_frame(
    ten_seconds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fuse: bool
) -> None:
    job, target = _job(tmp_path, ten_seconds)
    status = main(["run", str(job), *([] if fuse else ["--no-fuse"])])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "the pipeline ended after" in err
    assert "rec: finalized" in err
    source, output = probe(ten_seconds), probe(target)
    for kind in ("video", "audio"):
        assert (
            stream_of(output, kind)["nb_read_frames"] == stream_of(source, kind)["nb_read_frames"]
        )
    assert stream_of(output, "video")["nb_read_frames"] == "300"


def test_a_run_cut_by_duration_says_so(
    ten_seconds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job, _ = _job(tmp_path, ten_seconds, realtime=True)
    assert main(["run", str(job), "--duration", "0.5"]) == 0
    err = capsys.readouterr().err
    assert "stopped after --duration 0.5 s before the pipeline ended (clip " in err
    assert "%" in err


def test_a_pipe_gets_a_progress_line_with_speed_and_time_left(tmp_path: Path) -> None:
    job = tmp_path / "paced.yaml"
    job.write_text(
        "processors:\n"
        "  src: {type: TestPattern, config: {width: 32, height: 32, fps: 30, frames: 60}}\n"
        "  sink: {type: NullSink}\n"
        "connections:\n  - src.video -> sink.video\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "streamlib", "run", str(job)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert progress, done.stderr
    assert "src " in progress[0]
    assert "x real time" in progress[0]
    assert "left)" in progress[0]
    assert "the pipeline ended" in done.stderr


def test_a_busy_port_fails_the_run_with_one_clear_line(tmp_path: Path) -> None:
    pytest.importorskip(
        "aiortc", reason="WhepServer needs aiortc (pip install 'streamlib[webrtc]')"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        job = tmp_path / "web.yaml"
        job.write_text(
            "processors:\n"
            "  src: {type: TestPattern, config: {width: 32, height: 32, fps: 10}}\n"
            f"  web: {{type: WhepServer, config: {{port: {port}}}}}\n"
            "connections:\n  - src.video -> web.video\n"
        )
        done = subprocess.run(
            [sys.executable, "-m", "streamlib", "run", str(job), "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    failed = [line for line in done.stderr.splitlines() if "run failed" in line]
    assert len(failed) == 1, done.stderr
    assert "web (failed)" in failed[0]
    assert str(port) in failed[0]
    # Five attempts, one line each; the message says what to do, so no traceback (-vv shows it).
    assert done.stderr.count("raised in setup") == 5
    assert "Traceback" not in done.stderr


def test_file_job_drops_are_warnings(tmp_path: Path) -> None:
    from test_end_of_stream import Fifo, Unpaced

    rt = sl.Runtime(fuse=False)
    src = rt.add(Unpaced, id="src", frames=400)
    slow = rt.add(Fifo, id="slow")
    rt.connect(src.data, slow.data, profile="fifo", capacity=1)  # said explicitly: may drop
    watch = FileJobDrops(rt)
    assert rt.run(duration_s=60) is sl.RunOutcome.ENDED
    warnings = watch.new_drops(rt.statistics())
    assert len(warnings) == 1
    assert "src.data -> slow.data dropped" in warnings[0]
    assert "in a file job" in warnings[0]
    assert watch.new_drops(rt.statistics()) == []  # said once per new drop
    rt.close()


@pytest.mark.parametrize(
    ("options", "env", "level"),
    [
        ({}, None, logging.WARNING),
        ({"verbose": 1}, None, logging.INFO),
        ({"verbose": 2}, None, logging.DEBUG),
        ({"log_level": "error"}, "debug", logging.ERROR),
        ({}, "info", logging.INFO),
    ],
)
def test_log_level_from_options_and_environment(
    options: dict[str, object], env: str | None, level: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv("STREAMLIB_LOG", raising=False)
    else:
        monkeypatch.setenv("STREAMLIB_LOG", env)
    args = argparse.Namespace(**{"verbose": 0, "log_level": None, **options})
    assert configure_logging(args) == level
    assert logging.getLogger("streamlib").level == level
    logging.getLogger("streamlib").setLevel(logging.NOTSET)


def test_an_unknown_streamlib_log_is_said_and_ignored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STREAMLIB_LOG", "chatty")
    assert configure_logging(argparse.Namespace(verbose=0, log_level=None)) == logging.WARNING
    assert "ignoring STREAMLIB_LOG='chatty'" in capsys.readouterr().err
    logging.getLogger("streamlib").setLevel(logging.NOTSET)
    assert os.environ["STREAMLIB_LOG"] == "chatty"


def test_a_terminal_gets_a_live_progress_bar_and_table(tmp_path: Path) -> None:
    import pty

    job = tmp_path / "paced.yaml"
    job.write_text(
        "processors:\n"
        "  src: {type: TestPattern, config: {width: 32, height: 32, fps: 30, frames: 75}}\n"
        "  sink: {type: NullSink}\n"
        "connections:\n  - src.video -> sink.video\n"
    )
    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "streamlib", "run", str(job)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        assert child.wait(timeout=60) == 0
    finally:
        os.close(leader)
    text = shown.decode(errors="replace")
    assert "real time" in text  # the bar's speed
    assert "p99 ms" in text  # the live table
    assert "the pipeline ended" in text


def test_a_forced_exit_is_one_line_and_status_130(tmp_path: Path) -> None:
    import signal

    plugin = tmp_path / "slow_finish.py"
    plugin.write_text(
        "import time\n"
        "import streamlib as sl\n\n\n"
        "class SlowFinish(sl.Processor):\n"
        "    video = sl.Input(sl.VideoFrame)\n\n"
        "    def setup(self, ctx):\n"
        "        super().setup(ctx)\n"
        "        # said from run()'s own loop: its signal handlers are in place by then\n"
        "        ctx.run_on_main_async(lambda: print('running', flush=True))\n\n"
        "    def process(self):\n"
        "        self.video.read_all()\n\n"
        "    def teardown(self):\n"
        "        print('finalizing', flush=True)\n"
        "        time.sleep(30)\n"
    )
    job = tmp_path / "job.yaml"
    job.write_text(
        "processors:\n"
        "  src: {type: TestPattern, config: {width: 32, height: 32, fps: 30}}\n"
        "  sink: {type: SlowFinish}\n"
        "connections:\n  - src.video -> sink.video\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "streamlib", "run", str(job), "--plugin", str(plugin), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    assert child.stdout.readline().strip() == "running"
    child.send_signal(signal.SIGINT)
    assert child.stdout.readline().strip() == "finalizing"
    child.send_signal(signal.SIGINT)
    assert "again to force" in child.stderr.readline()
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130
    assert "forcing exit" in err
    assert "Traceback" not in err
