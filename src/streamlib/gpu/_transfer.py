"""Moving frames between numpy arrays and GPU textures, with reused staging buffers.

Uploads write the frame's bytes as they are into a reused storage buffer and a
compute pass unpacks them into the texture (so rgb24, gray8 and the YUV 4:2:0
formats convert on the GPU); rgba goes straight into the texture. Downloads
pack the texture into the wanted format on the GPU, copy into a reused
mappable buffer and read that once into a fresh array::

    texture = transfer.upload(array, PixelFormat.NV12)    # a rgba8unorm Texture
    array = transfer.download(texture)                     # (h, w, 3) for rgb24
"""

from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import wgpu

from ..core import FrameError, PixelFormat
from ._shaders import compile_wgsl, create_compute_pipeline
from ._transfer_wgsl import PACK_WGSL, UNPACK_WGSL

if TYPE_CHECKING:
    from ._context import GpuContext
    from ._texture import Texture

__all__ = ["FrameTransfer"]

_FORMAT_CODES = {
    PixelFormat.RGBA: 0,
    PixelFormat.BGRA: 1,
    PixelFormat.RGB24: 2,
    PixelFormat.GRAY8: 3,
    PixelFormat.YUV420P: 4,
    PixelFormat.NV12: 5,
}
_BYTES_PER_PIXEL = {
    PixelFormat.RGBA: 4,
    PixelFormat.BGRA: 4,
    PixelFormat.RGB24: 3,
    PixelFormat.GRAY8: 1,
}
_ROW_ALIGNMENT = 256  # WebGPU: bytes_per_row of a texture <-> buffer copy
_MAX_GROUPS = 65535


def _round_up(value: int, multiple: int) -> int:
    return (value + multiple - 1) // multiple * multiple


class _StagingBuffers:
    """Mappable read-back buffers by size; each is held by one download at a time."""

    def __init__(self, device: Any, *, keep: int = 4) -> None:
        self._device = device
        self._keep = keep
        self._free: dict[int, list[Any]] = {}
        self._lock = threading.Lock()
        self.created = 0

    def take(self, size: int) -> Any:
        with self._lock:
            free = self._free.get(size)
            if free:
                return free.pop()
        self.created += 1
        return self._device.create_buffer(
            label="download staging",
            size=size,
            usage=wgpu.BufferUsage.MAP_READ | wgpu.BufferUsage.COPY_DST,
        )

    def give_back(self, size: int, buffer: Any) -> None:
        with self._lock:
            free = self._free.setdefault(size, [])
            if len(free) < self._keep:
                free.append(buffer)


class _SharedBuffer:
    """One storage buffer reused by every transfer of a size; its lock covers writing
    it and submitting the pass that reads it (the queue orders the rest)."""

    def __init__(self, device: Any, size: int, usage: int, label: str) -> None:
        self.size = size
        self.buffer = device.create_buffer(label=label, size=size, usage=usage)
        self.lock = threading.Lock()


