"""Peer connections set up the way streamlib uses them: one direction, fixed codecs.

``sending_peer`` offers or answers with our :class:`PacketTrack`s (H.264 and
Opus only, the video track told of the remote end's keyframe requests);
``receiving_peer`` offers to receive. ``last_report_age`` tells how long a
sending peer's remote end has been silent (no RTCP receiver report), which
finds a viewer that vanished long before ICE consent expires (30 s in aioice)::

    pc = await sending_peer(ice, [video_track, audio_track])
    offer = pc.localDescription.sdp      # candidates included: no trickle needed
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import InternalError, InvalidAccessError, OperationError
from aiortc.stats import RTCRemoteInboundRtpStreamStats, RTCRemoteOutboundRtpStreamStats

from ..core import NetworkError
from ._ice import IceSettings
from ._keyframes import observe_keyframe_requests
from ._tracks import PacketTrack, prefer_codec

__all__ = [
    "CODEC_FOR_KIND",
    "accept_offer",
    "close_quietly",
    "last_report_age",
    "last_sender_report_age",
    "negotiated",
    "receiving_peer",
    "sending_peer",
    "set_answer",
]

CODEC_FOR_KIND = {"video": "video/H264", "audio": "audio/opus"}

_log = logging.getLogger(__name__)


async def sending_peer(ice: IceSettings, tracks: Iterable[PacketTrack]) -> RTCPeerConnection:
    """A peer offering to send ``tracks`` (sendonly); its local description is set."""
    pc = RTCPeerConnection(ice.rtc_configuration())
    for track in tracks:
        _send(pc, track)
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def receiving_peer(ice: IceSettings, kinds: Iterable[str]) -> RTCPeerConnection:
    """A peer offering to receive one track of each of ``kinds`` (recvonly)."""
    pc = RTCPeerConnection(ice.rtc_configuration())
    for kind in kinds:
        transceiver = pc.addTransceiver(kind, direction="recvonly")
        prefer_codec(transceiver, CODEC_FOR_KIND[kind])
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def accept_offer(
    pc: RTCPeerConnection,
    offer_sdp: str,
    tracks: Iterable[PacketTrack] = (),
    receive: Iterable[str] = (),
) -> str:
    """Answer ``offer_sdp`` on ``pc``: send ``tracks``, receive one track of each of ``receive``.

    Transceivers are made before the offer is applied, because aiortc picks
    each section's codecs then (from our preferences): H.264 and Opus only.
    Raises ``ValueError`` for SDP that does not parse or offers nothing we take.
    """
    # Only for kinds the offer has: a transceiver left without a section breaks the answer.
    offered = [
        line[2:].split(" ", 1)[0] for line in offer_sdp.splitlines() if line.startswith("m=")
    ]
    for track in tracks:
        if track.kind in offered:
            offered.remove(track.kind)
            _send(pc, track)
    for kind in receive:
        if kind in offered:
            offered.remove(kind)
            prefer_codec(pc.addTransceiver(kind, direction="recvonly"), CODEC_FOR_KIND[kind])
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        if not any(t.mid is not None for t in pc.getTransceivers()):
            raise ValueError("the offer has no audio or video section")
        await pc.setLocalDescription(await pc.createAnswer())
    except (
        AssertionError,
        IndexError,
        KeyError,
        ValueError,
        InternalError,
        InvalidAccessError,
        OperationError,
    ) as error:
        # What aiortc raises for SDP that does not parse or that we cannot take.
        raise ValueError(str(error) or type(error).__name__) from error
    return str(pc.localDescription.sdp)


async def close_quietly(pc: RTCPeerConnection) -> None:
    """Close ``pc``, which an offer may have left half set up.

    aiortc's ``close`` can raise on such a peer (an ``AttributeError`` from a
    transport that was never made); the peer is being thrown away either way,
    so that is logged, not raised over the answer the caller is giving.
    """
    try:
        await pc.close()
    except Exception as error:  # what a half-built aiortc peer raises is not documented
        _log.info("closing a half set-up peer: %s: %s", type(error).__name__, error)


def negotiated(pc: RTCPeerConnection, track: PacketTrack) -> bool:
    """Whether the answer carries ``track`` (the offer had a section for it)."""
    return any(
        t.mid is not None and _has_track(t.sender) and t.sender.track is track
        for t in pc.getTransceivers()
    )


async def set_answer(pc: RTCPeerConnection, answer_sdp: str, url: str) -> None:
    """Apply the server's answer; ``NetworkError`` when it does not parse or fit."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
    except ValueError as error:
        raise NetworkError(
            f"{url} sent an SDP answer that does not fit our offer: {error}"
        ) from error


async def last_report_age(pc: RTCPeerConnection) -> float | None:
    """Seconds since the remote end last sent a receiver report for any of our tracks.

    ``None`` before the first report arrives.
    """
    newest: datetime.datetime | None = None
    for sender in pc.getSenders():
        if not _has_track(sender):
            continue
        stats = await sender.getStats()
        for item in stats.values():
            if isinstance(item, RTCRemoteInboundRtpStreamStats) and (
                newest is None or item.timestamp > newest
            ):
                newest = item.timestamp
    if newest is None:
        return None
    now = datetime.datetime.now(datetime.UTC)
    return max(0.0, (now - newest).total_seconds())


async def last_sender_report_age(pc: RTCPeerConnection) -> float | None:
    """Seconds since the remote end last sent a sender report for a track we receive.

    ``None`` before the first report arrives.
    """
    newest: datetime.datetime | None = None
    for receiver in pc.getReceivers():
        stats = await receiver.getStats()
        for item in stats.values():
            if isinstance(item, RTCRemoteOutboundRtpStreamStats) and (
                newest is None or item.timestamp > newest
            ):
                newest = item.timestamp
    if newest is None:
        return None
    now = datetime.datetime.now(datetime.UTC)
    return max(0.0, (now - newest).total_seconds())


def _send(pc: RTCPeerConnection, track: PacketTrack) -> None:
    transceiver = pc.addTransceiver(track, direction="sendonly")
    prefer_codec(transceiver, CODEC_FOR_KIND[track.kind])
    if track.kind == "video":
        observe_keyframe_requests(transceiver.sender, track.request_keyframe)


def _has_track(sender: RTCRtpSender) -> bool:
    # aiortc types ``track`` as always set; a transceiver offered by the peer has none.
    track: Any = sender.track
    return track is not None
