"""Event lists the plugin can read without calling back into Python.

A CLAP plugin reads its input events through ``in_events->size(list)`` and
``in_events->get(list, i)`` and pushes output events through
``out_events->try_push(list, event)``. Written as ctypes callbacks, every one
of those calls would take the GIL on the audio thread in the middle of
``process`` (and wait for whichever Python thread holds it). Most blocks carry
no events at all, so for those this module fills the three function pointers
with one C function from the C library, ``strlen``, which needs nothing from
Python and gives exactly the answers an empty list must:

- ``size(list)`` reads the list struct as a C string: its first field ``ctx``
  is NULL, so its first byte is 0 and ``strlen`` returns 0 (no events);
  ``get`` on that list is never called by a conforming plugin and would
  return 0 (NULL) the same way.
- ``try_push(list, event)``: the output list's ``ctx`` holds the integer 1,
  so ``strlen`` returns 1 (true: the event is accepted). This host records no
  automation, so the plugin's output events are dropped; their values remain
  readable with ``params.get_value``.

Extra arguments (``index``, ``event``) are ignored by ``strlen``: C calling
conventions leave them to the caller. The lists live as long as the module.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from ._abi import InputEvents, OutputEvents

__all__ = ["DISCARDING_OUTPUT_EVENTS", "EMPTY_INPUT_EVENTS"]


def _c_strlen_address() -> int:
    library: Any = ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)
    address = ctypes.cast(library.strlen, ctypes.c_void_p).value
    assert address is not None
    return address


_STRLEN = _c_strlen_address()


def _empty_input_events() -> InputEvents:
    events = InputEvents()
    events.ctx = None  # first byte 0: strlen(list) == 0
    size_type = type(events.size)
    events.size = size_type(_STRLEN)
    get_type = type(events.get)
    events.get = get_type(_STRLEN)
    return events


def _discarding_output_events() -> OutputEvents:
    events = OutputEvents()
    events.ctx = 1  # bytes 01 00 ...: strlen(list) == 1, "accepted"
    push_type = type(events.try_push)
    events.try_push = push_type(_STRLEN)
    return events


EMPTY_INPUT_EVENTS = _empty_input_events()
"""An input event list with no events, read natively (no Python callback)."""

DISCARDING_OUTPUT_EVENTS = _discarding_output_events()
"""An output event list that accepts and drops every event, natively."""
