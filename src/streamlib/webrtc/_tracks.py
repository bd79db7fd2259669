"""Track adapters between streamlib and aiortc.

:class:`PacketTrack` sends already-encoded :class:`~streamlib.EncodedPacket`s:
its ``recv()`` returns ``av.Packet``s, which aiortc's RTP sender packetizes
as they are (``H264Encoder.pack``/``OpusEncoder.pack``) instead of decoding
and encoding again. One encoder can thus feed any number of peers::

    track = PacketTrack("video", loop)
    pc.addTrack(track)
    track.push(packet)          # from any thread

:func:`drain_track` runs the other way: it hands each frame aiortc decoded
from a remote track to a callback until the track ends.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError

from ..core import EncodedPacket
from ._loop import EventLoopThread

__all__ = ["PacketTrack", "drain_track", "prefer_codec", "to_av_packet"]

# Packets waiting for a slow peer before the oldest are dropped (about 2 s of
# 30 fps video); a peer that falls this far behind must recover from a keyframe.
_QUEUE_LIMIT = 64


class PacketTrack(MediaStreamTrack):
    """A local track fed with encoded packets of one kind (``"video"`` or ``"audio"``).

    Video starts at the first keyframe pushed (a receiver can decode nothing
    before it) and starts again at the next one after packets were dropped.
    The remote end's keyframe requests (RTCP PLI/FIR, seen through
    :func:`~streamlib.webrtc.observe_keyframe_requests` once the track is on a
    peer) are counted in ``keyframe_requests`` and passed to
    ``on_keyframe_request`` (on the event-loop thread): whoever encodes should
    make the next picture a keyframe.
    """

    def __init__(
        self,
        kind: str,
        loop: EventLoopThread,
        *,
        on_keyframe_request: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self._on_keyframe_request = on_keyframe_request
        self.keyframe_requests = 0
        self._loop_thread = loop
        self._queue: collections.deque[EncodedPacket] = collections.deque()
        self._wakeup = asyncio.Event()
        self._need_keyframe = kind == "video"
        self._ending = False  # the stream ended: send what is queued, then end the track
        self.packets_sent = 0
        self.packets_dropped = 0

    def request_keyframe(self) -> None:
        """The remote end asked for a keyframe: count it and tell the encoding side."""
        self.keyframe_requests += 1
        if self._on_keyframe_request is not None:
            self._on_keyframe_request()

    def push(self, packet: EncodedPacket) -> None:
        """Queue ``packet`` for sending; callable from any thread."""
        self._loop_thread.call_soon(self._enqueue, packet)

    def end(self) -> None:
        """The stream ended: send every packet already pushed, then end the track (the
        sender stops and says goodbye to the viewer, RTCP BYE); callable from any thread."""
        self._loop_thread.call_soon(self._end)

    def _end(self) -> None:
        self._ending = True
        self._wakeup.set()

    def _enqueue(self, packet: EncodedPacket) -> None:
        if self.readyState != "live":
            return
        if self._need_keyframe:
            if not packet.keyframe:
                self.packets_dropped += 1
                return
            self._need_keyframe = False
        if len(self._queue) >= _QUEUE_LIMIT:
            self.packets_dropped += len(self._queue)
            self._queue.clear()
            if self.kind == "video":  # what follows would reference dropped pictures
                self._need_keyframe = not packet.keyframe
                if self._need_keyframe:
                    self.packets_dropped += 1
                    return
        self._queue.append(packet)
        self._wakeup.set()

    async def recv(self) -> av.Packet[Any]:
        while not self._queue:
            if self.readyState != "live" or self._ending:
                raise MediaStreamError
            self._wakeup.clear()
            await self._wakeup.wait()
        packet = self._queue.popleft()
        self.packets_sent += 1
        return to_av_packet(packet)

    def stop(self) -> None:
        super().stop()
        self._wakeup.set()  # a recv() waiting now raises MediaStreamError


def to_av_packet(packet: EncodedPacket) -> av.Packet[Any]:
    """An ``av.Packet`` with the packet's bytes, pts and time base (what aiortc's pack reads)."""
    out = av.Packet(packet.data)
    out.pts = packet.pts
    out.dts = packet.dts
    out.time_base = packet.time_base
    return out


def prefer_codec(transceiver: RTCRtpTransceiver, mime_type: str) -> None:
    """Offer or answer ``mime_type`` (``"video/H264"``, ``"audio/opus"``) only, plus RTX.

    Our packets are of one codec, so the peer must not pick another (aiortc
    would put VP8 first).
    """
    kind = mime_type.split("/", maxsplit=1)[0]
    codecs = [
        codec
        for codec in RTCRtpSender.getCapabilities(kind).codecs
        if codec.mimeType.lower() in (mime_type.lower(), f"{kind}/rtx")
    ]
    if mime_type.lower() == "video/h264":
        # Packetization-mode 1 (FU-A), baseline profiles: what every browser decodes.
        codecs = [
            c
            for c in codecs
            if c.mimeType.lower() == "video/rtx" or c.parameters.get("packetization-mode") == "1"
        ]
    transceiver.setCodecPreferences(codecs)


async def drain_track(track: MediaStreamTrack, on_frame: Callable[[Any], None]) -> None:
    """Pass each frame of a remote ``track`` to ``on_frame`` until the track ends."""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        on_frame(frame)
