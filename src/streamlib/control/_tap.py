"""A tap: a live view of what flows out of a port, for as long as a client watches.

::

    tap = Tap.open(host, "fx.video_out")      # attached: a `latest` consumer of capacity 1
    frames = tap.take(timeout_s=1.0)          # what arrived since the last take (video: the newest)
    tap.close()                               # detached; the graph is as it was

A tap is an ordinary consumer added to the graph (a :class:`TapProbe` with the id
``_tap_N``, attached and detached as a snapshot's probe is), on a ``latest`` connection
of capacity 1: when the tap falls behind, the connection drops the older frame (counted
in its statistics, as any drop is) and the producer never waits. Its ``process`` only
keeps a reference to the newest frame; whoever reads the tap (the web API's stream, on a
thread of its own) does the costly part, such as encoding, away from the runtime's
threads.

What it costs the pipeline while open: one more consumer on that output (a fused chain
through it runs on two threads meanwhile, as for a snapshot) and one reference per frame.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from typing import Any

from ..core import (
    AudioFrame,
    DeliveryProfile,
    Frame,
    Input,
    PortRef,
    Processor,
    RuntimeStateError,
    StreamError,
)
from ..runtime import RuntimeState
from ._host import PipelineHost
from ._probe import attach_probe, detach_probe, require_running

__all__ = ["TAP_PREFIX", "Tap", "TapProbe"]

TAP_PREFIX = "_tap_"
"""How a tap's consumer is named in the graph (``_tap_1``, ``_tap_2``, ...)."""

_AUDIO_BLOCKS_KEPT = 64  # audio waiting for the reader (about 0.6 s of 480-sample blocks)


class TapProbe(Processor):
    """Keep the newest frame (video, data) or the latest audio blocks for a tap's reader
    (internal: never registered). Counts what the reader never saw in ``dropped``."""

    type_name = "TapProbe"
    tags = ("internal",)

    frames = Input(Frame, profile="latest", capacity=1, description="Frames to show.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._ready = threading.Condition()
        self._kept: deque[Frame] = deque()
        self.dropped = 0

    def process(self) -> None:
        frame = self.frames.read_latest()
        if frame is None:
            return
        with self._ready:
            limit = _AUDIO_BLOCKS_KEPT if isinstance(frame, AudioFrame) else 1
            while len(self._kept) >= limit:
                self._kept.popleft()
                self.dropped += 1
            self._kept.append(frame)
            self._ready.notify_all()

    def take(self, timeout_s: float) -> list[Frame]:
        """What arrived since the last take, oldest first, waiting up to ``timeout_s`` for
        something (``[]`` when nothing came)."""
        with self._ready:
            self._ready.wait_for(lambda: bool(self._kept), timeout=timeout_s)
            taken = list(self._kept)
            self._kept.clear()
            return taken


class Tap:
    """A :class:`TapProbe` attached to the output behind a port of ``host``'s pipeline.

    Open it with :meth:`open` (refused unless the pipeline runs, or for a port that does
    not exist, with the same messages as ``snapshot``), read with :meth:`take`, and
    :meth:`close` it when the client goes away. Every change to the graph goes through
    ``host.call``, so it never interleaves with an operation.
    """

    def __init__(
        self,
        host: PipelineHost,
        probe: TapProbe,
        probe_id: str,
        source: PortRef,
        frame_class: type[Frame],
    ) -> None:
        self.host = host
        self.probe = probe
        self.probe_id = probe_id
        self.source = source
        self.frame_class = frame_class
        """What the output declares it sends (``VideoFrame``, ``AudioFrame``, ...)."""
        self._closed = False

    @classmethod
    def open(cls, host: PipelineHost, port: str) -> Tap:
        """Attach a tap to ``port`` (an output, or an input: its producer's output)."""

        def attach() -> Tap:
            runtime = host.runtime
            require_running(runtime)
            probe = TapProbe()
            probe_id, source = attach_probe(
                runtime,
                PortRef.parse(port),
                probe,
                prefix=TAP_PREFIX,
                profile=DeliveryProfile.LATEST,
                capacity=1,
            )
            output = runtime.processor(source.processor).outputs[source.port]
            return cls(host, probe, probe_id, source, output.spec.frame_type.frame_class)

        return host.call(attach)

    def take(self, timeout_s: float) -> list[Frame]:
        """See :meth:`TapProbe.take`."""
        return self.probe.take(timeout_s)

    def is_live(self) -> bool:
        """Whether frames can still come: the pipeline runs (or is paused) and the tap is
        still connected to its output (removing the output's processor, or the tap, ends
        it). Read without ``host.call``, so a slow operation never delays a stream."""
        if self._closed:
            return False
        try:
            runtime = self.host.runtime
            if runtime.state not in (RuntimeState.RUNNING, RuntimeState.PAUSED):
                return False
            graph = runtime.graph
            feeds = graph.producer_of(PortRef.parse(f"{self.probe_id}.frames"))
            return feeds is not None and graph.processor(self.probe_id) is self.probe
        except (StreamError, LookupError, RuntimeError):  # the host closed, the tap removed
            return False

    def close(self) -> None:
        """Detach the tap (idempotent; nothing to do once the host has closed, which took
        its runtime and the tap with it)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(RuntimeStateError):
            self.host.call(lambda: detach_probe(self.host.runtime, self.probe_id, self.probe))
