"""GPU throughput: 1080p compositing, upload+download round trips, an effect chain vs numpy.

Runs streamlib's GPU layer (``streamlib.gpu``: the context, transfers, the
kernels the effect processors run, the quad renderer the Compositor draws with)
on the adapter ``$STREAMLIB_GPU_ADAPTER`` names (default: the best real GPU,
else software), and the same effect chain in numpy on the CPU, in one run.
Prints JSON::

    PYTHONPATH=src python bench/gpu_effects.py            # about 1 min on lavapipe
    PYTHONPATH=src python bench/gpu_effects.py --quick    # a smoke test

Needs numpy, wgpu and streamlib's own dependencies (pydantic, PyYAML); no
window system, glfw or rendercanvas.

- ``compositing``: four 1920x1080 inputs already on the GPU, drawn as a 2x2
  grid into a 1920x1080 frame, frames/s (and the same with the four inputs
  uploaded from numpy every frame, as with CPU sources).
- ``round_trip``: upload a 1920x1080 frame and download it again, ms per trip
  (rgba, which needs no conversion, and rgb24, converted on the GPU both ways).
- ``effect_chain``: ColorMatrix -> GaussianBlur (sigma 2) -> ColorInvert on a
  1920x1080 rgb24 frame: on the GPU from a numpy frame to a numpy frame
  (upload and download included) and with the frame already on the GPU, against
  the same arithmetic in float32 numpy.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from streamlib.core import PixelFormat
from streamlib.gpu import ComputeEffect, GpuContext, Quad, QuadRenderer, Texture, kernels

WIDTH, HEIGHT = 1920, 1080
SIGMA = 2.0
MAX_RADIUS = 60


def _timed(run: Callable[[], object], repeats: int, *, warmup: int = 2) -> list[float]:
    """Seconds per call, after ``warmup`` calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def _ms(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(times) * 1e3, 3),
        "min_ms": round(min(times) * 1e3, 3),
    }


class GpuChain:
    """The three effects as the processors record them, one submit per frame."""

    def __init__(self, gpu: GpuContext) -> None:
        import wgpu

        self.gpu = gpu
        self.matrix = ComputeEffect(
            gpu, kernels.COLOR_MATRIX_WGSL, label="ColorMatrix", params_size=80
        )
        self.horizontal = ComputeEffect(
            gpu, kernels.BLUR_WGSL, label="blur h", params_size=16, weights=True,
            target_format="rgba16float",
        )  # fmt: skip
        self.vertical = ComputeEffect(
            gpu, kernels.BLUR_WGSL, label="blur v", params_size=16, weights=True
        )
        self.invert = ComputeEffect(gpu, kernels.INVERT_WGSL, label="ColorInvert")
        kernel = kernels.gaussian_kernel(SIGMA, MAX_RADIUS)
        self.radius = len(kernel) - 1
        padded = np.zeros(MAX_RADIUS + 1, np.float32)
        padded[: len(kernel)] = kernel
        self.weights = gpu.device.create_buffer_with_data(
            data=padded, usage=wgpu.BufferUsage.STORAGE
        )
        self.between = gpu.device.create_texture(
            size=(WIDTH, HEIGHT, 1),
            format="rgba16float",
            usage=wgpu.TextureUsage.TEXTURE_BINDING | wgpu.TextureUsage.STORAGE_BINDING,
        )
        self.matrix_params = kernels.color_matrix_params(0.05, 1.2, 0.8)

    def run(self, source: Texture) -> Texture:
        gpu = self.gpu
        textures = gpu.textures
        graded = textures.acquire(WIDTH, HEIGHT, source.pixel_format)
        blurred = textures.acquire(WIDTH, HEIGHT, source.pixel_format)
        inverted = textures.acquire(WIDTH, HEIGHT, source.pixel_format)
        # One submit per effect, as three processors in a row would do.
        encoder = gpu.device.create_command_encoder()
        self.matrix.encode(encoder, source, graded, params=self.matrix_params)
        gpu.queue.submit([encoder.finish()])
        encoder = gpu.device.create_command_encoder()
        horizontal = kernels.blur_params(True, self.radius)
        vertical = kernels.blur_params(False, self.radius)
        self.horizontal.encode(
            encoder, graded, self.between, params=horizontal, weights=self.weights
        )
        self.vertical.encode(encoder, self.between, blurred, params=vertical, weights=self.weights)
        gpu.queue.submit([encoder.finish()])
        encoder = gpu.device.create_command_encoder()
        self.invert.encode(encoder, blurred, inverted)
        gpu.queue.submit([encoder.finish()])
        return inverted


