"""Drawing textured rectangles with alpha onto a texture: compositing, overlays, display.

::

    quads = QuadRenderer(gpu)                      # rgba8unorm targets
    encoder = gpu.device.create_command_encoder()
    quads.draw(encoder, target, [Quad(background.view, (0, 0, 1280, 720)),
                                 Quad(logo.view, (1100, 20, 160, 90), alpha=0.8)],
               clear=(0.0, 0.0, 0.0, 1.0))
    gpu.queue.submit([encoder.finish()])

Rectangles are in target pixels (x right, y down); ``uv`` picks the part of the
texture to show (for cropping). Colors blend "over" with straight alpha.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import wgpu

from ._shaders import compile_wgsl

if TYPE_CHECKING:
    from ._context import GpuContext

__all__ = ["Quad", "QuadRenderer"]

_WGSL = """
struct Quad { dst: vec4<f32>, src: vec4<f32>, alpha: vec4<f32> }

@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var tex_sampler: sampler;
@group(0) @binding(2) var<uniform> quad: Quad;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOut {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let corner = corners[index];
    var out: VertexOut;
    out.position = vec4<f32>(mix(quad.dst.x, quad.dst.z, corner.x),
                             mix(quad.dst.y, quad.dst.w, corner.y), 0.0, 1.0);
    out.uv = vec2<f32>(mix(quad.src.x, quad.src.z, corner.x),
                       mix(quad.src.y, quad.src.w, corner.y));
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let c = textureSample(tex, tex_sampler, in.uv);
    return vec4<f32>(c.rgb, c.a * quad.alpha.x);
}
"""

_SLOT_BYTES = 48  # three vec4<f32>


@dataclass(frozen=True, slots=True)
class Quad:
    """One textured rectangle: ``rect`` is ``(x, y, width, height)`` in target pixels."""

    view: Any
    rect: tuple[float, float, float, float]
    uv: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    alpha: float = 1.0


class QuadRenderer:
    """A render pipeline drawing :class:`Quad` lists; one ``draw`` per queue submit."""

    def __init__(self, gpu: GpuContext, *, target_format: str = "rgba8unorm") -> None:
        self.gpu = gpu
        device = gpu.device
        module = compile_wgsl(device, _WGSL, label="quads")
        visible = wgpu.ShaderStage.VERTEX | wgpu.ShaderStage.FRAGMENT
        self._layout = device.create_bind_group_layout(
            entries=[
                {
                    "binding": 0,
                    "visibility": wgpu.ShaderStage.FRAGMENT,
                    "texture": {"sample_type": "float"},
                },
                {
                    "binding": 1,
                    "visibility": wgpu.ShaderStage.FRAGMENT,
                    "sampler": {"type": "filtering"},
                },
                {"binding": 2, "visibility": visible, "buffer": {"type": "uniform"}},
            ]
        )
        over = {"src_factor": "src-alpha", "dst_factor": "one-minus-src-alpha", "operation": "add"}
        keep = {"src_factor": "one", "dst_factor": "one-minus-src-alpha", "operation": "add"}
        self._pipeline = device.create_render_pipeline(
            label="quads",
            layout=device.create_pipeline_layout(bind_group_layouts=[self._layout]),
            vertex={"module": module, "entry_point": "vs_main"},
            primitive={"topology": "triangle-list"},
            fragment={
                "module": module,
                "entry_point": "fs_main",
                "targets": [{"format": target_format, "blend": {"color": over, "alpha": keep}}],
            },
        )
        self._sampler = gpu.cached(
            "linear-clamp-sampler",
            lambda: device.create_sampler(mag_filter="linear", min_filter="linear"),
        )
        self._slots: list[Any] = []

    def draw(
        self,
        encoder: Any,
        target: Any,
        size: tuple[int, int],
        quads: Sequence[Quad],
        *,
        clear: tuple[float, float, float, float] | None = None,
    ) -> None:
        """Record one render pass drawing ``quads`` in order onto ``target`` (a view).

        ``clear`` fills the target first; None keeps what it holds.
        """
        device = self.gpu.device
        width, height = size
        while len(self._slots) < len(quads):
            self._slots.append(
                device.create_buffer(
                    size=_SLOT_BYTES, usage=wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_DST
                )
            )
        bind_groups = []
        for quad, slot in zip(quads, self._slots, strict=False):
            x, y, w, h = quad.rect
            dst = (
                2 * x / width - 1,
                1 - 2 * y / height,
                2 * (x + w) / width - 1,
                1 - 2 * (y + h) / height,
            )
            self.gpu.queue.write_buffer(
                slot, 0, struct.pack("<12f", *dst, *quad.uv, quad.alpha, 0.0, 0.0, 0.0)
            )
            bind_groups.append(
                device.create_bind_group(
                    layout=self._layout,
                    entries=[
                        {"binding": 0, "resource": quad.view},
                        {"binding": 1, "resource": self._sampler},
                        {"binding": 2, "resource": {"buffer": slot}},
                    ],
                )
            )
        attachment: dict[str, Any] = {"view": target, "store_op": "store"}
        if clear is None:
            attachment["load_op"] = "load"
        else:
            attachment["load_op"] = "clear"
            attachment["clear_value"] = clear
        render = encoder.begin_render_pass(color_attachments=[attachment])
        render.set_pipeline(self._pipeline)
        for bind_group in bind_groups:
            render.set_bind_group(0, bind_group)
            render.draw(6, 1, 0, 0)
        render.end()
