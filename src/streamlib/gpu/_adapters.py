"""Which GPU adapter to use: prefer a real GPU, fall back to software, or obey a request.

The choice is a pure function of the adapters' descriptions, so it is tested
with the adapters a machine really has and with described ones::

    choice = choose_adapter(describe_all(wgpu.gpu.enumerate_adapters_sync()), "auto")
    choice.index, choice.summary   # (0, 'llvmpipe (LLVM 15.0.6, 256 bits) [CPU, Vulkan]')

Requests: ``"auto"`` (the best real GPU, else software), ``"hardware"`` (a real
GPU or an error), ``"software"`` (a CPU rasteriser such as lavapipe), or any
other text, matched case-insensitively against the adapter's name, vendor and
backend (``"nvidia"``, ``"vulkan"``, ``"llvmpipe"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import GpuError

__all__ = ["AdapterDescription", "choose_adapter", "describe_adapter"]

# Best first. A CPU rasteriser works everywhere but is the last resort.
_TYPE_RANK = {"DiscreteGPU": 0, "IntegratedGPU": 1, "VirtualGPU": 2, "Unknown": 3, "CPU": 4}
# Native modern APIs before OpenGL, which wgpu supports only partially.
_BACKEND_RANK = {"Vulkan": 0, "Metal": 0, "D3D12": 0, "OpenGL": 2}


@dataclass(frozen=True, slots=True)
class AdapterDescription:
    """What one adapter says about itself (from wgpu's ``adapter.info``)."""

    index: int
    name: str
    vendor: str
    adapter_type: str
    backend: str
    description: str = ""

    @property
    def is_software(self) -> bool:
        return self.adapter_type == "CPU"

    @property
    def summary(self) -> str:
        return f"{self.name} [{self.adapter_type}, {self.backend}]"

    def matches(self, text: str) -> bool:
        needle = text.casefold()
        haystack = (self.name, self.vendor, self.backend, self.adapter_type, self.description)
        return any(needle in part.casefold() for part in haystack)


def describe_adapter(index: int, info: Mapping[str, Any]) -> AdapterDescription:
    """An :class:`AdapterDescription` from wgpu's ``adapter.info`` mapping."""
    return AdapterDescription(
        index=index,
        name=str(info.get("device", "") or "unnamed adapter"),
        vendor=str(info.get("vendor", "")),
        adapter_type=str(info.get("adapter_type", "Unknown")),
        backend=str(info.get("backend_type", "")),
        description=str(info.get("description", "")),
    )


def choose_adapter(adapters: Sequence[AdapterDescription], request: str) -> AdapterDescription:
    """The adapter ``request`` asks for; ``GpuError`` naming every adapter when none fits."""
    wanted = request.strip() or "auto"
    if wanted == "auto":
        candidates = list(adapters)
    elif wanted == "hardware":
        candidates = [a for a in adapters if not a.is_software]
    elif wanted == "software":
        candidates = [a for a in adapters if a.is_software]
    else:
        candidates = [a for a in adapters if a.matches(wanted)]
    if not candidates:
        found = "; ".join(a.summary for a in adapters) or "none"
        if not adapters:
            hint = (
                "install a Vulkan driver (on Debian: apt-get install mesa-vulkan-drivers "
                "for the software rasteriser lavapipe)"
            )
        else:
            hint = (
                "ask for one of these (STREAMLIB_GPU_ADAPTER=auto, hardware, software "
                "or part of an adapter's name)"
            )
        raise GpuError(f"no GPU adapter matches {wanted!r}; adapters found: {found}; {hint}")
    return min(
        candidates,
        key=lambda a: (_TYPE_RANK.get(a.adapter_type, 3), _BACKEND_RANK.get(a.backend, 1), a.index),
    )
