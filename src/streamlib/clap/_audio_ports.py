"""A plugin's audio ports (``clap.audio-ports``) and the buffers ``process`` uses.

Each port gets one preallocated de-interleaved ``(channels, max_frames)`` float32
array, and the ``clap_process_t`` points straight into those arrays, so a block
is processed without allocating or copying anything.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._abi import AudioBuffer, Process
from ._abi import AudioPortInfo as AudioPortInfoStruct
from ._info import AudioPortInfo
from ._native import DISCARDING_OUTPUT_EVENTS

__all__ = ["AudioBuffers", "allocate_audio_buffers", "read_audio_ports"]

_CLAP_AUDIO_PORT_IS_MAIN = 1


def read_audio_ports(ext: Any, plugin: Any, *, is_input: bool) -> tuple[AudioPortInfo, ...]:
    """The input (or output) ports ``plugin`` declares through its ``clap.audio-ports``
    extension ``ext`` (none when it offers no such extension), the main port first."""
    if ext is None:
        return ()
    ports: list[AudioPortInfo] = []
    info = AudioPortInfoStruct()
    for index in range(ext.count(plugin, is_input)):
        if ext.get(plugin, index, is_input, ctypes.byref(info)):
            ports.append(
                AudioPortInfo(
                    id=int(info.id),
                    name=info.name.decode("utf-8", "replace"),
                    channels=int(info.channel_count),
                    is_main=bool(info.flags & _CLAP_AUDIO_PORT_IS_MAIN),
                    port_type=(info.port_type or b"").decode("utf-8", "replace"),
                )
            )
    # The main port first: it is the one a host feeds (the rest are sidechains).
    ports.sort(key=lambda port: not port.is_main)
    return tuple(ports)


@dataclass(frozen=True, slots=True)
class AudioBuffers:
    """One ``(channels, max_frames)`` array per input and output port, and the ctypes
    arrays the process struct points into (kept alive as long as it uses them)."""

    inputs: tuple[np.ndarray[Any, Any], ...]
    outputs: tuple[np.ndarray[Any, Any], ...]
    keep: list[Any]


def allocate_audio_buffers(
    process: Process,
    inputs: tuple[AudioPortInfo, ...],
    outputs: tuple[AudioPortInfo, ...],
    max_frames: int,
) -> AudioBuffers:
    """Buffers of ``max_frames`` samples for every port, with ``process`` pointed at them."""
    keep: list[Any] = []

    def buffers(ports: tuple[AudioPortInfo, ...]) -> tuple[Any, tuple[Any, ...]]:
        arrays = tuple(np.zeros((p.channels, max_frames), np.float32) for p in ports)
        structs = (AudioBuffer * max(1, len(ports)))()
        for struct, array in zip(structs, arrays, strict=False):
            channel_type = ctypes.POINTER(ctypes.c_float)
            pointers = (channel_type * array.shape[0])(
                *(row.ctypes.data_as(channel_type) for row in array)
            )
            keep.append(pointers)
            struct.data32 = pointers
            struct.data64 = None
            struct.channel_count = array.shape[0]
            struct.latency = 0
            struct.constant_mask = 0
        keep.append(structs)
        return structs, arrays

    in_structs, input_arrays = buffers(inputs)
    out_structs, output_arrays = buffers(outputs)
    process.transport = None  # free-running: no host transport
    process.audio_inputs = ctypes.cast(in_structs, ctypes.POINTER(AudioBuffer))
    process.audio_outputs = ctypes.cast(out_structs, ctypes.POINTER(AudioBuffer))
    process.audio_inputs_count = len(inputs)
    process.audio_outputs_count = len(outputs)
    process.out_events = ctypes.pointer(DISCARDING_OUTPUT_EVENTS)
    return AudioBuffers(input_arrays, output_arrays, keep)
