"""ClapEffect: run a CLAP audio plugin (a reverb, a compressor...) on an audio stream."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from ...clap import ClapPlugin, resolve_plugin
from ...core import (
    NS_PER_S,
    AudioFrame,
    BufferPool,
    ConfigError,
    CustomEvent,
    FrameError,
    Input,
    InputPort,
    Output,
    OutputPort,
    PluginError,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    live_field,
    processor_topic,
    reach_field,
)
from ._blocks import BlockEmitter, BlockQueue

__all__ = ["ClapEffect", "ClapEffectStatistics"]


@dataclass(frozen=True, slots=True)
class ClapEffectStatistics:
    """A snapshot of a :class:`ClapEffect`'s counters.

    ``overruns`` counts blocks whose plugin call took longer than the block
    lasts (``budget_ms``): a plugin rebuilding itself after a parameter change
    (ZamVerb's Room rebuilds its convolver inside ``process``) shows up here.
    """

    plugin_id: str
    blocks: int
    overruns: int
    max_block_ms: float
    budget_ms: float
    param_changes: int
    restarts: int
    latency_samples: int


class ClapEffectConfig(ProcessorConfig):
    plugin: str = reach_field(
        ...,
        reaches="library",
        description="A .clap path, a plugin id (com.zamaudio.ZamVerb) or a name (ZamVerb).",
    )
    plugin_id: str | None = Field(
        None, description="Which plugin of a bundle that holds several (by id)."
    )
    block_size: int = Field(
        256, ge=16, le=8192, description="Samples per plugin call (a power of two suits all)."
    )
    params: dict[str, float] = live_field(
        {}, description="Parameter values by name or id, e.g. {room: 2, 'wet / dry': 40}."
    )

    @field_validator("block_size")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(
                "use a power of two (plugins such as ZamVerb process nothing otherwise)"
            )
        return value


class ClapEffect(Processor[ClapEffectConfig]):
    """Run a CLAP effect plugin (by path, id or name) on audio, in fixed-size blocks.

    The plugin is activated with ``block_size`` as both its minimum and maximum
    block, and only full blocks reach it: incoming audio of any block size is
    gathered first (some plugins, ZamVerb among them, silently pass the dry
    signal through unless every block has exactly that size, a power of two).
    At the end of the stream the last partial block is padded with silence,
    never sent short; a stop without an end writes no tail.

    The ports carry exactly the plugin's main input and output channel counts
    (ZamVerb stereo, ZamComp mono), so a mismatched connection is refused
    when it is made. ``params`` maps parameter names (or ids) to values and
    may change while running; a change applies from the first sample of the
    next block. Blocks whose plugin call overran the block's duration are
    counted in :meth:`statistics` and published as ``overrun`` events.

    Example pipeline entry::

        verb: {type: ClapEffect, config: {plugin: ZamVerb, params: {room: 2, "wet / dry": 40}}}
    """

    tags = ("audio", "effect", "plugin")
    fusible = False  # the plugin's process() is native work of a block's length
    capabilities = frozenset({"plugins"})  # loads and runs a native library

    audio_in = Input(AudioFrame, description="Audio with the plugin's input channel count.")
    audio_out = Output(AudioFrame, description="The plugin's output, in blocks of block_size.")

    def __init__(
        self, config: ClapEffectConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        cfg = self.config
        try:
            bundle, self._plugin_id = resolve_plugin(cfg.plugin, cfg.plugin_id)
        except PluginError as error:
            raise ConfigError(f"ClapEffect: {error}") from error
        # A short-lived instance tells the ports and checks the parameters now, so a
        # bad config or a mismatched connection fails before anything runs.
        with ClapPlugin(bundle, self._plugin_id) as probe:
            if not probe.audio_inputs or not probe.audio_outputs:
                raise ConfigError(
                    f"ClapEffect: {probe.info.name} has no audio input or output; "
                    "it is not an audio effect"
                )
            self._channels_in = probe.audio_inputs[0].channels
            self._channels_out = probe.audio_outputs[0].channels
            for key, value in cfg.params.items():
                try:
                    probe.set_param(_param_key(key), value)
                except PluginError as error:
                    raise ConfigError(f"ClapEffect params: {error}") from error
        self._narrow_ports()
        self._blocks = 0
        self._overruns = 0
        self._max_block_ns = 0
        self._restarts = 0
        self._closed_counts = (0, 0, 0)  # param events, restarts, latency of closed instances
        self._plugin: ClapPlugin | None = None

    def _narrow_ports(self) -> None:
        """Give the bound ports the plugin's channel counts (the graph checks them)."""
        spec_in = self.inputs["audio_in"].spec
        port_in: InputPort[AudioFrame] = InputPort(
            dataclasses.replace(spec_in, frame_type=AudioFrame.with_channels(self._channels_in))
        )
        spec_out = self.outputs["audio_out"].spec
        port_out: OutputPort[AudioFrame] = OutputPort(
            dataclasses.replace(spec_out, frame_type=AudioFrame.with_channels(self._channels_out))
        )
        self.inputs["audio_in"] = port_in
        self.outputs["audio_out"] = port_out
        self.__dict__["audio_in"] = port_in
        self.__dict__["audio_out"] = port_out

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        cfg = self.config
        self._plugin = ClapPlugin.load(cfg.plugin, self._plugin_id)
        for key, value in cfg.params.items():
            self._plugin.set_param(_param_key(key), value)
        self._pool = BufferPool((cfg.block_size, self._channels_out), np.float32)
        # Only whole blocks reach the plugin: incoming audio waits here until one is full.
        self._queue = BlockQueue(cfg.block_size, self._channels_in, max(4 * cfg.block_size, 4096))
        self._out = BlockEmitter(self.audio_out)

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        plugin = self._plugin
        if plugin is None:
            return
        old = getattr(previous, "params", {})
        for key, value in self.config.params.items():
            if old.get(key) != value:
                plugin.set_param(_param_key(key), value)

    def process(self) -> None:
        plugin = self._plugin
        assert plugin is not None
        for frame in self.audio_in.read_all():
            if frame.channels != self._channels_in:
                raise FrameError(
                    f"{plugin.info.name} takes {self._channels_in}-channel audio, this block has "
                    f"{frame.channels} (put an AudioChannelConverter in front)"
                )
            if frame.sample_rate != self._out.rate:
                self._activate(plugin, frame)
            self._queue.write(frame.data)
            while self._queue.has_block:
                self._run_block(plugin)
        plugin.idle()

    def on_end_of_stream(self) -> None:
        plugin = self._plugin
        if plugin is not None and self._queue.available and plugin.active:
            self._run_block(plugin)  # the tail, padded: never sent short

    def teardown(self) -> None:
        plugin = self._plugin
        self._plugin = None
        if plugin is not None:
            try:
                events, restarts, _ = self._closed_counts
                self._closed_counts = (
                    events + plugin.param_events_sent,
                    restarts + plugin.restarts,
                    plugin.latency,
                )
            finally:
                plugin.close()
        super().teardown()

    def statistics(self) -> ClapEffectStatistics:
        """Blocks processed, overruns and the longest plugin call so far."""
        plugin = self._plugin
        rate = self._out.rate or 48_000
        events, restarts, latency = self._closed_counts
        if plugin is not None:
            events += plugin.param_events_sent
            restarts += plugin.restarts
            latency = plugin.latency
        return ClapEffectStatistics(
            plugin_id=self._plugin_id,
            blocks=self._blocks,
            overruns=self._overruns,
            max_block_ms=self._max_block_ns / 1e6,
            budget_ms=self.config.block_size * 1000.0 / rate,
            param_changes=events,
            restarts=self._restarts + restarts,
            latency_samples=latency,
        )

    # -- helpers -------------------------------------------------------------------

    def _activate(self, plugin: ClapPlugin, frame: AudioFrame) -> None:
        if plugin.active:
            plugin.deactivate()
            self._restarts += 1
        block = self.config.block_size
        plugin.activate(frame.sample_rate, block, min_frames=block)
        self._budget_ns = block * NS_PER_S // frame.sample_rate
        self._queue.clear()  # audio at the old rate
        self._out.start(frame.timestamp_ns, frame.sample_rate)

    def _run_block(self, plugin: ClapPlugin) -> None:
        """The next block (the tail padded with silence) through the plugin, and out."""
        block = self.config.block_size
        self._queue.read_block(plugin.input_buffers[0][:, :block].T)
        start = time.perf_counter_ns()
        plugin.process(block)
        took = time.perf_counter_ns() - start
        self._blocks += 1
        self._max_block_ns = max(self._max_block_ns, took)
        if took > self._budget_ns:
            self._overruns += 1
            self._report_overrun(took)
        out = self._pool.acquire()
        np.copyto(out, plugin.output_buffers[0][:, :block].T)
        self._out.emit(out)

    def _report_overrun(self, took_ns: int) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        ctx.events.publish(
            CustomEvent(
                custom_topic=processor_topic(str(ctx.processor_id)),
                name="overrun",
                payload={
                    "block_ms": took_ns / 1e6,
                    "budget_ms": self._budget_ns / 1e6,
                    "block": self._blocks,
                },
                timestamp_ns=ctx.clock.now_ns(),
            )
        )


def _param_key(key: str) -> int | str:
    """Config keys are strings; an all-digit key is a parameter id."""
    return int(key) if key.isdigit() else key
