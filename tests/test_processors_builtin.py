"""The built-in device-free processors, run by a real runtime."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np
import pytest

import streamlib as sl
from runtime_support import Counter, assert_no_gaps, numbers, streamlib_threads, wait_until
from streamlib.processors import Collector, NullSink, Passthrough, TestPattern, ToneSource


@pytest.fixture
def rt() -> Iterator[sl.Runtime]:
    runtime = sl.Runtime()
    try:
        yield runtime
    finally:
        runtime.close()
    assert streamlib_threads() == []


def collect(
    rt: sl.Runtime, source: sl.ProcessorRef, port: str, count: int, **collector: object
) -> list[sl.Frame]:
    """Connect ``source.<port>`` to a lossless collector, run until ``count`` frames came."""
    sink = rt.add(Collector, id=f"got_{source}", **collector)
    rt.connect(source.port(port), sink.port(port), profile="lossless")
    rt.start()
    got = rt.processor(str(sink))
    assert isinstance(got, Collector)
    got.wait_for(count, port=port)
    rt.stop()
    return got.received(port)


# -- TestPattern ----------------------------------------------------------------------


def video_frames(frames: list[sl.Frame]) -> list[sl.VideoFrame]:
    assert all(isinstance(frame, sl.VideoFrame) for frame in frames)
    return frames  # type: ignore[return-value]


@pytest.mark.parametrize("pixel_format", ["rgb24", "rgba", "bgra", "gray8"])
def test_test_pattern_size_and_format(rt: sl.Runtime, pixel_format: str) -> None:
    src = rt.add(TestPattern, width=48, height=32, fps=200, pixel_format=pixel_format)
    frames = video_frames(collect(rt, src, "video", 5))
    fmt = sl.PixelFormat(pixel_format)
    for frame in frames:
        assert (frame.width, frame.height, frame.pixel_format) == (48, 32, fmt)
        assert frame.to_ndarray().shape == fmt.array_shape(48, 32)
        assert frame.to_ndarray().dtype == np.uint8
    if pixel_format in ("rgba", "bgra"):
        assert (frames[0].to_ndarray()[..., 3] == 255).all()


def test_test_pattern_numbers_and_timestamps_increase(rt: sl.Runtime) -> None:
    src = rt.add(TestPattern, width=32, height=16, fps=500)
    frames = collect(rt, src, "video", 30)
    assert_no_gaps(numbers(frames))
    stamps = [frame.timestamp_ns for frame in frames]
    assert all(b > a for a, b in itertools.pairwise(stamps))


@pytest.mark.parametrize("pattern", ["bars", "gradient", "checker"])
def test_test_pattern_moves_by_speed_each_frame(rt: sl.Runtime, pattern: str) -> None:
    speed = 4
    src = rt.add(TestPattern, width=64, height=32, fps=500, pattern=pattern, speed=speed)
    frames = [f.to_ndarray() for f in video_frames(collect(rt, src, "video", 20))]
    for before, after in itertools.pairwise(frames):
        assert not np.array_equal(before, after)
        # Scrolled left by `speed` pixels, wrapping around.
        assert np.array_equal(after, np.roll(before, -speed, axis=1))


def test_test_pattern_with_speed_zero_stands_still(rt: sl.Runtime) -> None:
    src = rt.add(TestPattern, width=32, height=16, fps=500, speed=0)
    frames = [f.to_ndarray() for f in video_frames(collect(rt, src, "video", 5))]
    assert all(np.array_equal(frames[0], frame) for frame in frames)


def first_frame(pattern: str) -> np.ndarray:
    with sl.Runtime() as runtime:
        src = runtime.add(TestPattern, width=70, height=40, fps=500, pattern=pattern, speed=0)
        (frame, *_) = video_frames(collect(runtime, src, "video", 1))
    return frame.to_ndarray()


def test_each_pattern_draws_what_it_says() -> None:
    bars, gradient, checker = (first_frame(p) for p in ("bars", "gradient", "checker"))
    assert not np.array_equal(bars, gradient)
    assert not np.array_equal(bars, checker)
    assert not np.array_equal(gradient, checker)

    # bars: seven vertical color bars, white first, every row the same
    assert (bars == bars[:1]).all()
    colors = {tuple(int(v) for v in px) for px in bars[0]}
    assert len(colors) == 7
    assert tuple(bars[0, 0]) == (235, 235, 235)

    # gradient: red grows left to right, green top to bottom
    red, green = gradient[..., 0].astype(int), gradient[..., 1].astype(int)
    assert (np.diff(red, axis=1) >= 0).all()
    assert (np.diff(green, axis=0) >= 0).all()
    assert (red[0, 0], red[0, -1], green[0, 0], green[-1, 0]) == (0, 255, 0, 255)

    # checker: black and white cells that alternate
    assert set(np.unique(checker).tolist()) == {0, 255}
    cell = 8
    assert checker[0, 0, 0] != checker[0, cell, 0]
    assert checker[0, 0, 0] != checker[cell, 0, 0]
    assert checker[0, 0, 0] == checker[cell, cell, 0]


# -- ToneSource -----------------------------------------------------------------------


def audio(frames: list[sl.Frame]) -> list[sl.AudioFrame]:
    assert all(isinstance(frame, sl.AudioFrame) for frame in frames)
    return frames  # type: ignore[return-value]


def tone_blocks(rt: sl.Runtime, count: int, **config: object) -> list[sl.AudioFrame]:
    src = rt.add(ToneSource, id="tone", **config)
    return audio(collect(rt, src, "audio", count))


def peak_frequencies(signal: np.ndarray, rate: int, how_many: int) -> list[float]:
    """The strongest spectral peaks, from a Hann-windowed FFT zero-padded to 1/8 Hz bins."""
    size = 8 * rate
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)), n=size))
    freqs = np.fft.rfftfreq(size, 1 / rate)
    is_peak = (spectrum[1:-1] > spectrum[:-2]) & (spectrum[1:-1] >= spectrum[2:])
    peaks = np.flatnonzero(is_peak) + 1
    strongest = peaks[np.argsort(spectrum[peaks])[::-1][:how_many]]
    return sorted(float(freqs[i]) for i in strongest)


@pytest.mark.parametrize("frequency", [440.0, 1234.5])
def test_tone_frequency(rt: sl.Runtime, frequency: float) -> None:
    blocks = tone_blocks(rt, 20, frequencies=(frequency,), channels=1)
    signal = np.concatenate([b.to_ndarray()[:, 0] for b in blocks])
    (measured,) = peak_frequencies(signal.astype(np.float64), 48_000, 1)
    assert measured == pytest.approx(frequency, abs=1.0)


def test_tone_phase_is_continuous_across_blocks(rt: sl.Runtime) -> None:
    frequency, amplitude, rate = 441.3, 0.5, 48_000
    blocks = tone_blocks(
        rt, 12, frequencies=(frequency,), amplitude=amplitude, block_size=300, channels=1
    )
    signal = np.concatenate([b.to_ndarray()[:, 0] for b in blocks])
    n = np.arange(len(signal))
    expected = amplitude * np.sin(2 * math.pi * frequency * n / rate)
    assert np.abs(signal - expected).max() < 1e-5


def test_tone_timestamps_are_sample_exact(rt: sl.Runtime) -> None:
    rate, block = 48_000, 256  # 5333333.33 ns per block: rounding must not accumulate
    blocks = tone_blocks(rt, 15, sample_rate=rate, block_size=block)
    assert_no_gaps(numbers(blocks))
    start = blocks[0].timestamp_ns
    for k, frame in enumerate(blocks):
        assert frame.timestamp_ns - start == k * block * 1_000_000_000 // rate
        assert frame.sample_rate == rate
        assert frame.to_ndarray().shape == (block, 2)
        assert frame.to_ndarray().dtype == np.float32


def test_tone_chord_has_each_note(rt: sl.Runtime) -> None:
    chord = (261.63, 329.63, 392.0)
    blocks = tone_blocks(rt, 20, frequencies=chord, amplitude=0.3)
    stereo = np.concatenate([b.to_ndarray() for b in blocks])
    assert np.array_equal(stereo[:, 0], stereo[:, 1])  # the same tone in each channel
    assert np.abs(stereo).max() <= 0.3 + 1e-6
    measured = peak_frequencies(stereo[:, 0].astype(np.float64), 48_000, 3)
    assert measured == pytest.approx(list(chord), abs=1.0)


# -- Passthrough, NullSink, Collector ---------------------------------------------------


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "unfused"])
def test_passthrough_passes_the_same_objects(fuse: bool) -> None:
    source = Counter()
    source.keep_sent = True
    with sl.Runtime(fuse=fuse) as runtime:
        runtime.add(source, id="src")
        runtime.add(Passthrough, id="through")
        runtime.add(Collector, id="got")
        runtime.connect("src.data", "through.frames_in", profile="lossless")
        runtime.connect("through.frames_out", "got.data")
        runtime.start()
        got = runtime.processor("got")
        assert isinstance(got, Collector)
        got.wait_for(30, port="data")
        runtime.stop()
        received = got.received("data")
    assert len(received) == len(source.sent)
    assert all(a is b for a, b in zip(received, source.sent, strict=True))


def test_passthrough_carries_any_frame_type(rt: sl.Runtime) -> None:
    rt.add(TestPattern, id="tp", width=32, height=16, fps=200)
    rt.add(Passthrough, id="through")
    rt.add(Collector, id="got")
    rt.connect("tp.video", "through.frames_in")
    rt.connect("through.frames_out", "got.video")
    rt.start()
    got = rt.processor("got")
    assert isinstance(got, Collector)
    frames = video_frames(got.wait_for(3, port="video"))
    assert frames[0].width == 32


def test_null_sink_counts_everything_it_gets(rt: sl.Runtime) -> None:
    source = Counter()
    rt.add(source, id="src")
    rt.add(TestPattern, id="tp", width=32, height=16, fps=200)
    rt.add(ToneSource, id="tone")
    sink = rt.add(NullSink, id="null")
    rt.connect("src.data", sink.data, profile="lossless")
    rt.connect("tp.video", sink.video)
    rt.connect("tone.audio", sink.audio)
    rt.start()
    null = rt.processor("null")
    assert isinstance(null, NullSink)
    wait_until(lambda: min(null.counts.values()) >= 3, what="every input to count")
    rt.stop()
    assert null.counts["data"] == source.next_number
    stats = rt.statistics()
    assert stats.processors["null"].frames_in == sum(null.counts.values())


def test_collector_wait_for_times_out_and_keeps_the_newest(rt: sl.Runtime) -> None:
    src = rt.add(Counter, id="src")
    got_ref = rt.add(Collector, id="got", max_frames=5)
    rt.connect(src.data, got_ref.data)
    got = rt.processor("got")
    assert isinstance(got, Collector)
    with pytest.raises(TimeoutError, match="0 of 1 frames"):
        got.wait_for(1, port="data", timeout_s=0.01)
    rt.start()
    wait_until(lambda: len(got.received("data")) == 5 and got.received("data")[0].frame_number > 0)
    rt.stop()
    kept = numbers(got.received("data"))
    assert len(kept) == 5
    assert kept[-1] == rt.processor("src").next_number - 1  # type: ignore[attr-defined]
    assert_no_gaps(kept, start=None)


def test_test_pattern_in_yuv420p_matches_its_rgb_picture() -> None:
    """yuv420p frames (what encoders take) show the same picture, read back by FFmpeg."""
    av = pytest.importorskip("av", reason="reading yuv420p back needs PyAV")
    from streamlib.testing import run_processor

    for pattern, tolerance in (("checker", 0), ("gradient", 2)):
        config = {"width": 128, "height": 64, "pattern": pattern, "speed": 6}
        yuv = run_processor(TestPattern, {**config, "pixel_format": "yuv420p"}, calls=3)["video"]
        rgb = run_processor(TestPattern, config, calls=3)["video"]
        for ours, reference in zip(yuv, rgb, strict=True):
            assert ours.pixel_format is sl.PixelFormat.YUV420P
            back = av.VideoFrame.from_ndarray(ours.to_ndarray(), format="yuv420p")
            difference = np.abs(
                back.to_ndarray(format="rgb24").astype(int) - reference.to_ndarray().astype(int)
            )
            assert np.median(difference) <= tolerance


def test_test_pattern_refuses_odd_sizes_in_yuv420p() -> None:
    with pytest.raises(sl.ConfigError, match="even width and height"):
        TestPattern(width=101, height=64, pixel_format="yuv420p")


def test_a_frame_log_wakes_its_waiter_when_enough_frames_arrive() -> None:
    import threading

    from streamlib.testing import FrameLog

    log = FrameLog(max_frames=3)
    frames = [sl.DataFrame({"n": n}, frame_number=n) for n in range(4)]
    assert not log.wait_until(lambda kept: len(kept) >= 1, timeout_s=0.01)  # nothing yet
    adder = threading.Timer(0.02, log.add, args=(frames,))
    adder.start()
    assert log.wait_until(lambda kept: len(kept) >= 3, timeout_s=5.0)
    adder.join()
    assert [frame.frame_number for frame in log.snapshot()] == [1, 2, 3]  # the newest 3 kept
    log.add(frames[:1])  # a full log still stamps what arrives
    assert [frame.frame_number for frame in log.snapshot()] == [2, 3, 0]
    assert len(log.arrivals_ns) == 3
    assert log.arrivals_ns[-1] >= log.arrivals_ns[0]
