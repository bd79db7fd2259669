"""WhepServer and WhipServer: a pipeline watched from, or fed by, browsers with no other server.

``WhepServer`` (a sink) encodes its input once and serves it to every WHEP
viewer, with a viewer page at ``/``; ``WhipServer`` (a source) takes one WHIP
publisher and outputs what it sends, with a camera-publishing page at ``/``.

Both bind 127.0.0.1 by default. On any loopback address (127.0.0.0/8, ``::1``,
``localhost``) no token is needed, and requests whose ``Host`` or (without a
token) ``Origin`` names anything but a loopback address are refused, so a web
page cannot reach the server through DNS rebinding. Any other address needs a
token: the config refuses ``host: 0.0.0.0`` without one. With a token, pages on
other sites may play or publish (CORS ``*``): the token is the check. The
details are in ``streamlib.webrtc._server``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, model_validator

from ...core import (
    AudioFrame,
    EncodedPacket,
    Input,
    Output,
    Scheduling,
    VideoFrame,
    is_loopback,
)
from .._raw_video import OutputPixelFormat
from ._base import WebRtcProcessor
from ._support import (
    ReceivedFrames,
    WebRtcEncoders,
    WebRtcEncodingConfig,
    WebRtcPeerConfig,
    ice_settings,
    webrtc_ready,
)

if TYPE_CHECKING:
    from ...webrtc import EventLoopThread, WhepHost, WhipHost

__all__ = ["WhepServer", "WhipServer"]

_START_TIMEOUT_S = 10.0


class _ServerConfig(WebRtcPeerConfig):
    renamed_fields: ClassVar[Mapping[str, str]] = {"connect_timeout": "connect_timeout_s"}

    host: str = Field(
        "127.0.0.1",
        description="Address to listen on; any address but loopback (127.x, ::1) needs a token "
        "(0.0.0.0: every interface).",
    )
    port: int = Field(8889, ge=0, le=65_535, description="TCP port (0: any free port).")
    connect_timeout_s: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Seconds a peer may take to connect (ICE and DTLS) after its offer "
        "was answered before it is dropped as failed.",
    )

    @model_validator(mode="after")
    def _token_off_loopback(self) -> _ServerConfig:
        if not self.token and not is_loopback(self.host):
            raise ValueError(
                f"serving on {self.host} lets any machine that reaches it watch the stream or "
                "publish into the pipeline, so it needs a token: set token (the page takes "
                "?token=...), or bind 127.0.0.1 (the default)"
            )
        return self


class WhepServerConfig(_ServerConfig, WebRtcEncodingConfig):
    """Config of :class:`WhepServer`."""

    renamed_fields: ClassVar[Mapping[str, str]] = {
        **_ServerConfig.renamed_fields,
        "viewer_timeout": "viewer_timeout_s",
    }
    max_viewers: int = Field(16, ge=1, le=1000, description="Viewers served at once at most.")
    viewer_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a viewer may stay silent (no RTCP) before it is dropped as gone.",
    )


class WhepServer(WebRtcProcessor[WhepServerConfig]):
    """Serve the pipeline's video and audio to browsers and WHEP players (a WHEP endpoint).

    ``http://HOST:PORT/`` shows a viewer page; ``/whep`` is the endpoint. Each
    viewer gets the same encoded stream: pictures are encoded once (H.264,
    constrained baseline, ultrafast, zerolatency), not once per viewer, and
    not at all while nobody watches. ``video_packets``/``audio_packets`` take
    already-encoded H.264/Opus (from a ``VideoEncoder``) instead. A viewer's
    keyframe request (RTCP PLI/FIR, after loss) makes the next picture a
    keyframe; in pass-through (``video_packets``) the packets are sent as they
    come, so a viewer that lost pictures recovers at the encoder's next
    keyframe (set its ``keyframe_interval`` accordingly).
    When its inputs end, each viewer gets what was already sent and then the end
    of its tracks (``stream_ended`` event).
    Events on ``processor:<id>``: ``listening`` (with the URL), ``viewer_joined``,
    ``viewer_left``, ``viewer_timed_out``, ``viewer_state``, and ``viewer_failed``
    (with the reason) for a viewer whose ICE or DTLS failed or did not complete
    within ``connect_timeout_s``: that viewer is dropped, the others are served on,
    and the pipeline never waits on it.

    Example pipeline entry::

        web: {type: WhepServer, config: {port: 8889}}
    """

    tags: ClassVar[tuple[str, ...]] = ("sink", "network", "webrtc")

    video = Input(VideoFrame, description="Pictures to serve (newest first).")
    audio = Input(AudioFrame, description="Audio to serve (in order; an Opus rate).")
    video_packets = Input(EncodedPacket, profile="fifo", description="Encoded H.264 to serve.")
    audio_packets = Input(EncodedPacket, profile="fifo", description="Encoded Opus to serve.")

    url: str | None = None  # the page to open, once serving

    def open_network(self, loop: EventLoopThread) -> Callable[[], None]:
        from ...webrtc import VIEWER_PAGE, WhepHost

        cfg = self.config
        self._encoders = WebRtcEncoders(cfg)
        self.host: WhepHost = WhepHost(
            loop,
            ice_settings(cfg),
            viewer_timeout_s=cfg.viewer_timeout_s,
            connect_timeout_s=cfg.connect_timeout_s,
            max_viewers=cfg.max_viewers,
            on_event=self.events,
        )
        self._viewers_seen = 0
        self._requests_seen = 0
        self.keyframes_forced = 0
        return _serve(self, loop, self.host, endpoint="whep", page=VIEWER_PAGE)

    def process(self) -> None:
        watched = self.host.viewer_count > 0
        if not watched:
            # Nobody to send to: skip encoding; the next viewer starts a fresh stream
            # (beginning with a keyframe) instead of waiting for the next one.
            self._encoders.reset()
        elif (
            self.host.viewers_served != self._viewers_seen
            or self.host.keyframe_requests != self._requests_seen
        ):
            # Someone joined, or a viewer lost pictures (PLI/FIR): a keyframe now, so
            # they need not wait for the next one. Requests since the last picture
            # make one keyframe, however many viewers asked.
            self._encoders.request_keyframe()
            self.keyframes_forced += 1
        self._viewers_seen = self.host.viewers_served
        self._requests_seen = self.host.keyframe_requests
        for packet in self._encoders.encode_inputs(
            self.video, self.audio, send_video=watched, send_audio=watched
        ):
            self.host.push(packet)
        for port in (self.video_packets, self.audio_packets):
            for packet in port.read_all():
                if watched:
                    self.host.push(webrtc_ready(packet))

    def on_end_of_stream(self) -> None:
        # Packets already pushed still go out; then each viewer's tracks end.
        viewers = self.host.end_stream()
        self.events("stream_ended", {"viewers": viewers})


class WhipServerConfig(_ServerConfig):
    """Config of :class:`WhipServer`."""

    pixel_format: OutputPixelFormat = Field(
        "rgb24", description="Pixel format of the output frames."
    )


class WhipServer(WebRtcProcessor[WhipServerConfig]):
    """Accept one WHIP publisher (a browser, OBS, a ``WhipPublisher``) and output its media.

    ``/whip`` is the endpoint; ``http://HOST:PORT/`` serves a page that
    publishes the browser's camera and microphone. A second publisher gets 409
    while one is connected. Video comes out decoded (``pixel_format``), audio
    as float32 at the sender's rate. Events on ``processor:<id>``:
    ``listening``, ``publisher_joining``, ``publisher_joined``, ``publisher_left``,
    ``publisher_state``, ``publisher_failed`` (ICE or DTLS failed or did not
    complete within ``connect_timeout_s``: the publisher is dropped, freeing the
    endpoint for the next). Timestamps keep the sender's spacing and never go back,
    also across publishers.

    Example pipeline entry::

        ingest: {type: WhipServer, config: {port: 8890, token: secret}}
    """

    tags: ClassVar[tuple[str, ...]] = ("source", "network", "webrtc")
    default_scheduling = Scheduling.loop()

    video = Output(VideoFrame, description="Pictures the publisher sends.")
    audio = Output(AudioFrame, description="Audio the publisher sends.")

    url: str | None = None  # the page to open, once serving

    def open_network(self, loop: EventLoopThread) -> Callable[[], None]:
        from ...webrtc import PUBLISHER_PAGE, WhipHost

        cfg = self.config
        self.received = ReceivedFrames(pixel_format=cfg.pixel_format)
        self.host: WhipHost = WhipHost(
            ice_settings(cfg),
            on_frame=self.received.put,
            on_event=self._on_event,
            connect_timeout_s=cfg.connect_timeout_s,
        )
        return _serve(self, loop, self.host, endpoint="whip", page=PUBLISHER_PAGE)

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "publisher_joining":
            self.received.new_stream()  # its RTP times start afresh
        self.events(name, payload)

    def process(self) -> None:
        # A short wait, so the runtime can stop us between waits.
        self.received.forward(self.video, self.audio, timeout_s=0.1)


def _serve(
    processor: WhepServer | WhipServer,
    loop: EventLoopThread,
    handler: WhepHost | WhipHost,
    *,
    endpoint: str,
    page: str,
) -> Callable[[], None]:
    """Serve ``handler`` at ``/<endpoint>`` and ``page`` at ``/`` on the processor's host and
    port, set its ``url`` and announce ``listening``; the callable returned closes both."""
    from ...webrtc import SignallingServer

    cfg = processor.config
    server = SignallingServer(host=cfg.host, port=cfg.port, token=cfg.token)
    server.add_endpoint(endpoint, handler)
    server.add_page("/", page)
    port = loop.run(server.start(), _START_TIMEOUT_S)
    shown = f"[{server.host}]" if ":" in server.host else server.host
    url = processor.url = f"http://{shown}:{port}/{endpoint}"
    processor.events("listening", {"url": url, "page": url.removesuffix(endpoint)})

    def close() -> None:
        loop.run(handler.close(), _START_TIMEOUT_S)
        loop.run(server.stop(), _START_TIMEOUT_S)

    return close
