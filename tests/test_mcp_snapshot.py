"""What snapshots show: every pixel format as an image, audio levels and spectrum, data."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pytest
from PIL import Image

import streamlib as sl
from streamlib.control._snapshot_analysis import analyze_audio, describe_data, encode_image, to_rgb

# Colors and their BT.601 limited-range YUV, as FFmpeg converts them.
COLORS = {
    "red": ((255, 0, 0), (81, 90, 240)),
    "green": ((0, 255, 0), (145, 54, 34)),
    "blue": ((0, 0, 255), (41, 240, 110)),
    "gray": ((128, 128, 128), (126, 128, 128)),
}


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def quadrants(width: int = 8, height: int = 6) -> np.ndarray[Any, Any]:
    """An RGB picture: red, green / blue, gray quadrants."""
    rgb = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    rgb[:h, :w] = COLORS["red"][0]
    rgb[:h, w:] = COLORS["green"][0]
    rgb[h:, :w] = COLORS["blue"][0]
    rgb[h:, w:] = COLORS["gray"][0]
    return rgb


def test_rgb24_round_trips_exactly_through_png() -> None:
    rgb = quadrants()
    image = encode_image(sl.VideoFrame(rgb, "rgb24"))
    assert image.mime_type == "image/png"
    assert (image.width, image.height) == (8, 6)
    decoded = decode(image.data)
    assert decoded.mode == "RGB"
    assert np.array_equal(np.asarray(decoded), rgb)


def test_alpha_formats() -> None:
    rgb = quadrants()
    alpha = np.full((6, 8, 1), 200, np.uint8)
    rgba = np.concatenate([rgb, alpha], axis=2)
    bgra = np.concatenate([rgb[..., ::-1], alpha], axis=2)
    for frame in (sl.VideoFrame(rgba, "rgba"), sl.VideoFrame(bgra, "bgra")):
        decoded = decode(encode_image(frame).data)
        assert decoded.mode == "RGBA"
        assert np.array_equal(np.asarray(decoded), rgba)
        jpeg = decode(encode_image(frame, image_format="jpeg", quality=95).data)
        assert jpeg.format == "JPEG"
        assert jpeg.mode == "RGB"  # JPEG has no alpha


def test_gray8_stays_gray() -> None:
    gray = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    decoded = decode(encode_image(sl.VideoFrame(gray, "gray8")).data)
    assert decoded.mode == "L"
    assert np.array_equal(np.asarray(decoded), gray)


def yuv_planes(width: int, height: int) -> tuple[np.ndarray[Any, Any], ...]:
    """Y, U, V planes of ``quadrants(width, height)`` (chroma at half resolution)."""
    names = [["red", "green"], ["blue", "gray"]]
    rows = np.arange(height) * 2 // height  # which quadrant row each pixel row is in
    cols = np.arange(width) * 2 // width

    def plane(component: int, step: int) -> np.ndarray[Any, Any]:
        return np.array(
            [[COLORS[names[r][c]][1][component] for c in cols[::step]] for r in rows[::step]],
            np.uint8,
        )

    return plane(0, 1), plane(1, 2), plane(2, 2)


@pytest.mark.parametrize("pixel_format", ["yuv420p", "nv12"])
def test_420_formats_convert_to_the_right_colors(pixel_format: str) -> None:
    width, height = 8, 8
    y, u, v = yuv_planes(width, height)
    if pixel_format == "yuv420p":
        flat = np.concatenate([y.ravel(), u.ravel(), v.ravel()])
    else:
        flat = np.concatenate([y.ravel(), np.stack([u, v], axis=-1).ravel()])
    frame = sl.VideoFrame(flat.reshape(height * 3 // 2, width), pixel_format)
    rgb = to_rgb(frame).astype(int)
    expected = quadrants(width, height).astype(int)
    assert rgb.shape == (height, width, 3)
    assert np.abs(rgb - expected).max() <= 3


def test_420_with_a_height_not_divisible_by_four() -> None:
    # Chroma planes then end mid-row of the combined array; the conversion reads them flat.
    frame = sl.VideoFrame.blank(8, 6, "yuv420p")
    assert to_rgb(frame).shape == (6, 8, 3)


def test_scaling_keeps_the_aspect_ratio() -> None:
    frame = sl.VideoFrame.blank(640, 480)
    image = encode_image(frame, max_size=100)
    assert (image.width, image.height) == (100, 75)
    assert decode(image.data).size == (100, 75)
    unscaled = encode_image(frame, max_size=640)
    assert (unscaled.width, unscaled.height) == (640, 480)


def sine_blocks(
    frequency: float, amplitude: float, *, channels: int = 2, blocks: int = 10, rate: int = 48_000
) -> list[sl.AudioFrame]:
    samples = np.arange(blocks * 480) / rate
    wave = (amplitude * np.sin(2 * math.pi * frequency * samples)).astype(np.float32)
    data = np.repeat(wave[:, None], channels, axis=1)
    return [sl.AudioFrame(data[i * 480 : (i + 1) * 480], rate) for i in range(blocks)]


def test_audio_levels_and_dominant_frequency() -> None:
    analysis = analyze_audio(sine_blocks(1000.0, 0.5))
    assert analysis.samples == 4800
    assert analysis.dominant_hz == pytest.approx(1000, abs=2)
    assert analysis.dominant_db == pytest.approx(-6.02, abs=0.5)
    assert analysis.rms_db == (pytest.approx(-9.03, abs=0.05),) * 2
    assert analysis.peak_db == (pytest.approx(-6.02, abs=0.05),) * 2
    assert analysis.clipped_samples == 0
    loudest = max(analysis.bands, key=lambda band: band[2])
    assert loudest[0] <= 1000 < loudest[1]
    assert len(analysis.bands) == 24
    assert analysis.bands[0][0] == 20.0
    assert analysis.bands[-1][1] == 24_000.0
    as_json = analysis.to_dict()
    assert as_json["duration_ms"] == 100.0
    assert len(as_json["spectrum"]) == 24


def test_audio_per_channel_silence_and_clipping() -> None:
    left = np.full((480, 1), 0.0, np.float32)
    right = np.concatenate([np.full((240, 1), 1.0), np.full((240, 1), -1.0)]).astype(np.float32)
    block = sl.AudioFrame(np.concatenate([left, right], axis=1), 48_000)
    analysis = analyze_audio([block])
    assert analysis.rms_db == (-120.0, 0.0)
    assert analysis.peak_db == (-120.0, 0.0)
    assert analysis.clipped_samples == 480
    silent = analyze_audio([sl.AudioFrame.silence(480, 1, 48_000)])
    assert silent.dominant_hz is None
    assert silent.rms_db == (-120.0,)


def test_data_payloads() -> None:
    assert describe_data(sl.DataFrame({"a": [1, 2]})) == {"kind": "json", "value": {"a": [1, 2]}}
    raw = describe_data(sl.DataFrame(bytes(range(100))))
    assert raw == {"kind": "bytes", "size": 100, "head_hex": bytes(range(64)).hex()}
    long = describe_data(sl.DataFrame("x" * 10_000), max_chars=100)
    assert long["truncated"] is True
    assert len(long["text"]) == 100
    odd = describe_data(sl.DataFrame({1j: 2}))
    assert odd["kind"] == "unserializable"
