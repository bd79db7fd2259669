"""One-time tickets for the requests a browser makes by itself, which cannot carry a
header: an ``EventSource`` stream, an ``<img>``'s MJPEG tap::

    tickets = StreamTickets()
    ticket = tickets.issue()         # to a client that sent the bearer token
    tickets.redeem(ticket)           # True once, within 30 s; False ever after

A page that holds the token asks for a ticket (``POST /api/tickets``, with the token in
its header) and puts it in the stream's URL (``?ticket=...``). A ticket opens one GET
request, once, for a short time, so one read from a log or a browser's history opens
nothing; the token itself never goes into a URL.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict

__all__ = ["TICKET_TTL_S", "StreamTickets"]

TICKET_TTL_S = 30.0
"""How long an issued ticket may wait to be used."""

_MAX_OUTSTANDING = 256  # issued and unused: the oldest gives way beyond this


class StreamTickets:
    """Issues tickets and redeems each at most once before it expires (thread-safe)."""

    def __init__(self, ttl_s: float = TICKET_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._expiry: OrderedDict[str, float] = OrderedDict()  # ticket -> expiry, oldest first
        self._lock = threading.Lock()

    def issue(self) -> str:
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_expired()
            self._expiry[ticket] = time.monotonic() + self.ttl_s
            while len(self._expiry) > _MAX_OUTSTANDING:
                self._expiry.popitem(last=False)
        return ticket

    def redeem(self, ticket: str) -> bool:
        """Whether ``ticket`` was issued here, is unused and unexpired; it is used now."""
        with self._lock:
            self._forget_expired()
            # Compared in constant time, as the token is: no ticket is told apart by timing.
            given = ticket.encode()
            match = next((t for t in self._expiry if hmac.compare_digest(t.encode(), given)), None)
            if match is None:
                return False
            del self._expiry[match]
            return True

    def _forget_expired(self) -> None:
        now = time.monotonic()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)