def numpy_chain(frame: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The same chain in float32 numpy (what a CPU processor chain would compute)."""
    matrix, offset = kernels.color_matrix(0.05, 1.2, 0.8)
    rgb = frame.astype(np.float32) * np.float32(1 / 255)
    rgb = np.clip(rgb @ matrix.T.astype(np.float32) + np.float32(offset), 0.0, 1.0)
    weights = kernels.gaussian_kernel(SIGMA, MAX_RADIUS)
    radius = len(weights) - 1
    for axis in (1, 0):
        pad = [(0, 0)] * 3
        pad[axis] = (radius, radius)
        padded = np.pad(rgb, pad, mode="edge")
        size = rgb.shape[axis]
        out = padded.take(range(radius, radius + size), axis=axis) * weights[0]
        for i in range(1, radius + 1):
            out += weights[i] * (
                padded.take(range(radius + i, radius + i + size), axis=axis)
                + padded.take(range(radius - i, radius - i + size), axis=axis)
            )
        rgb = out
    inverted: np.ndarray[Any, Any] = (np.float32(255) - np.round(rgb * 255)).astype(np.uint8)
    return inverted


def bench_compositing(gpu: GpuContext, frames: int) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    arrays = [rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(4)]
    inputs = [gpu.upload_array(array, PixelFormat.RGB24) for array in arrays]
    quads = QuadRenderer(gpu)
    half_w, half_h = WIDTH / 2, HEIGHT / 2
    cells = [(0.0, 0.0), (half_w, 0.0), (0.0, half_h), (half_w, half_h)]

    def compose(sources: list[Texture]) -> Texture:
        target = gpu.textures.acquire(WIDTH, HEIGHT, PixelFormat.RGB24)
        encoder = gpu.device.create_command_encoder()
        quads.draw(
            encoder,
            target.view,
            (WIDTH, HEIGHT),
            [
                Quad(t.view, (x, y, half_w, half_h))
                for t, (x, y) in zip(sources, cells, strict=True)
            ],
            clear=(0.0, 0.0, 0.0, 1.0),
        )
        gpu.queue.submit([encoder.finish()])
        return target

    def resident() -> None:
        for _ in range(frames):
            compose(inputs)
        gpu.wait_idle()

    def uploaded() -> None:
        for _ in range(frames):
            compose([gpu.upload_array(a, PixelFormat.RGB24) for a in arrays])
        gpu.wait_idle()

    resident_s = min(_timed(resident, 3, warmup=1))
    uploaded_s = min(_timed(uploaded, 2, warmup=1))
    return {
        "inputs": 4,
        "size": f"{WIDTH}x{HEIGHT}",
        "frames_per_run": frames,
        "gpu_resident_inputs_fps": round(frames / resident_s, 1),
        "uploaded_inputs_fps": round(frames / uploaded_s, 1),
    }


def bench_round_trip(gpu: GpuContext, repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(2)
    result: dict[str, Any] = {"size": f"{WIDTH}x{HEIGHT}"}
    for fmt in (PixelFormat.RGBA, PixelFormat.RGB24):
        array = rng.integers(0, 256, fmt.array_shape(WIDTH, HEIGHT), dtype=np.uint8)
        back = gpu.upload_array(array, fmt).download()
        if not np.array_equal(back, array):
            raise SystemExit(f"round trip changed the {fmt.value} pixels")

        def trip(a: np.ndarray[Any, Any] = array, f: PixelFormat = fmt) -> object:
            return gpu.upload_array(a, f).download()

        times = _timed(trip, repeats)
        result[fmt.value] = _ms(times)
    return result


def bench_effect_chain(gpu: GpuContext, repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    chain = GpuChain(gpu)
    on_gpu = chain.run(gpu.upload_array(frame, PixelFormat.RGB24)).download()
    on_cpu = numpy_chain(frame)
    difference = int(np.abs(on_gpu.astype(np.int16) - on_cpu.astype(np.int16)).max())
    resident = gpu.upload_array(frame, PixelFormat.RGB24)

    def gpu_resident() -> None:
        for _ in range(5):
            chain.run(resident)
        gpu.wait_idle()

    gpu_round_trip = _timed(lambda: chain.run(gpu.upload_array(frame, "rgb24")).download(), repeats)
    gpu_resident_s = [t / 5 for t in _timed(gpu_resident, max(2, repeats // 3), warmup=1)]
    cpu = _timed(lambda: numpy_chain(frame), repeats, warmup=1)
    cpu_ms = statistics.median(cpu) * 1e3
    return {
        "chain": ["ColorMatrix", f"GaussianBlur(sigma={SIGMA})", "ColorInvert"],
        "size": f"{WIDTH}x{HEIGHT} rgb24",
        "max_abs_difference_gpu_vs_numpy": difference,
        "gpu_numpy_in_numpy_out": _ms(gpu_round_trip),
        "gpu_frame_already_on_gpu": _ms(gpu_resident_s),
        "numpy_cpu": _ms(cpu),
        "speedup_gpu_numpy_in_out_vs_numpy": round(
            cpu_ms / (statistics.median(gpu_round_trip) * 1e3), 2
        ),
        "speedup_gpu_resident_vs_numpy": round(
            cpu_ms / (statistics.median(gpu_resident_s) * 1e3), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument("--adapter", default=None, help="auto, hardware, software or a name")
    args = parser.parse_args()
    repeats = 3 if args.quick else 10
    gpu = GpuContext.create(args.adapter)
    report = {
        "benchmark": "gpu_effects",
        "adapter": {
            "name": gpu.adapter.name,
            "type": gpu.adapter.adapter_type,
            "backend": gpu.adapter.backend,
            "description": gpu.adapter.description,
        },
        "python": platform.python_version(),
        "machine": platform.machine(),
        "round_trip": bench_round_trip(gpu, repeats),
        "effect_chain": bench_effect_chain(gpu, repeats),
        "compositing": bench_compositing(gpu, 5 if args.quick else 30),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
