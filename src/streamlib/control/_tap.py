"""A tap: a live view of what flows out of a port, for as long as a client watches.

::

    tap = Tap.open(host, "fx.video_out")      # watching the output; the graph is unchanged
    frames = tap.take(timeout_s=1.0)          # video: the next frame written; audio: the
                                              # blocks since the last take
    tap.close()                               # no longer watching

A tap is no consumer in the graph: it watches the output port itself (an
:class:`~streamlib.core.OutputWatcher`), so the graph, its connections
and their statistics, fusion (a fused chain through the output stays on one thread) and
end of stream are what they were without it. A video tap keeps one frame each time its
reader asks (the first written after it asked), so a reader at 5 frames a second costs
the producer five kept references a second and a counter per other frame; an audio tap
keeps every block, the newest 64 until read. The producer never waits: what the reader
never took is counted in :attr:`Tap.dropped`. Whoever reads the tap (the web API's
stream, on a thread of its own) does the costly part, such as encoding, away from the
runtime's threads.

It stops watching when closed, when the runtime stops, or when the output's processor is
removed (the last two seen through the runtime's events, and by :meth:`Tap.is_live`).
"""

from __future__ import annotations

from ..core import (
    RUNTIME_TOPIC,
    AudioFrame,
    Event,
    Frame,
    OutputPort,
    OutputWatcher,
    PortRef,
    Processor,
    ProcessorRemoved,
    RuntimeStopped,
    StreamError,
    Subscription,
)
from ..runtime import RuntimeState
from ._host import PipelineHost
from ._probe import require_running, watched_output

__all__ = ["Tap"]

_AUDIO_BLOCKS_KEPT = 64  # audio waiting for the reader (about 0.6 s of 480-sample blocks)


class Tap:
    """A watcher on the output behind a port of ``host``'s pipeline.

    Open it with :meth:`open` (refused unless the pipeline runs, or for a port that does
    not exist, with the same messages as ``snapshot``), read with :meth:`take`, and
    :meth:`close` it when the client goes away.
    """

    def __init__(
        self,
        host: PipelineHost,
        source: PortRef,
        processor: Processor,
        output: OutputPort[Frame],
    ) -> None:
        self.host = host
        self.source = source
        self.frame_class: type[Frame] = output.spec.frame_type.frame_class
        """What the output declares it sends (``VideoFrame``, ``AudioFrame``, ...)."""
        self._processor = processor
        self._output = output
        if issubclass(self.frame_class, AudioFrame):
            self._watcher = OutputWatcher.every_frame(_AUDIO_BLOCKS_KEPT)
        else:
            self._watcher = OutputWatcher.on_demand()
        self._closed = False
        self._subscription: Subscription | None = None

    @classmethod
    def open(cls, host: PipelineHost, port: str) -> Tap:
        """Watch ``port`` (an output, or an input: its producer's output)."""

        def attach() -> Tap:
            runtime = host.runtime
            require_running(runtime)
            source, processor, output = watched_output(runtime, PortRef.parse(port))
            tap = cls(host, source, processor, output)
            # Subscribed before watching: a stop or removal from now on is seen.
            tap._subscription = runtime.events.subscribe(RUNTIME_TOPIC, tap._on_runtime_event)
            output.watch(tap._watcher)
            return tap

        # Through host.call, so the port looked up is not being removed meanwhile.
        return host.call(attach)

    def take(self, timeout_s: float) -> list[Frame]:
        """What the tap kept since the last take, oldest first, waiting up to ``timeout_s``
        for something (``[]`` when nothing came or the tap ended). Video: the first frame
        written after the call; audio: every block since the previous take (the newest 64)."""
        return self._watcher.take(timeout_s)

    @property
    def dropped(self) -> int:
        """Frames the output wrote while watched that the reader never took."""
        return self._watcher.missed

    def is_live(self) -> bool:
        """Whether frames can still come: the tap is open, the pipeline runs (or is paused)
        and the tapped output's processor is still in the graph. Read without
        ``host.call``, so a slow operation never delays a stream."""
        if self._closed or self._watcher.closed:
            return False
        try:
            runtime = self.host.runtime
            if runtime.state not in (RuntimeState.RUNNING, RuntimeState.PAUSED):
                return False
            return runtime.graph.processor(self.source.processor) is self._processor
        except (StreamError, LookupError, RuntimeError):  # the host closed, the output removed
            return False

    def close(self) -> None:
        """Stop watching (idempotent; safe from any thread, also once the host closed)."""
        if self._closed:
            return
        self._closed = True
        self._stop_watching()
        if self._subscription is not None:
            self._subscription.close()

    def _stop_watching(self) -> None:
        self._output.unwatch(self._watcher)
        self._watcher.close()  # wakes a reader waiting in take()

    def _on_runtime_event(self, event: Event) -> None:
        """On the event bus's thread: the runtime stopped, or the tapped processor went."""
        removed = isinstance(event, ProcessorRemoved) and event.processor_id == str(
            self.source.processor
        )
        if removed or isinstance(event, RuntimeStopped):
            self._stop_watching()
