"""Taking one WHIP publisher (a browser, OBS, a ``WhipPublisher``) and its decoded media.

    host = WhipHost(IceSettings(), on_frame=lambda kind, frame: queue.put((kind, frame)))
    server.add_endpoint("whip", host)

``on_frame`` runs on the event-loop thread with each ``av.VideoFrame`` or
``av.AudioFrame`` aiortc decoded; keep it short (hand the frame on). A
second publisher is refused (409) while the first is connected; once that one
hangs up, fails or goes silent, the endpoint is free again. A publisher whose
ICE or DTLS fails, or does not connect within ``connect_timeout_s``, is reported
(``publisher_failed``, with the reason) and closed, so it cannot hold the
endpoint. The endpoint is taken before the first ``await``, so of offers
arriving at the same moment exactly one is answered, the others get 409; an
offer that fails frees it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCPeerConnection

from ._ice import IceSettings
from ._peers import accept_offer, close_quietly
from ._tracks import drain_track
from ._trickle import add_remote_candidates

__all__ = ["WhipHost"]

FrameSink = Callable[[str, Any], None]
EventSink = Callable[[str, dict[str, Any]], None]


class WhipHost:
    """The WHIP endpoint handler: one publisher at a time."""

    def __init__(
        self,
        ice: IceSettings,
        *,
        on_frame: FrameSink,
        on_event: EventSink | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self._ice = ice
        self._connect_timeout_s = connect_timeout_s
        self._deadline: asyncio.TimerHandle | None = None
        self._on_frame = on_frame
        self._on_event = on_event or (lambda name, payload: None)
        self._session_id: str | None = None
        self._pc: RTCPeerConnection | None = None
        self._drains: list[asyncio.Task[None]] = []
        self._closed = False
        self.publishers_served = 0

    @property
    def connected(self) -> bool:
        """Whether a publisher is connected now."""
        return self._pc is not None and self._pc.connectionState == "connected"

    @property
    def busy(self) -> bool:
        """Whether a publisher holds the endpoint (connected or still connecting)."""
        return self._pc is not None

    async def open_session(self, session_id: str, offer_sdp: str) -> str:
        from ._server import EndpointBusyError

        if self._closed:
            raise EndpointBusyError("this server is shutting down")
        if self._pc is not None:
            raise EndpointBusyError(
                "a publisher is already connected; it must hang up (DELETE) first"
            )
        pc = RTCPeerConnection(self._ice.rtc_configuration())
        self._on_event("publisher_joining", {"session": session_id})

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            kind = track.kind
            self._drains.append(
                asyncio.ensure_future(drain_track(track, lambda f: self._on_frame(kind, f)))
            )

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            self._on_event("publisher_state", {"session": session_id, "state": pc.connectionState})
            if pc.connectionState == "failed" and session_id == self._session_id:
                self._on_event(
                    "publisher_failed", {"session": session_id, "reason": "ICE/DTLS failed"}
                )
            if pc.connectionState in ("failed", "closed"):
                await self.close_session(session_id)

        self._pc, self._session_id = pc, session_id
        try:
            answer = await accept_offer(pc, offer_sdp, receive=("video", "audio"))
        except BaseException:
            await self.close_session(session_id)
            raise
        if session_id != self._session_id:  # closed while answering: close() hung up on it
            raise EndpointBusyError("this server is shutting down")
        self.publishers_served += 1
        self._deadline = asyncio.get_running_loop().call_later(
            self._connect_timeout_s,
            lambda: asyncio.ensure_future(self._check_connected(session_id)),
        )
        self._on_event("publisher_joined", {"session": session_id})
        return answer

    async def _check_connected(self, session_id: str) -> None:
        if session_id == self._session_id and not self.connected:
            reason = f"no connection within {self._connect_timeout_s:g} s"
            self._on_event("publisher_failed", {"session": session_id, "reason": reason})
            await self.close_session(session_id)

    async def trickle(self, session_id: str, sdp_fragment: str) -> bool:
        if session_id != self._session_id or self._pc is None:
            return False
        await add_remote_candidates(self._pc, sdp_fragment)
        return True

    async def close_session(self, session_id: str) -> bool:
        if session_id != self._session_id or self._pc is None:
            return False
        pc, self._pc, self._session_id = self._pc, None, None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        drains, self._drains = self._drains, []
        for task in drains:
            task.cancel()
        await close_quietly(pc)
        self._on_event("publisher_left", {"session": session_id})
        return True

    async def close(self) -> None:
        """Hang up on the publisher, if any; later offers are refused."""
        self._closed = True
        if self._session_id is not None:
            await self.close_session(self._session_id)
