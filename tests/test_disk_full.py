"""A recording on a disk that fills up: the error surfaces at once, what was written stays
playable (fragmented) or is declared lost (plain), a restart never destroys it, and
``streamlib run`` exits non-zero.

The disk is a real tmpfs of a few hundred KiB mounted for each test (root only:
elsewhere these tests skip), filled by the test with a filler file while the
recorder runs, so the disk fills at a moment the test knows.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import streamlib as sl
from media_support import FFPROBE, probe, runtime, stream_of, yuv_frames
from runtime_support import wait_until
from streamlib.cli import main
from streamlib.core import Event, ProcessorErrored
from streamlib.processors import Mp4Writer, TestPattern

pytest.importorskip("av", reason="the media tests need PyAV (pip install 'streamlib[media]')")

DISK_KIB = 512


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of ``DISK_KIB`` KiB, unmounted whatever the test did."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; run as root (or in CI) to test a full disk")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_KIB}k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        unmounted = subprocess.run(["umount", str(disk)], capture_output=True, check=False)
        if unmounted.returncode != 0:  # something still holds a file: detach it anyway
            subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> float:
    """Write a filler file until the disk is full; returns when it became full (monotonic s)."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    chunk = b"\xff" * 4096
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                return time.monotonic()
    finally:
        os.close(fd)


class ErrorsOf:
    """Collects the ``ProcessorErrored`` events of one processor, with their arrival time."""

    def __init__(self, rt: sl.Runtime, ref: sl.ProcessorRef) -> None:
        self._id = str(ref)
        self.events: list[tuple[float, ProcessorErrored]] = []
        self.arrived = threading.Event()
        self._subscription = rt.events.subscribe("*", self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ProcessorErrored) and str(event.processor_id) == self._id:
            self.events.append((time.monotonic(), event))
            self.arrived.set()

    def first(self, timeout: float = 10.0) -> tuple[float, ProcessorErrored]:
        assert self.arrived.wait(timeout), f"no error event from {self._id} in {timeout} s"
        return self.events[0]


