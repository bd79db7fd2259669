"""Built-in GPU effects: ColorInvert, Grayscale, ColorMatrix, GaussianBlur, ChromaKey.

Each is a :class:`GpuEffect` running one kernel of ``streamlib.gpu`` (the WGSL
lives there); the numbers in the configs are live, read on every frame::

    fx: {type: ColorMatrix, config: {brightness: 0.1, contrast: 1.2, saturation: 0.8}}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ...core import PixelFormat, ProcessorConfig, live_field
from ...gpu import kernels
from ._effect_base import GpuEffect

if TYPE_CHECKING:
    from ...gpu import GpuContext, Texture

__all__ = ["ChromaKey", "ColorInvert", "ColorMatrix", "GaussianBlur", "Grayscale"]


class ColorInvert(GpuEffect[ProcessorConfig]):
    """Invert red, green and blue (255 - value); alpha is kept. Runs on the GPU."""

    def build(self, gpu: GpuContext) -> None:
        from ...gpu import ComputeEffect

        self._pass = ComputeEffect(gpu, kernels.INVERT_WGSL, label=self.type_name)

    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        self._pass.encode(encoder, source, target)


class GrayscaleConfig(ProcessorConfig):
    standard: Literal["bt601", "bt709"] = live_field(
        "bt601", description="Luma weights: bt601 (SD) or bt709 (HD)."
    )


class Grayscale(GpuEffect[GrayscaleConfig]):
    """Replace color by its luma (BT.601 or BT.709 weights); alpha is kept. Runs on the GPU."""

    def build(self, gpu: GpuContext) -> None:
        from ...gpu import ComputeEffect

        self._pass = ComputeEffect(
            gpu, kernels.GRAYSCALE_WGSL, label=self.type_name, params_size=16
        )

    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        params = kernels.grayscale_params(self.config.standard)
        self._pass.encode(encoder, source, target, params=params)


class ColorMatrixConfig(ProcessorConfig):
    brightness: float = live_field(0.0, ge=-1.0, le=1.0, description="Added to each channel.")
    contrast: float = live_field(1.0, ge=0.0, le=4.0, description="Scales around mid-gray.")
    saturation: float = live_field(
        1.0, ge=0.0, le=4.0, description="0: gray, 1: unchanged, above 1: more colorful."
    )


class ColorMatrix(GpuEffect[ColorMatrixConfig]):
    """Brightness, contrast and saturation in one color matrix. Runs on the GPU.

    Per pixel (values 0..1): ``gray = luma(rgb)`` (BT.601),
    ``rgb = gray + saturation * (rgb - gray)``, then
    ``rgb = (rgb - 0.5) * contrast + 0.5 + brightness``, clamped to 0..1.
    """

    def build(self, gpu: GpuContext) -> None:
        from ...gpu import ComputeEffect

        self._pass = ComputeEffect(
            gpu, kernels.COLOR_MATRIX_WGSL, label=self.type_name, params_size=80
        )

    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        cfg = self.config
        params = kernels.color_matrix_params(cfg.brightness, cfg.contrast, cfg.saturation)
        self._pass.encode(encoder, source, target, params=params)


class GaussianBlurConfig(ProcessorConfig):
    sigma: float = live_field(2.0, gt=0.0, le=20.0, description="Blur radius (std dev, px).")


class GaussianBlur(GpuEffect[GaussianBlurConfig]):
    """A Gaussian blur of standard deviation ``sigma`` pixels (edges clamp). Runs on the GPU.

    Two passes (horizontal, then vertical) over ``ceil(3 * sigma)`` pixels each
    side; the intermediate is kept in 16-bit float so nothing rounds between them.
    """

    MAX_RADIUS = 60

    def build(self, gpu: GpuContext) -> None:
        import wgpu

        from ...gpu import ComputeEffect

        self._horizontal = ComputeEffect(
            gpu, kernels.BLUR_WGSL, label=f"{self.type_name} horizontal", params_size=16,
            weights=True, target_format="rgba16float",
        )  # fmt: skip
        self._vertical = ComputeEffect(
            gpu, kernels.BLUR_WGSL, label=f"{self.type_name} vertical", params_size=16,
            weights=True,
        )  # fmt: skip
        self._weights = gpu.device.create_buffer(
            label="blur weights",
            size=4 * (self.MAX_RADIUS + 1),
            usage=wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_DST,
        )
        self._sigma = -1.0
        self._radius = 0
        self._between: Any = None

    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        import wgpu  # loaded by build() already: a dictionary lookup

        sigma = self.config.sigma
        if sigma != self._sigma:
            kernel = kernels.gaussian_kernel(sigma, self.MAX_RADIUS)
            padded = np.zeros(self.MAX_RADIUS + 1, np.float32)
            padded[: len(kernel)] = kernel
            self.gpu.queue.write_buffer(self._weights, 0, padded)
            self._sigma, self._radius = sigma, len(kernel) - 1
        between = self._between
        if between is None or tuple(between.size[:2]) != (source.width, source.height):
            # Internal to this processor, reused every frame: never carried by a frame.
            between = self._between = self.gpu.device.create_texture(
                label="blur intermediate",
                size=(source.width, source.height, 1),
                format="rgba16float",
                usage=wgpu.TextureUsage.TEXTURE_BINDING | wgpu.TextureUsage.STORAGE_BINDING,
            )
        horizontal = kernels.blur_params(True, self._radius)
        vertical = kernels.blur_params(False, self._radius)
        self._horizontal.encode(encoder, source, between, params=horizontal, weights=self._weights)
        self._vertical.encode(encoder, between, target, params=vertical, weights=self._weights)


class ChromaKeyConfig(ProcessorConfig):
    key_color: tuple[int, int, int] = live_field(
        (0, 255, 0), description="The screen color as R, G, B (0..255)."
    )
    threshold: float = live_field(
        0.15, ge=0.0, le=1.0, description="Chroma distance keyed out fully."
    )
    smoothness: float = live_field(
        0.1, ge=0.0, le=1.0, description="Width of the soft edge beyond the threshold."
    )


class ChromaKey(GpuEffect[ChromaKeyConfig]):
    """Make pixels near a key color transparent (green screen). Runs on the GPU.

    The distance is measured in the chroma plane (Cb, Cr; BT.601), so shading of
    the screen matters little. Alpha is 0 within ``threshold`` of the key,
    1 beyond ``threshold + smoothness``, smooth (smoothstep) in between. The
    output has alpha (rgba, or bgra for bgra input): put it over a background
    with the ``Compositor``.
    """

    def build(self, gpu: GpuContext) -> None:
        from ...gpu import ComputeEffect

        self._pass = ComputeEffect(
            gpu, kernels.CHROMA_KEY_WGSL, label=self.type_name, params_size=32
        )

    def output_format(self, source: PixelFormat) -> PixelFormat:
        return PixelFormat.BGRA if source is PixelFormat.BGRA else PixelFormat.RGBA

    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        cfg = self.config
        params = kernels.chroma_key_params(cfg.key_color, cfg.threshold, cfg.smoothness)
        self._pass.encode(encoder, source, target, params=params)
