"""Which addresses only this machine can reach, and the host names in request headers.

Every server streamlib runs (the MCP HTTP transport, WHEP/WHIP) applies one rule:
a bind to 127.0.0.0/8, ``::1`` or ``localhost`` may go without a token, but
always checks ``Host`` and ``Origin`` against these names (DNS rebinding);
any other address needs a token::

    is_loopback("127.0.0.2")               # True
    host_header_name("[::1]:8080")         # '::1'
    origin_name("http://localhost:5173")   # 'localhost'
    "localhost" in loopback_names("127.0.0.2")
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["host_header_name", "is_loopback", "loopback_names", "origin_name"]

# Names every loopback server answers to, besides the address it is bound to.
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (127/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def loopback_names(bound_host: str) -> frozenset[str]:
    """The host names (lower case, IPv6 without brackets) a server on ``bound_host`` answers to."""
    return frozenset({bound_host.strip("[]").lower(), *_LOOPBACK_NAMES})


def host_header_name(value: str) -> str | None:
    """The name in a ``Host`` header (``"[::1]:80"`` -> ``"::1"``); ``None`` when malformed."""
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port = rest[1:]
    else:
        name, _, port = value.partition(":")
    if not name or (port and not port.isdigit()):
        return None
    return name.lower()


def origin_name(value: str) -> str | None:
    """The host name of an ``Origin`` header (``"http://localhost:5173"`` -> ``"localhost"``).

    ``None`` for an origin that names no http(s) host (``null``, ``file://``).
    """
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower()
