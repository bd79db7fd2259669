"""A config change on its way to a processor: validated whole, then set or queued.

A stopped runtime sets the new config at once. A running one refuses fields that
are not live, and queues the config on the processor's handle for its worker,
which applies it before the next ``process()`` call, on the processor's own
thread (``ProcessorHandle.run_process``), so ``process()`` never sees a torn update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import ConfigError, Processor, ProcessorId
from ._handle import ProcessorHandle

__all__ = ["change_config"]


def change_config(
    processor_id: ProcessorId,
    processor: Processor,
    handle: ProcessorHandle,
    changes: Mapping[str, Any],
    *,
    running: bool,
) -> bool:
    """Validate ``processor``'s config with ``changes`` and set it, or queue it while
    ``running``; whether it was queued (then wake the processor's worker)."""
    with handle.config_lock:
        # On top of a change the worker has not applied yet, so none is lost.
        pending = handle.pending_config
        base = processor.config if pending is None else pending
        updated = base.updated(changes, owner=f"{processor_id} ({processor.type_name})")
        fixed = sorted(set(changes) - type(processor.config).live_fields())
        if fixed and running:
            raise ConfigError(
                f"{processor_id}: {', '.join(fixed)} cannot change while running (not a live "
                "field); stop the runtime first, or remove the processor and add it again"
            )
        queued = running and handle.is_active
        if queued:
            handle.pending_config = updated
        else:
            handle.pending_config = None
            processor.config = updated
            handle.scheduling = processor.scheduling()
    return queued
