"""Compiling WGSL: wgpu's validation errors become :class:`ShaderError` with the report.

::

    module = compile_wgsl(device, source, label="ColorInvert")
    # ShaderError: shader 'ColorInvert' does not compile:
    #   Shader 'ColorInvert' parsing error: expected identifier, found "{" ... wgsl:1:10
"""

from __future__ import annotations

from typing import Any

import wgpu

from ..core import ShaderError

__all__ = ["compile_wgsl", "create_compute_pipeline"]


def compile_wgsl(device: Any, source: str, *, label: str) -> Any:
    """A shader module from WGSL ``source``; ``ShaderError`` with the compiler's report."""
    try:
        return device.create_shader_module(label=label, code=source)
    except wgpu.GPUError as error:
        raise ShaderError(f"shader {label!r} does not compile:\n{_report(error)}") from None


def create_compute_pipeline(
    device: Any, module: Any, *, label: str, entry_point: str, layout: Any = "auto"
) -> Any:
    """A compute pipeline (``layout``: a pipeline layout, or ``"auto"``); a shader that
    validates only as a whole (bindings, entry point) also raises ``ShaderError``."""
    try:
        return device.create_compute_pipeline(
            label=label, layout=layout, compute={"module": module, "entry_point": entry_point}
        )
    except wgpu.GPUError as error:
        raise ShaderError(f"shader {label!r} cannot make a pipeline:\n{_report(error)}") from None


def _report(error: BaseException) -> str:
    # wgpu prefixes naga's report with its own call chain; the report is what helps.
    text = str(error).strip()
    marker = "Caused by:"
    if marker in text:
        text = text.split(marker, 1)[1].strip()
    return text
