"""ICE settings: which host candidates our peers offer, and which STUN servers they ask.

``ice: host`` (the default) offers the machine's interfaces, as aiortc does;
``ice: loopback`` offers 127.0.0.1 only, for local-only setups and for tests
in a network namespace that holds nothing but ``lo``::

    settings = IceSettings(mode="loopback")
    configuration = settings.rtc_configuration()  # no STUN, loopback candidates

aioice 0.13 leaves 127.0.0.1 out of its host candidates and has no option to
keep it, so :func:`offer_loopback_in_this_thread` wraps
``aioice.ice.get_host_addresses`` once, process-wide: the wrapper answers
``["127.0.0.1"]`` on threads that asked for loopback (our event-loop threads)
and defers to aioice everywhere else, so other aiortc users are unaffected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer

__all__ = ["IceMode", "IceSettings", "loopback_offered_here", "offer_loopback_in_this_thread"]

IceMode = Literal["host", "loopback"]

_thread_state = threading.local()
_patch_lock = threading.Lock()
# aioice's own function, kept once the wrapper is in place (a one-slot holder,
# so installing needs no ``global``).
_original: list[Callable[[bool, bool], list[str]]] = []


@dataclass(frozen=True, slots=True)
class IceSettings:
    """How a peer gathers candidates.

    ``stun_servers`` are ``stun:host:port`` URLs; none by default, so nothing
    leaves the machine unless asked (aiortc would otherwise ask Google's).
    """

    mode: IceMode = "host"
    stun_servers: tuple[str, ...] = field(default_factory=tuple)

    def rtc_configuration(self) -> RTCConfiguration:
        """The aiortc configuration: our STUN servers only (an empty list, not aiortc's default)."""
        servers = [] if self.mode == "loopback" else [RTCIceServer(u) for u in self.stun_servers]
        return RTCConfiguration(iceServers=servers)


def offer_loopback_in_this_thread(enabled: bool = True) -> None:
    """Make peers gathering on the calling thread offer 127.0.0.1 (only) as host candidate."""
    _install_patch()
    _thread_state.loopback = enabled


def loopback_offered_here() -> bool:
    """Whether peers on the calling thread offer loopback candidates."""
    return bool(getattr(_thread_state, "loopback", False))


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if loopback_offered_here():
        # IPv4 only: Chromium's --allow-loopback-in-peer-connection pairs 127.0.0.1.
        return ["127.0.0.1"] if use_ipv4 else []
    return _original[0](use_ipv4, use_ipv6)


def _install_patch() -> None:
    with _patch_lock:
        if not _original:
            _original.append(aioice.ice.get_host_addresses)
            aioice.ice.get_host_addresses = _host_addresses
