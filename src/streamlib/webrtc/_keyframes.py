"""Seeing a remote end's keyframe requests (RTCP PLI and FIR) for a track we send.

A receiver that lost pictures (a browser after packet loss, a viewer that
joined mid-stream) sends PLI or FIR. aiortc 1.16 answers them only for its
own encoders: ``RTCRtpSender._handle_rtcp_packet`` calls the sender's
``_send_keyframe()``, which sets a private flag its encoder reads; there is no
public event, and a track of already-encoded packets never sees the request.
:func:`observe_keyframe_requests` wraps that one method on one sender
instance, so the request reaches whoever encodes our packets::

    observe_keyframe_requests(transceiver.sender, track.request_keyframe)

This leans on a private aiortc method; ``test_webrtc.py`` feeds a sender a
real PLI and FIR and fails if the hook no longer fires. Where the method is
missing (another aiortc), requests go unseen with one warning, and viewers
recover at the next periodic keyframe instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiortc
from aiortc import RTCRtpSender

__all__ = ["keyframe_requests_observable", "observe_keyframe_requests"]

_log = logging.getLogger(__name__)
_HOOK = "_send_keyframe"  # aiortc.rtcrtpsender.RTCRtpSender._send_keyframe (aiortc 1.16)
_warned: list[bool] = []


def keyframe_requests_observable() -> bool:
    """Whether this aiortc has the hook :func:`observe_keyframe_requests` uses."""
    return callable(getattr(RTCRtpSender, _HOOK, None))


def observe_keyframe_requests(sender: RTCRtpSender, callback: Callable[[], None]) -> bool:
    """Call ``callback`` (on the sender's event loop) each time the remote end asks ``sender``
    for a keyframe; aiortc's own handling still runs first. Whether it could be hooked."""
    if not keyframe_requests_observable():
        if not _warned:
            _warned.append(True)
            _log.warning(
                "aiortc %s has no RTCRtpSender.%s: keyframe requests (PLI/FIR) go unseen and "
                "viewers wait for the next periodic keyframe",
                getattr(aiortc, "__version__", "?"),
                _HOOK,
            )
        return False
    original: Callable[[], None] = getattr(sender, _HOOK)

    def send_keyframe() -> None:
        original()
        callback()

    setattr(sender, _HOOK, send_keyframe)
    return True
