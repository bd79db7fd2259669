"""The host side of one plugin instance: ``clap_host_t`` and the extensions it offers.

Plugins ask the host for extensions by id; this host offers ``clap.log``,
``clap.latency``, ``clap.thread-check``, ``clap.params`` and ``clap.state``
(ZaMaximX2, for one, crashes in ``deactivate`` without ``clap.latency``).
Requests a plugin makes through them (restart, flush, callback, rescan) are
recorded as flags that :class:`ClapPlugin` acts on between blocks, on the
thread that owns the plugin, never inside ``process``.

All callbacks and structs are kept referenced by the :class:`Host` for the
plugin's whole life: the plugin holds raw pointers to them.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections import deque
from typing import Any

from ._abi import (
    CLAP_EXT_LATENCY,
    CLAP_EXT_LOG,
    CLAP_EXT_PARAMS,
    CLAP_EXT_STATE,
    CLAP_EXT_THREAD_CHECK,
    CLAP_VERSION,
    HostLatency,
    HostLog,
    HostParams,
    HostState,
    HostStruct,
    HostThreadCheck,
    Version,
    field_type,
)

__all__ = ["Host"]

_log = logging.getLogger("streamlib.clap")

# clap_log_severity -> logging level (host/plugin misbehaving are errors and warnings).
_LOG_LEVELS = {
    0: logging.DEBUG,
    1: logging.INFO,
    2: logging.WARNING,
    3: logging.ERROR,
    4: logging.CRITICAL,
    5: logging.ERROR,
    6: logging.WARNING,
}


class Host:
    """One ``clap_host_t`` with its extensions, and the requests the plugin made through it.

    The thread that creates the host is the plugin's main thread (CLAP's
    ``[main-thread]`` calls happen there); ``audio_thread`` is set while
    processing is started.
    """

    def __init__(self, *, name: str = "streamlib", version: str = "0.1.0") -> None:
        self.main_thread = threading.get_ident()
        self.audio_thread: int | None = None
        self.restart_requested = False
        self.process_requested = False
        self.callback_requested = False
        self.flush_requested = False
        self.rescan_flags = 0
        self.latency_changed = False
        self.state_dirty = False
        self.cleared_params: deque[int] = deque(maxlen=64)
        self.log_messages: deque[tuple[int, str]] = deque(maxlen=256)

        self._strings = [name.encode(), b"streamlib", b"", version.encode()]
        struct = HostStruct()
        struct.clap_version = Version(*CLAP_VERSION)
        struct.name, struct.vendor, struct.url, struct.version = self._strings
        self._callbacks: list[Any] = [
            field_type(HostStruct, "get_extension")(self._get_extension),
            field_type(HostStruct, "request_restart")(self._request_restart),
            field_type(HostStruct, "request_process")(self._request_process),
            field_type(HostStruct, "request_callback")(self._request_callback),
        ]
        (
            struct.get_extension,
            struct.request_restart,
            struct.request_process,
            struct.request_callback,
        ) = self._callbacks
        self.struct = struct
        self.pointer = ctypes.pointer(struct)
        self._extensions: dict[bytes, Any] = {
            CLAP_EXT_LOG: self._build(HostLog, log=self._log),
            CLAP_EXT_LATENCY: self._build(HostLatency, changed=self._latency_changed),
            CLAP_EXT_THREAD_CHECK: self._build(
                HostThreadCheck,
                is_main_thread=self._is_main_thread,
                is_audio_thread=self._is_audio_thread,
            ),
            CLAP_EXT_PARAMS: self._build(
                HostParams,
                rescan=self._params_rescan,
                clear=self._params_clear,
                request_flush=self._params_request_flush,
            ),
            CLAP_EXT_STATE: self._build(HostState, mark_dirty=self._state_mark_dirty),
        }
        self._extension_addresses = {
            key: ctypes.addressof(value) for key, value in self._extensions.items()
        }
        self.extensions_asked: set[str] = set()

    @property
    def offered_extensions(self) -> tuple[str, ...]:
        """The extension ids this host answers ``get_extension`` for."""
        return tuple(sorted(key.decode() for key in self._extensions))

    def _build(self, struct_type: type[ctypes.Structure], **functions: Any) -> ctypes.Structure:
        struct = struct_type()
        for name, function in functions.items():
            callback = field_type(struct_type, name)(function)
            self._callbacks.append(callback)
            setattr(struct, name, callback)
        return struct

    # -- clap_host_t ---------------------------------------------------------------

    def _get_extension(self, host: Any, extension_id: bytes | None) -> int | None:
        if extension_id is None:
            return None
        self.extensions_asked.add(extension_id.decode("utf-8", "replace"))
        return self._extension_addresses.get(extension_id)

    def _request_restart(self, host: Any) -> None:
        self.restart_requested = True

    def _request_process(self, host: Any) -> None:
        self.process_requested = True

    def _request_callback(self, host: Any) -> None:
        self.callback_requested = True

    # -- extensions ----------------------------------------------------------------

    def _log(self, host: Any, severity: int, message: bytes | None) -> None:
        text = (message or b"").decode("utf-8", "replace")
        self.log_messages.append((severity, text))
        _log.log(_LOG_LEVELS.get(severity, logging.INFO), "plugin: %s", text)

    def _latency_changed(self, host: Any) -> None:
        self.latency_changed = True

    def _is_main_thread(self, host: Any) -> bool:
        return threading.get_ident() == self.main_thread

    def _is_audio_thread(self, host: Any) -> bool:
        return threading.get_ident() == self.audio_thread

    def _params_rescan(self, host: Any, flags: int) -> None:
        self.rescan_flags |= flags

    def _params_clear(self, host: Any, param_id: int, flags: int) -> None:
        # This host keeps no automation or modulation; the plugin's request is noted
        # so pending events for the parameter are dropped before the next block.
        self.cleared_params.append(param_id)

    def _params_request_flush(self, host: Any) -> None:
        self.flush_requested = True

    def _state_mark_dirty(self, host: Any) -> None:
        self.state_dirty = True
