"""ShaderEffect: your own WGSL per-pixel effect, uniforms from the config, live reload.

The shader defines ``fn effect(pixel: vec2<i32>) -> vec4<f32>`` and may call
``load(pixel)``, ``sample(uv)`` and ``size()``, and read ``params.time``
(seconds since start), ``params.frame``, ``params.resolution`` and one field
per entry of ``uniforms`` (a number is an ``f32``, a list of 2-4 numbers a
``vec2``-``vec4<f32>``)::

    fx:
      type: ShaderEffect
      config:
        path: shaders/vignette.wgsl        # reloaded when the file changes
        uniforms: {strength: 0.6, center: [0.5, 0.5]}

with ``shaders/vignette.wgsl``::

    fn effect(pixel: vec2<i32>) -> vec4<f32> {
        let uv = (vec2<f32>(pixel) + 0.5) / params.resolution;
        let fade = 1.0 - params.strength * distance(uv, params.center);
        let c = load(pixel);
        return vec4<f32>(c.rgb * fade, c.a);
    }
"""

from __future__ import annotations

import logging
import os
import struct
import time
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from ...core import (
    ConfigError,
    ProcessorConfig,
    ProcessorContext,
    RuntimeWarned,
    ShaderError,
    live_field,
    path_field,
)
from ._effect_base import GpuEffect

if TYPE_CHECKING:
    from ...gpu import ComputeEffect, GpuContext, Texture

__all__ = ["ShaderEffect", "uniform_layout"]

_log = logging.getLogger("streamlib.processors.shader_effect")

_BUILTINS: tuple[tuple[str, int], ...] = (("time", 1), ("frame", 1), ("resolution", 2))
_WGSL_TYPES = {1: "f32", 2: "vec2<f32>", 3: "vec3<f32>", 4: "vec4<f32>"}
_ALIGN = {1: 4, 2: 8, 3: 16, 4: 16}  # WGSL's alignment of f32 and vecN<f32>


def uniform_layout(fields: list[tuple[str, int]]) -> tuple[str, list[int], int]:
    """``struct Params`` for ``(name, components)`` fields, their byte offsets, and the
    struct's size (WGSL uniform rules: vec3 and vec4 align to 16, the size to 16)."""
    offsets: list[int] = []
    lines: list[str] = []
    offset = 0
    for name, components in fields:
        align = _ALIGN[components]
        offset = (offset + align - 1) // align * align
        offsets.append(offset)
        lines.append(f"    {name}: {_WGSL_TYPES[components]},")
        offset += 4 * components
    size = max(16, (offset + 15) // 16 * 16)
    return "struct Params {\n" + "\n".join(lines) + "\n}\n", offsets, size


class ShaderEffectConfig(ProcessorConfig):
    code: str = Field("", description="WGSL defining fn effect(pixel: vec2<i32>) -> vec4<f32>.")
    path: str = path_field(
        "", access="read", description="A WGSL file instead of code; reloaded when it changes."
    )
    uniforms: dict[str, float | tuple[float, ...]] = live_field(
        {}, description="Values the shader reads as params.<name> (numbers or 2-4 numbers)."
    )
    check_interval_s: float = Field(
        0.25, gt=0.0, le=60.0, description="How often the file's time stamp is checked."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ShaderEffectConfig:
        if bool(self.code.strip()) == bool(self.path):
            raise ValueError("give the shader as either code or path (exactly one)")
        for name, value in self.uniforms.items():
            if not name.isidentifier() or name in dict(_BUILTINS):
                raise ValueError(f"uniform name {name!r} is not usable (or is built in)")
            if isinstance(value, tuple) and not 2 <= len(value) <= 4:
                raise ValueError(f"uniform {name!r} has {len(value)} numbers; use 1 to 4")
        return self


class ShaderEffect(GpuEffect[ShaderEffectConfig]):
    """A per-pixel effect written in WGSL, from the config or a file reloaded on change.

    A shader that does not compile fails ``setup`` with a ``ShaderError`` giving
    the line and column. A broken edit to a watched file keeps the last good
    shader running and publishes a ``RuntimeWarned`` with the compiler's report.
    """

    def setup(self, ctx: ProcessorContext) -> None:
        self._start = time.monotonic()
        self._frames = 0
        self._mtime = 0.0
        self._next_check = 0.0
        super().setup(ctx)

    def build(self, gpu: GpuContext) -> None:
        self._pass, self._shape = self._compile(gpu, self._read_source())

    def _read_source(self) -> str:
        path = self.config.path
        if not path:
            return str(self.config.code)
        try:
            self._mtime = os.stat(path).st_mtime
            with open(path, encoding="utf-8") as file:
                return file.read()
        except OSError as error:
            raise ConfigError(
                f"{self.type_name}: cannot read shader file {path!r}: {error}"
            ) from None

    def _fields(self) -> list[tuple[str, int]]:
        user = [
            (name, 1 if isinstance(value, float | int) else len(value))
            for name, value in self.config.uniforms.items()
        ]
        return [*_BUILTINS, *user]

    def _compile(self, gpu: GpuContext, source: str) -> tuple[ComputeEffect, list[tuple[str, int]]]:
        from ...gpu import ComputeEffect

        fields = self._fields()
        struct_wgsl, self._offsets, size = uniform_layout(fields)
        label = self.config.path or self.type_name
        # The user's code first, so the compiler's line numbers are theirs.
        effect = ComputeEffect(gpu, source + "\n" + struct_wgsl, label=label, params_size=size)
        self._size = size
        return effect, fields

    def on_config_changed(self, previous: Any) -> None:
        if self._fields() != self._shape:  # the Params struct changed shape: recompile
            self._rebuild("uniforms changed")

    def _rebuild(self, why: str) -> None:
        try:
            self._pass, self._shape = self._compile(self.gpu, self._read_source())
        except (ShaderError, ConfigError) as error:
            message = f"{self.type_name}: {why}, keeping the last good shader: {error}"
            _log.warning(message)
            if self.ctx is not None:
                self.ctx.events.publish(
                    RuntimeWarned(
                        message=message,
                        processor_id=str(self.ctx.processor_id),
                        timestamp_ns=self.ctx.clock.now_ns(),
                    )
                )

    def _check_file(self) -> None:
        now = time.monotonic()
        if not self.config.path or now < self._next_check:
            return
        self._next_check = now + self.config.check_interval_s
        try:
            mtime = os.stat(self.config.path).st_mtime
        except OSError:
            return  # mid-save (editors replace files); look again next time
        if mtime != self._mtime:
            self._mtime = mtime
            self._rebuild(f"{self.config.path} changed")

    def render(self, encoder: Any, source: Texture, target: Texture) -> None:
        self._check_file()
        values: dict[str, tuple[float, ...]] = {
            "time": (time.monotonic() - self._start,),
            "frame": (float(self._frames),),
            "resolution": (float(source.width), float(source.height)),
        }
        for name, value in self.config.uniforms.items():
            values[name] = (float(value),) if isinstance(value, float | int) else tuple(value)
        params = bytearray(self._size)
        for (name, _), offset in zip(self._shape, self._offsets, strict=True):
            packed = values[name]
            struct.pack_into(f"<{len(packed)}f", params, offset, *packed)
        self._pass.encode(encoder, source, target, params=bytes(params))
        self._frames += 1
