"""GPU support over wgpu: the device context, frame textures, transfers and WGSL helpers.

Processors use the process-wide context::

    from streamlib.gpu import shared_gpu_context

    def setup(self, ctx):
        super().setup(ctx)
        self.gpu = shared_gpu_context()

    def process(self):
        frame = self.video_in.read_latest()
        texture = self.gpu.texture_of(frame)       # the frame's own, or uploaded once

The adapter comes from ``$STREAMLIB_GPU_ADAPTER`` or ``configure_shared_gpu``
(``auto``: the best real GPU, else software; ``hardware``; ``software``; or part
of an adapter's name). Only this package imports wgpu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core._lazy import lazy_names

# Only the pure-Python parts (layout, kernels' parameter packing) load with the package;
# the rest imports wgpu and loads on first use (PEP 562), so a processor module can name
# ``streamlib.gpu`` on an install without the gpu extra.
from . import _kernels as kernels
from ._adapters import AdapterDescription, choose_adapter, describe_adapter
from ._fit import Fit, Rect, fit_rect

if TYPE_CHECKING:
    from ._context import ADAPTER_ENV, GpuContext
    from ._effect import ComputeEffect
    from ._quads import Quad, QuadRenderer
    from ._shaders import compile_wgsl, create_compute_pipeline
    from ._shared import configure_shared_gpu, shared_gpu_context
    from ._texture import TEXTURE_FORMAT, Texture, TexturePool

# Public name -> the private module (importing wgpu) that defines it.
_HOME: dict[str, str] = {
    "ADAPTER_ENV": "_context",
    "GpuContext": "_context",
    "ComputeEffect": "_effect",
    "Quad": "_quads",
    "QuadRenderer": "_quads",
    "compile_wgsl": "_shaders",
    "create_compute_pipeline": "_shaders",
    "configure_shared_gpu": "_shared",
    "shared_gpu_context": "_shared",
    "TEXTURE_FORMAT": "_texture",
    "Texture": "_texture",
    "TexturePool": "_texture",
}


# The window (glfw) is imported on first use only, so GPU work on a machine without a
# window system or glfw (a server, the benchmark) never loads it.
def open_window(
    gpu: GpuContext, *, title: str, size: tuple[int, int], vsync: bool, on_event: Any
) -> Any:
    """A :class:`~streamlib.gpu._window.Window` (main thread only): see ``Display``."""
    from ._window import Window

    return Window(gpu, title=title, size=size, vsync=vsync, on_event=on_event)


def require_display() -> None:
    """``DeviceError`` unless a window system is reachable (Linux: DISPLAY or WAYLAND_DISPLAY)."""
    from ._window import require_display as check

    check()


__all__ = [
    "ADAPTER_ENV",
    "TEXTURE_FORMAT",
    "AdapterDescription",
    "ComputeEffect",
    "Fit",
    "GpuContext",
    "Quad",
    "QuadRenderer",
    "Rect",
    "Texture",
    "TexturePool",
    "choose_adapter",
    "compile_wgsl",
    "configure_shared_gpu",
    "create_compute_pipeline",
    "describe_adapter",
    "fit_rect",
    "kernels",
    "open_window",
    "require_display",
    "shared_gpu_context",
]


__getattr__, __dir__ = lazy_names(__name__, _HOME)
