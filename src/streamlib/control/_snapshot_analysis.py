"""Turn frames into something an agent can look at: an image, audio levels, a payload.

::

    image = encode_image(frame, image_format="png", max_size=512)
    image.data[:8]                       # b'\\x89PNG\\r\\n\\x1a\\n'
    audio = analyze_audio(blocks)
    audio.dominant_hz                    # 440.1 for a 440 Hz tone

Video is converted to RGB(A) first: packed formats directly, the 4:2:0 formats
(``yuv420p``, ``nv12``) by core's one color conversion (``yuv420_to_rgb``) with
BT.601 limited-range coefficients, which is what FFmpeg assumes for video that does
not say otherwise (frames carry no color matrix yet).
"""

from __future__ import annotations

import io
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..core import AudioFrame, DataFrame, FrameError, PixelFormat, VideoFrame, yuv420_to_rgb

__all__ = [
    "AudioAnalysis",
    "EncodedImage",
    "analyze_audio",
    "describe_data",
    "encode_image",
    "to_rgb",
]

ImageFormat = Literal["png", "jpeg"]

_SILENCE_DB = -120.0  # what a level of exactly zero is reported as
_SPECTRUM_BANDS = 24
_LOWEST_BAND_HZ = 20.0
_MAX_FFT_SAMPLES = 16_384


@dataclass(frozen=True, slots=True)
class EncodedImage:
    """An encoded picture and its size (after any downscaling)."""

    data: bytes
    mime_type: str
    width: int
    height: int


