"""The CLAP C ABI as ctypes structures (CLAP 1.1, from clap/*.h).

Every layout here mirrors a struct of the CLAP headers field for field; the
test suite compiles a C program against the real headers and compares sizes
and offsets. Function pointer types are ``CFUNCTYPE``: calling one releases
the GIL for the duration of the native call, which is what lets a plugin's
``process`` run beside other Python threads.

Only what a host needs is declared: entry, factory, plugin, host, process,
events, audio buffers, and the extensions this host uses or offers
(``clap.params``, ``clap.audio-ports``, ``clap.state``, ``clap.latency``,
``clap.thread-check``, ``clap.log``).
"""

from __future__ import annotations

from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int16,
    c_int32,
    c_int64,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any

__all__ = [
    "CLAP_CORE_EVENT_SPACE_ID",
    "CLAP_EVENT_PARAM_VALUE",
    "CLAP_EXT_AUDIO_PORTS",
    "CLAP_EXT_LATENCY",
    "CLAP_EXT_LOG",
    "CLAP_EXT_PARAMS",
    "CLAP_EXT_STATE",
    "CLAP_EXT_THREAD_CHECK",
    "CLAP_INVALID_ID",
    "CLAP_NAME_SIZE",
    "CLAP_PATH_SIZE",
    "CLAP_PLUGIN_FACTORY_ID",
    "CLAP_PROCESS_ERROR",
    "CLAP_VERSION",
    "AudioBuffer",
    "AudioPortInfo",
    "EventHeader",
    "EventParamValue",
    "HostLatency",
    "HostLog",
    "HostParams",
    "HostState",
    "HostStruct",
    "HostThreadCheck",
    "IStream",
    "InputEvents",
    "OStream",
    "OutputEvents",
    "ParamInfo",
    "PluginAudioPorts",
    "PluginDescriptor",
    "PluginEntry",
    "PluginFactory",
    "PluginLatency",
    "PluginParams",
    "PluginState",
    "PluginStruct",
    "Process",
    "Version",
    "field_type",
]

CLAP_NAME_SIZE = 256
CLAP_PATH_SIZE = 1024
CLAP_INVALID_ID = 0xFFFFFFFF
CLAP_CORE_EVENT_SPACE_ID = 0
CLAP_EVENT_PARAM_VALUE = 5
CLAP_PROCESS_ERROR = 0

CLAP_PLUGIN_FACTORY_ID = b"clap.plugin-factory"
CLAP_EXT_PARAMS = b"clap.params"
CLAP_EXT_AUDIO_PORTS = b"clap.audio-ports"
CLAP_EXT_STATE = b"clap.state"
CLAP_EXT_LATENCY = b"clap.latency"
CLAP_EXT_THREAD_CHECK = b"clap.thread-check"
CLAP_EXT_LOG = b"clap.log"


class Version(Structure):
    """``clap_version_t``."""

    _fields_ = (("major", c_uint32), ("minor", c_uint32), ("revision", c_uint32))


CLAP_VERSION = (1, 1, 1)
"""The CLAP version this host was written against (``CLAP_VERSION_INIT``)."""


# -- entry and factory ---------------------------------------------------------------


class PluginEntry(Structure):
    """``clap_plugin_entry_t``: the ``clap_entry`` symbol every CLAP bundle exports."""

    _fields_ = (
        ("clap_version", Version),
        ("init", CFUNCTYPE(c_bool, c_char_p)),
        ("deinit", CFUNCTYPE(None)),
        ("get_factory", CFUNCTYPE(c_void_p, c_char_p)),
    )


class PluginDescriptor(Structure):
    """``clap_plugin_descriptor_t``."""

    _fields_ = (
        ("clap_version", Version),
        ("id", c_char_p),
        ("name", c_char_p),
        ("vendor", c_char_p),
        ("url", c_char_p),
        ("manual_url", c_char_p),
        ("support_url", c_char_p),
        ("version", c_char_p),
        ("description", c_char_p),
        ("features", POINTER(c_char_p)),
    )


class HostStruct(Structure):
    """``clap_host_t``: what the host hands every plugin instance."""


class PluginStruct(Structure):
    """``clap_plugin_t``: one plugin instance's function table."""


class PluginFactory(Structure):
    """``clap_plugin_factory_t``."""


