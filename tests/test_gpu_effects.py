"""Each GPU effect against a numpy reference, and user shaders (uniforms, reload, errors).

Tolerance: every output pixel within ``TOLERANCE`` (1 of 255 levels) of the numpy
reference, which computes in float64 and rounds once, as the GPU (float32) does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib as sl
from gpu_support import TOLERANCE, max_difference, require_gpu, run_effect
from runtime_support import EventLog, wait_until
from streamlib.core import PixelFormat, RuntimeWarned, ShaderError
from streamlib.gpu import kernels
from streamlib.processors import (
    ChromaKey,
    Collector,
    ColorInvert,
    ColorMatrix,
    GaussianBlur,
    Grayscale,
    ShaderEffect,
    TestPattern,
)

RNG = np.random.default_rng(7)
PICTURE = RNG.integers(0, 256, (41, 57, 3), dtype=np.uint8)  # odd sizes on purpose
RGBA = np.concatenate([PICTURE, RNG.integers(0, 256, (41, 57, 1), dtype=np.uint8)], axis=2)


@pytest.fixture(autouse=True)
def _gpu() -> None:
    require_gpu()


def _one(processor: type[sl.Processor], frame: sl.VideoFrame, **config: Any) -> sl.VideoFrame:
    (out,) = run_effect(processor, config, [frame])
    assert out.is_on_gpu
    assert not out.has_array
    return out


def _to_bytes(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)


def test_color_invert() -> None:
    out = _one(ColorInvert, sl.VideoFrame(RGBA, "rgba"))
    expected = RGBA.copy()
    expected[..., :3] = 255 - RGBA[..., :3]
    assert out.pixel_format is PixelFormat.RGBA
    assert max_difference(out.to_ndarray(), expected) == 0


@pytest.mark.parametrize("standard", ["bt601", "bt709"])
def test_grayscale(standard: str) -> None:
    out = _one(Grayscale, sl.VideoFrame(PICTURE, "rgb24"), standard=standard)
    luma = _to_bytes(PICTURE / 255.0 @ np.array(kernels.LUMA_WEIGHTS[standard]))
    assert max_difference(out.to_ndarray(), np.repeat(luma[..., None], 3, axis=2)) <= TOLERANCE


@pytest.mark.parametrize(
    ("brightness", "contrast", "saturation"), [(0.0, 1.0, 1.0), (0.1, 1.3, 0.5), (-0.2, 0.7, 2.0)]
)
def test_color_matrix(brightness: float, contrast: float, saturation: float) -> None:
    frame = sl.VideoFrame(PICTURE, "rgb24")
    out = _one(ColorMatrix, frame, brightness=brightness, contrast=contrast, saturation=saturation)
    rgb = PICTURE / 255.0
    luma = rgb @ np.array(kernels.LUMA_WEIGHTS["bt601"])
    saturated = luma[..., None] + saturation * (rgb - luma[..., None])
    expected = _to_bytes((saturated - 0.5) * contrast + 0.5 + brightness)
    assert max_difference(out.to_ndarray(), expected) <= TOLERANCE


def _gaussian_reference(picture: np.ndarray[Any, Any], sigma: float) -> np.ndarray[Any, Any]:
    """Separable Gaussian with edge clamping, in float64 (independent of the kernel code)."""
    radius = int(np.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1)
    weights = np.exp(-(x**2) / (2 * sigma**2))
    weights /= weights.sum()
    values = picture / 255.0
    for axis in (1, 0):
        pad = [(0, 0)] * values.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(values, pad, mode="edge")
        size = values.shape[axis]
        values = sum(
            w * np.take(padded, np.arange(i, i + size), axis=axis) for i, w in enumerate(weights)
        )
    return _to_bytes(values)


@pytest.mark.parametrize("sigma", [0.8, 2.5])
def test_gaussian_blur(sigma: float) -> None:
    out = _one(GaussianBlur, sl.VideoFrame(RGBA, "rgba"), sigma=sigma)
    assert max_difference(out.to_ndarray(), _gaussian_reference(RGBA, sigma)) <= TOLERANCE


def test_chroma_key() -> None:
    picture = PICTURE.copy()
    picture[:10] = (0, 255, 0)  # the screen
    picture[10:14] = (40, 200, 50)  # near it: partly transparent
    out = _one(ChromaKey, sl.VideoFrame(picture, "rgb24"), threshold=0.15, smoothness=0.1)
    assert out.pixel_format is PixelFormat.RGBA
    result = out.to_ndarray()
    rgb = picture / 255.0

    def chroma(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        cb = values @ np.array([-0.168736, -0.331264, 0.5])
        cr = values @ np.array([0.5, -0.418688, -0.081312])
        return np.stack([cb, cr], -1)

    distance = np.linalg.norm(chroma(rgb) - chroma(np.array([0.0, 1.0, 0.0])), axis=-1)
    t = np.clip((distance - 0.15) / 0.1, 0.0, 1.0)
    alpha = _to_bytes(t * t * (3 - 2 * t))
    assert max_difference(result[..., 3], alpha) <= TOLERANCE
    assert result[:10, :, 3].max() == 0
    assert 0 < result[10:14, :, 3].mean() < 255
    assert max_difference(result[..., :3], picture) == 0


def test_effects_keep_timestamps_and_metadata() -> None:
    frame = sl.VideoFrame(PICTURE, "rgb24", timestamp_ns=123, frame_number=4, metadata={"k": 1})
    out = _one(ColorInvert, frame)
    assert (out.timestamp_ns, out.frame_number, dict(out.metadata)) == (123, 4, {"k": 1})


def test_a_gpu_chain_passes_textures_without_downloads() -> None:
    frame = sl.VideoFrame(PICTURE, "rgb24")
    (inverted,) = run_effect(ColorInvert, None, [frame])
    (gray,) = run_effect(Grayscale, None, [inverted])
    assert not inverted.has_array  # the second effect took the texture as it was
    luma = _to_bytes((255 - PICTURE) / 255.0 @ np.array(kernels.LUMA_WEIGHTS["bt601"]))
    assert max_difference(gray.to_ndarray()[..., 0], luma) <= TOLERANCE


# -- ShaderEffect ----------------------------------------------------------------------

TINT = """
fn effect(pixel: vec2<i32>) -> vec4<f32> {
    let c = load(pixel);
    return vec4<f32>(c.rgb * params.gain + params.tint, c.a);
}
"""


def test_shader_effect_reads_uniforms_from_the_config() -> None:
    frame = sl.VideoFrame(np.full((6, 8, 3), 100, np.uint8))
    out = _one(ShaderEffect, frame, code=TINT, uniforms={"gain": 2.0, "tint": (0.0, 0.1, 0.5)})
    expected = _to_bytes(np.array([200, 200, 200]) / 255.0 + np.array([0.0, 0.1, 0.5]))
    assert max_difference(out.to_ndarray()[3, 4], expected) <= TOLERANCE


def test_shader_effect_builtins() -> None:
    code = """
