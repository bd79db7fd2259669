"""Serving one encoded stream to any number of WHEP viewers.

The packets are encoded once, by the caller; each viewer gets its own
:class:`PacketTrack` fed with the same packets, so a tenth viewer costs RTP
packetization and SRTP, not another encoder::

    host = WhepHost(loop, IceSettings(mode="loopback"), kinds=("video", "audio"))
    server.add_endpoint("whep", host)
    host.push(packet)     # from the processor's thread, for every encoded packet

At most ``max_viewers`` are served at once, counting offers still being
answered: the place is taken before the first ``await`` and given back if the
offer fails, so any number of offers at the same moment never get more.

A viewer that vanishes without hanging up (a closed tab, a killed browser)
stops sending RTCP receiver reports; after ``viewer_timeout_s`` seconds of
silence its peer is closed and its tracks dropped. A viewer whose ICE or DTLS
fails, or does not connect within ``connect_timeout_s``, is reported
(``viewer_failed``, with the reason) and dropped the same way; the other
viewers are served on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection

from ..core import EncodedPacket
from ._ice import IceSettings
from ._loop import EventLoopThread
from ._peers import accept_offer, close_quietly, last_report_age, negotiated
from ._tracks import PacketTrack
from ._trickle import add_remote_candidates

__all__ = ["Viewer", "WhepHost"]

EventSink = Callable[[str, dict[str, Any]], None]


@dataclass
class Viewer:
    """One WHEP session."""

    session_id: str
    pc: RTCPeerConnection
    tracks: tuple[PacketTrack, ...]
    opened: float = field(default_factory=time.monotonic)


class WhepHost:
    """The WHEP endpoint handler: a peer per viewer, all fed from :meth:`push`."""

    def __init__(
        self,
        loop: EventLoopThread,
        ice: IceSettings,
        *,
        kinds: tuple[str, ...] = ("video", "audio"),
        viewer_timeout_s: float = 10.0,
        connect_timeout_s: float = 10.0,
        max_viewers: int = 16,
        on_event: EventSink | None = None,
    ) -> None:
        self._loop = loop
        self._ice = ice
        self._kinds = kinds
        self._viewer_timeout_s = viewer_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._max_viewers = max_viewers
        self._on_event = on_event or (lambda name, payload: None)
        self._viewers: dict[str, Viewer] = {}
        self._answering = 0  # offers being answered: they hold a place among max_viewers
        self._closed = False
        # Replaced whole on each change, so push() reads it from another thread without a lock.
        self._tracks: tuple[PacketTrack, ...] = ()
        self._watchdog: asyncio.Task[None] | None = None
        self.viewers_served = 0
        # Keyframe requests (PLI/FIR) from any viewer; the encoding side compares counts.
        self.keyframe_requests = 0

    @property
    def viewer_count(self) -> int:
        """Viewers connected or connecting now."""
        return len(self._viewers)

    def push(self, packet: EncodedPacket) -> None:
        """Send ``packet`` to every viewer (any thread)."""
        for track in self._tracks:
            if track.kind == packet.media_kind:
                track.push(packet)

    async def open_session(self, session_id: str, offer_sdp: str) -> str:
        from ._server import EndpointBusyError

        if self._closed:
            raise EndpointBusyError("this server is shutting down")
        # Check and take the place with no await in between, so concurrent offers
        # (one event loop) cannot all pass the check before any of them is counted.
        if len(self._viewers) + self._answering >= self._max_viewers:
            raise EndpointBusyError(f"this server takes {self._max_viewers} viewers at most")
        self._answering += 1
        try:
            pc = RTCPeerConnection(self._ice.rtc_configuration())
            tracks = tuple(
                PacketTrack(kind, self._loop, on_keyframe_request=self._keyframe_requested)
                for kind in self._kinds
            )
            try:
                answer = await accept_offer(pc, offer_sdp, tracks)
                if self._closed:
                    raise EndpointBusyError("this server is shutting down")
            except BaseException:
                await close_quietly(pc)
                raise
        finally:
            self._answering -= 1
        viewer = Viewer(session_id, pc, tuple(t for t in tracks if negotiated(pc, t)))
        self._viewers[session_id] = viewer
        self._tracks = self._tracks + viewer.tracks
        self.viewers_served += 1

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            self._on_event("viewer_state", {"session": session_id, "state": pc.connectionState})
            if pc.connectionState == "failed" and session_id in self._viewers:
                self._on_event(
                    "viewer_failed", {"session": session_id, "reason": "ICE/DTLS failed"}
                )
            if pc.connectionState in ("failed", "closed"):
                await self.close_session(session_id)

        if self._watchdog is None:
            self._watchdog = asyncio.ensure_future(self._watch())
        self._on_event("viewer_joined", {"session": session_id, "viewers": len(self._viewers)})
        return answer

    def _keyframe_requested(self) -> None:
        self.keyframe_requests += 1

    async def trickle(self, session_id: str, sdp_fragment: str) -> bool:
        viewer = self._viewers.get(session_id)
        if viewer is None:
            return False
        await add_remote_candidates(viewer.pc, sdp_fragment)
        return True

    async def close_session(self, session_id: str) -> bool:
        viewer = self._viewers.pop(session_id, None)
        if viewer is None:
            return False
        self._tracks = tuple(t for t in self._tracks if t not in viewer.tracks)
        for track in viewer.tracks:
            track.stop()
        await close_quietly(viewer.pc)
        self._on_event("viewer_left", {"session": session_id, "viewers": len(self._viewers)})
        return True

    def end_stream(self) -> int:
        """The pipeline's stream ended: every viewer's tracks end after what was pushed
        (any thread). Returns how many viewers were told."""
        viewers = tuple(self._viewers.values())
        for viewer in viewers:
            for track in viewer.tracks:
                track.end()
        return len(viewers)

    async def close(self) -> None:
        """Hang up on every viewer; offers still being answered are refused."""
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for session_id in list(self._viewers):
            await self.close_session(session_id)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self._viewer_timeout_s / 4, self._connect_timeout_s / 4))
            now = time.monotonic()
            for viewer in list(self._viewers.values()):
                if (
                    viewer.pc.connectionState != "connected"
                    and now - viewer.opened > self._connect_timeout_s
                ):
                    reason = f"no connection within {self._connect_timeout_s:g} s"
                    self._on_event(
                        "viewer_failed", {"session": viewer.session_id, "reason": reason}
                    )
                    await self.close_session(viewer.session_id)
                    continue
                age = await last_report_age(viewer.pc)
                silent = now - viewer.opened if age is None else age
                if silent > self._viewer_timeout_s:
                    self._on_event(
                        "viewer_timed_out", {"session": viewer.session_id, "silent_s": silent}
                    )
                    await self.close_session(viewer.session_id)
