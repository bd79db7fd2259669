"""GpuContext: one wgpu adapter, device and queue, with the frame texture pool.

::

    gpu = GpuContext.create()                 # the best real GPU, else software
    gpu = GpuContext.create("software")       # lavapipe / llvmpipe, e.g. for tests
    texture = frame.to_gpu(gpu)               # upload once, cached on the frame
    gpu.adapter.summary                       # 'NVIDIA GeForce RTX 4090 [DiscreteGPU, Vulkan]'

Every processor of a runtime should use the same context (see
``shared_gpu_context``), so textures pass between them without copies.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
import wgpu

from ..core import FrameError, GpuError, GpuTexture, VideoFrame
from ._adapters import AdapterDescription, choose_adapter, describe_adapter
from ._texture import Texture, TexturePool
from ._transfer import FrameTransfer

__all__ = ["ADAPTER_ENV", "GpuContext"]

ADAPTER_ENV = "STREAMLIB_GPU_ADAPTER"
"""Environment variable naming the adapter to use: auto, hardware, software or part of a name."""


class GpuContext:
    """A wgpu device and queue, the adapter they came from, and frame transfers.

    Implements the core's ``GpuUploader``, so ``frame.to_gpu(gpu)`` works with it.
    Create it with :meth:`create`; most processors use the process-wide one from
    ``shared_gpu_context()`` instead.
    """

    def __init__(self, adapter: Any, description: AdapterDescription, device: Any) -> None:
        self.adapter_handle = adapter
        self.adapter = description
        self.device = device
        self.queue = device.queue
        self.max_texture_size = int(device.limits["max-texture-dimension-2d"])
        self.textures = TexturePool(self)
        self._transfer = FrameTransfer(self)
        self._caches: dict[str, Any] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def create(cls, adapter: str | None = None) -> GpuContext:
        """A context on the adapter ``adapter`` asks for (default: ``$STREAMLIB_GPU_ADAPTER``,
        else ``"auto"``); ``GpuError`` naming the adapters found when none fits."""
        request = adapter if adapter is not None else os.environ.get(ADAPTER_ENV, "auto")
        try:
            adapters = list(wgpu.gpu.enumerate_adapters_sync())
        except Exception as error:  # wgpu-native failing to load or to find a driver
            raise GpuError(f"cannot list GPU adapters: {type(error).__name__}: {error}") from error
        described = [describe_adapter(index, a.info) for index, a in enumerate(adapters)]
        chosen = choose_adapter(described, request)
        handle = adapters[chosen.index]
        try:
            device = handle.request_device_sync(
                label="streamlib", required_limits={"max-texture-dimension-2d": _max_2d(handle)}
            )
        except Exception as error:
            raise GpuError(
                f"the GPU adapter {chosen.summary} refused to open a device: {error}"
            ) from error
        return cls(handle, chosen, device)

    # -- GpuUploader ---------------------------------------------------------------------

    def upload(self, frame: VideoFrame) -> Texture:
        """A texture with ``frame``'s pixels (prefer ``frame.to_gpu(gpu)``, which caches)."""
        return self._transfer.upload(frame.to_ndarray(), frame.pixel_format)

    def upload_array(self, array: np.ndarray[Any, Any], pixel_format: Any) -> Texture:
        """A texture with ``array``'s pixels laid out as ``pixel_format``."""
        from ..core import PixelFormat

        return self._transfer.upload(array, PixelFormat.parse(pixel_format))

    def owns(self, texture: GpuTexture) -> bool:
        return isinstance(texture, Texture) and texture.context is self

    def texture_of(self, frame: VideoFrame) -> Texture:
        """``frame`` on this device: its own texture, or uploaded (and cached) now."""
        texture = frame.to_gpu(self)
        if not isinstance(texture, Texture):  # owns() guarantees it; this tells mypy
            raise FrameError(f"{frame!r} carries a texture of another GPU library")
        return texture

    def download(self, texture: Texture) -> np.ndarray[Any, Any]:
        """``texture``'s pixels as a new array in its ``pixel_format`` (waits for the GPU)."""
        return self._transfer.download(texture)

    def wait_idle(self) -> None:
        """Block until the GPU finished everything submitted so far (benchmarks, tests).

        Maps a tiny buffer after a command that touches it: a map completes only
        once the queue's earlier work is done. (wgpu-py 0.32's
        ``on_submitted_work_done_sync`` fails in its C binding.)
        """
        with self._cache_lock:
            fence = self._caches.get("idle-fence")
            if fence is None:
                fence = self.device.create_buffer(
                    label="idle fence",
                    size=4,
                    usage=wgpu.BufferUsage.MAP_READ | wgpu.BufferUsage.COPY_DST,
                )
                self._caches["idle-fence"] = fence
            encoder = self.device.create_command_encoder(label="idle fence")
            encoder.clear_buffer(fence)
            self.queue.submit([encoder.finish()])
            fence.map_sync(wgpu.MapMode.READ)
            fence.unmap()

    # -- helpers for processors ----------------------------------------------------------

    def cached(self, key: str, make: Any) -> Any:
        """A device object (a pipeline, a sampler) made once per context by ``make()``."""
        with self._cache_lock:
            value = self._caches.get(key)
            if value is None:
                value = make()
                self._caches[key] = value
            return value

    def __repr__(self) -> str:
        return f"<GpuContext {self.adapter.summary}>"


def _max_2d(adapter: Any) -> int:
    # Ask for what the adapter offers (the WebGPU default of 8192 is below 8K video).
    return int(adapter.limits["max-texture-dimension-2d"])
