"""WebRtcProcessor: the base of the WebRTC processors, owning what they all do around
their network end.

Each needs the ``webrtc`` extra, runs its network I/O on an asyncio loop of its own
(so aiortc never blocks the runtime's workers), reports what happens on the network
on ``processor:<id>``, and has one network end: a client session that reconnects
with backoff (WhipPublisher, WhepPlayer) or a signalling server (WhepServer,
WhipServer). The base starts the loop and the events in ``setup`` and, in
``teardown``, stops the network end and then the loop. A subclass builds and
starts its end in :meth:`~WebRtcProcessor.open_network` and returns how to stop
it::

    class WhepPlayer(WebRtcProcessor[WhepPlayerConfig]):
        def open_network(self, loop):
            self.session = WhepPlayerSession(loop, self.config.url, on_frame=...)
            self.session.start()
            return self.session.stop
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Generic

from typing_extensions import TypeVar

from ...core import Processor, ProcessorContext
from .._requirements import WEBRTC
from ._support import NetworkEvents, WebRtcPeerConfig

if TYPE_CHECKING:
    from ...webrtc import EventLoopThread

__all__ = ["WebRtcProcessor"]

C = TypeVar("C", bound=WebRtcPeerConfig, default=WebRtcPeerConfig)


class WebRtcProcessor(Processor[C], abc.ABC, Generic[C]):
    """A processor with a network end on an event loop of its own; ``events`` reports it."""

    requires = (WEBRTC,)
    # Waits on the network or encodes: keeps a thread of its own.
    fusible: ClassVar[bool] = False
    capabilities: ClassVar[frozenset[str]] = frozenset({"network"})

    events: NetworkEvents
    _loop: EventLoopThread | None = None
    _stop_network_end: Callable[[], None] | None = None

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...webrtc import EventLoopThread

        self.events = NetworkEvents(ctx.events, ctx.processor_id)
        loop = self._loop = EventLoopThread(
            f"{self.type_name}-{ctx.processor_id}", loopback=self.config.ice == "loopback"
        )
        try:
            self._stop_network_end = self.open_network(loop)
        except BaseException:
            # A setup that fails is not torn down: leave no loop thread behind.
            self._close_network()
            raise

    @abc.abstractmethod
    def open_network(self, loop: EventLoopThread) -> Callable[[], None]:
        """Build and start this processor's network end on ``loop``; return what stops it.

        Runs in ``setup``, after ``events`` exists; the callable returned runs in
        ``teardown``, before the loop stops.
        """

    def teardown(self) -> None:
        try:
            self._close_network()
        finally:
            super().teardown()

    def _close_network(self) -> None:
        loop, stop_end = self._loop, self._stop_network_end
        self._loop = self._stop_network_end = None
        if loop is None:
            return
        try:
            if stop_end is not None:
                stop_end()
        finally:
            loop.stop()