PluginFactory._fields_ = (
    ("get_plugin_count", CFUNCTYPE(c_uint32, POINTER(PluginFactory))),
    (
        "get_plugin_descriptor",
        CFUNCTYPE(POINTER(PluginDescriptor), POINTER(PluginFactory), c_uint32),
    ),
    (
        "create_plugin",
        CFUNCTYPE(POINTER(PluginStruct), POINTER(PluginFactory), POINTER(HostStruct), c_char_p),
    ),
)

HostStruct._fields_ = (
    ("clap_version", Version),
    ("host_data", c_void_p),
    ("name", c_char_p),
    ("vendor", c_char_p),
    ("url", c_char_p),
    ("version", c_char_p),
    ("get_extension", CFUNCTYPE(c_void_p, POINTER(HostStruct), c_char_p)),
    ("request_restart", CFUNCTYPE(None, POINTER(HostStruct))),
    ("request_process", CFUNCTYPE(None, POINTER(HostStruct))),
    ("request_callback", CFUNCTYPE(None, POINTER(HostStruct))),
)


# -- events --------------------------------------------------------------------------


class EventHeader(Structure):
    """``clap_event_header_t``."""

    _fields_ = (
        ("size", c_uint32),
        ("time", c_uint32),
        ("space_id", c_uint16),
        ("type", c_uint16),
        ("flags", c_uint32),
    )


class EventParamValue(Structure):
    """``clap_event_param_value_t`` (56 bytes on 64-bit platforms)."""

    _fields_ = (
        ("header", EventHeader),
        ("param_id", c_uint32),
        ("cookie", c_void_p),
        ("note_id", c_int32),
        ("port_index", c_int16),
        ("channel", c_int16),
        ("key", c_int16),
        ("value", c_double),
    )


class InputEvents(Structure):
    """``clap_input_events_t``."""


InputEvents._fields_ = (
    ("ctx", c_void_p),
    ("size", CFUNCTYPE(c_uint32, POINTER(InputEvents))),
    # Returns ``const clap_event_header_t *``; declared as a plain address because
    # ctypes callbacks (this host's parameter event list) cannot return pointer types.
    ("get", CFUNCTYPE(c_void_p, POINTER(InputEvents), c_uint32)),
)


class OutputEvents(Structure):
    """``clap_output_events_t``."""


OutputEvents._fields_ = (
    ("ctx", c_void_p),
    ("try_push", CFUNCTYPE(c_bool, POINTER(OutputEvents), POINTER(EventHeader))),
)


# -- process -------------------------------------------------------------------------


class AudioBuffer(Structure):
    """``clap_audio_buffer_t``: one audio port's channels for one block."""

    _fields_ = (
        ("data32", POINTER(POINTER(c_float))),
        ("data64", POINTER(POINTER(c_double))),
        ("channel_count", c_uint32),
        ("latency", c_uint32),
        ("constant_mask", c_uint64),
    )


class Process(Structure):
    """``clap_process_t``: everything one ``process`` call reads and writes."""

    _fields_ = (
        ("steady_time", c_int64),
        ("frames_count", c_uint32),
        ("transport", c_void_p),
        ("audio_inputs", POINTER(AudioBuffer)),
        ("audio_outputs", POINTER(AudioBuffer)),
        ("audio_inputs_count", c_uint32),
        ("audio_outputs_count", c_uint32),
        ("in_events", POINTER(InputEvents)),
        ("out_events", POINTER(OutputEvents)),
    )


PluginStruct._fields_ = (
    ("desc", POINTER(PluginDescriptor)),
    ("plugin_data", c_void_p),
    ("init", CFUNCTYPE(c_bool, POINTER(PluginStruct))),
    ("destroy", CFUNCTYPE(None, POINTER(PluginStruct))),
    ("activate", CFUNCTYPE(c_bool, POINTER(PluginStruct), c_double, c_uint32, c_uint32)),
    ("deactivate", CFUNCTYPE(None, POINTER(PluginStruct))),
    ("start_processing", CFUNCTYPE(c_bool, POINTER(PluginStruct))),
    ("stop_processing", CFUNCTYPE(None, POINTER(PluginStruct))),
    ("reset", CFUNCTYPE(None, POINTER(PluginStruct))),
    ("process", CFUNCTYPE(c_int32, POINTER(PluginStruct), POINTER(Process))),
    ("get_extension", CFUNCTYPE(c_void_p, POINTER(PluginStruct), c_char_p)),
    ("on_main_thread", CFUNCTYPE(None, POINTER(PluginStruct))),
)


# -- plugin extensions ---------------------------------------------------------------


