"""A WHEP player: offer to receive, hand each decoded frame to a callback.

    player = WhepPlayerSession(loop, "http://127.0.0.1:8889/whep", on_frame=handle)
    loop.run(player.connect(), timeout=15)
    ...
    loop.run(player.close(), timeout=5)

``on_frame(kind, frame)`` runs on the event-loop thread with each
``av.VideoFrame``/``av.AudioFrame``; keep it short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCPeerConnection

from ..core import NetworkError
from ._ice import IceSettings
from ._peers import receiving_peer, set_answer
from ._signalling_client import SignallingClient
from ._tracks import drain_track

__all__ = ["WhepPlayerSession"]


class WhepPlayerSession:
    """One WHEP session receiving video and/or audio."""

    def __init__(
        self,
        url: str,
        *,
        on_frame: Callable[[str, Any], None],
        kinds: tuple[str, ...] = ("video", "audio"),
        token: str | None = None,
        ice: IceSettings | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._on_frame = on_frame
        self._kinds = kinds
        self._ice = ice or IceSettings()
        self._connect_timeout = connect_timeout
        self._client = SignallingClient(url, token=token, timeout=connect_timeout)
        self._pc: RTCPeerConnection | None = None
        self._drains: list[asyncio.Task[None]] = []

    @property
    def state(self) -> str:
        """The peer connection's state (``new`` before :meth:`connect`)."""
        return "new" if self._pc is None else str(self._pc.connectionState)

    async def connect(self) -> None:
        """Offer, apply the answer and wait until media can flow; ``NetworkError`` if not."""
        pc = self._pc = await receiving_peer(self._ice, self._kinds)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            kind = track.kind
            self._drains.append(
                asyncio.ensure_future(drain_track(track, lambda f: self._on_frame(kind, f)))
            )

        answer = await self._client.offer(pc.localDescription.sdp)
        await set_answer(pc, answer, self.url)
        deadline = asyncio.get_running_loop().time() + self._connect_timeout
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed"):
                raise NetworkError(f"ICE/DTLS to {self.url} failed ({pc.connectionState})")
            if asyncio.get_running_loop().time() > deadline:
                raise NetworkError(
                    f"no connection to {self.url} within {self._connect_timeout:g} s "
                    "(ICE found no working candidate pair: check ice and the firewall)"
                )
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Hang up (DELETE) and close the peer."""
        for task in self._drains:
            task.cancel()
        self._drains = []
        await self._client.hang_up()
        await self._client.close()
        if self._pc is not None:
            await self._pc.close()