def to_rgb(frame: VideoFrame) -> np.ndarray[Any, Any]:
    """The frame as a ``(height, width, 3)`` RGB, ``(height, width, 4)`` RGBA or
    ``(height, width)`` gray uint8 array (a view where no conversion is needed)."""
    data = frame.to_ndarray()
    fmt = frame.pixel_format
    if fmt in (PixelFormat.RGB24, PixelFormat.RGBA, PixelFormat.GRAY8):
        return data
    if fmt is PixelFormat.BGRA:
        return data[..., [2, 1, 0, 3]]
    width, height = frame.width, frame.height
    flat = data.reshape(-1)
    luma = flat[: width * height].reshape(height, width)
    chroma_size = (width // 2) * (height // 2)
    if fmt is PixelFormat.YUV420P:
        u = flat[width * height : width * height + chroma_size].reshape(height // 2, width // 2)
        v = flat[width * height + chroma_size :].reshape(height // 2, width // 2)
    elif fmt is PixelFormat.NV12:
        pairs = flat[width * height :].reshape(height // 2, width // 2, 2)
        u, v = pairs[..., 0], pairs[..., 1]
    else:
        raise FrameError(f"no RGB conversion for {fmt.value} frames")
    return yuv420_to_rgb(luma, u, v)


def encode_image(
    frame: VideoFrame,
    *,
    image_format: ImageFormat = "png",
    max_size: int = 1024,
    quality: int = 85,
    max_width: int | None = None,
) -> EncodedImage:
    """Encode ``frame`` as PNG or JPEG, scaled down (aspect kept) to fit ``max_size`` pixels
    (and, given ``max_width``, at most that wide)."""
    # Imported here: Pillow comes with the faces' extras, and the operations layer must
    # import without it.
    from PIL import Image

    # Pillow reads the mode from the array: 2-D is L, 3 channels RGB, 4 RGBA.
    image = Image.fromarray(np.ascontiguousarray(to_rgb(frame)))
    if max(image.size) > max_size:
        image.thumbnail((max_size, max_size), Image.Resampling.BILINEAR)
    if max_width is not None and image.width > max_width:
        image.thumbnail((max_width, image.height), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    if image_format == "jpeg":
        if image.mode == "RGBA":
            image = image.convert("RGB")  # JPEG has no alpha
        image.save(out, format="JPEG", quality=quality)
        mime = "image/jpeg"
    else:
        image.save(out, format="PNG", compress_level=1)  # fast: snapshots are taken live
        mime = "image/png"
    return EncodedImage(out.getvalue(), mime, image.width, image.height)


@dataclass(frozen=True, slots=True)
class AudioAnalysis:
    """Levels per channel and a coarse spectrum of a stretch of audio.

    Levels are dBFS (0 dB is full scale); ``bands`` are log-spaced from 20 Hz
    to the Nyquist frequency, each the strongest component inside it, in dBFS
    of a sine's amplitude.
    """

    sample_rate: int
    channels: int
    samples: int
    rms_db: tuple[float, ...]
    peak_db: tuple[float, ...]
    clipped_samples: int
    dominant_hz: float | None
    dominant_db: float | None
    bands: tuple[tuple[float, float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "samples": self.samples,
            "duration_ms": round(1000 * self.samples / self.sample_rate, 2),
            "rms_db": list(self.rms_db),
            "peak_db": list(self.peak_db),
            "clipped_samples": self.clipped_samples,
            "dominant_hz": self.dominant_hz,
            "dominant_db": self.dominant_db,
            "spectrum": [
                {"low_hz": low, "high_hz": high, "db": level} for low, high, level in self.bands
            ],
        }


def analyze_audio(blocks: Sequence[AudioFrame]) -> AudioAnalysis:
    """Levels and spectrum of consecutive blocks of one stream (same rate and channels)."""
    if not blocks:
        raise FrameError("no audio to analyze")
    rate, channels = blocks[0].sample_rate, blocks[0].channels
    usable = [b for b in blocks if b.sample_rate == rate and b.channels == channels]
    samples = np.concatenate([b.to_ndarray() for b in usable], axis=0).astype(np.float64)
    magnitude = np.abs(samples)
    rms = np.sqrt(np.mean(samples**2, axis=0))
    peak = magnitude.max(axis=0)
    mono = samples.mean(axis=1)[-_MAX_FFT_SAMPLES:]
    dominant_hz, dominant_db, bands = _spectrum(mono, rate)
    return AudioAnalysis(
        sample_rate=rate,
        channels=channels,
        samples=int(samples.shape[0]),
        rms_db=tuple(_db(float(value)) for value in rms),
        peak_db=tuple(_db(float(value)) for value in peak),
        clipped_samples=int(np.count_nonzero(magnitude >= 1.0)),
        dominant_hz=dominant_hz,
        dominant_db=dominant_db,
        bands=bands,
    )


def _spectrum(
    mono: np.ndarray[Any, Any], rate: int
) -> tuple[float | None, float | None, tuple[tuple[float, float, float], ...]]:
    count = mono.shape[0]
    if count < 16:
        return None, None, ()
    window = np.hanning(count)
    # Scaled so that a full-scale sine reads 0 dB at its frequency.
    amplitude = np.abs(np.fft.rfft(mono * window)) * 2.0 / window.sum()
    frequencies = np.fft.rfftfreq(count, 1.0 / rate)
    nyquist = rate / 2.0
    edges = np.geomspace(_LOWEST_BAND_HZ, nyquist, _SPECTRUM_BANDS + 1)
    bands = []
    for low, high in itertools.pairwise(edges):
        inside = amplitude[(frequencies >= low) & (frequencies < high)]
        level = float(inside.max()) if inside.size else 0.0
        bands.append((round(float(low), 1), round(float(high), 1), _db(level)))
    peak = int(np.argmax(amplitude[1:])) + 1  # DC says nothing about pitch
    if amplitude[peak] <= 10 ** (_SILENCE_DB / 20):
        return None, None, tuple(bands)
    offset = 0.0
    if 1 <= peak < len(amplitude) - 1:  # a parabola through the log magnitudes
        left, center, right = (
            math.log(max(float(a), 1e-12)) for a in amplitude[peak - 1 : peak + 2]
        )
        curvature = left - 2 * center + right
        if curvature < 0:
            offset = 0.5 * (left - right) / curvature
    hz = (peak + offset) * rate / count
    return round(hz, 1), _db(float(amplitude[peak])), tuple(bands)


def _db(value: float) -> float:
    if value <= 0.0:
        return _SILENCE_DB
    return round(max(_SILENCE_DB, 20.0 * math.log10(value)), 2)


def describe_data(frame: DataFrame, *, max_chars: int = 4000) -> dict[str, Any]:
    """A data frame's payload as JSON (or, for bytes, its size and first bytes in hex)."""
    payload = frame.payload
    if isinstance(payload, (bytes, bytearray, memoryview)):
        raw = bytes(payload)
        return {"kind": "bytes", "size": len(raw), "head_hex": raw[:64].hex()}
    try:
        text = json.dumps(payload, default=str)
    except (TypeError, ValueError) as error:
        return {"kind": "unserializable", "repr": repr(payload)[:max_chars], "why": str(error)}
    if len(text) > max_chars:
        return {"kind": "json", "truncated": True, "text": text[:max_chars]}
    return {"kind": "json", "value": json.loads(text)}
