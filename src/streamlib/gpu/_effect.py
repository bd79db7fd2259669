"""Per-pixel GPU effects in WGSL: write one function, get a compute pipeline.

An effect's WGSL defines ``fn effect(pixel: vec2<i32>) -> vec4<f32>``, the
output color (0..1 RGBA) of one pixel. It may call ``load(pixel)`` (the input
texel, clamped at the edges), ``sample(uv)`` (bilinear, uv in 0..1),
``size()`` (the input size), and read ``params`` (a uniform struct it declares
as ``struct Params``) and ``weights`` (a storage array of f32, when asked for)::

    invert = ComputeEffect(gpu, '''
        fn effect(pixel: vec2<i32>) -> vec4<f32> {
            let c = load(pixel);
            return vec4<f32>(1.0 - c.rgb, c.a);
        }''', label="invert")
    encoder = gpu.device.create_command_encoder()
    invert.encode(encoder, source_texture, target_texture)
    gpu.queue.submit([encoder.finish()])

The effect's own code comes first in the module, so compiler errors point at
the lines the author wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import wgpu

from ._shaders import compile_wgsl, create_compute_pipeline

if TYPE_CHECKING:
    from ._context import GpuContext

__all__ = ["ComputeEffect"]

_PRELUDE = """
@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var dst: texture_storage_2d<{target_format}, write>;
@group(0) @binding(2) var src_sampler: sampler;
{params_binding}
{weights_binding}

fn size() -> vec2<i32> {{
    return vec2<i32>(textureDimensions(src));
}}

fn load(pixel: vec2<i32>) -> vec4<f32> {{
    return textureLoad(src, clamp(pixel, vec2<i32>(0), size() - vec2<i32>(1)), 0);
}}

fn sample(uv: vec2<f32>) -> vec4<f32> {{
    return textureSampleLevel(src, src_sampler, uv, 0.0);
}}

@compute @workgroup_size(8, 8)
fn streamlib_main(@builtin(global_invocation_id) id: vec3<u32>) {{
    let pixel = vec2<i32>(id.xy);
    let out_size = vec2<i32>(textureDimensions(dst));
    if (pixel.x >= out_size.x || pixel.y >= out_size.y) {{ return; }}
    textureStore(dst, pixel, effect(pixel));
}}
"""


class ComputeEffect:
    """A compiled per-pixel effect: ``encode`` it into a command encoder per frame.

    Args:
        gpu: the context whose device compiles and runs it.
        source: WGSL defining ``effect`` (and ``struct Params`` when ``params_size``).
        label: names the shader in errors.
        params_size: bytes of the ``params`` uniform (0: none).
        weights: whether the shader reads a ``weights`` storage array.
        target_format: the storage format written (``rgba8unorm`` for frames,
            ``rgba16float`` for intermediate passes that must not round).
    """

    def __init__(
        self,
        gpu: GpuContext,
        source: str,
        *,
        label: str,
        params_size: int = 0,
        weights: bool = False,
        target_format: str = "rgba8unorm",
    ) -> None:
        self.gpu = gpu
        self.label = label
        self.params_size = params_size
        self.target_format = target_format
        params_binding = "@group(0) @binding(3) var<uniform> params: Params;" if params_size else ""
        weights_binding = (
            "@group(0) @binding(4) var<storage, read> weights: array<f32>;" if weights else ""
        )
        code = source + _PRELUDE.format(
            target_format=target_format,
            params_binding=params_binding,
            weights_binding=weights_binding,
        )
        device = gpu.device
        stage = wgpu.ShaderStage.COMPUTE
        entries: list[dict[str, Any]] = [
            {"binding": 0, "visibility": stage, "texture": {"sample_type": "float"}},
            {
                "binding": 1,
                "visibility": stage,
                "storage_texture": {"access": "write-only", "format": target_format},
            },
            {"binding": 2, "visibility": stage, "sampler": {"type": "filtering"}},
        ]
        if params_size:
            entries.append({"binding": 3, "visibility": stage, "buffer": {"type": "uniform"}})
        if weights:
            entries.append(
                {"binding": 4, "visibility": stage, "buffer": {"type": "read-only-storage"}}
            )
        self._layout = device.create_bind_group_layout(entries=entries)
        module = compile_wgsl(device, code, label=label)
        self._pipeline = create_compute_pipeline(
            device,
            module,
            label=label,
            entry_point="streamlib_main",
            layout=device.create_pipeline_layout(bind_group_layouts=[self._layout]),
        )
        self._sampler = gpu.cached(
            "linear-clamp-sampler",
            lambda: device.create_sampler(mag_filter="linear", min_filter="linear"),
        )
        self._params = (
            device.create_buffer(
                label=f"{label} params",
                size=max(16, params_size),
                usage=wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_DST,
            )
            if params_size
            else None
        )

    def encode(
        self,
        encoder: Any,
        source: Any,
        target: Any,
        *,
        params: bytes | None = None,
        weights: Any = None,
    ) -> None:
        """Record the effect from ``source`` into ``target`` (textures with ``view``,
        ``width`` and ``height``, or raw wgpu textures).

        ``params`` are written to the uniform buffer now; the queue runs that
        write before the work encoded here, so encode one frame per submit.
        """
        device = self.gpu.device
        entries: list[dict[str, Any]] = [
            {"binding": 0, "resource": _view(source)},
            {"binding": 1, "resource": _view(target)},
            {"binding": 2, "resource": self._sampler},
        ]
        if self._params is not None:
            if params is None or len(params) != self.params_size:
                raise ValueError(f"{self.label} needs {self.params_size} bytes of params")
            self.gpu.queue.write_buffer(self._params, 0, params)
            entries.append({"binding": 3, "resource": {"buffer": self._params}})
        if weights is not None:
            entries.append({"binding": 4, "resource": {"buffer": weights}})
        bind_group = device.create_bind_group(layout=self._layout, entries=entries)
        width, height = _size(target)
        compute = encoder.begin_compute_pass(label=self.label)
        compute.set_pipeline(self._pipeline)
        compute.set_bind_group(0, bind_group)
        compute.dispatch_workgroups((width + 7) // 8, (height + 7) // 8, 1)
        compute.end()


def _view(texture: Any) -> Any:
    view = getattr(texture, "view", None)
    return view if view is not None else texture.create_view()


def _size(texture: Any) -> tuple[int, int]:
    width = getattr(texture, "width", None)
    if isinstance(width, int):
        return width, int(texture.height)
    w, h, _ = texture.size
    return int(w), int(h)