def ffprobe_complaints(path: Path) -> str:
    """What ffprobe says is wrong while counting every frame (empty for a clean file)."""
    assert FFPROBE is not None
    result = subprocess.run(
        [FFPROBE, "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stderr.strip()


@pytest.mark.parametrize("fragmented", [True, False], ids=["fragmented", "plain"])
def test_a_full_disk_fails_the_recorder_at_once(small_disk: Path, fragmented: bool) -> None:
    path = small_disk / "out.mp4"
    with runtime() as rt:
        # A low rate (a few KiB/s): FFmpeg's own 32 KiB buffer would hide the failure for seconds.
        video = rt.add(TestPattern, width=320, height=240, fps=30)
        rec = rt.add(
            Mp4Writer,
            path=str(path),
            fragmented=fragmented,
            fragment_s=0.25,
            keyframe_interval=8,
            preset="ultrafast",
            tune="zerolatency",
        )
        rt.connect(video.port("video"), rec.port("video"))
        errors = ErrorsOf(rt, rec)
        rt.start()
        wait_until(lambda: path.exists() and path.stat().st_size > 2_000, what="recording")
        full_at = fill(small_disk)
        arrived, event = errors.first()
        assert arrived - full_at < 1.0, f"the error came {arrived - full_at:.2f} s after"
        assert event.phase == "process"
        assert event.action == "stop"
        message = event.message
        assert str(path) in message
        assert "No space left on device (ENOSPC)" in message
        assert "free space" in message  # what to do
        # The event is published before the recorder is torn down (it stops: no retrying).
        wait_until(lambda: rt.statistics().processors[str(rec)].state == "failed", what="failed")
        assert rt.statistics().processors[str(rec)].errors == 1
        rt.stop()
        assert len(errors.events) == 1, [e.message for _, e in errors.events]  # no spin
    if fragmented:
        assert "kept" in message
        assert ffprobe_complaints(path) == ""  # whole fragments only: no partial one at the end
        assert int(stream_of(probe(path), "video")["nb_read_frames"]) >= 1
    else:
        assert "lost" in message
        assert "fragmented: true" in message
        assert "moov atom not found" in ffprobe_complaints(path)


def test_a_restart_after_a_full_disk_keeps_the_partial_file(small_disk: Path) -> None:
    path = small_disk / "take.mp4"
    with runtime() as rt:
        video = rt.add(TestPattern, width=320, height=240, fps=30)
        rec = rt.add(
            Mp4Writer,
            path=str(path),
            overwrite=True,  # even so: never the file it recorded itself
            fragmented=True,
            fragment_s=0.25,
            keyframe_interval=8,
            preset="ultrafast",
        )
        rt.connect(video.port("video"), rec.port("video"))
        errors = ErrorsOf(rt, rec)
        rt.start()
        wait_until(lambda: path.exists() and path.stat().st_size > 2_000, what="recording")
        fill(small_disk)
        errors.first()
        rt.stop()
        kept = path.read_bytes()
        (small_disk / "filler").unlink()  # space again
        rt.start()  # the recorder runs again: it continues in a new numbered file
        second = small_disk / "take-2.mp4"
        wait_until(lambda: second.exists() and second.stat().st_size > 2_000, what=str(second))
        assert rec.processor.recording_path == str(second)
        rt.stop()
    assert path.read_bytes() == kept
    assert int(stream_of(probe(path), "video")["nb_read_frames"]) >= 1
    assert int(stream_of(probe(second), "video")["nb_read_frames"]) >= 1


def test_a_plain_mp4_that_cannot_be_finished_says_it_is_lost(small_disk: Path) -> None:
    """The disk fills between the last packet and the index (moov): finishing fails, loudly."""
    from streamlib import StorageError
    from streamlib.media import MediaWriter
    from streamlib.media.codecs import VideoEncoderSession, VideoEncoderSettings, video_codec

    path = small_disk / "plain.mp4"
    writer = MediaWriter(path, container="mp4", overwrite=False)
    codec = video_codec("h264")
    index, context = writer.add_encoder(codec.require_encoder(), "video")
    settings = VideoEncoderSettings(
        width=64, height=48, fps=30, preset="ultrafast", tune="zerolatency"
    )
    encoder = VideoEncoderSession(codec, settings, origin_ns=0, context=context)
    writer.start(origin_ns=0)
    for frame in yuv_frames(40):
        for packet in encoder.encode(frame):
            writer.write(index, packet)
    for packet in encoder.flush():
        writer.write(index, packet)
    written = path.stat().st_size
    assert written > 0  # every packet is on disk already: only the index is missing
    fill(small_disk)
    with pytest.raises(StorageError, match=r"ENOSPC\); the recording is lost") as caught:
        writer.close()
    assert "fragmented: true" in str(caught.value)
    writer.close()  # once is enough
    assert "moov atom not found" in ffprobe_complaints(path)


def test_streamlib_run_exits_non_zero_with_one_line(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline = tmp_path / "record.yaml"
    target = small_disk / "cli.mp4"
    pipeline.write_text(
        "processors:\n"
        "  src: {type: TestPattern, config: {width: 320, height: 240, fps: 30}}\n"
        f"  rec: {{type: Mp4Writer, config: {{path: {target}, preset: ultrafast}}}}\n"
        "connections:\n"
        "  - src.video -> rec.video\n"
    )
    stats_path = tmp_path / "stats.json"
    fill(small_disk)
    status = main(
        ["run", str(pipeline), "--duration", "2", "--quiet", "--stats-json", str(stats_path)]
    )
    assert status == 1
    lines = capsys.readouterr().err.splitlines()
    summary = [line for line in lines if line.startswith("streamlib: run failed:")]
    assert len(summary) == 1, lines
    assert "rec" in summary[0]
    assert "No space left on device" in summary[0]
    stats = json.loads(stats_path.read_text())
    assert stats["processors"]["rec"]["errors"] >= 1
    assert stats["processors"]["rec"]["state"] == "failed"
