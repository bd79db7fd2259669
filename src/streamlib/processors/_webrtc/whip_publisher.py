"""WhipPublisher: send the pipeline's video and audio to a WHIP endpoint (RFC 9725)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from ...core import AudioFrame, EncodedPacket, Input, VideoFrame, reach_field
from ._base import WebRtcProcessor
from ._support import (
    WebRtcClientConfig,
    WebRtcEncoders,
    WebRtcEncodingConfig,
    client_session_options,
    enabled_kinds,
    webrtc_ready,
)

if TYPE_CHECKING:
    from ...webrtc import EventLoopThread, WhipPublisherSession

__all__ = ["WhipPublisher"]


class WhipPublisherConfig(WebRtcEncodingConfig, WebRtcClientConfig):
    """Config of :class:`WhipPublisher`."""

    url: str = reach_field(
        ..., reaches="url", description="The WHIP endpoint, e.g. http://127.0.0.1:8889/whip."
    )
    video_enabled: bool = Field(True, description="Send a video track.")
    audio_enabled: bool = Field(True, description="Send an audio track.")


class WhipPublisher(WebRtcProcessor[WhipPublisherConfig]):
    """Publish video (H.264) and audio (Opus) to a WHIP endpoint, reconnecting when it drops.

    Pictures are encoded with libx264 (constrained baseline, ultrafast,
    zerolatency, a keyframe every ``keyframe_interval`` frames), which keeps
    up with 720p30 on two cores where aiortc's own encoder does not;
    ``video_packets``/``audio_packets`` take H.264/Opus already encoded
    (from a ``VideoEncoder``) and send them as they are. A receiver's keyframe
    request (RTCP PLI/FIR) makes the next encoded picture a keyframe; passed-through
    packets go as they are, so there the receiver recovers at the encoder's next
    keyframe. While (re)connecting, media is dropped, not queued. Events on
    ``processor:<id>``: ``connecting`` (with the attempt number), ``connected``,
    ``disconnected`` (reason, next pause), ``stopped``. ICE or DTLS that fails,
    or does not complete within ``connect_timeout_s``, ends the attempt with
    ``disconnected`` (its peer closed, the session hung up) and the next attempt
    follows after the pause: the pipeline never waits on it.

    Example pipeline entry::

        out: {type: WhipPublisher, config: {url: "http://127.0.0.1:8889/whip", token: s3cret}}
    """

    tags: ClassVar[tuple[str, ...]] = ("sink", "network", "webrtc")

    video = Input(VideoFrame, description="Pictures to send (newest first).")
    audio = Input(AudioFrame, description="Audio to send (in order; an Opus rate).")
    video_packets = Input(EncodedPacket, profile="fifo", description="Encoded H.264 to send.")
    audio_packets = Input(EncodedPacket, profile="fifo", description="Encoded Opus to send.")

    def open_network(self, loop: EventLoopThread) -> Callable[[], None]:
        from ...webrtc import WhipPublisherSession

        cfg = self.config
        kinds = enabled_kinds(video=cfg.video_enabled, audio=cfg.audio_enabled)
        self._encoders = WebRtcEncoders(cfg)
        self.session: WhipPublisherSession = WhipPublisherSession(
            loop,
            cfg.url,
            kinds=kinds,
            on_event=self.events,
            **client_session_options(cfg),
        )
        self._was_connected = False
        self._requests_seen = 0
        self.keyframes_forced = 0
        self.session.start()
        return self.session.stop

    def process(self) -> None:
        session = self.session
        connected = session.connected
        if connected and not self._was_connected:
            # A new connection: start it with a keyframe rather than wait for one.
            self._encoders.reset()
        self._was_connected = connected
        requests = session.keyframe_requests
        if requests != self._requests_seen:
            # The receiver lost pictures (PLI/FIR): make the next one a keyframe.
            self._requests_seen = requests
            self._encoders.request_keyframe()
            self.keyframes_forced += 1
        for packet in self._encoders.encode_inputs(
            self.video,
            self.audio,
            send_video=connected and self.config.video_enabled,
            send_audio=connected and self.config.audio_enabled,
        ):
            session.push(packet)
        for port in (self.video_packets, self.audio_packets):
            for packet in port.read_all():
                session.push(webrtc_ready(packet))