fn effect(pixel: vec2<i32>) -> vec4<f32> {
    let uv = (vec2<f32>(pixel) + 0.5) / params.resolution;
    return vec4<f32>(uv, params.frame / 255.0, 1.0);
}
"""
    frames = [sl.VideoFrame(np.zeros((4, 8, 3), np.uint8)) for _ in range(3)]
    outs = run_effect(ShaderEffect, {"code": code}, frames)
    last = outs[-1].to_ndarray()
    assert last[0, 0].tolist() == [round(0.5 / 8 * 255), round(0.5 / 4 * 255), 2]


def test_bad_wgsl_fails_setup_with_the_line_and_column() -> None:
    code = "fn effect(pixel: vec2<i32>) -> vec4<f32> {\n    return load(pixel) +;\n}\n"
    with pytest.raises(ShaderError, match=r"(?s)does not compile.*expected expression.*wgsl:2:25"):
        run_effect(ShaderEffect, {"code": code}, [sl.VideoFrame(PICTURE)])


def test_a_shader_without_effect_is_refused_clearly() -> None:
    with pytest.raises(ShaderError, match="no definition in scope for identifier: `effect`"):
        run_effect(ShaderEffect, {"code": "fn other() {}"}, [sl.VideoFrame(PICTURE)])


def test_shader_config_is_checked() -> None:
    with pytest.raises(sl.ConfigError, match="either code or path"):
        ShaderEffect(code=TINT, path="x.wgsl")
    with pytest.raises(sl.ConfigError, match="uniform name 'time' is not usable"):
        ShaderEffect(code=TINT, uniforms={"time": 1.0})


def _solid(value: float) -> str:
    color = f"vec4<f32>({value}, 0.0, 0.0, 1.0)"
    return f"fn effect(pixel: vec2<i32>) -> vec4<f32> {{ return {color}; }}\n"


def test_shader_file_reloads_on_change_and_survives_a_broken_edit(tmp_path: Path) -> None:
    shader = tmp_path / "effect.wgsl"
    shader.write_text(_solid(1.0))
    with sl.Runtime() as rt:
        log = EventLog(rt.events, "runtime")
        src = rt.add(TestPattern, width=16, height=16, fps=50)
        fx = rt.add(ShaderEffect, id="fx", path=str(shader), check_interval_s=0.05)
        sink = rt.add(Collector, id="sink")
        rt.connect(src.video, fx.video_in)
        rt.connect(fx.video_out, sink.video)
        rt.start()
        collector: Any = rt.processor("sink")

        def newest_red() -> int:
            frames = collector.received()
            return int(frames[-1].to_ndarray()[0, 0, 0]) if frames else -1

        wait_until(lambda: newest_red() == 255, what="the first shader")
        time.sleep(0.02)  # a new mtime even on coarse file systems
        shader.write_text(_solid(0.0))
        wait_until(lambda: newest_red() == 0, what="the edited shader")
        shader.write_text("fn effect(pixel: vec2<i32>) -> vec4<f32> { oops }\n")
        wait_until(lambda: bool(log.of(RuntimeWarned)), what="a warning about the broken shader")
        warning = log.of(RuntimeWarned)[0]
        assert warning.processor_id == "fx"
        assert "keeping the last good shader" in warning.message
        assert "effect.wgsl" in warning.message
        count = len(collector.received())
        wait_until(lambda: len(collector.received()) > count + 2, what="frames after the error")
        assert newest_red() == 0  # still the last good one
        log.close()
