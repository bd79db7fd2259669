"""Built-in sources end their streams (a file's end, a limit), and what holds frames back
flushes them at the end: a file job finishes by itself with every frame."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from media_support import make_clip, probe, runtime, stream_of
from runtime_support import wait_until
from streamlib.processors import (
    BufferRechunker,
    ChordGenerator,
    Collector,
    FFmpegSource,
    MediaFile,
    TestPattern,
    ToneSource,
    VideoEncoder,
)

pytest.importorskip("av", reason="the media tests need PyAV (pip install 'streamlib[media]')")

SAFETY_S = 30.0  # only bounds a run that would not end; none of these takes long


class PacketSink(sl.Processor):
    """Keeps every encoded packet it gets."""

    packets = sl.Input(sl.EncodedPacket, profile="lossless")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.received: list[sl.EncodedPacket] = []

    def process(self) -> None:
        self.received.extend(self.packets.read_all())


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("sources_end") / "clip.mp4", seconds=1.0)


def collect(rt: sl.Runtime, source: sl.ProcessorRef, *ports: str) -> Collector:
    sink = rt.add(Collector, id=f"got_{source}")
    for port in ports:
        rt.connect(source.port(port), sink.port(port), profile="lossless")
    got = rt.processor(str(sink))
    assert isinstance(got, Collector)
    return got


def progress_of(rt: sl.Runtime, source: sl.ProcessorRef) -> sl.Progress | None:
    return rt.statistics().processors[str(source)].progress


def last_error(rt: sl.Runtime, source: sl.ProcessorRef) -> str:
    return rt.statistics().processors[str(source)].last_error or ""


def percent(rt: sl.Runtime, source: sl.ProcessorRef) -> float | None:
    progress = progress_of(rt, source)
    fraction = None if progress is None else progress.fraction
    return None if fraction is None else 100.0 * fraction


# -- MediaFile, FFmpegSource -------------------------------------------------------------


def test_a_file_through_an_encoder_ends_by_itself_with_every_frame_and_packet(
    clip: Path,
) -> None:
    expected = int(stream_of(probe(clip), "video")["nb_read_frames"])
    with runtime() as rt:
        src = rt.add(MediaFile, path=str(clip), realtime=False, pixel_format="yuv420p")
        got = collect(rt, src, "video")
        enc = rt.add(VideoEncoder)  # x264's defaults: a lookahead holds pictures back
        packets = rt.add(PacketSink)
        rt.connect(src.port("video"), enc.port("video"), profile="lossless")
        rt.connect(enc.port("packets"), packets.port("packets"))
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
        stats = rt.statistics()
        sink = rt.processor(str(packets))
        assert isinstance(sink, PacketSink)
    assert len(got.received("video")) == expected == 30
    assert len(sink.received) == expected  # the delayed packets came at the end
    assert sink.received[0].keyframe
    assert len({p.pts for p in sink.received}) == expected  # each picture once
    assert all(p.ended for p in stats.processors.values())
    assert stats.processors[str(enc)].frames_in == expected


def test_a_file_limited_by_frames_ends_there_with_audio_up_to_its_last_picture(
    clip: Path,
) -> None:
    with runtime() as rt:
        src = rt.add(MediaFile, path=str(clip), realtime=False, frames=12)
        got = collect(rt, src, "video", "audio")
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
        progress = progress_of(rt, src)
    video, audio = got.received("video"), got.received("audio")
    assert [f.frame_number for f in video] == list(range(12))
    samples = sum(block.samples for block in audio)  # type: ignore[attr-defined]
    assert samples == 12 * 48_000 // 30  # 0.4 s of 48 kHz audio, to the sample
    assert progress is not None
    assert progress.fraction == 1.0
    assert progress.position_s == pytest.approx(0.4, abs=1e-3)


def test_a_looping_file_limited_by_duration_ends_after_that_much_content(clip: Path) -> None:
    with runtime() as rt:
        src = rt.add(MediaFile, path=str(clip), realtime=False, loop=True, duration_s=2.5)
        got = collect(rt, src, "video", "audio")
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
    video, audio = got.received("video"), got.received("audio")
    assert len(video) == 75  # two passes and a half of 30 pictures
    stamps = [f.timestamp_ns for f in video]
    assert all(b > a for a, b in itertools.pairwise(stamps))
    assert sum(block.samples for block in audio) == 120_000  # type: ignore[attr-defined]


def test_ffmpeg_source_limits_end_both_streams() -> None:
    with runtime() as rt:
        src = rt.add(
            FFmpegSource,
            video_graph="testsrc2=size=64x48:rate=25",
            audio_graph="sine=frequency=440:sample_rate=16000",
            duration_s=0.6,
            realtime=False,
        )
        got = collect(rt, src, "video", "audio")
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
    assert len(got.received("video")) == 15
    assert sum(b.samples for b in got.received("audio")) == 9600  # type: ignore[attr-defined]


def test_a_frames_limit_needs_pictures() -> None:
    with runtime() as rt:
        src = rt.add(FFmpegSource, video_graph=None, audio_graph="sine", frames=10)
        collect(rt, src, "audio")
        rt.start()
        wait_until(
            lambda: (
                "frames counts pictures" in (rt.statistics().processors[str(src)].last_error or "")
            ),
            what="the setup error",
        )
        rt.stop()


def test_files_can_wait_unless_paced_and_network_streams_are_live(clip: Path) -> None:
    assert not MediaFile(path=str(clip), realtime=False).is_live()
    assert MediaFile(path=str(clip)).is_live()
    assert MediaFile(path="rtsp://camera.local/stream", realtime=False).is_live()
    assert MediaFile(path="http://example.com/live.m3u8", realtime=False).is_live()
    assert not FFmpegSource(realtime=False).is_live()
    assert FFmpegSource().is_live()


def test_a_paced_file_reports_progress_while_it_plays(clip: Path) -> None:
    with runtime() as rt:
        src = rt.add(MediaFile, path=str(clip), audio_enabled=False)
        collect(rt, src, "video")
        rt.start()
        wait_until(
            lambda: 0.0 < (percent(rt, src) or 0.0) < 100.0, what="a position inside the clip"
        )
        progress = progress_of(rt, src)
        assert progress is not None
        assert progress.duration_s == pytest.approx(1.0, abs=0.05)
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
        assert percent(rt, src) == 100.0


# -- generators --------------------------------------------------------------------------


@pytest.mark.parametrize("realtime", [False, True])
def test_test_pattern_ends_after_exactly_its_frames(realtime: bool) -> None:
    with runtime() as rt:
        src = rt.add(TestPattern, width=32, height=16, fps=100, frames=40, realtime=realtime)
        got = collect(rt, src, "video")
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
        progress = progress_of(rt, src)
    video = got.received("video")
    assert [f.frame_number for f in video] == list(range(40))
    start = video[0].timestamp_ns
    assert [f.timestamp_ns - start for f in video] == [n * 10_000_000 for n in range(40)]
    assert progress == sl.Progress(0.4, 0.4)


def test_an_unpaced_test_pattern_is_a_loop_that_can_wait() -> None:
    pattern = TestPattern(realtime=False, duration_s=1.0)
    assert pattern.scheduling().mode is sl.SchedulingMode.LOOP
    assert not pattern.is_live()
    assert TestPattern().is_live()
    assert TestPattern().scheduling().mode is sl.SchedulingMode.TIMER


def test_a_paced_test_pattern_reports_progress_mid_run() -> None:
    with runtime() as rt:
        src = rt.add(TestPattern, width=32, height=16, fps=50, duration_s=1.0)
        collect(rt, src, "video")
        rt.start()
        wait_until(lambda: 0.0 < (percent(rt, src) or 0.0) < 100.0, what="a position mid-run")
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
        assert percent(rt, src) == 100.0
        assert rt.statistics().processors[str(src)].frames_out == 50


@pytest.mark.parametrize("realtime", [False, True])
def test_tone_source_ends_with_exactly_its_duration_in_samples(realtime: bool) -> None:
    with runtime() as rt:
        src = rt.add(ToneSource, sample_rate=16_000, duration_s=0.255, realtime=realtime)
        got = collect(rt, src, "audio")
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
        progress = progress_of(rt, src)
    blocks = got.received("audio")
    assert [b.samples for b in blocks] == [480] * 8 + [240]  # type: ignore[attr-defined]
    assert sum(b.samples for b in blocks) == 4080  # type: ignore[attr-defined]
    start = blocks[0].timestamp_ns
    assert [b.timestamp_ns - start for b in blocks] == [n * 30_000_000 for n in range(9)]
    assert progress == sl.Progress(0.255, 0.255)


def test_chord_generator_ends_after_its_blocks() -> None:
    with runtime() as rt:
        src = rt.add(ChordGenerator, frames=5, realtime=False)
        got = collect(rt, src, "audio")
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
    assert [b.samples for b in got.received("audio")] == [480] * 5  # type: ignore[attr-defined]


# -- flushing at the end, and not at a stop ----------------------------------------------


def test_the_rechunker_tail_arrives_at_the_end() -> None:
    with runtime() as rt:
        src = rt.add(ToneSource, channels=1, duration_s=0.1, realtime=False)  # 4800 samples
        chunk = rt.add(BufferRechunker, block_size=1024)
        rt.connect(src.port("audio"), chunk.port("audio_in"), profile="lossless")
        sink = rt.add(Collector)
        rt.connect(chunk.port("audio_out"), sink.port("audio"))
        assert rt.run(duration_s=SAFETY_S) is sl.RunOutcome.ENDED
        got = rt.processor(str(sink))
        assert isinstance(got, Collector)
    blocks = got.received("audio")
    assert [b.samples for b in blocks] == [1024] * 5  # type: ignore[attr-defined]
    data = np.concatenate([b.to_ndarray() for b in blocks])  # type: ignore[attr-defined]
    assert np.abs(data[4700:4800]).max() > 0.1  # the tone's last samples arrived...
    assert not data[4800:].any()  # ... padded with silence to a whole block


def test_a_stop_without_an_end_writes_no_tail() -> None:
    with runtime() as rt:
        tone = rt.add(ToneSource, channels=1)  # live, no limit: it never ends
        chunk = rt.add(BufferRechunker, block_size=479)  # 480 * n samples never fill it exactly
        rt.connect(tone.port("audio"), chunk.port("audio_in"), profile="lossless")
        sink = rt.add(Collector)
        rt.connect(chunk.port("audio_out"), sink.port("audio"))
        pattern = rt.add(TestPattern, width=64, height=48, fps=100, pixel_format="yuv420p")
        enc = rt.add(VideoEncoder)
        packets = rt.add(PacketSink)
        rt.connect(pattern.port("video"), enc.port("video"), profile="lossless")
        rt.connect(enc.port("packets"), packets.port("packets"))
        rt.start()
        wait_until(
            lambda: (
                rt.statistics().processors[str(enc)].frames_in >= 5
                and rt.statistics().processors[str(chunk)].frames_in >= 3
            ),
            what="some audio and pictures",
        )
        rt.stop()
        stats = rt.statistics()
        got = rt.processor(str(sink))
        packet_sink = rt.processor(str(packets))
        assert isinstance(got, Collector)
        assert isinstance(packet_sink, PacketSink)
    samples_in = stats.processors[str(chunk)].frames_in * 480
    blocks = got.received("audio")
    assert {b.samples for b in blocks} <= {479}  # type: ignore[attr-defined]
    assert len(blocks) == samples_in // 479  # whole blocks only: no padded tail
    assert not stats.processors[str(chunk)].ended
    frames_in = stats.processors[str(enc)].frames_in
    assert len(packet_sink.received) < frames_in  # the encoder's delayed packets stay unsent
