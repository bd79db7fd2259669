"""The WGSL kernels of the built-in effects, and the numbers they take.

Used by ``streamlib.processors`` (ColorInvert, Grayscale, ColorMatrix,
GaussianBlur, ChromaKey) and by ``bench/gpu_effects.py``; each kernel is the
body of a :class:`ComputeEffect`::

    blur = ComputeEffect(gpu, BLUR_WGSL, label="blur", params_size=16, weights=True)
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

__all__ = [
    "BLUR_WGSL",
    "CHROMA_KEY_WGSL",
    "COLOR_MATRIX_WGSL",
    "GRAYSCALE_WGSL",
    "INVERT_WGSL",
    "LUMA_WEIGHTS",
    "blur_params",
    "chroma_key_params",
    "color_matrix",
    "color_matrix_params",
    "gaussian_kernel",
    "grayscale_params",
]

LUMA_WEIGHTS = {"bt601": (0.299, 0.587, 0.114), "bt709": (0.2126, 0.7152, 0.0722)}
"""R, G, B weights of luma per standard."""

INVERT_WGSL = """
fn effect(pixel: vec2<i32>) -> vec4<f32> {
    let c = load(pixel);
    return vec4<f32>(vec3<f32>(1.0) - c.rgb, c.a);
}
"""

GRAYSCALE_WGSL = """
struct Params { weights: vec4<f32> }

fn effect(pixel: vec2<i32>) -> vec4<f32> {
    let c = load(pixel);
    return vec4<f32>(vec3<f32>(dot(c.rgb, params.weights.rgb)), c.a);
}
"""

COLOR_MATRIX_WGSL = """
struct Params { matrix: mat4x4<f32>, offset: vec4<f32> }

fn effect(pixel: vec2<i32>) -> vec4<f32> {
    let c = load(pixel);
    let rgb = (params.matrix * vec4<f32>(c.rgb, 0.0)).rgb + params.offset.rgb;
    return vec4<f32>(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)), c.a);
}
"""

BLUR_WGSL = """
struct Params { direction: vec2<i32>, radius: i32, _pad: i32 }

fn effect(pixel: vec2<i32>) -> vec4<f32> {
    var sum = load(pixel) * weights[0];
    for (var i = 1; i <= params.radius; i = i + 1) {
        let offset = params.direction * i;
        sum = sum + (load(pixel + offset) + load(pixel - offset)) * weights[i];
    }
    return sum;
}
"""

CHROMA_KEY_WGSL = """
struct Params { key: vec4<f32>, threshold: f32, smoothness: f32, _pad0: f32, _pad1: f32 }

fn chroma(rgb: vec3<f32>) -> vec2<f32> {
    return vec2<f32>(dot(rgb, vec3<f32>(-0.168736, -0.331264, 0.5)),
                     dot(rgb, vec3<f32>(0.5, -0.418688, -0.081312)));
}

fn effect(pixel: vec2<i32>) -> vec4<f32> {
    let c = load(pixel);
    let d = distance(chroma(c.rgb), chroma(params.key.rgb));
    let t = clamp((d - params.threshold) / max(params.smoothness, 1e-4), 0.0, 1.0);
    return vec4<f32>(c.rgb, c.a * t * t * (3.0 - 2.0 * t));
}
"""


def grayscale_params(standard: str) -> bytes:
    """``GRAYSCALE_WGSL``'s params (16 bytes) for ``bt601`` or ``bt709``."""
    return struct.pack("<4f", *LUMA_WEIGHTS[standard], 0.0)


def color_matrix(
    brightness: float, contrast: float, saturation: float
) -> tuple[np.ndarray[Any, Any], float]:
    """The 3x3 matrix and offset of ``rgb' = M @ rgb + offset`` (values 0..1):
    saturation around BT.601 luma, then contrast around 0.5, then brightness."""
    gray = np.tile(np.array(LUMA_WEIGHTS["bt601"]), (3, 1))
    saturate = saturation * np.eye(3) + (1.0 - saturation) * gray
    return contrast * saturate, 0.5 - 0.5 * contrast + brightness


def color_matrix_params(brightness: float, contrast: float, saturation: float) -> bytes:
    """``COLOR_MATRIX_WGSL``'s params (80 bytes)."""
    matrix, offset = color_matrix(brightness, contrast, saturation)
    full = np.zeros((4, 4), np.float32)
    full[:3, :3] = matrix
    # WGSL matrices are column-major: the transpose's rows are its columns.
    return full.T.tobytes() + struct.pack("<4f", offset, offset, offset, 0.0)


def gaussian_kernel(sigma: float, max_radius: int) -> np.ndarray[Any, Any]:
    """Normalised one-sided weights ``[w0, w1, ... wr]`` with ``r = ceil(3 sigma)``."""
    radius = min(max_radius, max(1, math.ceil(3.0 * sigma)))
    x = np.arange(radius + 1, dtype=np.float64)
    weights = np.exp(-(x**2) / (2.0 * sigma * sigma))
    weights /= weights[0] + 2.0 * weights[1:].sum()
    return weights.astype(np.float32)


def blur_params(horizontal: bool, radius: int) -> bytes:
    """``BLUR_WGSL``'s params (16 bytes) for one pass."""
    return struct.pack("<4i", 1 if horizontal else 0, 0 if horizontal else 1, radius, 0)


def chroma_key_params(
    key_color: tuple[int, int, int], threshold: float, smoothness: float
) -> bytes:
    """``CHROMA_KEY_WGSL``'s params (32 bytes); ``key_color`` is R, G, B in 0..255."""
    key = [value / 255.0 for value in key_color]
    return struct.pack("<8f", *key, 1.0, threshold, smoothness, 0.0, 0.0)
