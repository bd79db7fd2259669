"""GPU context and GPU-backed frames: adapter choice, transfers, caching, pooling, fan-out."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import streamlib as sl
from gpu_support import TOLERANCE, require_gpu
from streamlib.core import GpuError, GpuTexture, PixelFormat, RuntimeStateError
from streamlib.gpu import (
    AdapterDescription,
    GpuContext,
    Texture,
    choose_adapter,
    configure_shared_gpu,
    describe_adapter,
)
from streamlib.processors import Collector, ColorInvert, TestPattern

# -- adapter choice ------------------------------------------------------------------


def _adapter(index: int, name: str, kind: str, backend: str = "Vulkan") -> AdapterDescription:
    return AdapterDescription(index, name, "", kind, backend)


ADAPTERS = [
    _adapter(0, "llvmpipe (LLVM 15)", "CPU"),
    _adapter(1, "Intel UHD 770", "IntegratedGPU"),
    _adapter(2, "NVIDIA RTX 4090", "DiscreteGPU", "OpenGL"),
    _adapter(3, "NVIDIA RTX 4090", "DiscreteGPU"),
]


def test_auto_prefers_a_discrete_gpu_on_a_native_backend() -> None:
    assert choose_adapter(ADAPTERS, "auto").index == 3


def test_hardware_and_software_requests() -> None:
    assert choose_adapter(ADAPTERS, "hardware").index == 3
    assert choose_adapter(ADAPTERS, "software").name.startswith("llvmpipe")
    assert choose_adapter(ADAPTERS, "intel").index == 1
    assert choose_adapter(ADAPTERS, "opengl").index == 2


def test_auto_falls_back_to_software() -> None:
    assert choose_adapter(ADAPTERS[:1], "auto").index == 0


def test_no_match_names_every_adapter_found() -> None:
    with pytest.raises(GpuError, match=r"no GPU adapter matches 'amd'.*llvmpipe.*Intel UHD 770"):
        choose_adapter(ADAPTERS, "amd")
    with pytest.raises(GpuError, match=r"adapters found: none.*mesa-vulkan-drivers"):
        choose_adapter([], "auto")
    with pytest.raises(GpuError, match=r"'hardware'.*\[CPU, Vulkan\]"):
        choose_adapter(ADAPTERS[:1], "hardware")


def test_describe_adapter_reads_wgpu_info() -> None:
    info = {"device": "llvmpipe", "vendor": "Mesa", "adapter_type": "CPU", "backend_type": "Vulkan"}
    described = describe_adapter(2, info)
    assert (described.index, described.summary) == (2, "llvmpipe [CPU, Vulkan]")
    assert described.is_software


def test_the_real_adapters_of_this_machine() -> None:
    gpu = require_gpu()
    assert gpu.adapter.summary in repr(gpu)
    with pytest.raises(
        GpuError, match=rf"no GPU adapter matches 'no-such-gpu'.*{gpu.adapter.name[:8]}"
    ):
        GpuContext.create("no-such-gpu")


def test_the_shared_context_cannot_move_once_made() -> None:
    gpu = require_gpu()
    configure_shared_gpu(None)  # the request it was made with: allowed
    with pytest.raises(RuntimeStateError, match=f"already runs on {gpu.adapter.name[:8]}"):
        configure_shared_gpu("software-please")


# -- transfers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "shape"),
    [("rgba", (37, 53, 4)), ("bgra", (37, 53, 4)), ("rgb24", (37, 53, 3)), ("gray8", (37, 53))],
)
def test_upload_and_download_are_exact(fmt: str, shape: tuple[int, ...]) -> None:
    gpu = require_gpu()
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    if fmt == "gray8":
        array[0, :4] = (0, 1, 128, 255)
    texture = gpu.upload_array(array, fmt)
    assert (texture.width, texture.height) == (53, 37)
    np.testing.assert_array_equal(texture.download(), array)


def _yuv_reference(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """BT.601 limited range, chroma repeated per 2x2 block (what FFmpeg assumes)."""
    u = u.repeat(2, 0).repeat(2, 1).astype(np.float64) - 128
    v = v.repeat(2, 0).repeat(2, 1).astype(np.float64) - 128
    c = 1.164383 * (y.astype(np.float64) - 16)
    rgb = np.stack([c + 1.596027 * v, c - 0.391762 * u - 0.812968 * v, c + 2.017232 * u], -1)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def test_yuv420p_and_nv12_convert_on_upload() -> None:
    gpu = require_gpu()
    rng = np.random.default_rng(2)
    w, h = 16, 12
    y = rng.integers(16, 236, (h, w), dtype=np.uint8)
    u = rng.integers(16, 241, (h // 2, w // 2), dtype=np.uint8)
    v = rng.integers(16, 241, (h // 2, w // 2), dtype=np.uint8)
    expected = _yuv_reference(y, u, v)
    planar = np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)]).reshape(h * 3 // 2, w)
    interleaved = np.stack([u, v], -1).reshape(h // 2, w)
    semi = np.concatenate([y, interleaved])
    for data, fmt in ((planar, "yuv420p"), (semi, "nv12")):
        frame = sl.VideoFrame(data, fmt)
        texture = gpu.texture_of(frame)
        assert texture.pixel_format is PixelFormat.RGB24  # 4:2:0 comes back as rgb24
        assert np.abs(texture.download().astype(int) - expected).max() <= TOLERANCE


# -- frames ----------------------------------------------------------------------------


def test_a_cpu_frame_uploads_once_and_keeps_its_texture() -> None:
    gpu = require_gpu()
    frame = sl.VideoFrame(np.zeros((8, 10, 3), np.uint8))
    assert not frame.is_on_gpu
    texture = frame.to_gpu(gpu)
    assert isinstance(texture, GpuTexture)
    assert frame.to_gpu(gpu) is texture  # cached on the frame
    assert gpu.texture_of(frame) is texture
    assert frame.is_on_gpu
    assert frame.has_array


def test_a_gpu_frame_downloads_once_read_only() -> None:
    gpu = require_gpu()
    array = np.random.default_rng(3).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    frame = sl.VideoFrame(gpu.upload_array(array, "rgb24"), timestamp_ns=5, frame_number=2)
    assert (frame.width, frame.height, frame.pixel_format) == (9, 6, PixelFormat.RGB24)
    assert not frame.has_array
    assert repr(frame) == "VideoFrame(9x6 rgb24 on GPU, #2 at 5 ns)"
    assert frame.is_frozen  # nothing a consumer could write to
    first = frame.to_ndarray()
    assert frame.data is first  # downloaded once, then cached
    np.testing.assert_array_equal(first, array)
    assert not first.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        first[0, 0, 0] = 1


def test_replace_keeps_the_texture_and_checks_formats() -> None:
    gpu = require_gpu()
    texture = gpu.upload_array(np.zeros((4, 4, 4), np.uint8), "rgba")
    frame = sl.VideoFrame(texture)
    later = frame.replace(frame_number=9, metadata={"k": 1})
    assert later.texture is texture
    assert not later.has_array
    assert later.frame_number == 9
    with pytest.raises(sl.FrameError, match="this texture downloads as rgba, not rgb24"):
        sl.VideoFrame(texture, "rgb24")
    with pytest.raises(sl.FrameError, match="or, for a frame kept on the GPU, a GpuTexture"):
        sl.VideoFrame("pixels")  # type: ignore[arg-type]


def test_a_texture_of_another_context_is_uploaded_again() -> None:
    gpu = require_gpu()
    other = GpuContext.create(gpu.adapter.name)
    frame = sl.VideoFrame(np.full((4, 4, 3), 7, np.uint8))
    mine = frame.to_gpu(gpu)
    theirs = frame.to_gpu(other)
    assert theirs is not mine
    assert other.owns(theirs)
    assert not gpu.owns(theirs)
    np.testing.assert_array_equal(other.download(theirs), frame.to_ndarray())


def test_the_texture_pool_reuses_textures_no_frame_holds() -> None:
    gpu = require_gpu()
    pool = gpu.textures
    first = pool.acquire(31, 17, PixelFormat.RGBA)
    first_id = id(first)
    kept = pool.acquire(31, 17, PixelFormat.RGBA)
    assert kept is not first  # both in use
    del first
    gc.collect()
    again = pool.acquire(31, 17, PixelFormat.RGB24)
    assert id(again) == first_id
    assert again.pixel_format is PixelFormat.RGB24
    assert isinstance(again, Texture)


def test_fan_out_shares_one_gpu_frame_and_one_download() -> None:
    require_gpu()
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=64, height=48, fps=60, speed=0)
        fx = rt.add(ColorInvert)
        a = rt.add(Collector, id="a")
        b = rt.add(Collector, id="b")
        rt.connect(src.video, fx.video_in)
        rt.connect(fx.video_out, a.video)
        rt.connect(fx.video_out, b.video)
        rt.start()
        got_a = rt.processor("a").wait_for(3, timeout_s=20)  # type: ignore[attr-defined]
        rt.processor("b").wait_for(3, timeout_s=20)  # type: ignore[attr-defined]
    frame = got_a[0]
    assert isinstance(frame, sl.VideoFrame)
    assert frame.is_on_gpu
    by_number = {f.frame_number: f for f in rt.processor("b").received()}  # type: ignore[attr-defined]
    same = by_number[frame.frame_number]
    assert same is frame  # by reference: the consumers share the frame
    array = frame.to_ndarray()
    assert same.to_ndarray() is array  # converted once for both
    assert array[0, 0].tolist() == [20, 20, 20]  # 255 - 235: the white bar inverted
