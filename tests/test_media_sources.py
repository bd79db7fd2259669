"""MediaFile, FFmpegSource and Camera, run by a real runtime on FFmpeg-made input."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import numpy as np
import pytest

import streamlib as sl
from media_support import make_clip, runtime
from runtime_support import EventLog, wait_until
from streamlib.cli import main
from streamlib.core import ProcessorErrored, RestartBackoff
from streamlib.processors import Camera, Collector, FFmpegSource, MediaFile, NullSink, TestPattern
from streamlib.testing import FakeCamera, fake_cameras, run_processor

pytest.importorskip("av", reason="the media tests need PyAV (pip install 'streamlib[media]')")


def collector(rt: sl.Runtime, source: sl.ProcessorRef, *ports: str) -> Collector:
    sink = rt.add(Collector, id=f"got_{source}")
    for port in ports:
        rt.connect(source.port(port), sink.port(port), profile="lossless")
    got = rt.processor(str(sink))
    assert isinstance(got, Collector)
    return got


def has_ended(rt: sl.Runtime, source: sl.ProcessorRef) -> bool:
    return rt.statistics().processors[str(source)].ended


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=1.0)


# -- MediaFile ------------------------------------------------------------------------------


def test_media_file_decodes_every_frame_aligned(clip: Path) -> None:
    with runtime() as rt:
        src = rt.add(MediaFile, path=str(clip), realtime=False, pixel_format="yuv420p")
        got = collector(rt, src, "video", "audio")
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED  # it ends by itself
        video, audio = got.received("video"), got.received("audio")
    assert len(video) == 30
    first = video[0]
    assert isinstance(first, sl.VideoFrame)
    assert (first.width, first.height, first.pixel_format) == (160, 120, sl.PixelFormat.YUV420P)
    assert [f.frame_number for f in video] == list(range(30))
    stamps = [f.timestamp_ns for f in video]
    steps = {b - a for a, b in itertools.pairwise(stamps)}
    assert all(abs(step - 33_333_333) < 1_000_000 for step in steps)
    samples = sum(block.samples for block in audio)  # type: ignore[attr-defined]
    assert abs(samples - 48_000) <= 1024
    assert abs(audio[0].timestamp_ns - video[0].timestamp_ns) < 1_000_000  # aligned as in the file


def test_media_file_paces_in_real_time(clip: Path) -> None:
    with runtime() as rt:
        src = rt.add(MediaFile, path=str(clip), audio_enabled=False)
        got = collector(rt, src, "video")
        started = time.monotonic()
        rt.start()
        got.wait_for(30, port="video")
        elapsed = time.monotonic() - started
        rt.stop()
    # Frame 29 is due 29/30 s after the first: it never comes early.
    assert elapsed >= 0.9
    arrivals = list(got.arrivals_ns["video"])
    assert (arrivals[-1] - arrivals[0]) / 1e9 >= 0.9


def test_media_file_loops_with_rising_timestamps(clip: Path) -> None:
    with runtime() as rt:
        src = rt.add(MediaFile, path=str(clip), realtime=False, loop=True, audio_enabled=False)
        got = collector(rt, src, "video")
        rt.start()
        frames = got.wait_for(75, port="video")
        rt.stop()
    stamps = [f.timestamp_ns for f in frames[:75]]
    assert all(b > a for a, b in itertools.pairwise(stamps))
    # The second pass starts one frame after the first pass's last frame.
    assert abs((stamps[30] - stamps[29]) - 33_333_333) < 1_000_000


def test_corrupt_file_gives_error_events_and_the_runtime_keeps_running(
    clip: Path, tmp_path: Path
) -> None:
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 800] = bytes((i * 7 + 13) % 256 for i in range(800))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data)
    with runtime(backoff=RestartBackoff(initial_s=0.01, max_s=0.05)) as rt:
        src = rt.add(MediaFile, path=str(broken), realtime=False, pixel_format="gray8")
        got = collector(rt, src, "video")
        pattern = rt.add(TestPattern, width=32, height=16, fps=100)
        other = rt.add(NullSink)
        rt.connect(pattern.port("video"), other.port("video"))
        log = EventLog(rt.events)
        rt.start()
        # Each bad packet costs a restart (backoff, then the worker's idle wait).
        wait_until(lambda: has_ended(rt, src), timeout=40, what="the end of the broken clip")
        errors = [e for e in log.of(ProcessorErrored) if e.processor_id == str(src)]
        sink = rt.processor(str(other))
        assert isinstance(sink, NullSink)
        before = sink.counts["video"]
        wait_until(lambda: sink.counts["video"] > before + 3, what="the other branch")
        assert rt.state.value == "running"
        rt.stop()
    assert errors, "the corrupt packets raised no error event"
    assert all(e.error_type == "CodecError" and e.phase == "process" for e in errors)
    assert "corrupt" in errors[0].message
    assert "s (byte" in errors[0].message  # where in the file
    frames = got.received("video")
    numbers = [f.timestamp_ns for f in frames]
    assert numbers == sorted(set(numbers))  # resumed after the bad packets, no repeats
    assert 10 < len(frames) <= 30


def test_truncated_file_is_an_error_event(clip: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with runtime(backoff=RestartBackoff(initial_s=0.01, max_s=0.05)) as rt:
        src = rt.add(MediaFile, path=str(truncated), realtime=False)
        rt.add(NullSink, id="sink")
        rt.connect(src.port("video"), "sink.video")
        log = EventLog(rt.events)
        rt.start()
        wait_until(lambda: bool(log.of(ProcessorErrored)), what="an error event")
        assert rt.state.value == "running"
        rt.stop()
    error = log.of(ProcessorErrored)[0]
    assert error.error_type == "CodecError"
    assert "truncated.mp4" in error.message


def test_media_file_reads_over_http(clip: Path) -> None:
    """A URL instead of a path: FFmpeg's HTTP client against a server on loopback."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt: str, *args: object) -> None:
            """Keep the test output clean."""

    handler = functools.partial(Quiet, directory=str(clip.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{clip.name}"
        with runtime() as rt:
            src = rt.add(MediaFile, path=url, realtime=False, audio_enabled=False)
            got = collector(rt, src, "video")
            rt.start()
            frames = got.wait_for(30, port="video")
            rt.stop()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert len(frames) == 30


def test_missing_file_is_a_config_error() -> None:
    with pytest.raises(sl.ConfigError, match="no file at"):
        MediaFile(path="/nonexistent/clip.mp4")


# -- FFmpegSource ---------------------------------------------------------------------------


def test_ffmpeg_source_makes_video_and_audio() -> None:
    with runtime() as rt:
        src = rt.add(
            FFmpegSource,
            video_graph="testsrc2=size=96x64:rate=25:duration=0.4",
            audio_graph="sine=frequency=1000:sample_rate=16000:duration=0.4",
            realtime=False,
        )
        got = collector(rt, src, "video", "audio")
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
    video, audio = got.received("video"), got.received("audio")
    assert len(video) == 10
    assert isinstance(video[0], sl.VideoFrame)
    assert (video[0].width, video[0].height) == (96, 64)
    blocks = np.concatenate([b.to_ndarray() for b in audio])  # type: ignore[attr-defined]
    assert blocks.shape == (6400, 1)
    assert abs(np.abs(blocks).max() - 0.125) < 0.01  # sine's default amplitude is 1/8
    starts = [b.timestamp_ns for b in audio]
    assert starts == sorted(starts)


def test_ffmpeg_source_needs_a_graph() -> None:
    with pytest.raises(sl.ConfigError, match="video_graph, audio_graph or both"):
        FFmpegSource(video_graph=None)
    with pytest.raises(sl.ConfigError, match="one source chain"):
        FFmpegSource(video_graph="testsrc2[out0];sine[out1]")


def test_ffmpeg_source_bad_graph_is_an_error_event() -> None:
    with runtime(backoff=RestartBackoff(initial_s=0.01, max_s=0.05)) as rt:
        rt.add(FFmpegSource, id="src", video_graph="nosuchfilter=size=8x8")
        log = EventLog(rt.events)
        rt.start()
        wait_until(lambda: bool(log.of(ProcessorErrored)), what="an error event")
        rt.stop()
    assert log.of(ProcessorErrored)[0].phase == "setup"


# -- Camera -----------------------------------------------------------------------------------


def test_missing_camera_names_the_devices_that_exist() -> None:
    from streamlib.media import list_cameras

    with pytest.raises(sl.DeviceError, match=r"'/dev/video97' does not exist") as info:
        run_processor(Camera, {"device": "/dev/video97"}, calls=1)
    if not list_cameras():
        assert "no camera was found" in str(info.value)


def test_camera_falls_back_to_a_test_picture() -> None:
    with runtime() as rt:
        cam = rt.add(
            Camera, device="/dev/video97", width=64, height=48, fps=50, fallback="test_pattern"
        )
        got = collector(rt, cam, "video")
        rt.start()
        frames = got.wait_for(5, port="video")
        rt.stop()
    assert all(f.metadata.get("fallback") is True for f in frames)
    first = frames[0]
    assert isinstance(first, sl.VideoFrame)
    assert (first.width, first.height) == (64, 48)


def test_camera_captures_a_fake_camera_in_order_at_the_size_asked() -> None:
    """Camera's own code (open by name, loop reads, swscale, stamps) on a fake device."""
    camera = FakeCamera("/dev/video0", width=32, height=24)
    with fake_cameras(camera, speed=4.0) as fake, runtime() as rt:
        cam = rt.add(Camera, device="/dev/video0", width=64, height=48, fps=100)
        got = collector(rt, cam, "video")
        rt.start()
        frames = got.wait_for(6, port="video")
        rt.stop()
    assert fake.camera.opened == 1
    assert fake.camera.closed == 1
    pictures = [f for f in frames if isinstance(f, sl.VideoFrame)]
    assert [(f.width, f.height, f.pixel_format.value) for f in pictures[:1]] == [
        (64, 48, "rgb24")  # scaled from the camera's own 32x24
    ]
    assert [int(f.to_ndarray()[0, 0, 0]) for f in pictures[:6]] == [0, 1, 2, 3, 4, 5]
    assert [f.frame_number for f in pictures[:6]] == [0, 1, 2, 3, 4, 5]
    stamps = [f.timestamp_ns for f in pictures]
    assert stamps == sorted(stamps)
    assert not any(f.metadata.get("fallback") for f in pictures)


def test_a_fake_camera_that_stops_sending_fails_the_camera() -> None:
    with fake_cameras(FakeCamera("/dev/video0", frames=3)) as fake, runtime() as rt:
        log = EventLog(rt.events)
        cam = rt.add(Camera, device="/dev/video0", width=32, height=24, error_policy="stop")
        got = collector(rt, cam, "video")
        rt.start()
        got.wait_for(3, port="video")
        wait_until(lambda: log.of(ProcessorErrored), what="the camera to fail")
        rt.stop()
    (error,) = log.of(ProcessorErrored)
    assert "stopped sending" in error.message
    assert fake.camera.pictures_sent == 3


def test_a_missing_or_busy_fake_camera_is_a_device_error_naming_the_cameras() -> None:
    with fake_cameras(FakeCamera("/dev/video0"), FakeCamera("/dev/video1", busy=True)):
        with pytest.raises(sl.DeviceError, match=r"'/dev/video7' does not exist.*/dev/video1"):
            run_processor(Camera, {"device": "/dev/video7"}, calls=1)
        with pytest.raises(sl.DeviceError, match=r"'/dev/video1' is busy"):
            run_processor(Camera, {"device": "/dev/video1"}, calls=1)


def test_real_camera_captures() -> None:
    from streamlib.media import list_cameras

    cameras = list_cameras()
    if not cameras:
        pytest.skip("no camera on this machine (v4l2 lists no /dev/video* device)")
    with runtime() as rt:
        cam = rt.add(Camera, device=cameras[0].name)
        got = collector(rt, cam, "video")
        rt.start()
        frames = got.wait_for(3, port="video")
        rt.stop()
    assert frames


def test_devices_command_says_when_there_is_no_camera(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cameras (")
    if not any(name.startswith("video") for name in os.listdir("/dev")):
        assert "none found" in out


def test_a_file_nobody_reads_yet_keeps_its_pace_so_a_later_watcher_gets_frames_now(
    tmp_path: Path,
) -> None:
    """In real time a file plays at its pace even while nothing reads an output: a tap
    or snapshot that starts watching later gets the frames due now, not ones stamped
    minutes ahead because decoding raced on unread."""
    from streamlib.core import OutputWatcher

    clip = make_clip(tmp_path / "short.mp4", seconds=0.5, size="64x48", audio=False)
    with sl.Runtime() as rt:
        rt.add(MediaFile, id="clip", path=str(clip), audio_enabled=False, loop=True)
        rt.start()
        time.sleep(1.0)  # two passes of the file with no reader
        watcher = OutputWatcher.every_frame(4)
        rt.processor("clip").outputs["video"].watch(watcher)
        frames = watcher.take(2.0)
        assert frames, "no frame within 2 s of watching"
        lag_s = (frames[-1].timestamp_ns - rt.clock.now_ns()) / 1e9
        assert lag_s < 0.5  # due now, not passes ahead
        assert rt.statistics().processors["clip"].calls < 2000  # paced, not spinning
