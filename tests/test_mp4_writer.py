"""Mp4Writer, checked with ffprobe: codecs, sizes, frame counts, durations, A/V alignment,
finalizing on stop, SIGINT and kill -9, and the errors it gives before anything runs."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import streamlib as sl
from media_support import decoded_frame_count, make_clip, probe, runtime, stream_of, yuv_frames
from runtime_support import EventLog, wait_until
from streamlib import StorageError
from streamlib.core import CustomEvent, ProcessorErrored
from streamlib.media import MediaWriter
from streamlib.media._output_file import OutputFile, complete_mp4_length
from streamlib.processors import (
    AudioEncoder,
    FFmpegSource,
    MediaFile,
    Mp4Writer,
    TestPattern,
    ToneSource,
    VideoConvert,
    VideoEncoder,
)

pytest.importorskip("av", reason="the media tests need PyAV (pip install 'streamlib[media]')")

FAST = {"preset": "ultrafast", "tune": "zerolatency"}


def frames_out(rt: sl.Runtime, ref: sl.ProcessorRef) -> int:
    return rt.statistics().processors[str(ref)].frames_out


def close_to(value: str | float, expected: float, tolerance: float) -> bool:
    return abs(float(value) - expected) <= tolerance


# -- raw input: it encodes ----------------------------------------------------------------


def test_records_h264_and_aac_aligned(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with runtime() as rt:
        video = rt.add(TestPattern, width=160, height=96, fps=30)
        audio = rt.add(ToneSource, block_size=480)
        rec = rt.add(Mp4Writer, path=str(path), **FAST)
        rt.connect(video.port("video"), rec.port("video"))
        rt.connect(audio.port("audio"), rec.port("audio"))
        rt.run(duration_s=1.5)
        pictures, blocks = frames_out(rt, video), frames_out(rt, audio)
        assert rt.statistics().processors[str(rec)].errors == 0
    streams = probe(path)
    v, a = stream_of(streams, "video"), stream_of(streams, "audio")
    assert (v["codec_name"], v["width"], v["height"], v["pix_fmt"]) == ("h264", 160, 96, "yuv420p")
    assert (a["codec_name"], a["sample_rate"], a["channels"]) == ("aac", "48000", 2)
    assert int(v["nb_read_frames"]) == pictures  # lossless input: every picture recorded
    assert close_to(a["duration"], blocks * 480 / 48_000, 0.03)
    # Both streams start at the first frame; the recording lasts as long as the run.
    assert close_to(v["start_time"], 0.0, 1 / 30)
    assert close_to(a["start_time"], 0.0, 1 / 30)
    assert close_to(v["duration"], pictures / 30, 2 / 30)
    assert decoded_frame_count(path) == pictures


def test_video_only_and_audio_only(tmp_path: Path) -> None:
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=50)
        audio = rt.add(ToneSource)
        only_video = rt.add(Mp4Writer, path=str(tmp_path / "v.mp4"), **FAST)
        only_audio = rt.add(Mp4Writer, path=str(tmp_path / "a.m4v"))
        rt.connect(video.port("video"), only_video.port("video"))
        rt.connect(audio.port("audio"), only_audio.port("audio"))
        rt.run(duration_s=0.6)
    assert [s["codec_type"] for s in probe(tmp_path / "v.mp4")] == ["video"]
    assert [s["codec_type"] for s in probe(tmp_path / "a.m4v")] == ["audio"]


class LateStart(sl.Processor):
    """Passes audio on only after ``delay_s``: a source that joins the recording late."""

    class Config(sl.ProcessorConfig):
        delay_s: float = 0.5

    audio_in = sl.Input(sl.AudioFrame)
    audio_out = sl.Output(sl.AudioFrame)

    def setup(self, ctx: sl.ProcessorContext) -> None:
        super().setup(ctx)
        self._open_at = time.monotonic() + self.config.delay_s

    def process(self) -> None:
        for block in self.audio_in.read_all():
            if time.monotonic() >= self._open_at:
                self.audio_out.write(block)


def test_an_input_that_starts_late_starts_late_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "late.mp4"
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=30)
        audio = rt.add(ToneSource)
        gate = rt.add(LateStart, delay_s=0.5)
        rec = rt.add(Mp4Writer, path=str(path), wait_for_inputs_s=5.0, **FAST)
        rt.connect(video.port("video"), rec.port("video"))
        rt.connect(audio.port("audio"), gate.port("audio_in"))
        rt.connect(gate.port("audio_out"), rec.port("audio"))
        rt.run(duration_s=1.5)
    streams = probe(path)
    v, a = stream_of(streams, "video"), stream_of(streams, "audio")
    # The video's first frame is the recording's start; audio begins ~0.5 s in.
    assert close_to(v["start_time"], 0.0, 1 / 30)
    assert 0.35 < float(a["start_time"]) < 0.8
    assert close_to(float(a["start_time"]) + float(a["duration"]), float(v["duration"]), 0.1)


def test_input_connected_after_the_start_is_reported_not_recorded(tmp_path: Path) -> None:
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=30)
        rec = rt.add(Mp4Writer, path=str(tmp_path / "o.mp4"), wait_for_inputs_s=0.0, **FAST)
        rt.connect(video.port("video"), rec.port("video"))
        log = EventLog(rt.events)
        rt.start()
        writer = rt.processor(str(rec))
        assert isinstance(writer, Mp4Writer)
        wait_until(lambda: writer.recording, what="the recording to start")
        audio = rt.add(ToneSource)
        rt.connect(audio.port("audio"), rec.port("audio"))
        wait_until(lambda: writer.frames_ignored > 0, what="late audio")
        rt.stop()
    ignored = [e for e in log.of(CustomEvent) if e.name == "input_ignored"]
    assert ignored
    assert ignored[0].payload["input"] == "audio"
    assert [s["codec_type"] for s in probe(tmp_path / "o.mp4")] == ["video"]


@pytest.mark.parametrize(
    ("name", "video_codec", "audio_codec"),
    [("out.mkv", "h264", "aac"), ("out.webm", "vp9", "opus"), ("out.mov", "h264", "aac")],
)
def test_other_containers(tmp_path: Path, name: str, video_codec: str, audio_codec: str) -> None:
    path = tmp_path / name
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=30)
        audio = rt.add(ToneSource)
        config = {"tune": "zerolatency"} if video_codec == "vp9" else FAST
        rec = rt.add(Mp4Writer, path=str(path), **config)
        rt.connect(video.port("video"), rec.port("video"))
        rt.connect(audio.port("audio"), rec.port("audio"))
        rt.run(duration_s=0.6)
        pictures = frames_out(rt, video)
    streams = probe(path)
    assert stream_of(streams, "video")["codec_name"] == video_codec
    assert stream_of(streams, "audio")["codec_name"] == audio_codec
    assert int(stream_of(streams, "video")["nb_read_frames"]) == pictures


# -- encoded input: it muxes -------------------------------------------------------------------


def test_muxes_encoded_packets_without_reencoding(tmp_path: Path) -> None:
    path = tmp_path / "packets.mp4"
    with runtime() as rt:
        src = rt.add(
            FFmpegSource,
            video_graph="testsrc2=size=128x96:rate=30:duration=1",
            audio_graph="sine=frequency=440:sample_rate=48000:duration=1",
            pixel_format="yuv420p",
            realtime=False,
        )
        venc = rt.add(VideoEncoder, keyframe_interval=15, profile="baseline", **FAST)
        aenc = rt.add(AudioEncoder, codec="aac")
        rec = rt.add(Mp4Writer, path=str(path), fragmented=True)
        rt.connect(src.port("video"), venc.port("video"), profile="lossless")
        rt.connect(src.port("audio"), aenc.port("audio"), profile="lossless")
        rt.connect(venc.port("packets"), rec.port("video_packets"))
        rt.connect(aenc.port("packets"), rec.port("audio_packets"))
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED  # the sources ended: the file is done
    streams = probe(path)
    v, a = stream_of(streams, "video"), stream_of(streams, "audio")
    assert (v["codec_name"], v["width"], v["height"]) == ("h264", 128, 96)
    assert int(v["nb_read_frames"]) == 30
    assert a["codec_name"] == "aac"
    assert close_to(a["duration"], 1.0, 0.03)
    assert close_to(v["start_time"], 0.0, 0.001)
    assert close_to(a["start_time"], 0.0, 1 / 30)
    # The baseline profile asked of the encoder made it into the file untouched.
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=profile",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert "Baseline" in result.stdout


def test_transcode_file_to_file_is_lossless_in_count(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "in.mkv", seconds=1.0, size="192x108", audio=True)
    target = tmp_path / "out.mp4"
    with runtime() as rt:
        clip = rt.add(MediaFile, path=str(source), realtime=False)
        convert = rt.add(VideoConvert, width=96, height=54, pixel_format="yuv420p")
        rec = rt.add(Mp4Writer, path=str(target), **FAST)
        rt.connect(clip.port("video"), convert.port("video_in"), profile="lossless")
        rt.connect(convert.port("video_out"), rec.port("video"))
        rt.connect(clip.port("audio"), rec.port("audio"))
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED  # the sources ended: the file is done
    v = stream_of(probe(target), "video")
    assert (v["width"], v["height"], int(v["nb_read_frames"])) == (96, 54, 30)


def test_the_file_is_finished_when_its_inputs_end_before_any_stop(tmp_path: Path) -> None:
    target = tmp_path / "ended.mp4"
    rt = sl.Runtime()
    log = EventLog(rt.events, "processor:rec")
    src = rt.add(TestPattern, width=64, height=48, fps=30, frames=45, realtime=False)
    tone = rt.add(ToneSource, duration_s=1.5, realtime=False)
    rec = rt.add(Mp4Writer, id="rec", path=str(target), **FAST)
    rt.connect(src.video, rec.port("video"))
    rt.connect(tone.audio, rec.port("audio"))
    rt.start()
    wait_until(lambda: rt.statistics().processors["rec"].ended, what="the recorder's end")
    # Still running, not stopped: the end of the stream alone finished the file.
    assert rt.state is sl.RuntimeState.RUNNING
    video = stream_of(probe(target), "video")
    assert int(video["nb_read_frames"]) == 45
    wait_until(lambda: any(e.name == "finalized" for e in log.of(CustomEvent)), what="event")
    finalized = next(e for e in log.of(CustomEvent) if e.name == "finalized")
    assert finalized.payload == {"path": str(target), "bytes": target.stat().st_size}
    rt.close()
    assert stream_of(probe(target), "video")["nb_read_frames"] == "45"  # and teardown kept it
    log.close()


def test_ten_minutes_without_drift(tmp_path: Path) -> None:
    """10 minutes of FFmpeg-made A/V, recorded as fast as it decodes (not in real time):
    the streams' durations differ by less than one video frame."""
    path = tmp_path / "long.mp4"
    with runtime() as rt:
        src = rt.add(
            FFmpegSource,
            video_graph="testsrc2=size=64x48:rate=30:duration=600",
            audio_graph="sine=frequency=440:sample_rate=16000:samples_per_frame=4000:duration=600",
            pixel_format="yuv420p",
            realtime=False,
        )
        rec = rt.add(Mp4Writer, path=str(path), keyframe_interval=300, **FAST)
        rt.connect(src.port("video"), rec.port("video"))
        rt.connect(src.port("audio"), rec.port("audio"))
        assert rt.run(duration_s=90) is sl.RunOutcome.ENDED
    streams = probe(path, count_frames=False)
    v, a = stream_of(streams, "video"), stream_of(streams, "audio")
    assert close_to(v["duration"], 600.0, 1 / 30)
    assert abs(float(v["duration"]) - float(a["duration"])) < 1 / 30
    assert abs(float(v["start_time"]) - float(a["start_time"])) < 1 / 30


