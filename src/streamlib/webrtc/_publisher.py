"""A WHIP publisher that stays connected (:class:`ReconnectingSession`).

The caller pushes encoded packets from any thread; the publisher sends them
while connected and drops them (counting) while it reconnects::

    publisher = WhipPublisherSession(loop, "http://127.0.0.1:8889/whip", kinds=("video",))
    publisher.start()                   # returns at once; connecting runs on the loop
    publisher.push(packet)
    publisher.stop()                    # DELETE, close

Each attempt, success and failure is reported to ``on_event`` (the processor
puts them on the event bus).
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCPeerConnection

from ..core import EncodedPacket
from ._peers import last_report_age, sending_peer
from ._reconnecting import ReconnectingSession
from ._tracks import PacketTrack

__all__ = ["WhipPublisherSession"]


class WhipPublisherSession(ReconnectingSession):
    """Publishes pushed packets to a WHIP endpoint, reconnecting when the connection drops.

    The remote end counts as gone once it sent no RTCP receiver report for
    ``silence_timeout_s`` seconds.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Replaced whole, so push() reads it from another thread without a lock.
        self._tracks: dict[str, PacketTrack] = {}
        self._pending: dict[str, PacketTrack] = {}
        self.packets_dropped = 0
        # Keyframe requests (PLI/FIR) from the remote end; the encoding side compares counts.
        self.keyframe_requests = 0

    @property
    def connected(self) -> bool:
        """Whether packets go out now."""
        return bool(self._tracks)

    def push(self, packet: EncodedPacket) -> None:
        """Send ``packet`` if connected (any thread)."""
        track = self._tracks.get(packet.media_kind)
        if track is None:
            self.packets_dropped += 1
        else:
            track.push(packet)

    async def _make_peer(self) -> RTCPeerConnection:
        self._pending = {
            kind: PacketTrack(kind, self._loop, on_keyframe_request=self._keyframe_requested)
            for kind in self._kinds
        }
        return await sending_peer(self._ice, self._pending.values())

    def _keyframe_requested(self) -> None:
        self.keyframe_requests += 1

    def _connected(self, pc: RTCPeerConnection) -> None:
        self._tracks = self._pending

    async def _closing(self) -> None:
        self._tracks = {}

    async def _silence(self, pc: RTCPeerConnection) -> float | None:
        return await last_report_age(pc)
