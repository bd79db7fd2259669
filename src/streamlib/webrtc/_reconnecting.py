"""A WHIP/WHEP client session that stays connected: connect, watch, reconnect with backoff.

:class:`WhipPublisherSession` and :class:`WhepPlayerSession` share this loop;
each says how to make its peer (:meth:`ReconnectingSession._make_peer`) and how
long its remote end has been silent (:meth:`ReconnectingSession._silence`)::

    session.start()     # returns at once; connecting runs on the event loop
    ...
    session.stop()      # DELETE, close, no more attempts

Every attempt and its outcome goes to ``on_event``: ``connecting`` (attempt
number), ``connected`` (connections so far), ``disconnected`` (reason and the
pause before the next attempt), ``stopped``. A connection whose ICE or DTLS
fails, or that does not connect within ``connect_timeout_s``, ends the attempt
like any other drop: its peer is closed, the session hung up, and the next
attempt waits its turn.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection

from ..core import NetworkError, RestartBackoff
from ._ice import IceSettings
from ._loop import EventLoopThread
from ._peers import set_answer
from ._signalling_client import SignallingClient

__all__ = ["ReconnectingSession", "wait_connected"]

EventSink = Callable[[str, dict[str, Any]], None]


DEFAULT_BACKOFF = RestartBackoff(initial_s=0.5, max_s=10.0, jitter=0.1)
"""Pauses between attempts: 0.5 s doubling up to 10 s, each within 10 % at random."""


async def wait_connected(pc: RTCPeerConnection, url: str, timeout_s: float) -> None:
    """Wait until ICE and DTLS complete; ``NetworkError`` when they fail or take too long."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while pc.connectionState != "connected":
        if pc.connectionState in ("failed", "closed"):
            raise NetworkError(f"ICE/DTLS to {url} failed ({pc.connectionState})")
        if asyncio.get_running_loop().time() > deadline:
            raise NetworkError(
                f"no connection to {url} within {timeout_s:g} s "
                "(ICE found no working candidate pair: check ice and the firewall)"
            )
        await asyncio.sleep(0.05)


class ReconnectingSession(ABC):
    """One endpoint, reconnected with a :class:`~streamlib.core.RestartBackoff` whenever the
    connection drops (``DEFAULT_BACKOFF`` unless given; the count restarts after a success)."""

    def __init__(
        self,
        loop: EventLoopThread,
        url: str,
        *,
        kinds: tuple[str, ...] = ("video", "audio"),
        token: str | None = None,
        ice: IceSettings | None = None,
        connect_timeout_s: float = 10.0,
        silence_timeout_s: float = 10.0,
        backoff: RestartBackoff | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self._loop = loop
        self.url = url
        self._kinds = kinds
        self._token = token
        self._ice = ice or IceSettings()
        self._connect_timeout_s = connect_timeout_s
        self._silence_timeout_s = silence_timeout_s
        self._backoff = backoff or DEFAULT_BACKOFF
        self._failures = 0  # attempts failed since the last connection
        self._on_event = on_event or (lambda name, payload: None)
        self._task: concurrent.futures.Future[None] | None = None
        self._stopping: asyncio.Event | None = None
        self._pc: RTCPeerConnection | None = None
        self.connections = 0
        self.last_error: str | None = None
        # The session resource (Location, resolved after redirects) while connected.
        self.session_url: str | None = None

    @property
    def state(self) -> str:
        """The current peer connection's state (``new`` between attempts)."""
        return "new" if self._pc is None else str(self._pc.connectionState)

    def start(self) -> None:
        """Begin connecting (returns at once)."""
        self._task = self._loop.submit(self._run())

    def stop(self, timeout_s: float = 5.0) -> None:
        """Hang up (DELETE) and stop reconnecting."""
        if self._stopping is not None:
            self._loop.call_soon(self._stopping.set)
        if self._task is not None:
            try:
                self._task.result(timeout_s)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                self._task.cancel()
            self._task = None

    @abstractmethod
    async def _make_peer(self) -> RTCPeerConnection:
        """A new peer with its offer as local description."""

    @abstractmethod
    async def _silence(self, pc: RTCPeerConnection) -> float | None:
        """Seconds the remote end has been silent (``None``: nothing heard yet)."""

    def _connected(self, pc: RTCPeerConnection) -> None:  # noqa: B027 - optional hook
        """Called once ``pc`` connected (media may flow)."""

    async def _closing(self) -> None:  # noqa: B027 - optional hook
        """Called after each attempt, before its peer closes."""

    async def _run(self) -> None:
        self._stopping = asyncio.Event()
        while not self._stopping.is_set():
            self._on_event("connecting", {"url": self.url, "attempt": self._failures + 1})
            client = SignallingClient(
                self.url, token=self._token, timeout_s=self._connect_timeout_s
            )
            try:
                pc = self._pc = await self._make_peer()
                answer = await client.offer(pc.localDescription.sdp)
                await set_answer(pc, answer, self.url)
                await wait_connected(pc, self.url, self._connect_timeout_s)
                self.session_url = client.session_url
                self._failures = 0
                self.connections += 1
                self._connected(pc)
                self._on_event("connected", {"url": self.url, "connections": self.connections})
                reason = await self._watch(pc)
            except NetworkError as error:
                reason = str(error)
            finally:
                await self._closing()
                self.session_url = None
                await client.hang_up()
                await client.close()
                if self._pc is not None:
                    await self._pc.close()
                    self._pc = None
            if self._stopping.is_set():
                break
            self.last_error = reason
            delay = self._backoff.delay_s(self._failures)
            self._failures += 1
            self._on_event(
                "disconnected",
                {"url": self.url, "reason": reason, "retry_in_s": delay},
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        self._on_event("stopped", {"url": self.url})

    async def _watch(self, pc: RTCPeerConnection) -> str:
        """Wait until the connection drops or we stop; why it ended."""
        assert self._stopping is not None
        while not self._stopping.is_set():
            if pc.connectionState in ("failed", "closed"):
                return f"connection {pc.connectionState}"
            age = await self._silence(pc)
            if age is not None and age > self._silence_timeout_s:
                return f"nothing heard from {self.url} for {age:.1f} s"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 0.5)
        return "stopped"