class FrameTransfer:
    """Uploads and downloads for one :class:`GpuContext`."""

    def __init__(self, context: GpuContext) -> None:
        self._context = context
        device = context.device
        self._device = device
        self._unpack = create_compute_pipeline(
            device, compile_wgsl(device, UNPACK_WGSL, label="unpack"), label="unpack",
            entry_point="main",
        )  # fmt: skip
        self._pack = create_compute_pipeline(
            device, compile_wgsl(device, PACK_WGSL, label="pack"), label="pack",
            entry_point="main",
        )  # fmt: skip
        self._staging = _StagingBuffers(device)
        self._sources: dict[int, _SharedBuffer] = {}
        self._packed: dict[int, _SharedBuffer] = {}
        self._params: dict[str, _SharedBuffer] = {}
        self._lock = threading.Lock()

    # -- upload --------------------------------------------------------------------------

    def upload(self, array: np.ndarray[Any, Any], pixel_format: PixelFormat) -> Texture:
        """A new texture holding ``array`` (laid out as ``pixel_format``)."""
        width, height = pixel_format.size_of(array.shape)
        if array.dtype != np.uint8:
            raise FrameError(f"frames hold uint8 pixels; got a {array.dtype} array")
        target = pixel_format if pixel_format in _BYTES_PER_PIXEL else PixelFormat.RGB24
        texture = self._context.textures.acquire(width, height, target)
        pixels = np.ascontiguousarray(array)
        queue = self._device.queue
        if pixel_format is PixelFormat.RGBA:
            queue.write_texture(
                {"texture": texture.handle},
                pixels,
                {"offset": 0, "bytes_per_row": width * 4, "rows_per_image": height},
                (width, height, 1),
            )
            return texture
        size = _round_up(pixels.nbytes, 4)
        if size != pixels.nbytes:  # storage buffers take whole 32-bit words
            padded = np.zeros(size, np.uint8)
            padded[: pixels.nbytes] = pixels.reshape(-1)
            pixels = padded
        source = self._buffer(self._sources, size, "upload source", wgpu.BufferUsage.STORAGE)
        params = self._uniform("unpack")
        values = struct.pack("<4I", width, height, _FORMAT_CODES[pixel_format], 0)
        with source.lock, params.lock:
            queue.write_buffer(source.buffer, 0, pixels)
            queue.write_buffer(params.buffer, 0, values)
            bind_group = self._device.create_bind_group(
                layout=self._unpack.get_bind_group_layout(0),
                entries=[
                    {"binding": 0, "resource": {"buffer": source.buffer}},
                    {"binding": 1, "resource": texture.view},
                    {"binding": 2, "resource": {"buffer": params.buffer}},
                ],
            )
            encoder = self._device.create_command_encoder(label="upload")
            compute = encoder.begin_compute_pass()
            compute.set_pipeline(self._unpack)
            compute.set_bind_group(0, bind_group)
            compute.dispatch_workgroups((width + 7) // 8, (height + 7) // 8, 1)
            compute.end()
            queue.submit([encoder.finish()])
        return texture

    # -- download ------------------------------------------------------------------------

    def download(self, texture: Texture) -> np.ndarray[Any, Any]:
        """A new array with the texture's pixels in its ``pixel_format`` (waits for the GPU)."""
        fmt = texture.pixel_format
        width, height = texture.width, texture.height
        encoder = self._device.create_command_encoder(label="download")
        if fmt is PixelFormat.RGBA:
            row = _round_up(width * 4, _ROW_ALIGNMENT)
            size = row * height
            staging = self._staging.take(size)
            encoder.copy_texture_to_buffer(
                {"texture": texture.handle},
                {"buffer": staging, "offset": 0, "bytes_per_row": row, "rows_per_image": height},
                (width, height, 1),
            )
            self._device.queue.submit([encoder.finish()])
            return self._read(staging, size, (height, row), (height, width, 4))
        bpp = _BYTES_PER_PIXEL[fmt]
        total = width * height * bpp
        words = _round_up(total, 4) // 4
        size = words * 4
        packed = self._buffer(
            self._packed, size, "download packed",
            wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC,
        )  # fmt: skip
        params = self._uniform("pack")
        values = struct.pack("<4I", width, height, _FORMAT_CODES[fmt], words)
        staging = self._staging.take(size)
        groups = (words + 63) // 64
        with packed.lock, params.lock:
            self._device.queue.write_buffer(params.buffer, 0, values)
            bind_group = self._device.create_bind_group(
                layout=self._pack.get_bind_group_layout(0),
                entries=[
                    {"binding": 0, "resource": texture.view},
                    {"binding": 1, "resource": {"buffer": packed.buffer}},
                    {"binding": 2, "resource": {"buffer": params.buffer}},
                ],
            )
            compute = encoder.begin_compute_pass()
            compute.set_pipeline(self._pack)
            compute.set_bind_group(0, bind_group)
            compute.dispatch_workgroups(
                min(groups, _MAX_GROUPS), (groups + _MAX_GROUPS - 1) // _MAX_GROUPS, 1
            )
            compute.end()
            encoder.copy_buffer_to_buffer(packed.buffer, 0, staging, 0, size)
            self._device.queue.submit([encoder.finish()])
        shape = fmt.array_shape(width, height)
        return self._read(staging, size, (size,), shape, total)

    def _read(
        self,
        staging: Any,
        size: int,
        mapped_shape: tuple[int, ...],
        shape: tuple[int, ...],
        total: int | None = None,
    ) -> np.ndarray[Any, Any]:
        out = np.empty(shape, np.uint8)
        try:
            staging.map_sync(wgpu.MapMode.READ)
            try:
                mapped = np.frombuffer(staging.read_mapped(copy=False), np.uint8)
                if total is not None:  # packed bytes, maybe a padded last word
                    out.reshape(-1)[:] = mapped[:total]
                else:  # texture rows, each padded to the copy alignment
                    rows = mapped.reshape(mapped_shape)
                    out.reshape(shape[0], -1)[:] = rows[:, : out[0].nbytes]
            finally:
                staging.unmap()
        finally:
            self._staging.give_back(size, staging)
        return out

    # -- buffers -------------------------------------------------------------------------

    def _buffer(
        self, cache: dict[int, _SharedBuffer], size: int, label: str, usage: int
    ) -> _SharedBuffer:
        with self._lock:
            shared = cache.get(size)
            if shared is None:
                if len(cache) >= 8:  # sizes come and go with the graph; keep a few
                    cache.clear()
                shared = _SharedBuffer(self._device, size, usage | wgpu.BufferUsage.COPY_DST, label)
                cache[size] = shared
            return shared

    def _uniform(self, name: str) -> _SharedBuffer:
        with self._lock:
            slot = self._params.get(name)
            if slot is None:
                slot = _SharedBuffer(
                    self._device, 16, wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_DST, name
                )
                self._params[name] = slot
            return slot
