"""A live CLAP plugin instance: activate, process de-interleaved float32, parameters, state.

::

    plugin = ClapPlugin.load("ZamVerb")              # a name, an id or a path
    plugin.activate(48_000, 256, min_frames=256)     # ZamVerb wants fixed power-of-two blocks
    plugin.input_buffers[0][:, :256] = block.T       # (channels, frames), preallocated
    plugin.process(256)
    wet = plugin.output_buffers[0][:, :256].T
    plugin.set_param("room", 0.8)                    # applies from the next block's first sample
    plugin.close()

Calls that CLAP marks ``[main-thread]`` (create, activate, parameters' info,
state) run on whichever thread calls them; ``process`` runs on the thread that
calls it, which becomes the plugin's audio thread. Instances of one bundle are
created, activated, deactivated and destroyed one at a time (``bundle.lock``),
because DPF-based bundles share globals between their instances.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from ..core import PluginError
from ._abi import (
    CLAP_EXT_AUDIO_PORTS,
    CLAP_EXT_LATENCY,
    CLAP_EXT_PARAMS,
    CLAP_EXT_STATE,
    CLAP_PROCESS_ERROR,
    PluginAudioPorts,
    PluginLatency,
    PluginParams,
    PluginState,
    Process,
)
from ._audio_ports import allocate_audio_buffers, read_audio_ports
from ._bundle import PluginBundle
from ._discovery import resolve_plugin
from ._events import ParamEventQueue
from ._host import Host
from ._info import ParamInfo, PluginInfo
from ._native import DISCARDING_OUTPUT_EVENTS
from ._parameters import find_param, read_params
from ._state import ReadStream, WriteStream

__all__ = ["ClapPlugin"]


class ClapPlugin:
    """One instance of a CLAP plugin, owned by the thread that created it.

    Audio goes through preallocated de-interleaved buffers, one
    ``(channels, max_frames)`` float32 array per audio port
    (``input_buffers``, ``output_buffers``), so ``process`` allocates nothing.
    """

    def __init__(self, bundle: PluginBundle, plugin_id: str) -> None:
        self.info: PluginInfo = bundle.info(plugin_id)
        self.bundle = bundle
        self.host = Host()
        factory = bundle.factory
        with bundle.lock:
            pointer = factory.contents.create_plugin(factory, self.host.pointer, plugin_id.encode())
            if not pointer:
                raise PluginError(f"{bundle.path}: the factory would not create {plugin_id!r}")
            bundle.instances += 1
            self._pointer = pointer
            self._table = pointer.contents
            if not self._table.init(pointer):
                self._table.destroy(pointer)
                bundle.instances -= 1
                raise PluginError(f"{plugin_id} ({bundle.path}): the plugin's init() failed")
        self._destroyed = False
        self._params_ext = self._extension(CLAP_EXT_PARAMS, PluginParams)
        self._ports_ext = self._extension(CLAP_EXT_AUDIO_PORTS, PluginAudioPorts)
        self._state_ext = self._extension(CLAP_EXT_STATE, PluginState)
        self._latency_ext = self._extension(CLAP_EXT_LATENCY, PluginLatency)
        self.audio_inputs = read_audio_ports(self._ports_ext, self._pointer, is_input=True)
        self.audio_outputs = read_audio_ports(self._ports_ext, self._pointer, is_input=False)
        self._events = ParamEventQueue()
        self._params: tuple[ParamInfo, ...] | None = None
        self.active = False
        self.processing = False
        self.sample_rate = 0.0
        self.min_frames = 0
        self.max_frames = 0
        self.latency = 0
        self.steady_time = 0
        self.restarts = 0
        self.input_buffers: tuple[np.ndarray[Any, Any], ...] = ()
        self.output_buffers: tuple[np.ndarray[Any, Any], ...] = ()
        self._process = Process()
        self._process_pointer = ctypes.pointer(self._process)
        self._keep: list[Any] = []  # ctypes arrays the process struct points into
        self._allocated_frames = 0
        self._process_fn = self._table.process

    @classmethod
    def load(cls, plugin: str | Path, plugin_id: str | None = None) -> ClapPlugin:
        """Create an instance of ``plugin``: a path to a ``.clap`` file, a plugin id or a name.

        A bundle holding several plugins needs ``plugin_id`` (or pass the id itself).
        """
        bundle, resolved_id = resolve_plugin(plugin, plugin_id)
        return cls(bundle, resolved_id)

    # -- lifecycle -----------------------------------------------------------------

    def activate(self, sample_rate: float, max_frames: int, *, min_frames: int = 1) -> None:
        """Prepare to process blocks of ``min_frames..max_frames`` samples at ``sample_rate``."""
        self._check_alive()
        if self.active:
            raise PluginError(f"{self.info.name} is already active; deactivate() it first")
        if not 1 <= min_frames <= max_frames:
            raise PluginError(
                f"block sizes must satisfy 1 <= min_frames <= max_frames, got "
                f"{min_frames} and {max_frames}"
            )
        with self.bundle.lock:
            ok = self._table.activate(self._pointer, float(sample_rate), min_frames, max_frames)
        if not ok:
            raise PluginError(
                f"{self.info.name} refused to activate at {sample_rate} Hz with blocks of "
                f"{min_frames}..{max_frames} samples"
            )
        self.active = True
        self.sample_rate = float(sample_rate)
        self.min_frames = min_frames
        self.max_frames = max_frames
        self.host.latency_changed = False
        self.latency = self._read_latency()
        if self._allocated_frames != max_frames:
            self._allocate_buffers(max_frames)

    def deactivate(self) -> None:
        """Stop processing and deactivate (buffers are kept for a later ``activate``)."""
        if not self.active:
            return
        if self.processing:
            self._table.stop_processing(self._pointer)
            self.processing = False
            self.host.audio_thread = None
        with self.bundle.lock:
            self._table.deactivate(self._pointer)
        self.active = False

    def close(self) -> None:
        """Deactivate and destroy the instance; nothing may be called on it afterwards."""
        if self._destroyed:
            return
        self.deactivate()
        with self.bundle.lock:
            self._table.destroy(self._pointer)
            self.bundle.instances -= 1
        self._destroyed = True

    def __enter__(self) -> ClapPlugin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- processing ----------------------------------------------------------------

    def process(self, frames: int) -> int:
        """Process ``frames`` samples from ``input_buffers`` into ``output_buffers``.

        The calling thread becomes the audio thread; the GIL is released while the
        plugin runs. Returns the plugin's ``clap_process_status``.
        """
        if not 0 < frames <= self.max_frames:  # the buffers hold max_frames: never read past
            self._check_active()
            raise PluginError(
                f"{self.info.name} was activated for blocks of up to {self.max_frames} samples; "
                f"got {frames}"
            )
        if not self.processing:
            self._start_processing()
        process = self._process
        process.frames_count = frames
        process.steady_time = self.steady_time
        process.in_events = self._events.take()
        status: int = self._process_fn(self._pointer, self._process_pointer)
        self._events.done()
        self.steady_time += frames
        if status == CLAP_PROCESS_ERROR:
            raise PluginError(f"{self.info.name}: process() reported an error")
        return status

    def process_block(self, block: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Process an interleaved ``(frames, channels)`` block of any length (a copy comes back).

        Convenience for tests and offline use: splits into ``max_frames`` pieces;
        a last piece shorter than ``min_frames`` is padded with silence.
        """
        self._check_active()
        if not self.audio_inputs or not self.output_buffers:
            raise PluginError(f"{self.info.name} has no audio ports to process")
        main_in = self.input_buffers[0]
        if block.ndim != 2 or block.shape[1] != main_in.shape[0]:
            raise PluginError(
                f"{self.info.name}'s main input has {main_in.shape[0]} channels; the block is "
                f"shaped {block.shape} (convert the channels first)"
            )
        total = block.shape[0]
        result = np.empty((total, self.output_buffers[0].shape[0]), np.float32)
        for start in range(0, total, self.max_frames):
            piece = block[start : start + self.max_frames]
            n = piece.shape[0]
            frames = max(n, self.min_frames)
            main_in[:, :n] = piece.T
            main_in[:, n:frames] = 0.0
            self.process(frames)
            result[start : start + n] = self.output_buffers[0][:, :n].T
        return result

    def idle(self) -> None:
        """Act on what the plugin asked for since the last call, between blocks.

        Restarts (deactivate, activate with the same settings) when it asked for
        one, runs ``on_main_thread`` when it asked for a callback, flushes
        parameters when it asked and is not processing, and re-reads its
        latency and parameter list when they changed.
        """
        host = self.host
        if host.callback_requested:
            host.callback_requested = False
            self._table.on_main_thread(self._pointer)
        if host.restart_requested and self.active:
            host.restart_requested = False
            settings = (self.sample_rate, self.max_frames, self.min_frames)
            self.deactivate()
            self.activate(settings[0], settings[1], min_frames=settings[2])
            self.restarts += 1
        if host.latency_changed:
            host.latency_changed = False
            self.latency = self._read_latency()
        if host.rescan_flags:
            host.rescan_flags = 0
            self._params = None
        while host.cleared_params:
            self._events.drop(host.cleared_params.popleft())
        if host.flush_requested:
            host.flush_requested = False
            if not self.active:  # an active plugin is flushed by its next process() call
                self._flush()

    # -- parameters ----------------------------------------------------------------

    def params(self) -> tuple[ParamInfo, ...]:
        """Every parameter the plugin has (empty if it offers no ``clap.params``)."""
        if self._params is None:
            self._params = read_params(self._params_ext, self._pointer)
        return self._params

    def param(self, key: int | str) -> ParamInfo:
        """A parameter by id, or by name (case and spaces ignored)."""
        return find_param(self.params(), key, plugin_name=self.info.name)

    def get_param(self, key: int | str) -> float:
        """The parameter's current value (as of the last processed block)."""
        info = self.param(key)
        ext = self._params_ext
        assert ext is not None  # param() found it, so the plugin has clap.params
        value = ctypes.c_double()
        if not ext.get_value(self._pointer, info.id, ctypes.byref(value)):
            raise PluginError(f"{self.info.name} would not report parameter {info.name!r}")
        return float(value.value)

    def set_param(self, key: int | str, value: float) -> None:
        """Set a parameter; it applies from the first sample of the next block.

        Safe from any thread. When the plugin is not active, the change is
        flushed to it at once.
        """
        info = self.param(key)
        if info.is_readonly:
            raise PluginError(f"{self.info.name}'s parameter {info.name!r} is read-only")
        if not info.min_value <= value <= info.max_value:
            raise PluginError(
                f"{self.info.name}'s parameter {info.name!r} takes values from "
                f"{info.min_value:g} to {info.max_value:g}, not {value:g}"
            )
        self._events.push(info.id, float(value))
        if not self.active:  # an active plugin takes it with the next block (CLAP's rule)
            self._flush()

    @property
    def param_events_sent(self) -> int:
        """Parameter events handed to the plugin so far (blocks and flushes)."""
        return self._events.sent

    # -- state ---------------------------------------------------------------------

    @property
    def has_state(self) -> bool:
        """Whether the plugin offers ``clap.state`` (save and load)."""
        return self._state_ext is not None

    def save_state(self) -> bytes:
        """The plugin's state as opaque bytes (``PluginError`` if it offers no ``clap.state``)."""
        ext = self._require_state()
        stream = WriteStream()
        if not ext.save(self._pointer, stream.pointer):
            raise PluginError(f"{self.info.name} failed to save its state")
        self.host.state_dirty = False
        return stream.getvalue()

    def load_state(self, data: bytes) -> None:
        """Restore state saved by :meth:`save_state` (of the same plugin)."""
        ext = self._require_state()
        stream = ReadStream(bytes(data))
        if not ext.load(self._pointer, stream.pointer):
            raise PluginError(
                f"{self.info.name} refused the state it was given ({len(data)} bytes)"
            )
        self._params = None

    # -- helpers -------------------------------------------------------------------

    def _extension(self, name: bytes, struct_type: type[ctypes.Structure]) -> Any:
        address = self._table.get_extension(self._pointer, name)
        if not address:
            return None
        return ctypes.cast(address, ctypes.POINTER(struct_type)).contents

    def _allocate_buffers(self, max_frames: int) -> None:
        buffers = allocate_audio_buffers(
            self._process, self.audio_inputs, self.audio_outputs, max_frames
        )
        self.input_buffers, self.output_buffers = buffers.inputs, buffers.outputs
        self._keep = buffers.keep
        self._allocated_frames = max_frames

    def _start_processing(self) -> None:
        self._check_active()
        self.host.audio_thread = threading.get_ident()
        if not self._table.start_processing(self._pointer):
            self.host.audio_thread = None
            raise PluginError(f"{self.info.name} refused to start processing")
        self.processing = True

    def _flush(self) -> None:
        ext = self._params_ext
        if ext is None or not self._events.has_pending():
            return
        events = self._events.take()
        ext.flush(self._pointer, events, ctypes.pointer(DISCARDING_OUTPUT_EVENTS))
        self._events.done()

    def _read_latency(self) -> int:
        ext = self._latency_ext
        return int(ext.get(self._pointer)) if ext is not None and self.active else 0

    def _require_state(self) -> Any:
        self._check_alive()
        if self._state_ext is None:
            raise PluginError(
                f"{self.info.name} does not offer clap.state, so its state cannot be saved or "
                "loaded (set its parameters instead)"
            )
        return self._state_ext

    def _check_alive(self) -> None:
        if self._destroyed:
            raise PluginError(f"{self.info.name} was closed; load the plugin again")

    def _check_active(self) -> None:
        self._check_alive()
        if not self.active:
            raise PluginError(f"{self.info.name} is not active; call activate() first")

    def __repr__(self) -> str:
        state = "processing" if self.processing else "active" if self.active else "inactive"
        return f"<ClapPlugin {self.info.id} {state}>"
