"""The process-wide GPU context that processors share.

Every GPU processor calls ``shared_gpu_context()`` in ``setup``, so all of them
use one device and pass textures with no copies. It is created on first use
(per process, for now: the runtime does not yet hand a context to processors),
on the adapter ``configure_shared_gpu`` or ``$STREAMLIB_GPU_ADAPTER`` names::

    from streamlib.gpu import configure_shared_gpu
    configure_shared_gpu(adapter="software")    # before the first GPU processor starts
"""

from __future__ import annotations

import threading

from ..core import RuntimeStateError
from ._context import GpuContext

__all__ = ["configure_shared_gpu", "shared_gpu_context"]


class _SharedState:
    """The one context and the adapter asked for, behind a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.context: GpuContext | None = None
        self.requested: str | None = None


_state = _SharedState()


def shared_gpu_context() -> GpuContext:
    """The process's GPU context, created on the first call (``GpuError`` if no GPU fits)."""
    with _state.lock:
        if _state.context is None:
            _state.context = GpuContext.create(_state.requested)
        return _state.context


def configure_shared_gpu(adapter: str | None = None) -> None:
    """Choose the adapter of the shared context (auto, hardware, software or part of a name).

    Raises ``RuntimeStateError`` once the context exists with another adapter
    request: a running device cannot move.
    """
    with _state.lock:
        context = _state.context
        if context is not None and adapter != _state.requested:
            raise RuntimeStateError(
                f"the shared GPU context already runs on {context.adapter.summary}; "
                "configure it before any GPU processor starts"
            )
        _state.requested = adapter
