"""Encoded packets, the codec processors and VideoConvert, on real FFmpeg codecs."""

from __future__ import annotations

import itertools
import os
from fractions import Fraction

import numpy as np
import pytest

import streamlib as sl
from media_support import yuv_frames
from streamlib.processors import (
    AudioDecoder,
    AudioEncoder,
    VideoConvert,
    VideoDecoder,
    VideoEncoder,
)
from streamlib.testing import run_processor

pytest.importorskip("av", reason="the media tests need PyAV (pip install 'streamlib[media]')")


def packets_of(frames: list[sl.Frame]) -> list[sl.EncodedPacket]:
    assert all(isinstance(frame, sl.EncodedPacket) for frame in frames)
    return frames  # type: ignore[return-value]


def pictures_of(frames: list[sl.Frame]) -> list[sl.VideoFrame]:
    assert all(isinstance(frame, sl.VideoFrame) for frame in frames)
    return frames  # type: ignore[return-value]


# -- EncodedPacket ----------------------------------------------------------------------


def test_encoded_packet_fields_and_replace() -> None:
    packet = sl.EncodedPacket(
        b"\x00\x01",
        codec="h264",
        media_kind="video",
        keyframe=True,
        pts=3000,
        dts=3000,
        time_base=Fraction(1, 90_000),
        width=64,
        height=48,
        timestamp_ns=5,
    )
    assert (packet.size, packet.seconds, packet.keyframe) == (2, 3000 / 90_000, True)
    later = packet.replace(pts=6000, keyframe=False)
    assert (later.pts, later.keyframe, later.data, later.codec) == (
        6000,
        False,
        b"\x00\x01",
        "h264",
    )
    with pytest.raises(AttributeError):
        packet.pts = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data": bytearray(b"x")}, "must be bytes"),
        ({"media_kind": "text"}, "media_kind"),
        ({"time_base": Fraction(0, 1)}, "time_base"),
        ({"width": 0}, "picture size"),
    ],
)
def test_encoded_packet_rejects_bad_fields(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "codec": "h264", "media_kind": "video", "time_base": Fraction(1, 90_000),
        "width": 64, "height": 48,
    }  # fmt: skip
    data = changes.pop("data", b"x")
    fields.update(changes)
    with pytest.raises(sl.FrameError, match=message):
        sl.EncodedPacket(data, **fields)  # type: ignore[arg-type]


def test_audio_packet_needs_rate_and_channels() -> None:
    with pytest.raises(sl.FrameError, match="sample rate"):
        sl.EncodedPacket(b"x", codec="aac", media_kind="audio", time_base=Fraction(1, 48_000))


# -- VideoEncoder / VideoDecoder ----------------------------------------------------------


def test_h264_packets_carry_what_a_muxer_needs() -> None:
    frames = yuv_frames(20)
    out = run_processor(
        VideoEncoder,
        {"preset": "ultrafast", "tune": "zerolatency", "keyframe_interval": 10},
        inputs={"video": frames},
    )
    packets = packets_of(out["packets"])
    assert len(packets) == 20  # zerolatency: one packet per picture, the tail flushed
    assert {p.codec for p in packets} == {"h264"}
    assert {(p.width, p.height) for p in packets} == {(64, 48)}
    assert packets[0].keyframe
    assert [i for i, p in enumerate(packets) if p.keyframe] == [0, 10]
    assert packets[0].extradata  # SPS/PPS as a global header
    assert all(p.time_base == Fraction(1, 90_000) for p in packets)
    pts = [p.pts for p in packets]
    assert pts == [i * 3000 for i in range(20)]  # 1/30 s in 90 kHz ticks
    assert [p.timestamp_ns for p in packets] == [f.timestamp_ns for f in frames]


@pytest.mark.parametrize(
    ("codec", "extra"),
    [("h264", {"preset": "ultrafast"}), ("vp9", {}), ("ffv1", {})],
)
def test_lossless_round_trip_is_pixel_identical(codec: str, extra: dict[str, object]) -> None:
    frames = yuv_frames(12)
    encoded = run_processor(
        VideoEncoder, {"codec": codec, "lossless": True, **extra}, inputs={"video": frames}
    )["packets"]
    decoded = pictures_of(
        run_processor(
            VideoDecoder, {"pixel_format": "yuv420p", "threads": 1}, inputs={"packets": encoded}
        )["video"]
    )
    assert len(decoded) == len(frames)
    for original, back in zip(frames, decoded, strict=True):
        assert np.array_equal(original.to_ndarray(), back.to_ndarray())
        assert back.timestamp_ns == original.timestamp_ns


@pytest.mark.parametrize("codec", ["vp8", "av1"])
def test_other_codecs_encode_and_decode(codec: str) -> None:
    frames = yuv_frames(6, 128, 96)
    config: dict[str, object] = {"codec": codec, "tune": "zerolatency"}
    if codec == "vp8":
        config["bitrate"] = 400_000
    scheduling = (os.sched_getscheduler(0), os.sched_getparam(0))
    packets = packets_of(run_processor(VideoEncoder, config, inputs={"video": frames})["packets"])
    # SVT-AV1 makes its calling thread real-time (SCHED_FIFO, as root): the session undoes it
    assert (os.sched_getscheduler(0), os.sched_getparam(0)) == scheduling
    assert packets
    assert {p.codec for p in packets} == {codec}
    assert packets[0].keyframe
    decoded = pictures_of(run_processor(VideoDecoder, inputs={"packets": packets})["video"])
    assert len(decoded) == len(frames)
    assert (decoded[0].width, decoded[0].height) == (128, 96)
    assert decoded[0].pixel_format is sl.PixelFormat.RGB24


