"""The processor base class: declared ports, a validated config, a lifecycle.

::

    class Gain(sl.Processor):
        \"\"\"Scale audio by a factor.\"\"\"

        tags = ("audio", "effect")

        class Config(sl.ProcessorConfig):
            factor: float = sl.live_field(1.0, ge=0.0, le=8.0)

        audio_in = sl.Input(sl.AudioFrame)
        audio_out = sl.Output(sl.AudioFrame)

        def process(self) -> None:
            for block in self.audio_in.read_all():
                self.audio_out.write(block.replace(data=block.data * self.config.factor))

The runtime constructs it (validating the config), calls ``setup(ctx)`` on the
worker thread, then ``process()`` as its scheduling says, then ``teardown()``.
Processors never create threads for the graph, hold connections or edit the graph.

Streams end. A source that runs out calls :meth:`Processor.end_outputs`; the end
travels behind the frames already written. When every input of a processor has
ended, the runtime calls :meth:`Processor.on_end_of_stream` (flush what you hold)
and then ends its outputs, so the end reaches the sinks and ``Runtime.run()``
returns by itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast, get_args, get_origin

from typing_extensions import TypeVar

from ._config import ProcessorConfig
from ._errors import ConfigError
from ._ports import Input, InputPort, Output, OutputPort, PortSpec
from ._progress import Progress
from ._requirements import Requirement, check_requirements
from ._scheduling import ErrorPolicy, Scheduling
from ._suggest import did_you_mean, renamed_hint

if TYPE_CHECKING:
    from ._context import ProcessorContext

__all__ = ["CAPABILITIES", "Processor"]

CAPABILITIES = frozenset({"camera", "audio", "display", "network", "write", "plugins"})
"""What a processor may reach outside the process: cameras, audio devices, a
window, the network, files it writes, or native plugin code it loads (which is
as powerful as running any program). Declared per type in ``capabilities``."""

# Untyped processors (``class Gain(sl.Processor)`` with a nested ``Config``) keep an
# ``Any`` config, as before typed configs existed, so no user's code starts failing
# mypy; ``Processor[GainConfig]`` makes mypy check every ``self.config.x``.
C = TypeVar("C", bound="ProcessorConfig", default=Any)


class Processor(Generic[C]):
    r"""Base class of every processor. Subclass it, declare ports, implement ``process``.

    Name the config type as the class's parameter, and mypy checks every
    ``self.config.x`` (``Config`` is then set from it)::

        class GainConfig(sl.ProcessorConfig):
            factor: float = sl.live_field(1.0, ge=0.0, le=8.0)

        class Gain(sl.Processor[GainConfig]):
            def process(self) -> None:
                factor = self.config.factor  # a float to mypy

    Class attributes a subclass may set:

    - ``Config``: a :class:`ProcessorConfig` subclass (default: no fields, or the
      class's parameter). A nested ``class Config`` still works; ``self.config``
      is then ``Any`` to type checkers.
    - ``tags``: words to find it by (``"video"``, ``"source"``...).
    - ``default_scheduling``: a :class:`Scheduling` (default push); override
      :meth:`scheduling` when it depends on the config (a timer at ``fps``).
    - ``error_policy``: the default :class:`ErrorPolicy` (restart with backoff).
    - ``type_name``: the registry name (default: the class name).
    - ``capabilities``: what the processor reaches outside the process, from
      :data:`CAPABILITIES` (``"camera"``, ``"audio"``, ``"display"``, ``"network"``,
      ``"write"``, ``"plugins"``); agents are granted each one explicitly. Config
      fields holding paths the processor writes or reads are made with
      ``path_field`` (``access="read"`` for reads).
    - ``ends_with_inputs``: whether the processor ends once every connected input
      has ended (default True). A fan-in processor that should outlive some of
      its inputs' ends sets False and calls :meth:`end_outputs` itself.
    - ``live``: for sources, whether they produce in real time and cannot wait
      (a camera, a microphone, a paced generator; the default) or can wait for a
      slow consumer (a file read as fast as it is consumed). Override
      :meth:`is_live` when it depends on the config.
    - ``fusible``: whether the runtime may share this processor's thread with its
      neighbours in a linear chain (default True). Set False for processors whose
      ``process`` blocks or takes long, so they never delay their producer, and
      for thread-affine resources: a non-fusible processor keeps one thread for
      its whole life. A fusible one may move to another thread (without a new
      ``setup``) when the graph around it changes.
    - ``requires``: :class:`Requirement`\ s, the optional Python modules the type
      needs and the extra that installs them. Import them inside methods, never at
      module level: a type whose modules are missing is still listed (marked
      unavailable) and constructing it raises ``ConfigError`` with the install command.
    - ``isolation`` (set by the runtime, not by you): ``"process"`` on the stand-in
      for a processor that runs in a worker process (``isolation: process``).
    - ``process_name`` (set by the runtime, not by you): on such a stand-in, the
      name of the worker process it shares with other processors (``process: NAME``);
      ``None`` for one of its own.
    - ``renamed_ports``: old port name -> new one, for ports renamed in the last
      release; connecting to an old name is refused with the new one (see
      :meth:`port_hint`). Renamed config fields go in ``Config.renamed_fields``.
    """

    Config: ClassVar[type[ProcessorConfig]] = ProcessorConfig
    tags: ClassVar[tuple[str, ...]] = ()
    default_scheduling: ClassVar[Scheduling] = Scheduling.push()
    error_policy: ClassVar[ErrorPolicy] = ErrorPolicy.RESTART
    type_name: ClassVar[str] = "Processor"
    fusible: ClassVar[bool] = True
    capabilities: ClassVar[frozenset[str]] = frozenset()
    ends_with_inputs: ClassVar[bool] = True
    live: ClassVar[bool] = True
    requires: ClassVar[tuple[Requirement, ...]] = ()
    renamed_ports: ClassVar[Mapping[str, str]] = {}
    isolation: ClassVar[str] = "thread"
    process_name: str | None = None

    _input_declarations: ClassVar[dict[str, Input[Any]]] = {}
    _output_declarations: ClassVar[dict[str, Output[Any]]] = {}

    config: C
    ctx: ProcessorContext | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" not in cls.__dict__:
            cls.type_name = cls.__name__
        inputs: dict[str, Input[Any]] = {}
        outputs: dict[str, Output[Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Input):
                    inputs[name] = value
                    outputs.pop(name, None)
                elif isinstance(value, Output):
                    outputs[name] = value
                    inputs.pop(name, None)
        reserved = {*dir(Processor), *Processor.__annotations__, "inputs", "outputs"}
        clashes = sorted(name for name in (*inputs, *outputs) if name in reserved)
        if clashes:
            raise TypeError(
                f"{cls.__name__}: port name(s) {', '.join(clashes)} would hide the Processor "
                "attribute of the same name; rename the port (e.g. 'video_in')"
            )
        cls._input_declarations = inputs
        cls._output_declarations = outputs
        unknown = set(cls.capabilities) - CAPABILITIES
        if unknown:
            raise TypeError(
                f"{cls.__name__}.capabilities has {sorted(unknown)}; "
                f"use some of {sorted(CAPABILITIES)}"
            )
        config_cls = cls.__dict__.get("Config")
        if config_cls is not None and not (
            isinstance(config_cls, type) and issubclass(config_cls, ProcessorConfig)
        ):
            raise TypeError(f"{cls.__name__}.Config must subclass streamlib.ProcessorConfig")
        parameter = _config_parameter(cls)
        if parameter is not None:
            if config_cls is None:
                cls.Config = parameter
            elif config_cls is not parameter:
                raise TypeError(
                    f"{cls.__name__}.Config is {config_cls.__name__} but the class is typed "
                    f"with {parameter.__name__}; drop Config (the parameter sets it)"
                )

    def __init__(self, config: C | Mapping[str, Any] | None = None, **fields: Any) -> None:
        """Validate the config (a ``Config`` instance, a mapping, or keyword fields)."""
        if config is not None and fields:
            raise ConfigError(
                f"{self.type_name}: pass the config either as one object or as keywords, not both"
            )
        check_requirements(self.type_name, self.requires)
        parsed = self.Config.parse(fields if config is None else config, owner=self.type_name)
        self.config = cast(C, parsed)  # Config is the class's parameter (__init_subclass__)
        self.ctx = None
        self.inputs: dict[str, InputPort[Any]] = {}
        self.outputs: dict[str, OutputPort[Any]] = {}
        for name, declared_input in self._input_declarations.items():
            port_in = declared_input.bind()
            self.inputs[name] = port_in
            self.__dict__[name] = port_in
        for name, declared_output in self._output_declarations.items():
            port_out = declared_output.bind()
            self.outputs[name] = port_out
            self.__dict__[name] = port_out

    # -- lifecycle (override what you need) ---------------------------------------

    def setup(self, ctx: ProcessorContext) -> None:
        """Open devices and allocate buffers; runs on the processor's worker thread.

        The base implementation keeps ``ctx`` as ``self.ctx``; call it from overrides
        (``super().setup(ctx)``) or keep the context yourself.
        """
        self.ctx = ctx

    def process(self) -> bool | None:
        """Read inputs, write outputs. Called per the processor's scheduling mode.

        A ``loop`` processor that polls returns ``False`` when a poll found nothing:
        the runtime then waits before the next call (from 10 µs, doubling up to
        5 ms, cut short by new input or a stop), so an idle loop costs next to no
        CPU; any other return value means it did work and is called again at once.
        """
        raise TypeError(
            f"{self.type_name} does not implement process(); every processor that the "
            "runtime schedules must (pull-mode processors write from their own callback)"
        )

    def teardown(self) -> None:
        """Release what ``setup`` acquired. Runs on the worker thread, also after errors.

        The base implementation drops the context.
        """
        self.ctx = None

    def drain_at_stop(self) -> bool:
        """On an orderly stop, hand on what is still on its way to this processor from
        outside the graph's connections (a socket, another process), or what it still
        holds; ``True`` while it handed something on (it is asked again), ``False``
        once nothing is left.

        Runs on the worker thread after the processors upstream stopped, between the
        rounds in which the runtime lets the push processors on that thread consume
        what is queued for them; a push processor needs nothing here (what is queued
        on its inputs is consumed anyway). The base implementation holds nothing::

            def drain_at_stop(self) -> bool:
                late = self.receiver.take_all()  # never waits
                for frame in late:
                    self.video.write(frame)
                return bool(late)
        """
        return False

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        """Called on the worker thread after a live config change.

        ``self.config`` already holds the new values. The base implementation
        relies on ``process`` reading ``self.config`` each call, which needs no
        action; override to rebuild derived state (a filter's coefficients).
        """
        del previous

    def scheduling(self) -> Scheduling:
        """When the runtime calls ``process``; by default ``default_scheduling``."""
        return self.default_scheduling

    def planned_scheduling(self) -> Scheduling:
        """How the graph plans around this processor (whether it is a source, for the
        delivery profiles a file job gets): its :meth:`scheduling`, except for a
        stand-in that runs another processor elsewhere, which answers for that one."""
        return self.scheduling()

    # -- end of stream -------------------------------------------------------------

    def on_end_of_stream(self) -> None:
        """Every input ended: write out what you still hold (an encoder's delayed
        packets, a rechunker's tail, a file's index). Runs on the worker thread,
        after the last frame was read; the runtime then ends every output.

        The base implementation holds nothing, so it does nothing.
        """

    def end_outputs(self) -> None:
        """End every output's stream: this processor will write nothing more.

        Sources call it when they run out (a file's end, a frame limit); each
        consumer sees the end after the frames already written::

            def process(self) -> None:
                frame = self.reader.next_frame()
                if frame is None:
                    self.end_outputs()
                    return
                self.video.write(frame)
        """
        for port in self.outputs.values():
            port.end()

    def progress(self) -> Progress | None:
        """How far a source that knows its length has come (None: it does not say).

        Called from other threads for statistics, so read plain attributes only::

            def progress(self) -> sl.Progress | None:
                return sl.Progress(self.frames_written / self.config.fps, self.length_s)
        """
        return None

    def is_live(self) -> bool:
        """Whether this source produces in real time (cannot wait for a consumer).

        Connections fed only by sources that can wait default to ``lossless``
        delivery: the file is read as fast as it is consumed, and nothing drops.
        By default ``live``.
        """
        return self.live

    # -- introspection -------------------------------------------------------------

    @classmethod
    def input_specs(cls) -> tuple[PortSpec, ...]:
        return tuple(declared.spec() for declared in cls._input_declarations.values())

    @classmethod
    def output_specs(cls) -> tuple[PortSpec, ...]:
        return tuple(declared.spec() for declared in cls._output_declarations.values())

    @classmethod
    def port_hint(cls, name: str, candidates: Iterable[str], *, what: str) -> str:
        """What to say about an unknown port ``name``: its new name when it was
        renamed, else the closest of ``candidates``.

        >>> class Old(Processor):
        ...     renamed_ports = {"audio_in": "audio"}
        >>> Old.port_hint("audio_in", ["audio"], what="its inputs")
        "'audio_in' was renamed to 'audio'"
        """
        renamed = renamed_hint(name, cls.renamed_ports)
        return renamed if renamed is not None else did_you_mean(name, candidates, what=what)

    @classmethod
    def description(cls) -> str:
        """The docstring's text, for descriptors and ``--help``."""
        return inspect.cleandoc(cls.__doc__ or "").strip()

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.config!r}>"


def _config_parameter(cls: type) -> type[ProcessorConfig] | None:
    """The config type ``cls`` names in its bases (``Processor[GainConfig]``), if any."""
    found: list[type[ProcessorConfig]] = []
    for base in cls.__dict__.get("__orig_bases__", ()):
        origin = get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Processor):
            found.extend(
                arg
                for arg in get_args(base)
                if isinstance(arg, type) and issubclass(arg, ProcessorConfig)
            )
    if len(found) > 1:
        raise TypeError(f"{cls.__name__} names several config types in its bases: {found}")
    return found[0] if found else None
