"""A WHEP player that stays connected (:class:`ReconnectingSession`): each decoded frame
goes to a callback::

    player = WhepPlayerSession(loop, "http://127.0.0.1:8889/whep", on_frame=handle)
    player.start()              # returns at once; connecting runs on the loop
    ...
    player.stop()               # DELETE, close

``on_frame(kind, frame)`` runs on the event-loop thread with each
``av.VideoFrame``/``av.AudioFrame``; keep it short. The server counts as gone
once it sent no RTCP sender report for ``silence_timeout_s`` seconds (aiortc and
browsers send one every second or two, media or not), so a server that
vanished without a word is noticed long before ICE consent expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCPeerConnection

from ._peers import last_sender_report_age, receiving_peer
from ._reconnecting import ReconnectingSession
from ._tracks import drain_track

__all__ = ["WhepPlayerSession"]


class WhepPlayerSession(ReconnectingSession):
    """One WHEP endpoint played (video and/or audio), reconnected when it drops."""

    def __init__(self, *args: Any, on_frame: Callable[[str, Any], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_frame = on_frame
        self._drains: list[asyncio.Task[None]] = []

    async def _make_peer(self) -> RTCPeerConnection:
        pc = await receiving_peer(self._ice, self._kinds)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            kind = track.kind
            self._drains.append(
                asyncio.ensure_future(drain_track(track, lambda f: self._on_frame(kind, f)))
            )

        return pc

    async def _closing(self) -> None:
        drains, self._drains = self._drains, []
        for task in drains:
            task.cancel()

    async def _silence(self, pc: RTCPeerConnection) -> float | None:
        return await last_sender_report_age(pc)
