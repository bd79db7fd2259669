"""Audio transforms against numpy references: mixer, channels, resampler, rechunker,
gain, level meter, chord generator; and the sample FIFO and switch-interval helper."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from audio_support import dominant_frequency, rms, sine
from runtime_support import streamlib_threads
from streamlib.audio import (
    SampleFifo,
    StreamResampler,
    convert_channels,
    hold_switch_interval,
    switch_interval_holds,
)
from streamlib.core import Connection, DeliveryProfile, PortRef, ProcessorId
from streamlib.processors import (
    AudioChannelConverter,
    AudioMixer,
    AudioResampler,
    BufferRechunker,
    ChordGenerator,
    Collector,
    Gain,
    LevelMeter,
)
from streamlib.processors._audio.chord_generator import note_frequency
from streamlib.testing import run_processor

RATE = 48_000


def blocks_of(data: np.ndarray, size: int, rate: int = RATE, start_ns: int = 0) -> list[Any]:
    """``data`` cut into AudioFrames of ``size`` samples (the last may be shorter)."""
    return [
        sl.AudioFrame(
            np.ascontiguousarray(data[i : i + size]),
            rate,
            timestamp_ns=start_ns + i * 1_000_000_000 // rate,
            frame_number=i // size,
        )
        for i in range(0, len(data), size)
    ]


def joined(frames: list[Any]) -> np.ndarray:
    return np.concatenate([frame.data for frame in frames])


def stereo(seconds: float = 0.1, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.5, 0.5, (int(RATE * seconds), 2)).astype(np.float32)


# -- SampleFifo ------------------------------------------------------------------------


def test_fifo_keeps_order_across_wraparound() -> None:
    fifo = SampleFifo(100, 1)
    source = np.arange(1000, dtype=np.float32)[:, None]
    out = np.empty((1000, 1), np.float32)
    written = read = 0
    sizes = [7, 33, 61, 13]
    while read < 1000:
        n = min(sizes[written % 4], 1000 - written, 100 - fifo.available)
        fifo.write(source[written : written + n])
        written += n
        read += fifo.read_into(out[read:], 17)
    np.testing.assert_array_equal(out, source)
    assert fifo.dropped == 0


def test_fifo_drops_oldest_when_full_and_counts() -> None:
    fifo = SampleFifo(10, 1)
    fifo.write(np.arange(8, dtype=np.float32)[:, None])
    fifo.write(np.arange(8, 14, dtype=np.float32)[:, None])
    assert (fifo.available, fifo.dropped) == (10, 4)
    out = np.empty((10, 1), np.float32)
    fifo.read_into(out)
    np.testing.assert_array_equal(out[:, 0], np.arange(4, 14))
    bigger = SampleFifo(4, 1).resized(16)
    assert bigger.capacity == 16


# -- channels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "channels", "expected"),
    [
        ("duplicate", 4, lambda x: x[:, [0, 1, 0, 1]]),
        ("left", 2, lambda x: x[:, [0, 0]]),
        ("right", 3, lambda x: x[:, [1, 1, 1]]),
        ("downmix", 1, lambda x: x.mean(axis=1, keepdims=True)),
        ("downmix", 2, lambda x: x.mean(axis=1, keepdims=True).repeat(2, axis=1)),
    ],
)
def test_channel_converter_matches_numpy(mode: str, channels: int, expected: Any) -> None:
    data = stereo()
    out = run_processor(
        AudioChannelConverter,
        {"channels": channels, "mode": mode},
        inputs={"audio_in": blocks_of(data, 256)},
    )["audio_out"]
    assert all(frame.channels == channels for frame in out)
    np.testing.assert_allclose(joined(out), expected(data), rtol=1e-6, atol=1e-7)


def test_mono_to_eight_channels() -> None:
    mono = sine(440, 0.05, RATE)[:, None]
    out = convert_channels(mono, 8, "duplicate")
    np.testing.assert_array_equal(out, mono.repeat(8, axis=1))


# -- mixer -----------------------------------------------------------------------------


def test_mixer_sums_normalizes_and_clips_in_a_runtime() -> None:
    a = stereo(0.2, seed=1)
    b = stereo(0.2, seed=2) * 3.0  # loud: the plain sum clips
    expected_norm = np.clip((a + b) / 2, -1, 1)
    expected_sum = np.clip(a + b, -1, 1)
    for normalize, expected in ((True, expected_norm), (False, expected_sum)):
        out = run_processor(
            AudioMixer,
            {"block_size": 256, "normalize": normalize},
            inputs={"audio_in_0": blocks_of(a, 480), "audio_in_3": blocks_of(b, 100)},
        )["audio_out"]
        mixed = joined(out)
        whole = (len(a) // 256) * 256
        assert mixed.shape == (whole, 2)
        np.testing.assert_allclose(mixed, expected[:whole], rtol=1e-6, atol=1e-6)
        assert np.max(np.abs(mixed)) <= 1.0


def test_mixer_treats_a_stalled_input_as_silence() -> None:
    a = stereo(0.2, seed=3)
    b = stereo(0.01, seed=4)  # stops after 480 samples
    mixer = AudioMixer(block_size=128, normalize=False, clip=False, max_lag_blocks=4)
    out = run_processor(
        mixer, inputs={"audio_in_0": blocks_of(a, 128), "audio_in_1": blocks_of(b, 480)}, calls=1
    )["audio_out"]
    mixed = joined(out)
    reference = a[: len(mixed)].copy()
    reference[: len(b)] += b
    np.testing.assert_allclose(mixed, reference, rtol=1e-6, atol=1e-6)
    assert mixer.input_gaps > 0


def test_mixer_refuses_mismatched_formats() -> None:
    a = blocks_of(stereo(0.01), 256)
    b = blocks_of(stereo(0.01)[:, :1], 256)
    with pytest.raises(sl.FrameError, match="AudioChannelConverter"):
        run_processor(AudioMixer, inputs={"audio_in_0": a, "audio_in_1": b})


# -- resampler -------------------------------------------------------------------------


@pytest.mark.parametrize("quality", ["quick", "medium", "high", "very_high"])
def test_resampler_keeps_frequency_and_length(quality: str) -> None:
    tone = sine(1000.0, 1.0, 44_100)[:, None]
    out = run_processor(
        AudioResampler,
        {"sample_rate": RATE, "resample_quality": quality},
        inputs={"audio_in": blocks_of(tone, 441, rate=44_100)},
    )["audio_out"]
    assert all(frame.sample_rate == RATE for frame in out)
    data = joined(out)[:, 0]
    assert abs(len(data) - RATE) <= 2  # the end of the stream flushes the filter's tail
    assert dominant_frequency(data[4800:-4800], RATE) == pytest.approx(1000.0, abs=0.5)
    # Against the same tone generated at 48 kHz: the level is kept.
    assert rms(data[4800:-4800]) == pytest.approx(rms(sine(1000.0, 0.8, RATE)), rel=0.01)


def test_resampler_stopped_without_an_end_keeps_its_tail() -> None:
    tone = sine(1000.0, 0.5, 44_100)[:, None]
    frames = blocks_of(tone, 441, rate=44_100)
    ended = joined(run_processor(AudioResampler, inputs={"audio_in": frames})["audio_out"])
    stopped = joined(
        run_processor(AudioResampler, inputs={"audio_in": frames}, end_of_stream=False)["audio_out"]
    )
    assert len(stopped) < len(ended)  # a stop writes nothing into closing connections
    np.testing.assert_array_equal(stopped, ended[: len(stopped)])


def test_resampler_matches_the_analytic_signal() -> None:
    resampler = StreamResampler(32_000, RATE, 1, "very_high")
    tone = sine(440.0, 0.5, 32_000)[:, None]
    pieces = [resampler.process(tone[i : i + 320]) for i in range(0, len(tone), 320)]
    data = np.concatenate([*pieces, resampler.flush()])[:, 0]
    reference = sine(440.0, 0.5, RATE)
    middle = slice(2400, len(reference) - 2400)
    np.testing.assert_allclose(data[middle], reference[middle], atol=2e-3)


def test_resampler_passes_through_at_the_target_rate() -> None:
    frames = blocks_of(stereo(0.01), 256)
    out = run_processor(AudioResampler, {"sample_rate": RATE}, inputs={"audio_in": frames})
    assert out["audio_out"] == frames


# -- rechunker -------------------------------------------------------------------------


def test_rechunker_makes_fixed_blocks_and_loses_nothing() -> None:
    data = stereo(0.1)
    frames = blocks_of(data[:1000], 333) + blocks_of(data[1000:], 1200, start_ns=0)
    out = run_processor(BufferRechunker, {"block_size": 256}, inputs={"audio_in": frames})[
        "audio_out"
    ]
    assert all(frame.samples == 256 for frame in out)
    np.testing.assert_array_equal(joined(out)[: len(data)], data)  # the last block is padded
    assert not joined(out)[len(data) :].any()
    stamps = [frame.timestamp_ns for frame in out]
    assert stamps == [i * 256 * 1_000_000_000 // RATE for i in range(len(out))]
    assert [frame.frame_number for frame in out] == list(range(len(out)))


def test_rechunker_grows_for_large_blocks() -> None:
    data = stereo(0.5)
    frames = blocks_of(data[:64], 64) + blocks_of(data[64:], 20_000)
    out = run_processor(
        BufferRechunker, {"block_size": 512, "pad_last": False}, inputs={"audio_in": frames}
    )
    got = joined(out["audio_out"])
    np.testing.assert_array_equal(got, data[: len(got)])
    assert len(data) - len(got) < 512


# -- gain and meter --------------------------------------------------------------------


@pytest.mark.parametrize("gain_db", [0.0, -6.0, 12.0, -120.0])
def test_gain_matches_decibels(gain_db: float) -> None:
    data = stereo(0.05)
    out = run_processor(Gain, {"gain_db": gain_db}, inputs={"audio_in": blocks_of(data, 256)})[
        "audio_out"
    ]
    np.testing.assert_allclose(joined(out), data * 10 ** (gain_db / 20), rtol=1e-6, atol=1e-9)


def test_gain_change_ramps_over_one_block() -> None:
    """A live change goes from the old factor to the new across the next block."""
    feed: Connection[sl.AudioFrame] = Connection(
        PortRef(ProcessorId("feed"), "out"), PortRef(ProcessorId("gain"), "audio_in"),
        DeliveryProfile.LOSSLESS, 8,
    )  # fmt: skip
    take: Connection[sl.AudioFrame] = Connection(
        PortRef(ProcessorId("gain"), "audio_out"), PortRef(ProcessorId("take"), "in"),
        DeliveryProfile.LOSSLESS, 8,
    )  # fmt: skip
    take.inline_consumer = True
    gain = Gain(gain_db=0.0)
    gain.inputs["audio_in"].attach(feed)
    gain.outputs["audio_out"].attach(take)
    gain.setup(SimpleNamespace())  # type: ignore[arg-type]  # Gain uses nothing of the context
    ones = np.ones((256, 1), np.float32)
    feed.push(sl.AudioFrame(ones, RATE), 0)
    gain.process()
    gain.config = gain.config.updated({"gain_db": -20.0}, owner="test")  # as the runtime does
    for _ in range(2):
        feed.push(sl.AudioFrame(ones, RATE), 0)
    gain.process()
    before, ramp, after = (frame.data[:, 0] for frame in take.pop_all())
    assert (before == 1.0).all()
    np.testing.assert_allclose(ramp, np.linspace(1.0, 0.1, 256), rtol=1e-6)
    np.testing.assert_allclose(after, 0.1, rtol=1e-6)


def test_level_meter_reports_rms_and_peak_per_channel() -> None:
    left = sine(750.0, 256 / RATE * 4, RATE, amplitude=0.5)  # 4 whole cycles a block
    data = np.stack([left, np.zeros_like(left)], axis=1)
    frames = blocks_of(data, 256)
    out = run_processor(LevelMeter, inputs={"audio_in": frames})
    assert out["audio_out"] == frames  # passed through unchanged
    levels = out["levels"]
    assert len(levels) == 4
    for frame, level in zip(frames, levels, strict=True):
        payload = level.payload
        assert level.timestamp_ns == frame.timestamp_ns
        expected_rms = np.sqrt(np.mean(frame.data.astype(np.float64) ** 2, axis=0))
        np.testing.assert_allclose(payload["rms"], expected_rms, rtol=1e-6)
        np.testing.assert_allclose(payload["peak"], np.max(np.abs(frame.data), axis=0), rtol=1e-6)
        assert payload["rms_db"][0] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
        assert payload["rms_db"][1] == -120.0
        assert payload["samples"] == 256


# -- chord generator -------------------------------------------------------------------


def test_note_frequencies() -> None:
    assert note_frequency("A4") == 440.0
    assert note_frequency("C4") == pytest.approx(261.6256, abs=1e-3)
    assert note_frequency("F#3") == pytest.approx(184.9972, abs=1e-3)
    assert note_frequency("Bb2", 12) == pytest.approx(233.0819, abs=1e-3)
    with pytest.raises(ValueError, match="not a note"):
        note_frequency("H2")


def test_chord_generator_plays_the_chord_tones() -> None:
    src = ChordGenerator(root="A3", chord_type="minor7", block_size=4800, channels=1, amplitude=0.8)
    out = run_processor(src, calls=10)["audio"]
    data = joined(out)[:, 0]
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data))))
    freqs = np.fft.rfftfreq(len(data), 1 / RATE)
    peaks = sorted(freqs[np.argsort(spectrum)[-40:]])
    expected = [note_frequency("A3", s) for s in (0, 3, 7, 10)]
    for tone in expected:
        assert any(abs(peak - tone) < 2.0 for peak in peaks), (tone, peaks)
    assert np.max(np.abs(data)) <= 0.8 + 1e-6


def test_chord_generator_config_errors() -> None:
    with pytest.raises(sl.ConfigError, match="chord_type"):
        ChordGenerator(chord_type="majestic")
    with pytest.raises(sl.ConfigError, match="root"):
        ChordGenerator(root="X9")


def test_chord_change_while_running() -> None:
    with sl.Runtime() as rt:
        src = rt.add(ChordGenerator, root="C4", block_size=480, channels=1)
        sink = rt.add(Collector, id="sink")
        rt.connect(src.audio, sink.audio)
        rt.start()
        collector = rt.processor("sink")
        assert isinstance(collector, Collector)
        collector.wait_for(5, port="audio")
        rt.update_config(src, root="G4", chord_type="sus4")
        seen = len(collector.received("audio"))
        frames = collector.wait_for(seen + 30, port="audio")
        rt.stop()
    tail = joined(frames[-20:])[:, 0]
    spectrum = np.abs(np.fft.rfft(tail * np.hanning(len(tail))))
    freqs = np.fft.rfftfreq(len(tail), 1 / RATE)
    strongest = freqs[np.argmax(spectrum)]
    assert min(abs(strongest - note_frequency("G4", s)) for s in (0, 5, 7)) < 6.0
    assert streamlib_threads() == []


# -- the switch interval ---------------------------------------------------------------


def test_switch_interval_holds_are_counted_and_restored() -> None:
    original = sys.getswitchinterval()
    first = hold_switch_interval(1e-3)
    assert sys.getswitchinterval() == pytest.approx(1e-3)
    second = hold_switch_interval(1e-4)
    assert sys.getswitchinterval() == pytest.approx(1e-4)
    second.release()
    assert sys.getswitchinterval() == pytest.approx(1e-3)
    second.release()  # idempotent
    assert switch_interval_holds() == 1
    first.release()
    assert sys.getswitchinterval() == pytest.approx(original)
    assert switch_interval_holds() == 0
    with pytest.raises(ValueError, match="positive"):
        hold_switch_interval(0)
