"""Tests for frames: video pixel formats, audio blocks, data payloads, and frame types."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from streamlib.core import (
    AudioFrame,
    DataFrame,
    Frame,
    FrameError,
    FrameType,
    PixelFormat,
    StreamError,
    VideoFrame,
)

# (format, array shape of a 64x48 frame)
SHAPES_64x48 = [
    ("rgb24", (48, 64, 3)),
    ("rgba", (48, 64, 4)),
    ("bgra", (48, 64, 4)),
    ("gray8", (48, 64)),
    ("yuv420p", (72, 64)),
    ("nv12", (72, 64)),
]


# -- VideoFrame ------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "shape"), SHAPES_64x48)
def test_video_frame_reads_its_size_from_the_array(fmt: str, shape: tuple[int, ...]) -> None:
    data = np.zeros(shape, np.uint8)
    frame = VideoFrame(data, fmt, timestamp_ns=123, frame_number=7)
    assert (frame.width, frame.height) == (64, 48)
    assert frame.pixel_format is PixelFormat(fmt)
    assert frame.timestamp_ns == 123
    assert frame.frame_number == 7
    assert frame.to_ndarray() is data
    assert frame.data is data


@pytest.mark.parametrize(("fmt", "shape"), SHAPES_64x48)
def test_pixel_format_array_shape_matches_size_of(fmt: str, shape: tuple[int, ...]) -> None:
    pixel_format = PixelFormat(fmt)
    assert pixel_format.array_shape(64, 48) == shape
    assert pixel_format.size_of(shape) == (64, 48)


@pytest.mark.parametrize(("fmt", "shape"), SHAPES_64x48)
def test_blank_frame_is_zeroed_in_the_right_shape(fmt: str, shape: tuple[int, ...]) -> None:
    frame = VideoFrame.blank(64, 48, fmt, timestamp_ns=5, frame_number=2)
    assert frame.data.shape == shape
    assert frame.data.dtype == np.uint8
    assert not frame.data.any()
    assert (frame.width, frame.height, frame.timestamp_ns, frame.frame_number) == (64, 48, 5, 2)


def test_pixel_format_accepts_enum_or_ffmpeg_name() -> None:
    data = np.zeros((4, 4, 4), np.uint8)
    assert VideoFrame(data, PixelFormat.BGRA).pixel_format is PixelFormat.BGRA
    assert VideoFrame(data, "bgra").pixel_format is PixelFormat.BGRA
    assert PixelFormat.parse("nv12") is PixelFormat.NV12


def test_default_pixel_format_is_rgb24() -> None:
    assert VideoFrame(np.zeros((2, 2, 3), np.uint8)).pixel_format is PixelFormat.RGB24


def test_unknown_pixel_format_lists_the_known_ones() -> None:
    with pytest.raises(FrameError, match=r"unknown pixel format 'rgb48'.*rgb24.*nv12"):
        VideoFrame(np.zeros((4, 4, 3), np.uint8), "rgb48")


@pytest.mark.parametrize(
    ("fmt", "shape", "message"),
    [
        ("rgb24", (48, 64, 4), r"rgb24 frames are \(height, width, 3\) arrays; got shape"),
        ("rgb24", (48, 64), r"rgb24 frames are \(height, width, 3\)"),
        ("rgba", (48, 64, 3), r"rgba frames are \(height, width, 4\)"),
        ("bgra", (48, 64, 4, 1), r"bgra frames are \(height, width, 4\)"),
        ("gray8", (48, 64, 1), r"gray8 frames are \(height, width\) arrays"),
        ("yuv420p", (48, 64, 3), r"yuv420p frames are one \(height\*3/2, width\) array"),
        ("nv12", (73, 64), r"nv12 frames are one \(height\*3/2, width\) array"),
    ],
)
def test_wrong_shape_is_refused_with_the_expected_layout(
    fmt: str, shape: tuple[int, ...], message: str
) -> None:
    with pytest.raises(FrameError, match=message) as info:
        VideoFrame(np.zeros(shape, np.uint8), fmt)
    assert str(shape) in str(info.value)  # says what it got


@pytest.mark.parametrize("fmt", ["yuv420p", "nv12"])
def test_odd_width_420_is_refused(fmt: str) -> None:
    with pytest.raises(FrameError, match=rf"{fmt} needs an even width and height; got 63x48"):
        VideoFrame(np.zeros((72, 63), np.uint8), fmt)


@pytest.mark.parametrize("fmt", ["yuv420p", "nv12"])
def test_odd_height_420_cannot_be_expressed(fmt: str) -> None:
    # 47 rows of luma would be 70.5 rows in all: no array has that shape.
    with pytest.raises(FrameError, match="height\\*3/2"):
        VideoFrame.blank(64, 47, fmt)


@pytest.mark.parametrize("dtype", [np.float32, np.uint16, np.int8])
def test_non_uint8_pixels_are_refused(dtype: type) -> None:
    with pytest.raises(FrameError, match=r"rgb24 frames hold uint8 pixels; got a"):
        VideoFrame(np.zeros((4, 4, 3), dtype), "rgb24")


def test_non_array_data_is_refused() -> None:
    with pytest.raises(FrameError, match="must be a numpy array, not list"):
        VideoFrame([[0, 0], [0, 0]], "gray8")  # type: ignore[arg-type]


def test_frame_errors_are_value_errors_and_stream_errors() -> None:
    with pytest.raises(ValueError, match="uint8"):
        VideoFrame(np.zeros((4, 4, 3), np.float64))
    assert issubclass(FrameError, StreamError)


@pytest.mark.parametrize(
    "attribute", ["width", "height", "pixel_format", "data", "timestamp_ns", "metadata", "new"]
)
def test_video_frame_is_immutable(attribute: str) -> None:
    frame = VideoFrame.blank(4, 4)
    with pytest.raises(AttributeError, match=r"immutable.*replace\("):
        setattr(frame, attribute, 1)
    assert frame.width == 4
    assert not hasattr(frame, "new")


def test_video_frame_replace_shares_what_it_does_not_change() -> None:
    data = np.zeros((4, 6, 3), np.uint8)
    meta = {"camera": "front"}
    frame = VideoFrame(data, "rgb24", timestamp_ns=10, frame_number=1, metadata=meta)
    later = frame.replace(timestamp_ns=20, frame_number=2)
    assert later is not frame
    assert later.data is data
    assert later.metadata is meta
    assert (later.timestamp_ns, later.frame_number) == (20, 2)
    assert (frame.timestamp_ns, frame.frame_number) == (10, 1)  # original untouched

    gray = np.full((8, 10), 9, np.uint8)
    swapped = frame.replace(data=gray, pixel_format="gray8", metadata={"k": 1})
    assert swapped.data is gray
    assert (swapped.width, swapped.height, swapped.pixel_format) == (10, 8, PixelFormat.GRAY8)
    assert swapped.metadata == {"k": 1}
    assert swapped.timestamp_ns == 10


def test_video_frame_replace_validates_the_new_data() -> None:
    frame = VideoFrame.blank(4, 4, "rgb24")
    with pytest.raises(FrameError, match="rgb24 frames are"):
        frame.replace(data=np.zeros((4, 4), np.uint8))


def test_metadata_defaults_to_a_shared_empty_read_only_mapping() -> None:
    first, second = VideoFrame.blank(2, 2), DataFrame(1)
    assert first.metadata == {}
    assert first.metadata is second.metadata
    assert isinstance(first.metadata, MappingProxyType)
    with pytest.raises(TypeError):
        first.metadata["x"] = 1  # type: ignore[index]


def test_video_repr_names_size_format_and_number() -> None:
    frame = VideoFrame.blank(8, 6, "nv12", timestamp_ns=99, frame_number=3)
    assert repr(frame) == "VideoFrame(8x6 nv12, #3 at 99 ns)"


# -- freezing ----------------------------------------------------------------------------


def test_freeze_makes_the_array_read_only() -> None:
    frame = VideoFrame.blank(4, 4)
    assert not frame.is_frozen
    frame.data[0, 0, 0] = 1  # writable before
    frame.freeze()
    assert frame.is_frozen
    assert not frame.to_ndarray().flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        frame.data[0, 0, 0] = 2
    assert frame.data[0, 0, 0] == 1


def test_freeze_is_idempotent_and_applies_to_audio() -> None:
    block = AudioFrame.silence(8, 2, 48_000)
    block.freeze()
    block.freeze()
    assert block.is_frozen
    with pytest.raises(ValueError, match="read-only"):
        block.data[:] = 0.5


# -- AudioFrame --------------------------------------------------------------------------


def test_audio_frame_shape_rate_and_duration() -> None:
    data = np.zeros((480, 2), np.float32)
    block = AudioFrame(data, 48_000, timestamp_ns=1_000, frame_number=4, metadata={"a": 1})
    assert block.data is data
    assert (block.samples, block.channels, block.sample_rate) == (480, 2, 48_000)
    assert block.duration_ns == 10_000_000  # 480 samples at 48 kHz = 10 ms
    assert (block.timestamp_ns, block.frame_number, block.metadata) == (1_000, 4, {"a": 1})


def test_audio_duration_rounds_down() -> None:
    assert AudioFrame.silence(256, 2, 48_000).duration_ns == 5_333_333
    assert AudioFrame.silence(1, 1, 3).duration_ns == 333_333_333


def test_silence_is_zeros_of_the_asked_shape() -> None:
    block = AudioFrame.silence(64, 6, 44_100, timestamp_ns=77)
    assert block.data.shape == (64, 6)
    assert block.data.dtype == np.float32
    assert not block.data.any()
    assert (block.sample_rate, block.timestamp_ns) == (44_100, 77)


@pytest.mark.parametrize("dtype", [np.float64, np.int16, np.int32])
def test_audio_must_be_float32(dtype: type) -> None:
    with pytest.raises(FrameError, match=r"float32.*data.astype\(np.float32\)"):
        AudioFrame(np.zeros((16, 2), dtype), 48_000)


@pytest.mark.parametrize("shape", [(16,), (16, 2, 1), (16, 0)])
def test_audio_must_be_samples_by_channels(shape: tuple[int, ...]) -> None:
    with pytest.raises(FrameError, match=r"shaped \(samples, channels\).*reshape\(-1, 1\)"):
        AudioFrame(np.zeros(shape, np.float32), 48_000)


@pytest.mark.parametrize("rate", [0, -48_000])
def test_audio_sample_rate_must_be_positive(rate: int) -> None:
    with pytest.raises(FrameError, match=f"sample_rate must be positive, got {rate}"):
        AudioFrame(np.zeros((4, 1), np.float32), rate)


def test_audio_rejects_non_arrays() -> None:
    with pytest.raises(FrameError, match="numpy array, not tuple"):
        AudioFrame((0.0, 0.0), 48_000)  # type: ignore[arg-type]


def test_audio_frame_is_immutable_and_replace_works() -> None:
    block = AudioFrame.silence(4, 1, 8_000)
    with pytest.raises(AttributeError, match="immutable"):
        block.sample_rate = 16_000  # type: ignore[misc]
    louder = block.replace(data=np.ones((4, 1), np.float32), frame_number=9)
    assert louder.data.sum() == 4
    assert (louder.sample_rate, louder.frame_number) == (8_000, 9)
    resampled = block.replace(sample_rate=16_000)
    assert resampled.data is block.data
    assert resampled.duration_ns == block.duration_ns // 2
    with pytest.raises(FrameError, match="float32"):
        block.replace(data=np.ones((4, 1), np.float64))


def test_audio_repr() -> None:
    block = AudioFrame.silence(256, 2, 48_000, timestamp_ns=5)
    assert repr(block) == "AudioFrame(256x2 at 48000 Hz, #0 at 5 ns)"


def test_audio_frame_subscript_gives_a_channel_specific_frame_type() -> None:
    stereo = AudioFrame[2]
    assert isinstance(stereo, FrameType)
    assert stereo == FrameType(AudioFrame, 2)
    assert stereo.frame_class is AudioFrame
    assert stereo.channels == 2
    assert str(stereo) == "AudioFrame[2]"
    assert AudioFrame.with_channels(2) == stereo
    assert hash(AudioFrame[2]) == hash(stereo)  # usable as a dict key


@pytest.mark.parametrize("bad", [0, -1])
def test_audio_frame_subscript_refuses_non_positive_counts(bad: int) -> None:
    with pytest.raises(FrameError, match="channel count must be at least 1"):
        AudioFrame[bad]


@pytest.mark.parametrize("bad", ["2", 2.0, True, None])
def test_audio_frame_subscript_refuses_non_integers(bad: object) -> None:
    with pytest.raises(FrameError, match=r"takes a channel count, e.g. AudioFrame\[2\]"):
        AudioFrame[bad]  # type: ignore[index]


# -- DataFrame ---------------------------------------------------------------------------


def test_data_frame_carries_payload_by_reference() -> None:
    payload = {"rms_db": -18.2, "peak_db": -3.1}
    frame = DataFrame(payload, timestamp_ns=42, frame_number=3, metadata={"src": "meter"})
    assert frame.payload is payload
    assert (frame.timestamp_ns, frame.frame_number, frame.metadata) == (42, 3, {"src": "meter"})
    assert repr(frame) == "DataFrame(dict, #3 at 42 ns)"


@pytest.mark.parametrize("payload", [b"\x00\x01", "text", 3.5, [1, 2], None])
def test_data_frame_accepts_json_values_and_bytes(payload: object) -> None:
    assert DataFrame(payload).payload == payload


def test_data_frame_is_immutable() -> None:
    frame = DataFrame(b"abc")
    with pytest.raises(AttributeError, match=r"immutable.*replace\(payload=\.\.\.\)"):
        frame.payload = b"xyz"
    assert frame.payload == b"abc"


def test_data_frame_replace() -> None:
    frame = DataFrame({"a": 1}, timestamp_ns=1, frame_number=1)
    moved = frame.replace(timestamp_ns=2)
    assert moved.payload is frame.payload
    assert (moved.timestamp_ns, moved.frame_number) == (2, 1)
    assert frame.replace(payload=[1]).payload == [1]
    assert frame.replace(payload=0).payload == 0  # falsy values are values
    assert frame.replace(payload=None).payload is None  # so is null


# -- FrameType ---------------------------------------------------------------------------


def test_frame_type_of_accepts_classes_and_frame_types() -> None:
    assert FrameType.of(VideoFrame) == FrameType(VideoFrame)
    stereo = AudioFrame[2]
    assert FrameType.of(stereo) is stereo
    assert VideoFrame.frame_type() == FrameType(VideoFrame)
    assert str(FrameType(VideoFrame)) == "VideoFrame"
    assert str(FrameType(Frame)) == "Frame"
    assert str(FrameType(DataFrame)) == "DataFrame"


@pytest.mark.parametrize("bad", [int, np.ndarray, "VideoFrame", None])
def test_frame_type_of_refuses_non_frames(bad: object) -> None:
    with pytest.raises(FrameError, match=r"a port carries a frame type such as VideoFrame"):
        FrameType.of(bad)  # type: ignore[arg-type]


def test_frame_type_is_frozen() -> None:
    stereo = AudioFrame[2]
    with pytest.raises(AttributeError):
        stereo.channels = 1  # type: ignore[misc]


V = FrameType(VideoFrame)
A = FrameType(AudioFrame)
D = FrameType(DataFrame)
ANY = FrameType(Frame)


@pytest.mark.parametrize(
    ("producer", "consumer", "expected"),
    [
        (V, V, True),
        (A, A, True),
        (D, D, True),
        (V, A, False),
        (A, V, False),
        (D, V, False),
        (V, D, False),
        # a specific type feeds a generic input (a passthrough)
        (V, ANY, True),
        (A, ANY, True),
        (AudioFrame[2], ANY, True),
        # a generic output (a passthrough) feeds anything
        (ANY, V, True),
        (ANY, A, True),
        (ANY, AudioFrame[2], True),
        (ANY, ANY, True),
        # channel counts
        (AudioFrame[2], AudioFrame[2], True),
        (AudioFrame[2], AudioFrame[1], False),
        (AudioFrame[1], AudioFrame[2], False),
        (AudioFrame[2], A, True),  # any-channel input takes stereo
        (A, AudioFrame[2], True),  # any-channel output: checked frame by frame
        (AudioFrame[2], V, False),
    ],
    ids=str,
)
def test_can_feed(producer: FrameType, consumer: FrameType, expected: bool) -> None:
    assert producer.can_feed(consumer) is expected


def test_can_feed_accepts_subclasses_of_the_input_type() -> None:
    class DepthFrame(VideoFrame):
        __slots__ = ()

    assert FrameType(DepthFrame).can_feed(V)
    assert not V.can_feed(FrameType(DepthFrame))


@pytest.mark.parametrize("fmt", ["rgba", "bgra", "gray8", "nv12"])
def test_replace_with_new_pixels_keeps_the_pixel_format(fmt: str) -> None:
    frame = VideoFrame.blank(8, 6, fmt)
    changed = frame.replace(data=255 - frame.to_ndarray())
    assert changed.pixel_format is frame.pixel_format
    assert (changed.width, changed.height) == (8, 6)