# -- stopping: orderly, SIGINT, kill -9 ---------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    import streamlib as sl
    from streamlib.processors import Mp4Writer, TestPattern, ToneSource

    path, fragmented = sys.argv[1], sys.argv[2] == "1"
    with sl.Runtime() as rt:
        video = rt.add(TestPattern, width=96, height=64, fps=30)
        audio = rt.add(ToneSource)
        rec = rt.add(Mp4Writer, path=path, fragmented=fragmented, fragment_s=0.5,
                     keyframe_interval=15, preset="ultrafast", tune="zerolatency")
        rt.connect(video.port("video"), rec.port("video"))
        rt.connect(audio.port("audio"), rec.port("audio"))
        print("recording", flush=True)
        rt.run(duration_s=60)
    print("finished", flush=True)
    """
)


def start_child(path: Path, *, fragmented: bool) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), "1" if fragmented else "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "recording"
    return child


def wait_for_bytes(path: Path, size: int) -> None:
    wait_until(lambda: path.exists() and path.stat().st_size >= size, timeout=20, what=str(path))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_finalizes_the_file(tmp_path: Path, signum: int) -> None:
    path = tmp_path / "signalled.mp4"
    child = start_child(path, fragmented=False)
    try:
        wait_for_bytes(path, 1)  # the header is out: recording runs
        time.sleep(1.0)
        child.send_signal(signum)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert "finished" in out
    streams = probe(path)
    v = stream_of(streams, "video")
    assert int(v["nb_read_frames"]) >= 20
    assert stream_of(streams, "audio")["codec_name"] == "aac"


def test_kill_9_leaves_a_playable_fragmented_file(tmp_path: Path) -> None:
    path = tmp_path / "killed.mp4"
    child = start_child(path, fragmented=True)
    try:
        wait_for_bytes(path, 20_000)  # several fragments written
        time.sleep(0.3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    frames = decoded_frame_count(path)
    assert frames >= 15
    streams = probe(path)
    assert {s["codec_type"] for s in streams} == {"video", "audio"}


def test_kill_9_without_fragments_loses_the_index(tmp_path: Path) -> None:
    """Why ``fragmented`` exists: a plain MP4 keeps its index (moov) for the end."""
    path = tmp_path / "plain.mp4"
    child = start_child(path, fragmented=False)
    try:
        wait_for_bytes(path, 1)  # FFmpeg's first 32 KiB of pictures reached the file
        time.sleep(0.3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
    result = subprocess.run(
        ["ffprobe", "-v", "error", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "moov atom not found" in result.stderr


# -- write errors and restarts (a real full disk: tests/test_disk_full.py) -----------------------


def test_a_failing_write_stops_the_recorder_with_what_to_do() -> None:
    """/dev/full fails every write with ENOSPC, like a disk that is full from the start."""
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=30)
        rec = rt.add(Mp4Writer, path="/dev/full", overwrite=True, **FAST)
        rt.connect(video.port("video"), rec.port("video"))
        log = EventLog(rt.events)
        rt.start()
        wait_until(lambda: rt.statistics().processors[str(rec)].state == "failed", what="failed")
        rt.stop()
        stats = rt.statistics().processors[str(rec)]
    assert stats.errors == 1
    (error,) = [e for e in log.of(ProcessorErrored) if str(e.processor_id) == str(rec)]
    assert (error.error_type, error.phase, error.action) == ("StorageError", "process", "stop")
    assert error.message == (
        "cannot write '/dev/full': No space left on device (ENOSPC); nothing was recorded. "
        "What to do: free space on that disk or record to another one"
    )
    assert os.path.exists("/dev/full")  # never removed: not a regular file we created


def test_media_writer_raises_storage_error_on_the_first_failing_packet() -> None:
    from streamlib.media.codecs import VideoEncoderSession, VideoEncoderSettings, video_codec

    writer = MediaWriter("/dev/full", container="mp4", overwrite=True)
    codec = video_codec("h264")
    index, context = writer.add_encoder(codec.require_encoder(), "video")
    settings = VideoEncoderSettings(
        width=64, height=48, fps=30, preset="ultrafast", tune="zerolatency"
    )
    encoder = VideoEncoderSession(codec, settings, origin_ns=0, context=context)
    writer.start(origin_ns=0)
    packets = [packet for frame in yuv_frames(3) for packet in encoder.encode(frame)]
    with pytest.raises(StorageError, match="ENOSPC") as caught:
        writer.write(index, packets[0])
    assert isinstance(caught.value, OSError)
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, "/dev/full")
    with pytest.raises(StorageError):  # nothing more is tried
        writer.write(index, packets[1])
    writer.close()  # only lets go: no second error


def test_started_again_it_continues_in_a_numbered_file(tmp_path: Path) -> None:
    path = tmp_path / "take.mp4"
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=30)
        rec = rt.add(Mp4Writer, path=str(path), overwrite=True, **FAST)
        rt.connect(video.port("video"), rec.port("video"))
        log = EventLog(rt.events)
        rt.run(duration_s=0.4)
        first = path.read_bytes()
        rt.run(duration_s=0.4)  # overwrite: true replaces files from before, never its own
        rt.run(duration_s=0.4)
        writer = rt.processor(str(rec))
        assert isinstance(writer, Mp4Writer)
        assert writer.recording_path == str(tmp_path / "take-3.mp4")
    assert path.read_bytes() == first
    for name in ("take.mp4", "take-2.mp4", "take-3.mp4"):
        assert stream_of(probe(tmp_path / name), "video")["codec_name"] == "h264"
    moves = [e.payload for e in log.of(CustomEvent) if e.name == "recording_continues"]
    assert moves == [
        {"path": str(tmp_path / "take-2.mp4"), "previous": str(path)},
        {"path": str(tmp_path / "take-3.mp4"), "previous": str(path)},
    ]


def test_a_fragmented_file_cut_anywhere_is_trimmed_to_whole_fragments(tmp_path: Path) -> None:
    """What a full disk leaves (a file cut at any byte) is trimmed to what ffprobe reads cleanly."""
    whole = tmp_path / "whole.mp4"
    with runtime() as rt:
        # A fixed number of frames, not a duration: on a busy machine a timed run may
        # record too few fragments for the cuts below to hold any.
        video = rt.add(TestPattern, width=64, height=48, fps=50, frames=100, realtime=False)
        rec = rt.add(
            Mp4Writer, path=str(whole), fragmented=True, fragment_s=0.1, keyframe_interval=5, **FAST
        )
        rt.connect(video.port("video"), rec.port("video"))
        assert rt.run(duration_s=60) is sl.RunOutcome.ENDED
    data = whole.read_bytes()
    previous_frames = 0
    for cut in (len(data) // 5, len(data) // 3, len(data) // 2, len(data) - 7, len(data)):
        cut_path = tmp_path / f"cut{cut}.mp4"
        file = OutputFile(str(cut_path), overwrite=False)
        assert file.write(data[:cut]) == cut
        length = complete_mp4_length(file)
        assert 0 < length <= cut
        file.truncate(length)
        file.close()
        result = subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
             "stream=nb_read_frames", "-of", "csv=p=0", str(cut_path)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert result.stderr == ""
        frames = int(result.stdout.strip())
        assert frames >= previous_frames
        previous_frames = frames
    assert length == len(data)  # a whole file is left whole


# -- bad configs: errors before anything runs ---------------------------------------------------


def test_existing_file_needs_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "exists.mp4"
    path.write_bytes(b"old")
    with runtime() as rt, pytest.raises(sl.ConfigError, match="exists; set overwrite: true"):
        rt.add(Mp4Writer, path=str(path))
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=30)
        rec = rt.add(Mp4Writer, path=str(path), overwrite=True, **FAST)
        rt.connect(video.port("video"), rec.port("video"))
        rt.run(duration_s=0.4)
    assert stream_of(probe(path), "video")["codec_name"] == "h264"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"path": "/nonexistent-folder/out.mp4"}, "does not exist"),
        ({"path": "/etc/hostname/out.mp4"}, "does not exist"),
        ({"path": "/tmp"}, "is a folder"),
        ({"path": "x.webm", "video_codec": "h264"}, "webm file cannot hold h264"),
        ({"path": "x.mp4", "video_codec": "ffv1"}, "mp4 file cannot hold ffv1"),
        ({"path": "x.mp4", "container": "avi"}, "container"),
        ({"path": "x.mp4", "fragment_s": 0}, "fragment_s"),
        ({}, "path"),
    ],
)
def test_bad_configs(config: dict[str, object], message: str) -> None:
    with pytest.raises(sl.ConfigError, match=message):
        Mp4Writer(config)


def test_unwritable_folder(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere; the permission check cannot fail here")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(sl.ConfigError, match="no permission"):
        Mp4Writer(path=str(locked / "out.mp4"))


def test_pipeline_file_with_existing_output_fails_at_load(tmp_path: Path) -> None:
    (tmp_path / "taken.mp4").write_bytes(b"")
    pipeline = tmp_path / "rec.yaml"
    pipeline.write_text(
        "processors:\n"
        "  src: {type: TestPattern}\n"
        f"  rec: {{type: Mp4Writer, config: {{path: {tmp_path / 'taken.mp4'}}}}}\n"
        "connections:\n"
        "  - src.video -> rec.video\n"
    )
    with pytest.raises(sl.PipelineFileError, match="exists"):
        sl.Runtime.from_file(pipeline)


def test_missing_folders_are_made_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "takes" / "monday" / "v.mp4"
    with pytest.raises(sl.ConfigError, match="make_folders"):
        Mp4Writer(path=str(target))
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(sl.ConfigError, match="is a file, not a folder"):
        Mp4Writer(path=str(tmp_path / "file" / "v.mp4"), make_folders=True)
    recorder = Mp4Writer(path=str(target), make_folders=True, **FAST)
    assert not target.parent.exists()  # nothing is made until the recording starts
    with runtime() as rt:
        video = rt.add(TestPattern, width=64, height=48, fps=50)
        rec = rt.add(recorder)
        rt.connect(video.port("video"), rec.port("video"))
        rt.run(duration_s=0.5)
    assert [s["codec_type"] for s in probe(target)] == ["video"]