class ParamInfo(Structure):
    """``clap_param_info_t``."""

    _fields_ = (
        ("id", c_uint32),
        ("flags", c_uint32),
        ("cookie", c_void_p),
        ("name", c_char * CLAP_NAME_SIZE),
        ("module", c_char * CLAP_PATH_SIZE),
        ("min_value", c_double),
        ("max_value", c_double),
        ("default_value", c_double),
    )


class PluginParams(Structure):
    """``clap_plugin_params_t``."""

    _fields_ = (
        ("count", CFUNCTYPE(c_uint32, POINTER(PluginStruct))),
        ("get_info", CFUNCTYPE(c_bool, POINTER(PluginStruct), c_uint32, POINTER(ParamInfo))),
        ("get_value", CFUNCTYPE(c_bool, POINTER(PluginStruct), c_uint32, POINTER(c_double))),
        (
            "value_to_text",
            CFUNCTYPE(c_bool, POINTER(PluginStruct), c_uint32, c_double, c_char_p, c_uint32),
        ),
        (
            "text_to_value",
            CFUNCTYPE(c_bool, POINTER(PluginStruct), c_uint32, c_char_p, POINTER(c_double)),
        ),
        (
            "flush",
            CFUNCTYPE(None, POINTER(PluginStruct), POINTER(InputEvents), POINTER(OutputEvents)),
        ),
    )


class AudioPortInfo(Structure):
    """``clap_audio_port_info_t``."""

    _fields_ = (
        ("id", c_uint32),
        ("name", c_char * CLAP_NAME_SIZE),
        ("flags", c_uint32),
        ("channel_count", c_uint32),
        ("port_type", c_char_p),
        ("in_place_pair", c_uint32),
    )


class PluginAudioPorts(Structure):
    """``clap_plugin_audio_ports_t``."""

    _fields_ = (
        ("count", CFUNCTYPE(c_uint32, POINTER(PluginStruct), c_bool)),
        (
            "get",
            CFUNCTYPE(c_bool, POINTER(PluginStruct), c_uint32, c_bool, POINTER(AudioPortInfo)),
        ),
    )


class IStream(Structure):
    """``clap_istream_t``."""


IStream._fields_ = (
    ("ctx", c_void_p),
    ("read", CFUNCTYPE(c_int64, POINTER(IStream), c_void_p, c_uint64)),
)


class OStream(Structure):
    """``clap_ostream_t``."""


OStream._fields_ = (
    ("ctx", c_void_p),
    ("write", CFUNCTYPE(c_int64, POINTER(OStream), c_void_p, c_uint64)),
)


class PluginState(Structure):
    """``clap_plugin_state_t``."""

    _fields_ = (
        ("save", CFUNCTYPE(c_bool, POINTER(PluginStruct), POINTER(OStream))),
        ("load", CFUNCTYPE(c_bool, POINTER(PluginStruct), POINTER(IStream))),
    )


class PluginLatency(Structure):
    """``clap_plugin_latency_t``."""

    _fields_ = (("get", CFUNCTYPE(c_uint32, POINTER(PluginStruct))),)


# -- host extensions (this host offers them) -----------------------------------------


class HostLog(Structure):
    """``clap_host_log_t``."""

    _fields_ = (("log", CFUNCTYPE(None, POINTER(HostStruct), c_int32, c_char_p)),)


class HostLatency(Structure):
    """``clap_host_latency_t``."""

    _fields_ = (("changed", CFUNCTYPE(None, POINTER(HostStruct))),)


class HostThreadCheck(Structure):
    """``clap_host_thread_check_t``."""

    _fields_ = (
        ("is_main_thread", CFUNCTYPE(c_bool, POINTER(HostStruct))),
        ("is_audio_thread", CFUNCTYPE(c_bool, POINTER(HostStruct))),
    )


class HostParams(Structure):
    """``clap_host_params_t``."""

    _fields_ = (
        ("rescan", CFUNCTYPE(None, POINTER(HostStruct), c_uint32)),
        ("clear", CFUNCTYPE(None, POINTER(HostStruct), c_uint32, c_uint32)),
        ("request_flush", CFUNCTYPE(None, POINTER(HostStruct))),
    )


class HostState(Structure):
    """``clap_host_state_t``."""

    _fields_ = (("mark_dirty", CFUNCTYPE(None, POINTER(HostStruct))),)


def field_type(struct_type: type[Structure], name: str) -> Any:
    """The ctypes type of ``struct_type``'s field ``name`` (to build callbacks of that type)."""
    for field in struct_type._fields_:
        if field[0] == name:
            return field[1]
    raise KeyError(f"{struct_type.__name__} has no field {name!r}")
