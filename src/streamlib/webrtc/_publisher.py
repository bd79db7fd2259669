"""A WHIP publisher that stays connected: connect, watch, reconnect with backoff.

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

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection

from ..core import EncodedPacket, NetworkError
from ._ice import IceSettings
from ._loop import EventLoopThread
from ._peers import last_report_age, sending_peer, set_answer
from ._signalling_client import SignallingClient
from ._tracks import PacketTrack

__all__ = ["Backoff", "WhipPublisherSession"]

EventSink = Callable[[str, dict[str, Any]], None]


class Backoff:
    """Growing pauses between attempts: ``initial``, doubled each time, at most ``maximum``."""

    def __init__(self, initial: float = 0.5, maximum: float = 10.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0

    def next_delay(self) -> float:
        """The pause before the next attempt (and count it)."""
        delay = min(self.maximum, self.initial * (1 << min(self.attempt, 30)))
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """Start from ``initial`` again (after a success)."""
        self.attempt = 0


class WhipPublisherSession:
    """Publishes pushed packets to a WHIP endpoint, reconnecting when the connection drops."""

    def __init__(
        self,
        loop: EventLoopThread,
        url: str,
        *,
        kinds: tuple[str, ...] = ("video", "audio"),
        token: str | None = None,
        ice: IceSettings | None = None,
        connect_timeout: float = 10.0,
        silence_timeout: float = 10.0,
        backoff: Backoff | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self._loop = loop
        self.url = url
        self._kinds = kinds
        self._token = token
        self._ice = ice or IceSettings()
        self._connect_timeout = connect_timeout
        self._silence_timeout = silence_timeout
        self._backoff = backoff or Backoff()
        self._on_event = on_event or (lambda name, payload: None)
        self._tracks: dict[str, PacketTrack] = {}
        self._task: concurrent.futures.Future[None] | None = None
        self._stopping: asyncio.Event | None = None
        self.connections = 0
        self.packets_dropped = 0
        self.last_error: str | None = None
        # The session resource (Location, resolved after redirects) while connected.
        self.session_url: str | None = None

    @property
    def connected(self) -> bool:
        """Whether packets go out now."""
        return bool(self._tracks)

    def start(self) -> None:
        """Begin connecting (returns at once)."""
        self._task = self._loop.submit(self._run())

    def push(self, packet: EncodedPacket) -> None:
        """Send ``packet`` if connected (any thread)."""
        track = self._tracks.get(packet.media_kind)
        if track is None:
            self.packets_dropped += 1
        else:
            track.push(packet)

    def stop(self, timeout: float = 5.0) -> None:
        """Hang up (DELETE) and stop reconnecting."""
        if self._stopping is not None:
            self._loop.call_soon(self._stopping.set)
        if self._task is not None:
            try:
                self._task.result(timeout)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        self._stopping = asyncio.Event()
        while not self._stopping.is_set():
            self._on_event("connecting", {"url": self.url, "attempt": self._backoff.attempt + 1})
            client = SignallingClient(self.url, token=self._token, timeout=self._connect_timeout)
            pc: RTCPeerConnection | None = None
            try:
                pc = await self._connect(client)
                self.session_url = client.session_url
                self._backoff.reset()
                self.connections += 1
                self._on_event("connected", {"url": self.url, "connections": self.connections})
                reason = await self._watch(pc)
            except NetworkError as error:
                reason = str(error)
            finally:
                self._tracks = {}
                self.session_url = None
                await client.hang_up()
                await client.close()
                if pc is not None:
                    await pc.close()
            if self._stopping.is_set():
                break
            self.last_error = reason
            delay = self._backoff.next_delay()
            self._on_event(
                "disconnected",
                {"url": self.url, "reason": reason, "retry_in_s": delay},
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        self._on_event("stopped", {"url": self.url})

    async def _connect(self, client: SignallingClient) -> RTCPeerConnection:
        tracks = {kind: PacketTrack(kind, self._loop) for kind in self._kinds}
        pc = await sending_peer(self._ice, tracks.values())
        try:
            answer = await client.offer(pc.localDescription.sdp)
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
        except BaseException:
            await pc.close()
            raise
        self._tracks = tracks
        return pc

    async def _watch(self, pc: RTCPeerConnection) -> str:
        """Wait until the connection drops or we stop; why it ended."""
        assert self._stopping is not None
        while not self._stopping.is_set():
            if pc.connectionState in ("failed", "closed"):
                return f"connection {pc.connectionState}"
            age = await last_report_age(pc)
            if age is not None and age > self._silence_timeout:
                return f"no receiver report for {age:.1f} s"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 0.5)
        return "stopped"
