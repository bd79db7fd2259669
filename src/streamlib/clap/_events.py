"""Parameter changes on their way to the plugin: queued from any thread, sent with a block.

``set`` may be called from any thread (a live config change, a control API);
the change is queued and written as a 56-byte ``CLAP_EVENT_PARAM_VALUE`` at
time 0 of the next block, so it applies from that block's first sample.
Blocks without changes use the native empty list (``_native``), so only a
block that carries changes calls back into Python for ``size`` and ``get``.
"""

from __future__ import annotations

import ctypes
from collections import deque
from typing import Any

from ._abi import (
    CLAP_CORE_EVENT_SPACE_ID,
    CLAP_EVENT_PARAM_VALUE,
    EventParamValue,
    InputEvents,
    field_type,
)
from ._native import EMPTY_INPUT_EVENTS

__all__ = ["ParamEventQueue"]

_CAPACITY = 256  # events per block; more pending changes wait for the next block


class ParamEventQueue:
    """Pending parameter values and the ``clap_input_events_t`` that delivers them."""

    def __init__(self) -> None:
        self._pending: deque[tuple[int, float, int | None]] = deque()
        self._events = (EventParamValue * _CAPACITY)()
        self._addresses = [ctypes.addressof(event) for event in self._events]
        for event in self._events:
            event.header.size = ctypes.sizeof(EventParamValue)
            event.header.space_id = CLAP_CORE_EVENT_SPACE_ID
            event.header.type = CLAP_EVENT_PARAM_VALUE
            event.note_id = -1  # -1: not a per-note, per-key, per-channel or per-port change
            event.port_index = -1
            event.channel = -1
            event.key = -1
        self._count = 0
        self._size_callback = field_type(InputEvents, "size")(self._size)
        self._get_callback = field_type(InputEvents, "get")(self._get)
        self._list = InputEvents(None, self._size_callback, self._get_callback)
        self.list_pointer = ctypes.pointer(self._list)
        self.empty_pointer = ctypes.pointer(EMPTY_INPUT_EVENTS)
        self.sent = 0

    def push(self, param_id: int, value: float, cookie: int | None = None) -> None:
        """Queue ``param_id = value`` for the next block (thread-safe: one deque append)."""
        self._pending.append((param_id, value, cookie))

    def has_pending(self) -> bool:
        return bool(self._pending)

    def drop(self, param_id: int) -> None:
        """Forget queued changes of one parameter (the plugin asked the host to clear it)."""
        kept = [item for item in list(self._pending) if item[0] != param_id]
        self._pending.clear()
        self._pending.extend(kept)

    def take(self) -> Any:
        """The event list for the next call: pending changes, or the native empty list."""
        if not self._pending:
            return self.empty_pointer
        count = 0
        pending = self._pending
        while pending and count < _CAPACITY:
            param_id, value, cookie = pending.popleft()
            event = self._events[count]
            event.param_id = param_id
            event.value = value
            event.cookie = cookie
            count += 1
        self._count = count
        self.sent += count
        return self.list_pointer

    def done(self) -> None:
        """The call that read the list returned: the events are consumed."""
        self._count = 0

    # -- callbacks the plugin makes on blocks that carry changes -------------------

    def _size(self, events: Any) -> int:
        return self._count

    def _get(self, events: Any, index: int) -> int | None:
        return self._addresses[index] if index < self._count else None