def test_encoder_converts_rgb_input() -> None:
    rgb = [
        sl.VideoFrame(np.full((48, 64, 3), 40 * i, np.uint8), "rgb24", timestamp_ns=i * 10**8)
        for i in range(4)
    ]
    packets = run_processor(VideoEncoder, {"crf": 10}, inputs={"video": rgb})["packets"]
    decoded = pictures_of(run_processor(VideoDecoder, inputs={"packets": packets})["video"])
    # Flat gray pictures survive yuv420p and crf 10 almost exactly.
    for original, back in zip(rgb, decoded, strict=True):
        diff = np.abs(original.to_ndarray().astype(int) - back.to_ndarray().astype(int))
        assert diff.max() <= 3


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"preset": "warp"}, "preset 'warp'"),
        ({"codec": "vp8", "lossless": True}, "no lossless"),
        ({"codec": "ffv1", "crf": 10}, "always lossless"),
        ({"tune": "cinema"}, "tune 'cinema'"),
        ({"codec": "mpeg2"}, "codec"),
        ({"crf": 99}, "crf"),
    ],
)
def test_encoder_config_errors_before_running(config: dict[str, object], message: str) -> None:
    with pytest.raises(sl.ConfigError, match=message):
        VideoEncoder(config)


def test_decoder_reports_corrupt_packet() -> None:
    good = packets_of(
        run_processor(VideoEncoder, {"tune": "zerolatency"}, inputs={"video": yuv_frames(2)})[
            "packets"
        ]
    )
    # A keyframe whose bytes are not H.264 at all (start codes around noise).
    broken = good[0].replace(data=b"\x00\x00\x01\xff" * 64)
    with pytest.raises(sl.CodecError, match="corrupt packet #0"):
        run_processor(VideoDecoder, {"threads": 1}, inputs={"packets": [broken, good[1]]})


# -- AudioEncoder / AudioDecoder ------------------------------------------------------------


def sine_blocks(count: int, *, rate: int = 48_000, block: int = 480) -> list[sl.AudioFrame]:
    t = np.arange(count * block) / rate
    wave = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    stereo = np.stack([wave, wave], axis=1)
    return [
        sl.AudioFrame(
            np.ascontiguousarray(stereo[i * block : (i + 1) * block]),
            rate,
            timestamp_ns=i * block * 10**9 // rate,
            frame_number=i,
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("codec", ["aac", "opus"])
def test_audio_round_trip_keeps_length_and_pitch(codec: str) -> None:
    blocks = sine_blocks(100)  # 1 s
    packets = packets_of(
        run_processor(AudioEncoder, {"codec": codec}, inputs={"audio": blocks})["packets"]
    )
    assert {p.codec for p in packets} == {codec}
    assert all(p.media_kind == "audio" and p.sample_rate == 48_000 for p in packets)
    pts = [p.pts for p in packets if p.pts is not None]
    assert pts == sorted(pts)
    decoded = run_processor(AudioDecoder, inputs={"packets": packets})["audio"]
    audio = np.concatenate([block.to_ndarray() for block in decoded])  # type: ignore[attr-defined]
    assert audio.shape[1] == 2
    # Within one codec frame (plus priming) of the input's 48000 samples.
    assert abs(audio.shape[0] - 48_000) <= 2048
    middle = audio[12_000:36_000, 0]
    spectrum = np.abs(np.fft.rfft(middle))
    peak_hz = np.argmax(spectrum) * 48_000 / len(middle)
    assert abs(peak_hz - 1000) < 10
    stamps = [block.timestamp_ns for block in decoded]  # type: ignore[attr-defined]
    assert all(b > a for a, b in itertools.pairwise(stamps))


def test_opus_refuses_an_unsupported_rate() -> None:
    with pytest.raises(sl.ConfigError, match="44100 Hz"):
        run_processor(
            AudioEncoder, {"codec": "opus"}, inputs={"audio": sine_blocks(2, rate=44_100)}
        )


# -- VideoConvert -----------------------------------------------------------------------------


def test_convert_scales_and_changes_format_into_reused_buffers() -> None:
    frames = [
        sl.VideoFrame(np.full((48, 64, 3), (200, 100, 50), np.uint8), "rgb24", frame_number=i)
        for i in range(40)
    ]
    processor = VideoConvert(pixel_format="yuv420p", width=32, height=24)
    out = pictures_of(run_processor(processor, inputs={"video_in": frames})["video_out"])
    assert len(out) == 40
    assert {(f.width, f.height, f.pixel_format) for f in out} == {(32, 24, sl.PixelFormat.YUV420P)}
    assert [f.frame_number for f in out] == list(range(40))
    back = pictures_of(
        run_processor(VideoConvert, {"pixel_format": "rgb24"}, inputs={"video_in": out[-1:]})[
            "video_out"
        ]
    )
    assert np.abs(back[0].to_ndarray().astype(int) - (200, 100, 50)).max() <= 3


def test_convert_reuses_buffers_once_frames_are_released() -> None:
    from streamlib.media import VideoConverter

    converter = VideoConverter(pixel_format="gray8", max_buffers=4)
    source = sl.VideoFrame(np.zeros((48, 64, 3), np.uint8), "rgb24")
    ids = set()
    for _ in range(50):
        converted = converter.convert(source)
        ids.add(id(converted.data))
        del converted  # a consumer done with the frame gives its buffer back
    assert converter.buffers_allocated == 1
    assert len(ids) == 1


def test_convert_passes_matching_frames_by_reference() -> None:
    frame = sl.VideoFrame(np.zeros((72, 64), np.uint8), "yuv420p")
    out = run_processor(VideoConvert, {"pixel_format": "yuv420p"}, inputs={"video_in": [frame]})
    assert out["video_out"][0] is frame
